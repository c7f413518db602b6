//! Money: CNY amounts with exactly two decimal places.
//!
//! The one money type of the service: integer fen (as hyperswitch's `MinorUnit`), stored as
//! BIGINT fen; `rust_decimal` does the arithmetic where a fee is computed. Everything about money text lives here: parsing what people type
//! ("12.3", "1,234.50", "¥8"), parsing fen integers from gateways, half-up rounding of computed
//! fees (area × unit price) and the Chinese capital rendering printed on receipts (大写).
//! No `f64` ever touches an amount.
//!
//! It lives in this, the lowest crate, because a provider's `BankCredit` carries it as much as
//! the books' rows do: an amount is converted from a gateway's format (fen integers, "12.30"
//! yuan) once, at the adapter's edge, and is a `Money` from there to the journal. Its storage
//! shape (BIGINT fen) is declared here; the service maps it to its two databases.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::str::FromStr;

/// The largest amount the service accepts: 999,999,999,999.99 yuan. Far above any village's
/// money, and small enough that sums of millions of amounts cannot overflow i64 fen.
pub const MAX_FEN: i64 = 99_999_999_999_999;

/// An amount of CNY, exact to the fen. May be negative (balances, reversals); inputs that must
/// be positive are checked with [`Money::parse_positive`] or [`Money::ensure_positive`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::BigInt))]
pub struct Money(i64);

impl From<Money> for i64 {
    fn from(m: Money) -> i64 {
        m.fen()
    }
}

/// BIGINT fen on any database diesel speaks.
#[cfg(feature = "diesel")]
mod sql {
    use super::Money;
    use diesel::backend::Backend;
    use diesel::deserialize::{self, FromSql};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types::BigInt;

