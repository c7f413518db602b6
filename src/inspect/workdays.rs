//! Working days (Monday to Friday). China's public holidays and the weekend days worked in
//! their place move every year by State Council notice; they are not modelled, so a deposit due
//! across a holiday may be flagged one or two days early. The inspector reads the dates.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The `n`th working day after `d` (n = 0: `d` itself): cash taken on a Saturday is due, with
/// one working day, on Monday, as cash taken on Friday is.
pub fn add_working_days(d: NaiveDate, n: u32) -> NaiveDate {
    let mut day = d;
    let mut left = n;
    while left > 0 {
        day += Duration::days(1);
        if is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// The last day of `d`'s month.
pub fn month_end(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("a month's first day") - Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn friday_plus_one_working_day_is_monday() {
        assert_eq!(add_working_days(d("2026-03-06"), 1), d("2026-03-09"));
        assert_eq!(add_working_days(d("2026-03-07"), 1), d("2026-03-09"));
        assert_eq!(add_working_days(d("2026-03-08"), 1), d("2026-03-09"));
        assert_eq!(add_working_days(d("2026-03-04"), 0), d("2026-03-04"));
        assert_eq!(month_end(d("2026-02-10")), d("2026-02-28"));
        assert_eq!(month_end(d("2026-12-31")), d("2026-12-31"));
    }
}
