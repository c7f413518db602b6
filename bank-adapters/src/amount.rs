//! Amounts at the providers' edge: yuan strings ("12.30") and fen integers become [`Money`]
//! here and nowhere else, strictly: no float, no more than two decimals, no sign, no grouping,
//! bounded by [`MAX_FEN`].

use crate::money::{Money, MAX_FEN};
use crate::ProviderError;

/// A yuan string as providers write it ("12.3", "12.30", "12", "0.00") → Money, zero allowed.
pub fn yuan(field: &str, text: &str) -> Result<Money, ProviderError> {
    let bad = || {
        ProviderError::InvalidAmount(format!(
            "{field} '{text}' is not an amount in yuan with at most two decimals"
        ))
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && frac.is_empty()) {
        return Err(bad());
    }
    let fen: i64 = format!("{int}{frac:0<2}").parse().map_err(|_| bad())?;
    fen_amount(field, fen)
}

/// A yuan string that must be greater than zero (the amount credited).
pub fn positive_yuan(field: &str, text: &str) -> Result<Money, ProviderError> {
    positive(field, yuan(field, text)?)
}

/// Integer fen as WeChat Pay sends them → Money, zero allowed, at most [`MAX_FEN`].
pub fn fen_amount(field: &str, fen: i64) -> Result<Money, ProviderError> {
    if fen < 0 {
        return Err(ProviderError::InvalidAmount(format!("{field} {fen} fen is negative")));
    }
    if fen > MAX_FEN {
        return Err(ProviderError::InvalidAmount(format!("{field} {fen} fen is too large")));
    }
    Ok(Money::from_fen(fen))
}

/// The amount credited must be greater than zero.
pub fn positive(field: &str, amount: Money) -> Result<Money, ProviderError> {
    if amount.fen() <= 0 {
        return Err(ProviderError::InvalidAmount(format!(
            "{field} {amount} is not a positive amount"
        )));
    }
    Ok(amount)
}

/// A part of a payment (what the payer paid, what the merchant received) may not exceed the
/// whole: a notification that says otherwise is inconsistent and refused.
pub fn at_most(part_field: &str, part: Money, whole_field: &str, whole: Money) -> Result<(), ProviderError> {
    if part > whole {
        return Err(ProviderError::InvalidAmount(format!(
            "{part_field} {part} exceeds {whole_field} {whole}"
        )));
    }
    Ok(())
}

/// Money → "12.30", as Alipay wants amounts.
pub fn to_yuan(m: Money) -> String {
    m.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_strings_become_money_exactly() {
        assert_eq!(yuan("a", "0.10").map(Money::fen), Ok(10));
        assert_eq!(yuan("a", "12.3").map(Money::fen), Ok(1230));
        assert_eq!(yuan("a", "8").map(Money::fen), Ok(800));
        assert_eq!(yuan("a", "0.00").map(Money::fen), Ok(0));
        assert_eq!(yuan("a", "999999999999.99").map(Money::fen), Ok(MAX_FEN));
        for bad in [
            "",
            "-1",
            "1.234",
            "77.705",
            "1.",
            ".5",
            "1e3",
            "1,000.00",
            "abc",
            " 1.00",
            "+1.00",
            "1000000000000.00",
        ] {
            assert!(yuan("a", bad).is_err(), "{bad}");
        }
        assert!(positive_yuan("a", "0.00").is_err());
        assert_eq!(to_yuan(Money::from_fen(1230)), "12.30");
        assert_eq!(to_yuan(Money::from_fen(5)), "0.05");
    }

    #[test]
    fn fen_are_bounded_and_not_negative() {
        assert_eq!(fen_amount("total", 0).map(Money::fen), Ok(0));
        assert!(fen_amount("total", -1).is_err());
        assert!(fen_amount("total", MAX_FEN + 1).is_err());
        assert!(positive("total", Money::ZERO).is_err());
    }

    #[test]
    fn a_part_never_exceeds_the_whole() {
        let (a, b) = (Money::from_fen(100), Money::from_fen(101));
        assert!(at_most("receipt_amount", a, "total_amount", b).is_ok());
        assert!(at_most("receipt_amount", a, "total_amount", a).is_ok());
        let e = at_most("receipt_amount", b, "total_amount", a).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid amount: receipt_amount 1.01 exceeds total_amount 1.00"
        );
    }
}
