//! Gateway settlement, pure: what a payment costs in fees, which statement credit is a
//! provider's settlement, and which days of payments a settlement credit pays for.
//!
//! A WeChat Pay or Alipay merchant is paid once a day: the day's payments less the provider's fee,
//! as one credit on the corporate account the next day (T+1), sometimes several days in one
//! credit (a weekend, a holiday, a day the provider held back). Until then the payments wait in
//! a clearing account. The fee is the binding's rate of each payment, rounded half up to the fen
//! per payment, as the providers charge it; a settlement that is not the days' payments less
//! that fee is an outcome for the accountant, never silently equal.
//!
//! A credit from 财付通 or 支付宝 is not always a settlement: a villager paying from their WeChat
//! balance by bank transfer, or a refund, has the same payer. So a credit is taken as a
//! settlement only when it adds up exactly to open days of payments ([`exact_batch`]), or when its
//! remark names the merchant ([`names_merchant`]): only then may a settlement that does not add
//! up be recorded as one ([`claimed_batch`]).

use chrono::NaiveDate;

use crate::domain::Money;
use bank_adapters::Provider;

/// The largest fee rate a binding may set: 10% (real rates are 0.2%–0.6%).
pub const MAX_FEE_RATE_PPM: i64 = 100_000;

/// The provider's fee on one payment at a rate in parts per million, rounded half up to the fen.
pub fn fee_of(amount: Money, rate_ppm: i64) -> Money {
    let fen = i128::from(amount.fen()) * i128::from(rate_ppm);
    let rounded = (fen.abs() + 500_000) / 1_000_000;
    Money::from_fen(i64::try_from(rounded * fen.signum()).unwrap_or(i64::MAX))
}

/// How a provider's settlement credit names its payer on a bank statement.
pub fn settlement_payer(provider: Provider) -> Option<&'static str> {
    match provider {
        // 财付通支付科技有限公司 pays out WeChat Pay merchants.
        Provider::Wechat => Some("财付通"),
        // 支付宝（中国）网络技术有限公司 pays out Alipay merchants.
        Provider::Alipay => Some("支付宝"),
        _ => None,
    }
}

/// Whether a statement credit comes from the provider's payout company.
pub fn from_provider(provider: Provider, counterparty: Option<&str>) -> bool {
    settlement_payer(provider).is_some_and(|name| counterparty.is_some_and(|c| c.contains(name)))
}

