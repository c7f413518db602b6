//! The inspector's overview of a scope: findings counted by month, and how long each village's
//! cash took to reach the bank. Pure arithmetic over rows the store hands over; the dashboard
//! (`usecases::inspection::dashboard`) puts it together with the findings by rule and place.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Money;

/// The findings and the money at stake of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthCount {
    /// `2026-03`.
    pub month: String,
    pub findings: i64,
    #[schema(value_type = String)]
    pub amount: Money,
}

/// Every month from `from` to `to` (a month with nothing shows as zero, so a trend has no
/// holes), with the findings that began in it: `(period start, amount)` per finding.
pub fn by_month(findings: &[(NaiveDate, Money)], from: NaiveDate, to: NaiveDate) -> Vec<MonthCount> {
    let key = |d: NaiveDate| (d.year(), d.month());
    let mut out = Vec::new();
    let (mut y, mut m) = key(from);
    while (y, m) <= key(to) {
        let (n, amount) = findings
            .iter()
            .filter(|(d, _)| key(*d) == (y, m))
            .fold((0, Money::ZERO), |(n, a), (_, x)| (n + 1, a + *x));
        out.push(MonthCount {
            month: format!("{y}-{m:02}"),
            findings: n,
            amount,
        });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    // A finding that began before the period (a run reaching back) counts in its first month.
    let before: Vec<_> = findings.iter().filter(|(d, _)| key(*d) < key(from)).collect();
    if let Some(first) = out.first_mut() {
        first.findings += before.len() as i64;
        first.amount += before.iter().map(|(_, a)| *a).sum::<Money>();
    }
    out
}

/// A balance at the end of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthEnd {
    /// `2026-03`.
    pub month: String,
    #[schema(value_type = String)]
    pub balance: Money,
    /// The cash limit in force on the month's last day (zero: none).
    #[schema(value_type = String)]
    pub limit: Money,
}

/// The balance at the end of every month from `from` to `to`, from an account's movement per
/// day (debit minus credit, oldest first, from the first day the books hold), with the limit
/// in force that day.
pub fn month_ends(
    daily: &[(NaiveDate, Money)],
    limits: &crate::domain::cash_limits::CashLimits,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<MonthEnd> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let first_of_next = NaiveDate::from_ymd_opt(next.0, next.1, 1).expect("a month's first day");
        let balance = daily
            .iter()
            .take_while(|(d, _)| *d < first_of_next)
            .map(|(_, x)| *x)
            .sum();
        out.push(MonthEnd {
            month: format!("{y}-{m:02}"),
            balance,
            // The day the balance is taken: the month's last, or `to` in a month not ended.
            limit: limits.on(first_of_next.pred_opt().expect("a month's last day").min(to)),
        });
        (y, m) = next;
    }
    out
}

/// How long one village's cash took from the clerk's hand to the bank.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DepositLag {
    /// Cash records taken in the period (voided ones left out).
    pub records: i64,
    /// Of those, how many the bank has credited.
    pub deposited: i64,
    /// Mean days from taking the cash to the bank's credit, over the deposited records.
    pub average_days: Option<f64>,
    /// The longest wait, counting cash still waiting up to `as_of`.
    pub longest_days: Option<f64>,
    /// Cash taken and not yet in the bank.
    #[schema(value_type = String)]
    pub waiting: Money,
}

impl DepositLag {
    /// From `(received, amount, credited)` per cash record, judged at `as_of` (all in one
    /// clock, Beijing time or UTC alike).
    pub fn of(records: &[(NaiveDateTime, Money, Option<NaiveDateTime>)], as_of: NaiveDateTime) -> DepositLag {
        let days = |from: NaiveDateTime, to: NaiveDateTime| ((to - from).num_seconds().max(0)) as f64 / 86_400.0;
        let done: Vec<f64> = records.iter().filter_map(|(r, _, c)| c.map(|c| days(*r, c))).collect();
        let longest = records
            .iter()
            .map(|(r, _, c)| days(*r, c.unwrap_or(as_of)))
            .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.max(d))));
        DepositLag {
            records: records.len() as i64,
            deposited: done.len() as i64,
            average_days: (!done.is_empty()).then(|| done.iter().sum::<f64>() / done.len() as f64),
            longest_days: longest,
            waiting: records.iter().filter(|(_, _, c)| c.is_none()).map(|(_, a, _)| *a).sum(),
        }
    }
}

