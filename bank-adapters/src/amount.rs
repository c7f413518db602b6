//! Amounts at the providers' edge: yuan strings ("12.30") and fen integers to i64 fen, strictly
//! (no float, no more than two decimals, positive, bounded).

use crate::ProviderError;

/// The largest credit accepted: 999,999,999,999.99 yuan, as in the service's Money.
pub const MAX_FEN: i64 = 99_999_999_999_999;

/// "12.3" or "12.30" or "12" yuan → fen.
pub fn yuan_to_fen(text: &str) -> Result<i64, ProviderError> {
    let bad = || ProviderError::InvalidAmount(format!("'{text}' is not an amount in yuan with at most two decimals"));
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || int.len() > 12 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && frac.is_empty()) {
        return Err(bad());
    }
    let fen: i64 = format!("{int}{frac:0<2}").parse().map_err(|_| bad())?;
    positive(fen)
}

/// Checks a fen amount: greater than zero and at most [`MAX_FEN`].
pub fn positive(fen: i64) -> Result<i64, ProviderError> {
    if fen <= 0 {
        return Err(ProviderError::InvalidAmount(format!(
            "{fen} fen is not a positive amount"
        )));
    }
    if fen > MAX_FEN {
        return Err(ProviderError::InvalidAmount(format!("{fen} fen is too large")));
    }
    Ok(fen)
}

/// fen → "12.30", as Alipay wants amounts.
pub fn fen_to_yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_strings_become_fen_exactly() {
        assert_eq!(yuan_to_fen("0.10"), Ok(10));
        assert_eq!(yuan_to_fen("12.3"), Ok(1230));
        assert_eq!(yuan_to_fen("8"), Ok(800));
        for bad in [
            "",
            "0",
            "0.00",
            "-1",
            "1.234",
            "1.",
            ".5",
            "1e3",
            "1,000.00",
            "abc",
            "1000000000000.00",
        ] {
            assert!(yuan_to_fen(bad).is_err(), "{bad}");
        }
        assert_eq!(fen_to_yuan(1230), "12.30");
        assert_eq!(fen_to_yuan(5), "0.05");
    }
}
