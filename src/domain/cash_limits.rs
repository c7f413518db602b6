//! A village's cash limit (库存现金限额) over time: the limit it was registered with, then every
//! change from the day it takes effect. Changes only take effect from today or later, so a
//! past day is always judged by the limit that was in force that day: raising the limit today
//! never quietly clears what an inspector was shown about last month.

use chrono::NaiveDate;

use super::Money;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CashLimits {
    first: Money,
    /// Sorted by day; of two changes for one day, the later made comes later and wins.
    changes: Vec<(NaiveDate, Money)>,
}

impl CashLimits {
    /// `changes` in the order they were made.
    pub fn new(first: Money, mut changes: Vec<(NaiveDate, Money)>) -> CashLimits {
        changes.sort_by_key(|(day, _)| *day); // stable: the order made is kept within a day
        CashLimits { first, changes }
    }

    /// One limit for all days.
    pub fn fixed(limit: Money) -> CashLimits {
        CashLimits::new(limit, Vec::new())
    }

    /// The limit in force on `day` (zero: no limit).
    pub fn on(&self, day: NaiveDate) -> Money {
        self.changes
            .iter()
            .rev()
            .find(|(from, _)| *from <= day)
            .map_or(self.first, |(_, limit)| *limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn y(yuan: i64) -> Money {
        Money::from_fen(yuan * 100)
    }

    #[test]
    fn each_day_has_the_limit_in_force_that_day() {
        let l = CashLimits::new(
            y(5000),
            vec![
                (d("2026-04-01"), y(8000)),
                (d("2026-03-10"), y(3000)),
                (d("2026-04-01"), y(9000)),
            ],
        );
        assert_eq!(l.on(d("2026-03-09")), y(5000), "before any change: as registered");
        assert_eq!(l.on(d("2026-03-10")), y(3000), "from the change's own day");
        assert_eq!(l.on(d("2026-03-31")), y(3000));
        assert_eq!(
            l.on(d("2026-04-01")),
            y(9000),
            "two changes for one day: the later made"
        );
        assert_eq!(CashLimits::fixed(y(100)).on(d("2030-01-01")), y(100));
    }
}
