//! CASH_OVER_LIMIT: more cash on hand than the village may hold.

use chrono::{Duration, NaiveDate};

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str =
    "村集体的库存现金（101 科目）不得超过核定的限额（默认 ¥5,000），超出部分应当日存入对公账户。\
库存现金长期超限，说明现金在账外周转或被挪用的风险升高。本规则按日末余额找出超限的连续天数，\
列出期间的现金收款，金额为期间最高余额超出限额的部分。";

/// One finding per stretch of days that ended above the limit.
pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    if f.cash_limit <= Money::ZERO {
        return Vec::new();
    }
    // Closing balance of every day of the period: it changes only on days with postings.
    let mut stretches: Vec<(NaiveDate, NaiveDate, Money)> = Vec::new();
    let mut balance = f.cash_opening;
    let mut changes = f.cash_days.iter().peekable();
    let mut open: Option<(NaiveDate, Money)> = None;
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
        if balance > f.cash_limit {
            let (start, peak) = open.unwrap_or((day, balance));
            open = Some((start, peak.max(balance)));
        } else if let Some((start, peak)) = open.take() {
            stretches.push((start, day - Duration::days(1), peak));
        }
        day += Duration::days(1);
    }
    if let Some((start, peak)) = open {
        stretches.push((start, last, peak));
    }
    stretches
        .into_iter()
        .filter(|(s, e, _)| (*e - *s).num_days() + 1 > t.cash_over_limit_days)
        .map(|(start, end, peak)| {
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
                severity: if days > 5 || peak > f.cash_limit + f.cash_limit {
                    Severity::High
                } else {
                    Severity::Medium
                },
                start,
                end,
                amount: peak - f.cash_limit,
                summary: format!(
                    "{start} 起连续 {days} 天日末库存现金超过限额 ¥{}，最高 ¥{}。",
                    f.cash_limit, peak
                ),
                evidence,
            }
        })
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
