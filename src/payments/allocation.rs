//! How a credit is placed: find the bill reference it carries, and split its amount between the
//! bill and the suspense account (211.9999), so that no fen is ever unaccounted for.

pub use crate::domain::Outcome;
use crate::domain::{BillReference, Money};

/// The first valid bill reference in a text (an order number, a bank remark): 13 digits, with
/// or without the dashes of the printed form, and a check digit that holds.
pub fn find_reference(text: &str) -> Option<BillReference> {
    let chars: Vec<char> = text.chars().collect();
    let mut start = 0;
    while start < chars.len() {
        if chars[start].is_ascii_digit() {
            let mut digits = String::new();
            let mut i = start;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '-') && digits.len() < 13 {
                if chars[i].is_ascii_digit() {
                    digits.push(chars[i]);
                }
                i += 1;
            }
            let followed_by_digit = i < chars.len() && chars[i].is_ascii_digit();
            if digits.len() == 13 && !followed_by_digit {
                if let Ok(r) = BillReference::parse(&digits) {
                    return Some(r);
                }
            }
            // Skip this run of digits and dashes entirely.
            while start < chars.len() && (chars[start].is_ascii_digit() || chars[start] == '-') {
                start += 1;
            }
        } else {
            start += 1;
        }
    }
    None
}

/// A credit's split: `to_bill + to_suspense == amount`, always.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub to_bill: Money,
    pub to_suspense: Money,
    pub outcome: Outcome,
}

/// Splits `amount` against a bill's `outstanding` (None: no bill to pay).
pub fn allocate(amount: Money, outstanding: Option<Money>) -> Allocation {
    match outstanding {
        Some(o) if o > Money::ZERO && amount == o => Allocation {
            to_bill: amount,
            to_suspense: Money::ZERO,
            outcome: Outcome::Paid,
        },
        Some(o) if o > Money::ZERO && amount < o => Allocation {
            to_bill: amount,
            to_suspense: Money::ZERO,
            outcome: Outcome::PartPaid,
        },
        Some(o) if o > Money::ZERO => Allocation {
            to_bill: o,
            to_suspense: amount - o,
            outcome: Outcome::Overpaid,
        },
        _ => Allocation {
            to_bill: Money::ZERO,
            to_suspense: amount,
            outcome: Outcome::Suspense,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::MAX_FEN;
    use proptest::prelude::*;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    #[test]
    fn references_are_found_in_remarks_and_order_numbers() {
        let r = BillReference::new(12, 345).unwrap();
        assert_eq!(find_reference(&format!("{} 承包费", r.grouped())), Some(r.clone()));
        assert_eq!(find_reference(&format!("张建国交{}", r.as_str())), Some(r.clone()));
        assert_eq!(
            find_reference(&format!("{}-2", r.as_str())),
            Some(r.clone()),
            "an order number with a retry suffix"
        );
        // A typo fails the check digit; a longer number is not a reference.
        let mut typo = r.as_str().to_string();
        typo.replace_range(3..4, if &typo[3..4] == "9" { "0" } else { "9" });
        assert_eq!(find_reference(&typo), None);
        assert_eq!(find_reference(&format!("{}9", r.as_str())), None);
        assert_eq!(find_reference("承包费"), None);
        assert_eq!(find_reference(""), None);
    }

    #[test]
    fn each_case_of_allocation() {
        assert_eq!(
            allocate(m(100), Some(m(100))),
            Allocation {
                to_bill: m(100),
                to_suspense: m(0),
                outcome: Outcome::Paid
            }
        );
        assert_eq!(
            allocate(m(60), Some(m(100))),
            Allocation {
                to_bill: m(60),
                to_suspense: m(0),
                outcome: Outcome::PartPaid
            }
        );
        assert_eq!(
            allocate(m(130), Some(m(100))),
            Allocation {
                to_bill: m(100),
                to_suspense: m(30),
                outcome: Outcome::Overpaid
            }
        );
        assert_eq!(
            allocate(m(130), None),
            Allocation {
                to_bill: m(0),
                to_suspense: m(130),
                outcome: Outcome::Suspense
            }
        );
        assert_eq!(
            allocate(m(130), Some(m(0))),
            Allocation {
                to_bill: m(0),
                to_suspense: m(130),
                outcome: Outcome::Suspense
            }
        );
    }

    /// Positive amounts of every size, with exact and near-exact payments of the outstanding.
    fn fen() -> impl Strategy<Value = i64> {
        prop_oneof![1i64..=100, 1i64..=100_000, 1i64..=100_000_000, 1i64..=MAX_FEN]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn no_fen_is_lost(
            amount in fen(),
            outstanding in proptest::option::of(prop_oneof![Just(0i64), fen()]),
            near in -2i64..=2,
        ) {
            // Mostly an outstanding within two fen of the amount: the edges of a full payment.
            let outstanding = outstanding.map(|o| if near == 0 { o } else { (amount + near).max(0) });
            let a = allocate(m(amount), outstanding.map(m));
            prop_assert_eq!(a.to_bill + a.to_suspense, m(amount));
            prop_assert!(a.to_bill >= Money::ZERO && a.to_suspense >= Money::ZERO);
            if let Some(o) = outstanding { prop_assert!(a.to_bill <= m(o)); }
        }
    }
}
