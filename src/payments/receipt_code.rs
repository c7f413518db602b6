//! Receipt numbers and verification codes.
//!
//! A receipt's verification code is an HMAC under the server key over the receipt's fields, so a
//! forged or altered receipt fails the public check (`/r/{number}`, issue #4) without anyone
//! learning the key.

use crate::domain::Money;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The printed receipt number: village code, year, number, e.g. `370725102201-2026-000042`.
pub fn receipt_number(village_code: &str, year: i32, number: i64) -> String {
    format!("{village_code}-{year}-{number:06}")
}

/// The fields a verification code covers.
pub struct CodeFields<'a> {
    pub village_code: &'a str,
    pub year: i32,
    pub number: i64,
    pub amount: Money,
    pub channel: &'a str,
    pub bank_txn: &'a str,
    pub issued_at: &'a str,
}

/// 16 upper-case hex characters, printed in groups of four.
pub fn verification_code(key: &[u8], f: &CodeFields) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(
        format!(
            "qz-receipt-v1|{}|{}|{}|{}|{}|{}|{}",
            f.village_code,
            f.year,
            f.number,
            f.amount.fen(),
            f.channel,
            f.bank_txn,
            f.issued_at
        )
        .as_bytes(),
    );
    hex::encode_upper(&mac.finalize().into_bytes()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_change_with_any_field_and_key() {
        let f = CodeFields {
            village_code: "370725102201",
            year: 2026,
            number: 42,
            amount: Money::from_fen(167838),
            channel: "bank",
            bank_txn: "T1",
            issued_at: "2026-11-28T02:00:00Z",
        };
        let c = verification_code(b"k", &f);
        assert_eq!(c.len(), 16);
        assert_ne!(c, verification_code(b"k2", &f));
        assert_ne!(
            c,
            verification_code(
                b"k",
                &CodeFields {
                    amount: Money::from_fen(167839),
                    ..f
                }
            )
        );
        assert_eq!(receipt_number("370725102201", 2026, 42), "370725102201-2026-000042");
    }
}