    impl<DB: Backend> FromSql<BigInt, DB> for Money
    where
        i64: FromSql<BigInt, DB>,
    {
        fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
            Ok(Money(i64::from_sql(bytes)?))
        }
    }

    impl<DB: Backend> ToSql<BigInt, DB> for Money
    where
        i64: ToSql<BigInt, DB>,
    {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
            self.0.to_sql(out)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("请填写金额")]
    Empty,
    #[error("“{0}”不是金额：请以元为单位填写，最多两位小数，如 1234.50")]
    Invalid(String),
    #[error("“{0}”超过两位小数")]
    TooPrecise(String),
    #[error("“{0}”超过允许的最大金额 999999999999.99")]
    TooLarge(String),
    #[error("金额必须大于零，填写的是 {0}")]
    NotPositive(String),
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// From integer fen: a stored amount or a total. Any i64 is a valid total (a county's
    /// turnover may exceed what one payment may be); what people and providers send is bounded
    /// where it is parsed, and with [`Money::within_bound`].
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// This amount, if it is one a single bill or payment may carry: at most [`MAX_FEN`] either
    /// way.
    pub fn within_bound(self) -> Result<Money, MoneyError> {
        if self.0.unsigned_abs() > MAX_FEN as u64 {
            return Err(MoneyError::TooLarge(self.to_string()));
        }
        Ok(self)
    }

    /// Integer fen, for storage and for gateways that speak fen.
    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn as_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// Parses yuan as people write it: "12", "12.3", "12.30", "1,234.50", "¥8.00", "-3.10".
    /// Refuses more than two decimals (no silent rounding of what someone typed), misplaced
    /// grouping commas, exponents, and anything above [`MAX_FEN`].
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::Invalid(t.to_string());
        let (negative, rest) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let rest = rest
            .strip_prefix('¥')
            .or_else(|| rest.strip_prefix('￥'))
            .unwrap_or(rest);
        let (int_part, frac_part) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        let int_digits = strip_grouping(int_part).ok_or_else(invalid)?;
        if int_digits.is_empty() || !int_digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let frac = frac_part.unwrap_or("");
        if frac_part.is_some() && frac.is_empty() {
            return Err(invalid());
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise(t.to_string()));
        }
        if int_digits.trim_start_matches('0').len() > 12 {
            return Err(MoneyError::TooLarge(t.to_string()));
        }
        let fen_text = format!("{int_digits}{frac:0<2}");
        let fen: i64 = fen_text.parse().map_err(|_| invalid())?;
        if fen > MAX_FEN {
            return Err(MoneyError::TooLarge(t.to_string()));
        }
        Ok(Money(if negative { -fen } else { fen }))
    }

    /// Parses an amount that must be greater than zero (a bill, a payment, a posting line).
    pub fn parse_positive(text: &str) -> Result<Money, MoneyError> {
        Money::parse(text)?.ensure_positive()
    }

    /// Parses integer fen as text ("1230" is 12.30 yuan), as gateways send them.
    pub fn parse_fen(text: &str) -> Result<Money, MoneyError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let digits = t.strip_prefix('-').unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Invalid(t.to_string()));
        }
        let fen: i64 = t.parse().map_err(|_| MoneyError::TooLarge(t.to_string()))?;
        Money(fen).within_bound()
    }

    pub fn ensure_positive(self) -> Result<Money, MoneyError> {
        if self.0 > 0 {
            Ok(self)
        } else {
            Err(MoneyError::NotPositive(self.to_string()))
        }
    }

    /// Rounds a computed amount half-up (away from zero at .5) to the fen, the rule for fees.
    pub fn round_half_up(value: Decimal) -> Result<Money, MoneyError> {
        let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let mut fixed = rounded;
        fixed.rescale(2);
        let fen = i64::try_from(fixed.mantissa()).map_err(|_| MoneyError::TooLarge(value.to_string()))?;
        Money(fen).within_bound()
    }

    /// The fee for `quantity` units (mu of land, square metres) at `unit_price` per unit,
    /// rounded half-up to the fen.
    pub fn fee(quantity: Decimal, unit_price: Money) -> Result<Money, MoneyError> {
        let product = quantity
            .checked_mul(unit_price.as_decimal())
            .ok_or_else(|| MoneyError::TooLarge(format!("{quantity} × {unit_price}")))?;
        Money::round_half_up(product)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        Some(Money(self.0.checked_add(other.0)?))
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        Some(Money(self.0.checked_sub(other.0)?))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The Chinese capital amount printed on receipts and vouchers, e.g. 1234.50 →
    /// 壹仟贰佰叁拾肆元伍角整. Follows the People's Bank rules: one 零 for a run of zeros inside
    /// the number, 整 when there is no 分, 零 before 分 when 角 is zero, 负 for negatives.
    ///
    /// Capitals are written for one amount, up to [`MAX_FEN`]; a larger total (never printed on
    /// a receipt) renders as its figures.
    pub fn to_chinese_capital(self) -> String {
        if self.within_bound().is_err() {
            return format!("{self}元");
        }
        let fen = self.fen();
        let mut out = String::new();
        if fen < 0 {
            out.push('负');
        }
        let fen = fen.unsigned_abs();
        let yuan = fen / 100;
        let jiao = (fen / 10) % 10;
        let fen_digit = fen % 10;
        if yuan == 0 && jiao == 0 && fen_digit == 0 {
            return "零元整".to_string();
        }
        if yuan > 0 {
            out.push_str(&capital_integer(yuan));
            out.push('元');
        }
        match (jiao, fen_digit) {
            (0, 0) => out.push('整'),
            (j, 0) => {
                out.push(DIGITS[j as usize]);
                out.push_str("角整");
            }
            (0, f) => {
                if yuan > 0 {
                    out.push('零');
                }
                out.push(DIGITS[f as usize]);
                out.push('分');
            }
            (j, f) => {
                out.push(DIGITS[j as usize]);
                out.push('角');
                out.push(DIGITS[f as usize]);
                out.push('分');
            }
        }
        out
    }
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];

/// Renders a whole number of yuan (> 0) in capitals, without the 元.
fn capital_integer(n: u64) -> String {
    const PLACES: [&str; 4] = ["仟", "佰", "拾", ""];
    const SECTIONS: [&str; 3] = ["亿", "万", ""];
    let groups = [n / 100_000_000, (n / 10_000) % 10_000, n % 10_000];
    let mut out = String::new();
    // A zero seen after something was written: it becomes one 零 before the next digit.
    let mut zero_pending = false;
    for (group, section) in groups.iter().zip(SECTIONS) {
        if *group == 0 {
            zero_pending |= !out.is_empty();
            continue;
        }
        let digits = [group / 1000, (group / 100) % 10, (group / 10) % 10, group % 10];
        for (d, place) in digits.iter().zip(PLACES) {
            if *d == 0 {
                zero_pending |= !out.is_empty();
            } else {
                if zero_pending {
                    out.push('零');
                    zero_pending = false;
                }
                out.push(DIGITS[*d as usize]);
                out.push_str(place);
            }
        }
        out.push_str(section);
        // Zeros at the end of a section are carried by its unit (壹拾万柒仟, not 壹拾万零柒仟).
        zero_pending = false;
    }
    out
}

