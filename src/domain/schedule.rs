//! Contract payment schedules: how a year's fee is split into installments.
//!
//! Installments always add up to the annual amount exactly: the k-th of n is
//! round(annual × k/n) − round(annual × (k−1)/n), so rounding never creates or loses a fen.

use super::Money;
use chrono::NaiveDate;
use rust_decimal::Decimal;

super::vocabulary::vocabulary! {
    /// How a year's fee is split into installments.
    Schedule {
        Annual => "annual", "每年一次";
        Semiannual => "semiannual", "每半年一次";
        Quarterly => "quarterly", "每季度一次";
        Monthly => "monthly", "每月一次";
    }
}

impl Schedule {
    fn count(self) -> u32 {
        match self {
            Schedule::Annual => 1,
            Schedule::Semiannual => 2,
            Schedule::Quarterly => 4,
            Schedule::Monthly => 12,
        }
    }
}

/// One installment of a year: its label (the bill's period), its date range and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    pub label: String,
    pub starts: NaiveDate,
    pub ends: NaiveDate,
    pub amount: Money,
}

/// The installments of `year` for a fee of `annual` per year.
pub fn installments(schedule: Schedule, year: i32, annual: Money) -> Vec<Installment> {
    let n = schedule.count();
    let months = 12 / n;
    let share = |k: u32| -> i64 {
        let exact = annual.as_decimal() * Decimal::from(k) / Decimal::from(n);
        Money::round_half_up(exact).map(Money::fen).unwrap_or(0)
    };
    (1..=n)
        .map(|k| {
            let first_month = (k - 1) * months + 1;
            let starts = NaiveDate::from_ymd_opt(year, first_month, 1).expect("valid month");
            let ends = if k == n {
                NaiveDate::from_ymd_opt(year, 12, 31).expect("valid date")
            } else {
                NaiveDate::from_ymd_opt(year, first_month + months, 1)
                    .expect("valid month")
                    .pred_opt()
                    .expect("valid date")
            };
            let label = match schedule {
                Schedule::Annual => format!("{year}"),
                Schedule::Semiannual => format!("{year}-H{k}"),
                Schedule::Quarterly => format!("{year}-Q{k}"),
                Schedule::Monthly => format!("{year}-{k:02}"),
            };
            let amount = Money::from_fen(share(k) - share(k - 1));
            Installment {
                label,
                starts,
                ends,
                amount,
            }
        })
        .collect()
}

/// A bill's period as a person reads it: the stored label (`2026`, `2026-H1`, `2026-Q2`,
/// `2026-03`, the machine form the API and the files keep) in Chinese: 2026年, 2026年上半年,
/// 2026年第二季度, 2026年3月. A label written by hand (`补充`) is shown as it is.
pub fn shown_period(label: &str) -> String {
    const QUARTERS: [&str; 4] = ["第一季度", "第二季度", "第三季度", "第四季度"];
    let year = |y: &str| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit());
    match label.split_once('-') {
        None if year(label) => format!("{label}年"),
        Some((y, "H1")) if year(y) => format!("{y}年上半年"),
        Some((y, "H2")) if year(y) => format!("{y}年下半年"),
        Some((y, q)) if year(y) && q.len() == 2 && q.starts_with('Q') => match q[1..].parse::<usize>() {
            Ok(k @ 1..=4) => format!("{y}年{}", QUARTERS[k - 1]),
            _ => label.to_string(),
        },
        Some((y, m)) if year(y) && m.len() == 2 => match m.parse::<u32>() {
            Ok(k @ 1..=12) => format!("{y}年{k}月"),
            _ => label.to_string(),
        },
        _ => label.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn periods_read_in_chinese_and_hand_written_labels_stay() {
        for (stored, shown) in [
            ("2026", "2026年"),
            ("2026-H1", "2026年上半年"),
            ("2026-H2", "2026年下半年"),
            ("2026-Q1", "2026年第一季度"),
            ("2026-Q2", "2026年第二季度"),
            ("2026-Q4", "2026年第四季度"),
            ("2026-03", "2026年3月"),
            ("2026-12", "2026年12月"),
            ("2026-Q5", "2026-Q5"),
            ("2026-13", "2026-13"),
            ("补充", "补充"),
            ("2025年秋", "2025年秋"),
            ("", ""),
        ] {
            assert_eq!(shown_period(stored), shown, "{stored}");
        }
        // Every label the schedules make reads as Chinese.
        for s in [
            Schedule::Annual,
            Schedule::Semiannual,
            Schedule::Quarterly,
            Schedule::Monthly,
        ] {
            for i in installments(s, 2026, Money::parse("1200.00").unwrap()) {
                assert!(shown_period(&i.label).starts_with("2026年"), "{}", i.label);
                assert!(!shown_period(&i.label).contains('-'), "{}", i.label);
            }
        }
    }

    #[test]
    fn a_year_splits_into_labelled_installments() {
        let q = installments(Schedule::Quarterly, 2026, Money::parse("1000.00").unwrap());
        let labels: Vec<_> = q.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]);
        assert_eq!(q[0].amount, Money::parse("250.00").unwrap());
        assert_eq!(q[1].starts, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        assert_eq!(q[1].ends, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap());
        let m = installments(Schedule::Monthly, 2026, Money::parse("100.00").unwrap());
        assert_eq!(
            m.iter().map(|i| i.amount).sum::<Money>(),
            Money::parse("100.00").unwrap()
        );
        assert_eq!(m[0].amount, Money::parse("8.33").unwrap());
        assert_eq!(m[1].amount, Money::parse("8.34").unwrap());
    }

    proptest! {
        #[test]
        fn installments_always_sum_to_the_annual_fee(fen in 1i64..10_000_000_000, s in 0usize..4) {
            let schedule = [Schedule::Annual, Schedule::Semiannual, Schedule::Quarterly, Schedule::Monthly][s];
            let annual = Money::from_fen(fen);
            let parts = installments(schedule, 2026, annual);
            prop_assert_eq!(parts.iter().map(|i| i.amount).sum::<Money>(), annual);
        }
    }
}
