//! The catalogue, one module per rule. Each says in Chinese what it flags and why that matters
//! to an inspector, reads only [`VillageFacts`] and its [`Thresholds`], and has tests that plant
//! its case and a near miss that must not be flagged.

pub mod backdated;
pub mod benford;
pub mod cash_late;
pub mod cash_over_limit;
pub mod cash_share;
pub mod cash_short;
pub mod chain_broken;
pub mod double_collection;
pub mod duplicate_use;
pub mod fee_overdue;
pub mod money_without_receipt;
pub mod off_hours;
pub mod proxy_payin;
pub mod receipt_gap;
pub mod receipt_voids;
pub mod receipt_without_money;
pub mod round_amounts;
pub mod self_approval;
pub mod split_payments;
pub mod unapproved_debit;
pub mod underreported;
pub mod written_off_late;

use super::{Flag, Thresholds, VillageFacts};
use crate::domain::vocabulary::RuleId;
use crate::domain::Money;

/// Runs one rule.
pub fn run(rule: RuleId, f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    use RuleId::*;
    match rule {
        CashLate => cash_late::check(f, t),
        CashOverLimit => cash_over_limit::check(f, t),
        CashShort => cash_short::check(f, t),
        ReceiptWithoutMoney => receipt_without_money::check(f, t),
        MoneyWithoutReceipt => money_without_receipt::check(f, t),
        ReceiptGap => receipt_gap::check(f, t),
        ReceiptVoids => receipt_voids::check(f, t),
        DuplicateUse => duplicate_use::check(f, t),
        FeeOverdue => fee_overdue::check(f, t),
        UnapprovedDebit => unapproved_debit::check(f, t),
        SplitPayments => split_payments::check(f, t),
        RoundAmounts => round_amounts::check(f, t),
        OffHours => off_hours::check(f, t),
        Benford => benford::check(f, t),
        Backdated => backdated::check(f, t),
        ChainBroken => chain_broken::check(f, t),
        SelfApproval => self_approval::check(f, t),
        CashShare => cash_share::check(f, t),
        ProxyPayin => proxy_payin::check(f, t),
        Underreported => underreported::check(f, t),
        DoubleCollection => double_collection::check(f, t),
        WrittenOffLate => written_off_late::check(f, t),
    }
}

/// What the rule flags and why it matters, for the inspector's page and the report.
pub fn explanation(rule: RuleId) -> &'static str {
    use RuleId::*;
    match rule {
        CashLate => cash_late::EXPLANATION,
        CashOverLimit => cash_over_limit::EXPLANATION,
        CashShort => cash_short::EXPLANATION,
        ReceiptWithoutMoney => receipt_without_money::EXPLANATION,
        MoneyWithoutReceipt => money_without_receipt::EXPLANATION,
        ReceiptGap => receipt_gap::EXPLANATION,
        ReceiptVoids => receipt_voids::EXPLANATION,
        DuplicateUse => duplicate_use::EXPLANATION,
        FeeOverdue => fee_overdue::EXPLANATION,
        UnapprovedDebit => unapproved_debit::EXPLANATION,
        SplitPayments => split_payments::EXPLANATION,
        RoundAmounts => round_amounts::EXPLANATION,
        OffHours => off_hours::EXPLANATION,
        Benford => benford::EXPLANATION,
        Backdated => backdated::EXPLANATION,
        ChainBroken => chain_broken::EXPLANATION,
        SelfApproval => self_approval::EXPLANATION,
        CashShare => cash_share::EXPLANATION,
        ProxyPayin => proxy_payin::EXPLANATION,
        Underreported => underreported::EXPLANATION,
        DoubleCollection => double_collection::EXPLANATION,
        WrittenOffLate => written_off_late::EXPLANATION,
    }
}

/// Yuan of a threshold as money.
pub(crate) fn yuan(y: i64) -> Money {
    Money::from_fen(y.saturating_mul(100))
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A village's March 2026, checked on 10 April, for the rules' tests.
    use chrono::{NaiveDate, NaiveDateTime};

    use crate::domain::ids::{ReceiptId, VillageId};
    use crate::domain::vocabulary::{Channel, ReceiptStatus};
    use crate::inspect::facts::{ChainFact, ReceiptFact, VillageFacts};

    pub fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    pub fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }
    pub(crate) use super::yuan;
    /// A valid cash receipt numbered `id`, issued on 10 March; tests change what they plant.
    pub fn receipt(id: i64) -> ReceiptFact {
        ReceiptFact {
            id: ReceiptId(id),
            year: 2026,
            number: id,
            bill: None,
            payer: None,
            amount: yuan(100),
            channel: Channel::Cash,
            status: ReceiptStatus::Issued,
            issued: at("2026-03-10 10:00"),
            issued_by: None,
            bank_txn: None,
            cash_record: None,
            replaces: None,
            voided: None,
        }
    }

    pub fn march() -> VillageFacts {
        VillageFacts {
            village: VillageId(1),
            village_code: "370725102201".into(),
            from: day("2026-03-01"),
            to: day("2026-03-31"),
            as_of: at("2026-04-10 12:00"),
            cash_limits: crate::domain::cash_limits::CashLimits::fixed(yuan(5000)),
            chain: ChainFact {
                ok: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_explains_itself_and_finds_nothing_in_an_empty_village() {
        let f = fixture::march();
        for r in RuleId::ALL {
            assert!(explanation(*r).chars().count() > 30, "{r}");
            assert!(run(*r, &f, &Thresholds::default()).is_empty(), "{r}");
        }
    }
}