/// "1,234,567" → "1234567"; None when commas are present but not in groups of three.
fn strip_grouping(int_part: &str) -> Option<String> {
    if !int_part.contains(',') {
        return Some(int_part.to_string());
    }
    let mut groups = int_part.split(',');
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 {
        return None;
    }
    let mut out = first.to_string();
    for g in groups {
        if g.len() != 3 {
            return None;
        }
        out.push_str(g);
    }
    Some(out)
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

/// Sums and differences of amounts. An amount is at most [`MAX_FEN`] (10^14 fen), so i64 holds
/// the sum of 92,000 of the largest ones; overflow past that is a bug and panics, never wraps.
impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        self.checked_add(other).expect("money total beyond i64 fen")
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        self.checked_sub(other).expect("money difference beyond i64 fen")
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl std::ops::SubAssign for Money {
    fn sub_assign(&mut self, other: Money) {
        *self = *self - other;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl<'a> std::iter::Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// In JSON an amount is a string of yuan ("1234.50"): a JSON number could be a float and is
/// refused with a message that says what to send.
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount in yuan as a string, e.g. \"1234.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(m("12").fen(), 1200);
        assert_eq!(m("12.3").fen(), 1230);
        assert_eq!(m("12.30").fen(), 1230);
        assert_eq!(m(" 1,234.50 ").fen(), 123_450);
        assert_eq!(m("1,234,567.89").fen(), 123_456_789);
        assert_eq!(m("¥8").fen(), 800);
        assert_eq!(m("￥0.05").fen(), 5);
        assert_eq!(m("-3.10").fen(), -310);
        assert_eq!(m("0").fen(), 0);
        assert_eq!(m("999999999999.99").fen(), MAX_FEN);
    }

    #[test]
    fn refuses_garbage_with_a_reason() {
        for bad in [
            "",
            "  ",
            "abc",
            "12.",
            ".5",
            "1e3",
            "12.3.4",
            "1,23.00",
            "12,345,67",
            ",123",
            "--1",
            "1 000",
            "0x10",
            "NaN",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Money::parse("1.234"), Err(MoneyError::TooPrecise("1.234".into())));
        assert_eq!(
            Money::parse("1000000000000"),
            Err(MoneyError::TooLarge("1000000000000".into()))
        );
        assert!(matches!(
            Money::parse("99999999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
        assert!(matches!(Money::parse_positive("0.00"), Err(MoneyError::NotPositive(_))));
        assert!(matches!(Money::parse_positive("-1"), Err(MoneyError::NotPositive(_))));
    }

    #[test]
    fn parses_fen_integers() {
        assert_eq!(Money::parse_fen("1230").unwrap(), m("12.30"));
        assert_eq!(Money::parse_fen("1").unwrap(), m("0.01"));
        assert!(Money::parse_fen("12.30").is_err());
        assert!(Money::parse_fen("9223372036854775808").is_err());
        assert!(Money::parse_fen("100000000000000").is_err());
    }

    #[test]
    fn fees_round_half_up_to_the_fen() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        // 3.35 mu at 501.01/mu = 1678.3835 → 1678.38
        assert_eq!(Money::fee(d("3.35"), m("501.01")).unwrap(), m("1678.38"));
        // 0.5 mu at 0.01 = 0.005 → 0.01 (half-up, not banker's)
        assert_eq!(Money::fee(d("0.5"), m("0.01")).unwrap(), m("0.01"));
        // 2.5 × 0.01 = 0.025 → 0.03; banker's rounding would give 0.02
        assert_eq!(Money::fee(d("2.5"), m("0.01")).unwrap(), m("0.03"));
        assert_eq!(Money::fee(d("12.3456"), m("800")).unwrap(), m("9876.48"));
        assert_eq!(Money::round_half_up(d("-0.005")).unwrap(), m("-0.01"));
    }

    #[test]
    fn renders_chinese_capitals_for_the_hard_cases() {
        let cases = [
            ("0", "零元整"),
            ("0.05", "伍分"),
            ("0.50", "伍角整"),
            ("0.55", "伍角伍分"),
            ("1", "壹元整"),
            ("10", "壹拾元整"),
            ("10.05", "壹拾元零伍分"),
            ("100.50", "壹佰元伍角整"),
            ("1004", "壹仟零肆元整"),
            ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
            ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
            ("10010", "壹万零壹拾元整"),
            ("100500", "壹拾万零伍佰元整"),
            ("1000004", "壹佰万零肆元整"),
            ("6007.14", "陆仟零柒元壹角肆分"),
            ("100000000", "壹亿元整"),
            ("100010000", "壹亿零壹万元整"),
            ("100000005", "壹亿零伍元整"),
            ("107000.53", "壹拾万柒仟元伍角叁分"),
            ("325000.09", "叁拾贰万伍仟元零玖分"),
            ("-12.30", "负壹拾贰元叁角整"),
            (
                "999999999999.99",
                "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
            ),
        ];
        for (amount, capital) in cases {
            assert_eq!(m(amount).to_chinese_capital(), capital, "{amount}");
        }
    }

    #[test]
    fn json_amounts_are_strings_of_yuan() {
        assert_eq!(serde_json::to_string(&m("12.3")).unwrap(), "\"12.30\"");
        assert_eq!(serde_json::from_str::<Money>("\"1,234.5\"").unwrap(), m("1234.50"));
        let err = serde_json::from_str::<Money>("12.3").unwrap_err().to_string();
        assert!(err.contains("as a string"), "{err}");
        assert!(serde_json::from_str::<Money>("\"1.001\"").is_err());
    }

    /// Reads a capital amount back to fen: an independent check of the renderer.
    fn read_capital(s: &str) -> i64 {
        let digit = |c| {
            ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖']
                .iter()
                .position(|d| *d == c)
        };
        let (neg, s) = match s.strip_prefix('负') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (mut total, mut section, mut current) = (0i64, 0i64, 0i64);
        let mut in_fraction = false;
        for c in s.chars() {
            if let Some(d) = digit(c) {
                current = d as i64;
                continue;
            }
            match c {
                '拾' => {
                    section += current * 10;
                    current = 0
                }
                '佰' => {
                    section += current * 100;
                    current = 0
                }
                '仟' => {
                    section += current * 1000;
                    current = 0
                }
                '万' => {
                    total += (section + current) * 10_000;
                    section = 0;
                    current = 0
                }
                '亿' => {
                    total = (total + section + current) * 100_000_000;
                    section = 0;
                    current = 0
                }
                '元' => {
                    total = (total + section + current) * 100;
                    section = 0;
                    current = 0;
                    in_fraction = true
                }
                '角' => {
                    total += current * 10;
                    current = 0;
                    in_fraction = true
                }
                '分' => {
                    total += current;
                    current = 0
                }
                '整' => {}
                _ => panic!("unexpected {c}"),
            }
        }
        let _ = in_fraction;
        if neg {
            -total
        } else {
            total
        }
    }

    /// Amounts of every size, not only the 13-14 digit values a uniform draw over the whole
    /// range gives almost always: fen, yuan, a village's year, and the bound.
    fn any_fen() -> impl Strategy<Value = i64> {
        prop_oneof![
            -100i64..=100,
            -100_000i64..=100_000,
            -100_000_000i64..=100_000_000,
            -MAX_FEN..=MAX_FEN,
            prop_oneof![Just(MAX_FEN), Just(-MAX_FEN), Just(0)],
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn display_then_parse_is_identity(fen in any_fen()) {
            let a = Money::from_fen(fen);
            prop_assert_eq!(Money::parse(&a.to_string()).unwrap(), a);
            prop_assert_eq!(a.fen(), fen);
        }

        #[test]
        fn capitals_read_back_to_the_same_amount(fen in any_fen()) {
            let text = Money::from_fen(fen).to_chinese_capital();
            prop_assert_eq!(read_capital(&text), fen, "{}", text);
            prop_assert!(!text.contains("零零"), "{}", text);
            prop_assert!(!text.contains("零元") || fen == 0, "{}", text);
            prop_assert!(!text.contains("零万") && !text.contains("零亿"), "{}", text);
        }

        #[test]
        fn grouped_and_plain_forms_agree(yuan in 0i64..999_999_999_999, fen in 0i64..100) {
            let plain = format!("{yuan}.{fen:02}");
            let grouped = {
                let s = yuan.to_string();
                let mut out = String::new();
                for (i, c) in s.chars().enumerate() {
                    if i > 0 && (s.len() - i) % 3 == 0 { out.push(','); }
                    out.push(c);
                }
                format!("{out}.{fen:02}")
            };
            prop_assert_eq!(Money::parse(&plain).unwrap(), Money::parse(&grouped).unwrap());
        }

        #[test]
        fn fee_rounding_is_within_half_a_fen(qty in 0i64..1_000_000, price_fen in 0i64..10_000_000) {
            let q = Decimal::new(qty, 4);
            let price = Money::from_fen(price_fen);
            let fee = Money::fee(q, price).unwrap();
            let exact = q * price.as_decimal();
            let diff = (fee.as_decimal() - exact).abs();
            prop_assert!(diff <= Decimal::new(5, 3), "{} vs {}", fee, exact);
        }
    }
}
