//! Accounting periods and business time.
//!
//! Time is stored in UTC; the business day is Asia/Shanghai, so a payment at 23:30 UTC on
//! 31 March belongs to April's books. A period is a calendar month, written `2026-03`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}”不是月份：请按 2026-03 的格式填写")]
pub struct PeriodError(pub String);

impl Period {
    pub fn of(date: NaiveDate) -> Period {
        Period {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let err = || PeriodError(text.to_string());
        let (y, m) = text.trim().split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year: i32 = y.parse().map_err(|_| err())?;
        let month: u32 = m.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) || !(1900..=2999).contains(&year) {
            return Err(err());
        }
        Ok(Period { year, month })
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid by construction")
    }

    /// The first day of the next period (exclusive end of this one).
    pub fn next(self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({self})")
    }
}

/// The business date (Asia/Shanghai) of an instant.
pub fn business_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// The Beijing wall-clock time of an instant.
pub fn business_time(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.with_timezone(&Shanghai).naive_local()
}

/// An instant as a person reads it: Beijing time, to the minute (`2026-11-30 19:12`).
pub fn shown(at: DateTime<Utc>) -> String {
    business_time(at).format("%Y-%m-%d %H:%M").to_string()
}

/// An RFC 3339 instant (as the JSON API carries it) as a person reads it; text that is not one
/// is shown as it is.
pub fn shown_text(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| shown(t.with_timezone(&Utc)))
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// The instant of a Beijing wall-clock time (a bank statement's times are Beijing time; China
/// keeps no daylight saving, so every wall-clock time is one instant).
pub fn from_beijing(local: chrono::NaiveDateTime) -> DateTime<Utc> {
    use chrono::TimeZone;
    Shanghai
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
}

/// The stored instants (UTC) a span of Beijing days covers: from the first day's midnight to
/// the last microsecond of the last day, for `BETWEEN` on a timestamp column.
pub fn stored_span(from: NaiveDate, to: NaiveDate) -> (chrono::NaiveDateTime, chrono::NaiveDateTime) {
    let lo = from_beijing(from.and_hms_opt(0, 0, 0).expect("midnight")).naive_utc();
    let hi = from_beijing((to + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).expect("midnight")).naive_utc()
        - chrono::Duration::microseconds(1);
    (lo, hi)
}

/// Now, truncated to microseconds: both databases keep microseconds, and the hash chain must
/// hash exactly what is stored. Every use case takes its time from here; [`at`] sets it for
/// the current thread (a history replayed event by event, each at its own time).
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    CLOCK.with(|c| c.get()).unwrap_or_else(Utc::now).trunc_subsecs(6)
}

thread_local! {
    static CLOCK: std::cell::Cell<Option<DateTime<Utc>>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with [`now`] answering `t` on this thread (the use cases run on the caller's
/// thread), then restores the real clock, also if `f` panics.
pub fn at<T>(t: DateTime<Utc>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<DateTime<Utc>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CLOCK.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CLOCK.with(|c| c.replace(Some(t))));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_people_read_are_beijing_time_to_the_minute() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 19, 12, 19).unwrap();
        assert_eq!(shown(at), "2026-12-01 03:12");
        assert_eq!(shown_text("2026-11-30T19:12:19.172140+00:00"), "2026-12-01 03:12");
        assert_eq!(shown_text("not a time"), "not a time");
    }

    #[test]
    fn periods_parse_and_print() {
        let p = Period::parse("2026-03").unwrap();
        assert_eq!(p.to_string(), "2026-03");
        assert_eq!(p.next().to_string(), "2026-04");
        assert_eq!(Period::parse("2026-12").unwrap().next().to_string(), "2027-01");
        for bad in ["2026-3", "2026-13", "26-03", "2026/03", "abcd-ef", ""] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_clock_can_be_set_for_a_thread_and_comes_back() {
        let t = Utc.with_ymd_and_hms(2025, 5, 6, 7, 8, 9).unwrap();
        assert_eq!(at(t, now), t);
        assert_eq!(
            at(t, || at(t + chrono::Duration::days(1), now)),
            t + chrono::Duration::days(1)
        );
        assert!(now() > t + chrono::Duration::days(300));
    }

    #[test]
    fn the_business_day_is_shanghai_time() {
        let late_utc = Utc.with_ymd_and_hms(2026, 3, 31, 16, 30, 0).unwrap();
        assert_eq!(business_date(late_utc), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
    }
}
