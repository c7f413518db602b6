//! What the books can take of a verified credit. A signed credit is the provider's word, but the
//! books still refuse what they cannot hold: such a credit is kept as rejected, with its reason,
//! and the provider is told it failed for good (never "try again", which would loop forever).
//!
//! - Its transaction id and account must be plain text (1-64 characters, no control characters).
//! - Its date must fall in the books: not before the chart of accounts the villages keep (a
//!   payment from before 2024 belongs to the old books), and not more than a day ahead.
//! - What a payer typed (the remark, their name) is kept as text without control characters
//!   (a NUL, an escape): a real payment is never refused for its remark.

use chrono::{DateTime, Duration, Utc};

use crate::domain::period;
use crate::ledger::chart;
use bank_adapters::BankCredit;

/// Longest free text kept from a credit (remark, payer).
const TEXT_MAX: usize = 200;

/// The credit as the books take it, or why they cannot.
pub fn admissible(mut credit: BankCredit, now: DateTime<Utc>) -> Result<BankCredit, String> {
    for (what, value) in [
        ("transaction id", &credit.provider_txn_id),
        ("account", &credit.account_ref),
    ] {
        let n = value.chars().count();
        if n == 0 || n > 64 || value.chars().any(char::is_control) {
            return Err(format!("{what} must be 1-64 characters without control characters"));
        }
    }
    let books_begin = chart::version_for(period::business_date(now))
        .map(|v| v.effective_from)
        .ok_or_else(|| "no chart of accounts is in force today".to_string())?;
    let paid_on = period::business_date(credit.paid_at);
    if paid_on < books_begin {
        return Err(format!(
            "value date {paid_on} is before the books begin ({books_begin}); book it in the old books"
        ));
    }
    if credit.paid_at > now + Duration::days(1) {
        return Err(format!("value time {} is in the future", credit.paid_at));
    }
    credit.reference = credit.reference.map(|t| plain(&t)).filter(|t| !t.is_empty());
    credit.payer_masked = credit.payer_masked.map(|t| plain(&t)).filter(|t| !t.is_empty());
    Ok(credit)
}

/// Text without control characters, at most [`TEXT_MAX`] characters.
fn plain(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(TEXT_MAX).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bank_adapters::{Money, Provider};
    use chrono::TimeZone;

    fn credit(at: DateTime<Utc>) -> BankCredit {
        BankCredit {
            provider: Provider::RuralBank,
            provider_txn_id: "RCB-1".into(),
            account_ref: "9150010100001234567".into(),
            amount: Money::from_fen(100),
            paid_at: at,
            payer_masked: Some("张\u{0}*国".into()),
            reference: Some("000001-000001-6\u{1b}[31m 交费".into()),
        }
    }

    #[test]
    fn text_a_payer_typed_is_cleaned_not_refused() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
        let c = admissible(credit(now), now).unwrap();
        assert_eq!(c.payer_masked.as_deref(), Some("张*国"));
        assert_eq!(c.reference.as_deref(), Some("000001-000001-6[31m 交费"));
    }

    #[test]
    fn dates_the_books_cannot_hold_are_refused_for_good() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
        let before_books = Utc.with_ymd_and_hms(2023, 1, 1, 2, 0, 0).unwrap();
        assert!(admissible(credit(before_books), now)
            .unwrap_err()
            .contains("before the books begin"));
        let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        assert!(admissible(credit(far), now).unwrap_err().contains("future"));
        let first_day = Utc.with_ymd_and_hms(2023, 12, 31, 16, 0, 0).unwrap();
        assert!(admissible(credit(first_day), now).is_ok(), "2024-01-01 in Beijing");
    }

    #[test]
    fn ids_with_control_characters_are_refused() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
        let mut c = credit(now);
        c.provider_txn_id = "RCB\u{0}1".into();
        assert!(admissible(c, now).is_err());
        let mut c = credit(now);
        c.provider_txn_id = "x".repeat(65);
        assert!(admissible(c, now).is_err());
    }
}
