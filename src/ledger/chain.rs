//! The per-village hash chain over journal entries (DESIGN.md §5 rule 3).
//!
//! `hash_n = SHA256(hash_{n-1} ‖ canonical(entry_n, postings_n))`. The canonical encoding is
//! length-prefixed fields in a fixed order, so no two different entries encode alike, and it
//! is computed from the values as stored (amounts in fen, times to the microsecond). Changing
//! a stored entry or posting, deleting one, or reordering them breaks every later link;
//! `verify` recomputes the chain and names the first entry whose hash no longer matches.

use crate::domain::Money;
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The fields of an entry that the chain covers.
#[derive(Debug, Clone)]
pub struct ChainedEntry<'a> {
    pub village_code: &'a str,
    pub seq: i64,
    pub entry_date: NaiveDate,
    pub memo: &'a str,
    pub source: &'a str,
    pub reverses_seq: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub postings: Vec<ChainedPosting<'a>>,
}

#[derive(Debug, Clone)]
pub struct ChainedPosting<'a> {
    pub line_no: i32,
    pub account_code: &'a str,
    pub debit: Money,
    pub credit: Money,
    pub memo: &'a str,
}

/// The hash before a village's first entry.
pub fn genesis(village_code: &str) -> String {
    hex::encode(Sha256::digest(format!("qingzhang:genesis:{village_code}").as_bytes()))
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u32).to_be_bytes());
    h.update(bytes);
}

/// The link hash of `entry` after `prev_hash` (hex).
pub fn link_hash(prev_hash: &str, entry: &ChainedEntry) -> String {
    let mut h = Sha256::new();
    field(&mut h, b"qz-entry-v1");
    field(&mut h, prev_hash.as_bytes());
    field(&mut h, entry.village_code.as_bytes());
    field(&mut h, &entry.seq.to_be_bytes());
    field(&mut h, entry.entry_date.to_string().as_bytes());
    field(&mut h, entry.memo.as_bytes());
    field(&mut h, entry.source.as_bytes());
    field(
        &mut h,
        entry.reverses_seq.map(|s| s.to_string()).unwrap_or_default().as_bytes(),
    );
    field(
        &mut h,
        entry.created_by.map(|s| s.to_string()).unwrap_or_default().as_bytes(),
    );
    field(
        &mut h,
        entry.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string().as_bytes(),
    );
    field(&mut h, &(entry.postings.len() as u32).to_be_bytes());
    for p in &entry.postings {
        field(&mut h, &p.line_no.to_be_bytes());
        field(&mut h, p.account_code.as_bytes());
        // Fen as big-endian i64: the canonical form every stored hash was made with.
        field(&mut h, &p.debit.fen().to_be_bytes());
        field(&mut h, &p.credit.fen().to_be_bytes());
        field(&mut h, p.memo.as_bytes());
    }
    hex::encode(h.finalize())
}

/// A signature over a village's chain head, to publish: anyone holding a signed head can later
/// prove that the books up to that entry were not rewritten.
pub fn sign_head(key: &[u8], village_code: &str, seq: i64, hash: &str, signed_on: NaiveDate) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("qz-head-v1|{village_code}|{seq}|{hash}|{signed_on}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry<'a>(memo: &'a str, amount: i64) -> ChainedEntry<'a> {
        ChainedEntry {
            village_code: "370725105201",
            seq: 1,
            entry_date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            memo,
            source: "manual",
            reverses_seq: None,
            created_by: Some(7),
            created_at: Utc.with_ymd_and_hms(2026, 3, 5, 2, 0, 0).unwrap(),
            postings: vec![
                ChainedPosting {
                    line_no: 1,
                    account_code: "102.0001",
                    debit: Money::from_fen(amount),
                    credit: Money::ZERO,
                    memo: "",
                },
                ChainedPosting {
                    line_no: 2,
                    account_code: "501",
                    debit: Money::ZERO,
                    credit: Money::from_fen(amount),
                    memo: "",
                },
            ],
        }
    }

    #[test]
    fn any_change_to_an_entry_changes_its_link() {
        let g = genesis("370725105201");
        let base = link_hash(&g, &entry("承包费", 100));
        assert_eq!(base, link_hash(&g, &entry("承包费", 100)), "deterministic");
        assert_ne!(base, link_hash(&g, &entry("承包费", 101)));
        assert_ne!(base, link_hash(&g, &entry("承包费 ", 100)));
        assert_ne!(base, link_hash(&genesis("370725105202"), &entry("承包费", 100)));
        // Moving text between adjacent fields must not collide (length prefixes).
        let mut a = entry("ab", 100);
        a.source = "c";
        let mut b = entry("a", 100);
        b.source = "bc";
        assert_ne!(link_hash(&g, &a), link_hash(&g, &b));
    }

    #[test]
    fn head_signatures_depend_on_key_and_head() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let s = sign_head(b"k1", "370725105201", 9, "ab", d);
        assert_eq!(s.len(), 64);
        assert_ne!(s, sign_head(b"k2", "370725105201", 9, "ab", d));
        assert_ne!(s, sign_head(b"k1", "370725105201", 10, "ab", d));
    }
}