/// Days to one decimal, as the dashboard shows them ("1.5 天"); "—" when there is nothing.
pub fn days_text(d: Option<f64>) -> String {
    d.map_or_else(|| "—".to_string(), |d| format!("{d:.1} 天"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    fn yuan(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn months_without_findings_are_zero_and_earlier_findings_count_in_the_first() {
        let f = [
            (d("2026-01-03"), yuan("10.00")),
            (d("2026-03-31"), yuan("5.00")),
            (d("2026-03-01"), yuan("1.00")),
            (d("2025-11-20"), yuan("7.00")),
        ];
        let m = by_month(&f, d("2026-01-01"), d("2026-04-30"));
        let got: Vec<(&str, i64, String)> = m
            .iter()
            .map(|c| (c.month.as_str(), c.findings, c.amount.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01", 2, "17.00".into()),
                ("2026-02", 0, "0.00".into()),
                ("2026-03", 2, "6.00".into()),
                ("2026-04", 0, "0.00".into())
            ]
        );
        // Across New Year.
        let m = by_month(&[], d("2025-11-01"), d("2026-02-28"));
        assert_eq!(
            m.iter().map(|c| c.month.as_str()).collect::<Vec<_>>(),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }

    #[test]
    fn month_end_balances_carry_what_came_before_the_period() {
        let daily = [
            (d("2025-12-30"), yuan("100.00")),
            (d("2026-01-05"), yuan("50.00")),
            (d("2026-01-31"), yuan("-30.00")),
            (d("2026-03-01"), yuan("-120.00")),
        ];
        let limits = crate::domain::cash_limits::CashLimits::new(
            yuan("5000.00"),
            vec![(d("2026-02-28"), yuan("8000.00")), (d("2026-03-20"), yuan("9000.00"))],
        );
        // The span ends on 15 March: its last month's balance and limit are those of the 15th
        // (the change on the 20th is not yet in force).
        let m = month_ends(&daily, &limits, d("2026-01-01"), d("2026-03-15"));
        let got: Vec<(&str, String, String)> = m
            .iter()
            .map(|e| (e.month.as_str(), e.balance.to_string(), e.limit.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-01", "120.00".into(), "5000.00".into()),
                ("2026-02", "120.00".into(), "8000.00".into()),
                ("2026-03", "0.00".into(), "8000.00".into())
            ]
        );
    }

    #[test]
    fn a_deposit_lag_averages_the_deposited_and_the_longest_counts_what_still_waits() {
        let as_of = t("2026-03-10 12:00");
        let lag = DepositLag::of(
            &[
                (t("2026-03-02 09:00"), yuan("100.00"), Some(t("2026-03-02 15:00"))), // 0.25 day
                (t("2026-03-03 09:00"), yuan("50.00"), Some(t("2026-03-05 21:00"))),  // 2.5 days
                (t("2026-03-06 12:00"), yuan("30.00"), None),                         // 4 days so far
            ],
            as_of,
        );
        assert_eq!((lag.records, lag.deposited), (3, 2));
        assert_eq!(lag.average_days, Some(1.375));
        assert_eq!(lag.longest_days, Some(4.0));
        assert_eq!(lag.waiting, yuan("30.00"));
        assert_eq!(days_text(lag.average_days), "1.4 天");
        let none = DepositLag::of(&[], as_of);
        assert_eq!(
            (none.average_days, none.longest_days, none.waiting),
            (None, None, Money::ZERO)
        );
        assert_eq!(days_text(None), "—");
    }
}