/// Whether a remark names the merchant (or app) id as a whole number, not inside a longer one.
pub fn names_merchant(remark: Option<&str>, merchant: &str) -> bool {
    let (Some(r), false) = (remark, merchant.is_empty()) else {
        return false;
    };
    r.match_indices(merchant).any(|(at, m)| {
        let before = r[..at].chars().next_back();
        let after = r[at + m.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// One day of a binding's payments still waiting in clearing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearingDay {
    pub day: NaiveDate,
    pub payments: i64,
    pub gross: Money,
    pub fee: Money,
}

impl ClearingDay {
    /// What the provider owes for the day.
    pub fn net(&self) -> Money {
        self.gross - self.fee
    }
}

/// What a settlement credit pays for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The payment days it settles, oldest first (empty when no day is open before it).
    pub days: Vec<NaiveDate>,
    pub payments: i64,
    pub gross: Money,
    pub fee: Money,
}

impl Batch {
    /// What the provider owed for these days.
    pub fn expected(&self) -> Money {
        self.gross - self.fee
    }

    fn of(days: &[ClearingDay]) -> Batch {
        Batch {
            days: days.iter().map(|d| d.day).collect(),
            payments: days.iter().map(|d| d.payments).sum(),
            gross: days.iter().fold(Money::ZERO, |a, d| a + d.gross),
            fee: days.iter().fold(Money::ZERO, |a, d| a + d.fee),
        }
    }
}

/// The day a settlement's remark names (`20261130` or `2026-11-30`), if any.
fn named_day(remark: Option<&str>) -> Option<NaiveDate> {
    let r = remark?;
    let digits: Vec<char> = r.chars().collect();
    // A run of 8 digits, or 4-2-2 digits joined by '-' or '/'.
    for start in 0..digits.len() {
        let rest: String = digits[start..].iter().take(10).collect();
        let compact: String = rest.chars().take(8).collect();
        if compact.len() == 8
            && compact.chars().all(|c| c.is_ascii_digit())
            && (start == 0 || !digits[start - 1].is_ascii_digit())
            && digits.get(start + 8).is_none_or(|c| !c.is_ascii_digit())
        {
            if let Ok(d) = NaiveDate::parse_from_str(&compact, "%Y%m%d") {
                return Some(d);
            }
        }
        if rest.chars().count() == 10 && (start == 0 || !digits[start - 1].is_ascii_digit()) {
            let dashed = rest.replace('/', "-");
            if let Ok(d) = NaiveDate::parse_from_str(&dashed, "%Y-%m-%d") {
                return Some(d);
            }
        }
    }
    None
}

/// The open days up to a credit's own (T+1 as a rule; a merchant on same-day settlement, D+0,
/// is paid the same day), oldest first.
fn payable(line_date: NaiveDate, open: &[ClearingDay]) -> Vec<ClearingDay> {
    let mut days: Vec<ClearingDay> = open.iter().filter(|d| d.day <= line_date).cloned().collect();
    days.sort_by_key(|d| d.day);
    days
}

/// The days a settlement credit of `amount` on `line_date` pays for exactly, among a binding's
/// open days (any order), in order of preference:
///
/// 1. the day its remark names;
/// 2. one day, the latest before the credit's day, else (only with `same_day`: a credit that
///    names the merchant) its own day;
/// 3. a run of consecutive open days, the oldest such run (a weekend paid on Monday).
///
/// None when nothing adds up. Deterministic: the same open days and line give the same batch.
pub fn exact_batch(
    line_date: NaiveDate,
    amount: Money,
    remark: Option<&str>,
    open: &[ClearingDay],
    same_day: bool,
) -> Option<Batch> {
    let mut days = payable(line_date, open);
    if !same_day {
        days.retain(|d| d.day < line_date);
    }
    let named = named_day(remark).and_then(|n| days.iter().position(|d| d.day == n));
    if let Some(i) = named.filter(|&i| days[i].net() == amount) {
        return Some(Batch::of(&days[i..=i]));
    }
    let before = days.iter().filter(|d| d.day < line_date).count();
    let exact = |range: std::ops::Range<usize>| range.rev().find(|&i| days[i].net() == amount);
    if let Some(i) = exact(0..before).or_else(|| exact(before..days.len())) {
        return Some(Batch::of(&days[i..=i]));
    }
    for start in 0..days.len() {
        let mut owed = Money::ZERO;
        for end in start..days.len() {
            owed += days[end].net();
            if owed == amount && end > start {
                return Some(Batch::of(&days[start..=end]));
            }
        }
    }
    None
}

/// What a settlement that names its merchant but does not add up pays for: the day its remark
/// names, if that day is still open; with no day named, the latest open day before the credit's,
/// else its own. Empty (no settlement of ours: the ordinary matcher decides the line) when the
/// day it names is not open (a refund, a correction of a day already paid) or no day is.
pub fn claimed_batch(line_date: NaiveDate, remark: Option<&str>, open: &[ClearingDay]) -> Batch {
    let days = payable(line_date, open);
    if let Some(named) = named_day(remark) {
        return match days.iter().position(|d| d.day == named) {
            Some(i) => Batch::of(&days[i..=i]),
            None => Batch::of(&[]),
        };
    }
    let before = days.iter().filter(|d| d.day < line_date).count();
    match before.checked_sub(1).or_else(|| days.len().checked_sub(1)) {
        Some(i) => Batch::of(&days[i..=i]),
        None => Batch::of(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuan(y: &str) -> Money {
        Money::parse(y).unwrap()
    }
    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }
    fn open(d: u32, gross: &str, fee: &str) -> ClearingDay {
        ClearingDay {
            day: day(d),
            payments: 1,
            gross: yuan(gross),
            fee: yuan(fee),
        }
    }

    #[test]
    fn fees_round_half_up_per_payment() {
        // 0.6% of 100.00 is 0.60; of 0.83 is 0.00498 (0.00); of 0.84 is 0.00504 (0.01).
        assert_eq!(fee_of(yuan("100.00"), 6000), yuan("0.60"));
        assert_eq!(fee_of(yuan("0.83"), 6000), yuan("0.00"));
        assert_eq!(fee_of(yuan("0.84"), 6000), yuan("0.01"));
        // 0.38% of 1,678.38 is 6.377844 → 6.38; half a fen rounds up: 0.25% of 2.00 = 0.005.
        assert_eq!(fee_of(yuan("1678.38"), 3800), yuan("6.38"));
        assert_eq!(fee_of(yuan("2.00"), 2500), yuan("0.01"));
        assert_eq!(fee_of(yuan("2.00"), 0), Money::ZERO);
    }

    #[test]
    fn a_settlement_is_known_by_its_payer_or_the_merchant_in_its_remark() {
        assert!(from_provider(Provider::Wechat, Some("财付通支付科技有限公司")));
        assert!(from_provider(Provider::Alipay, Some("支付宝（中国）网络技术有限公司")));
        assert!(!from_provider(Provider::Alipay, Some("财付通支付科技有限公司")));
        assert!(!from_provider(Provider::Wechat, Some("张建国")));
        assert!(names_merchant(Some("结算 1900000109"), "1900000109"));
        assert!(names_merchant(Some("微信支付结算/1900000109/20261127"), "1900000109"));
        assert!(!names_merchant(Some("单号 219000001090"), "1900000109"));
        assert!(!names_merchant(Some("承包费"), "1900000109"));
        assert!(!names_merchant(Some("结算 1900000109"), ""));
    }

    #[test]
    fn one_day_t_plus_one() {
        let days = [open(28, "300.00", "1.80"), open(29, "100.00", "0.60")];
        let b = exact_batch(day(30), yuan("99.40"), None, &days, true).unwrap();
        assert_eq!(b.days, vec![day(29)]);
        assert_eq!(
            (b.gross, b.fee, b.expected()),
            (yuan("100.00"), yuan("0.60"), yuan("99.40"))
        );
    }

    #[test]
    fn the_day_the_remark_names_wins_when_two_days_owe_the_same() {
        let days = [open(27, "100.00", "0.60"), open(28, "100.00", "0.60")];
        let on = |remark| exact_batch(day(30), yuan("99.40"), remark, &days, true).unwrap().days;
        assert_eq!(on(None), vec![day(28)]);
        assert_eq!(on(Some("微信支付结算 1900000109 20261127")), vec![day(27)]);
        assert_eq!(on(Some("结算日期2026-11-27")), vec![day(27)]);
    }

    #[test]
    fn a_weekend_paid_on_monday_settles_three_days() {
        let days = [
            open(21, "100.00", "0.60"),
            open(22, "200.00", "1.20"),
            open(23, "50.00", "0.30"),
        ];
        // Sat 21 to Mon 23 come together on Tuesday 24.
        let b = exact_batch(day(24), yuan("347.90"), None, &days, false).unwrap();
        assert_eq!(b.days, vec![day(21), day(22), day(23)]);
        assert_eq!((b.payments, b.expected()), (3, yuan("347.90")));
    }

    #[test]
    fn what_does_not_add_up_is_no_exact_batch() {
        let days = [open(28, "300.00", "1.80"), open(29, "100.00", "0.60")];
        assert_eq!(exact_batch(day(30), yuan("90.00"), None, &days, true), None);
        // Days after the credit's own day are not what it pays for.
        assert_eq!(exact_batch(day(27), yuan("298.20"), None, &days, true), None);
        // Its own day only where no earlier day owes the amount (same-day settlement), and only
        // for a credit that names the merchant: a wallet transfer that day is no settlement.
        assert_eq!(
            exact_batch(day(28), yuan("298.20"), None, &days, true).unwrap().days,
            vec![day(28)]
        );
        assert_eq!(exact_batch(day(28), yuan("298.20"), None, &days, false), None);
    }

    #[test]
    fn a_claimed_settlement_takes_the_named_day_or_the_latest_before_it() {
        let days = [open(28, "300.00", "1.80"), open(29, "100.00", "0.60")];
        let b = claimed_batch(day(30), Some("20261128"), &days);
        assert_eq!((b.expected(), b.days), (yuan("298.20"), vec![day(28)]));
        let b = claimed_batch(day(30), None, &days);
        assert_eq!((b.expected(), b.days), (yuan("99.40"), vec![day(29)]));
        let b = claimed_batch(day(28), None, &days);
        assert_eq!(b.days, vec![day(28)]);
        assert!(claimed_batch(day(27), None, &days).days.is_empty());
        // A day named that is not open (already paid): no claim, whatever else is open.
        assert!(claimed_batch(day(30), Some("20261127"), &days).days.is_empty());
    }

    #[test]
    fn dates_in_remarks_are_read_only_as_whole_numbers() {
        assert_eq!(named_day(Some("结算 20261127")), Some(day(27)));
        assert_eq!(named_day(Some("1900000109")), None);
        assert_eq!(named_day(Some("单号 120261127")), None);
        assert_eq!(named_day(Some("2026/11/27 结算")), Some(day(27)));
        assert_eq!(named_day(None), None);
    }
}
