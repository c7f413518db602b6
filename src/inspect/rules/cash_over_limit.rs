//! CASH_OVER_LIMIT: more cash on hand than the village may hold.

use chrono::{Duration, NaiveDate};

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str =
    "村集体的库存现金（101 科目）不得超过核定的限额（默认 ¥5,000），超出部分应当日存入对公账户。\
库存现金长期超限，说明现金在账外周转或被挪用的风险升高。本规则按日末余额和当日有效的限额找出超限的连续天数（调整限额只影响调整生效之后的日子），\
列出期间的现金收款，金额为期间超出限额最多的一天超出的部分。";

/// One finding per stretch of days that ended above the limit in force that day.
pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    // A stretch: its first day, its last, the balance of the day furthest over and that day's
    // limit, and whether any day held more than twice its own limit.
    struct Stretch {
        start: NaiveDate,
        end: NaiveDate,
        peak: Money,
        limit: Money,
        doubled: bool,
    }
    let mut stretches: Vec<Stretch> = Vec::new();
    // Closing balance of every day of the period: it changes only on days with postings.
    let mut balance = f.cash_opening;
    let mut changes = f.cash_days.iter().peekable();
    let mut open: Option<Stretch> = None;
    // Only days that have ended: today's closing balance is not known yet.
    let last = f.to.min(f.as_of.date() - Duration::days(1));
    let mut day = f.from;
    while day <= last {
        while let Some((d, b)) = changes.peek() {
            if *d > day {
                break;
            }
            balance = *b;
            changes.next();
        }
        // Each day is judged by the limit in force that day; zero means no limit is set.
        let limit = f.cash_limits.on(day);
        if limit > Money::ZERO && balance > limit {
            let s = open.get_or_insert(Stretch {
                start: day,
                end: day,
                peak: balance,
                limit,
                doubled: false,
            });
            s.end = day;
            s.doubled |= balance > limit + limit;
            if balance - limit > s.peak - s.limit {
                (s.peak, s.limit) = (balance, limit);
            }
        } else if let Some(s) = open.take() {
            stretches.push(s);
        }
        day += Duration::days(1);
    }
    stretches.extend(open);
    stretches
        .into_iter()
        .filter(|s| (s.end - s.start).num_days() + 1 > t.cash_over_limit_days)
        .map(
            |Stretch {
                 start,
                 end,
                 peak,
                 limit,
                 doubled,
             }| {
                let days = (end - start).num_days() + 1;
                let evidence = f
                    .cash
                    .iter()
                    .filter(|c| c.received.date() <= end && c.received.date() >= start - Duration::days(7))
                    .map(|c| Evidence::new(EvidenceKind::CashRecord, c.id.get()))
                    .collect();
                Flag {
                    rule: RuleId::CashOverLimit,
                    subject: format!("from:{start}"),
                    severity: if days > 5 || doubled {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    start,
                    end,
                    amount: peak - limit,
                    summary: format!(
                        "{start} 起连续 {days} 天日末库存现金超过当日限额；超出最多的一天余额 ¥{peak}，当日限额 ¥{limit}。"
                    ),
                    evidence,
                }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::fixture::*;

    #[test]
    fn three_days_above_the_limit_are_one_finding() {
        let mut f = march();
        f.cash_days = vec![
            (day("2026-03-02"), yuan(4000)),
            (day("2026-03-10"), yuan(7000)),
            (day("2026-03-11"), yuan(9000)),
            (day("2026-03-13"), yuan(1000)),
        ];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!((flags[0].start, flags[0].end), (day("2026-03-10"), day("2026-03-12")));
        assert_eq!(flags[0].amount, yuan(4000));
    }

    #[test]
    fn near_miss_at_the_limit_or_a_day_allowed() {
        let mut f = march();
        f.cash_opening = yuan(5000);
        f.cash_days = vec![(day("2026-03-10"), yuan(5001)), (day("2026-03-11"), yuan(100))];
        assert_eq!(
            check(&f, &Thresholds::default()).len(),
            1,
            "one cent over for a day is over"
        );
        let lenient = Thresholds {
            cash_over_limit_days: 1,
            ..Default::default()
        };
        assert!(check(&f, &lenient).is_empty());
        f.cash_days = vec![(day("2026-03-10"), yuan(5000))];
        assert!(
            check(&f, &Thresholds::default()).is_empty(),
            "at the limit is within it"
        );
    }

    #[test]
    fn each_day_is_judged_by_the_limit_in_force_that_day() {
        let mut f = march();
        f.cash_days = vec![(day("2026-03-10"), yuan(7000)), (day("2026-03-20"), yuan(1000))];
        // Raised to 8,000 from the 15th: the days before stay over, the days after are within.
        f.cash_limits = crate::domain::cash_limits::CashLimits::new(yuan(5000), vec![(day("2026-03-15"), yuan(8000))]);
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!((flags[0].start, flags[0].end), (day("2026-03-10"), day("2026-03-14")));
        assert_eq!(flags[0].amount, yuan(2000));
        assert!(flags[0].summary.contains("当日限额 ¥5000.00"), "{}", flags[0].summary);
        // Lowered to 1,000 from the 12th: over from the 10th to the 19th, furthest over after.
        f.cash_limits = crate::domain::cash_limits::CashLimits::new(yuan(5000), vec![(day("2026-03-12"), yuan(1000))]);
        let flags = check(&f, &Thresholds::default());
        assert_eq!((flags[0].start, flags[0].end), (day("2026-03-10"), day("2026-03-19")));
        assert_eq!((flags[0].amount, flags[0].severity), (yuan(6000), Severity::High));
        // Severity: a day more than twice its own (lowered) limit is high, though another day
        // was further over.
        f.cash_days = vec![
            (day("2026-03-10"), yuan(9000)),
            (day("2026-03-13"), yuan(2500)),
            (day("2026-03-15"), yuan(0)),
        ];
        f.cash_limits = crate::domain::cash_limits::CashLimits::new(yuan(5000), vec![(day("2026-03-13"), yuan(1000))]);
        let flags = check(&f, &Thresholds::default());
        assert_eq!((flags[0].start, flags[0].end), (day("2026-03-10"), day("2026-03-14")));
        assert_eq!((flags[0].amount, flags[0].severity), (yuan(4000), Severity::High));
        // A limit of zero is no limit.
        f.cash_limits = crate::domain::cash_limits::CashLimits::fixed(Money::ZERO);
        assert!(check(&f, &Thresholds::default()).is_empty());
    }

    #[test]
    fn days_not_yet_ended_are_not_counted() {
        let mut f = march();
        f.as_of = at("2026-03-12 10:00");
        f.cash_days = vec![(day("2026-03-10"), yuan(7000))];
        let flags = check(&f, &Thresholds::default());
        assert_eq!((flags[0].start, flags[0].end), (day("2026-03-10"), day("2026-03-11")));
    }

    #[test]
    fn an_opening_balance_above_the_limit_counts_from_the_first_day() {
        let mut f = march();
        f.cash_opening = yuan(6000);
        let flags = check(&f, &Thresholds::default());
        assert_eq!((flags[0].start, flags[0].end), (day("2026-03-01"), day("2026-03-31")));
    }
}
