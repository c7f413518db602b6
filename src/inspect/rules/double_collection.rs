//! DOUBLE_COLLECTION: one bill paid in cash and again through the bank.

use std::collections::BTreeMap;

use crate::domain::vocabulary::{EvidenceKind, Outcome, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "一张账单只应收一次钱。村民已经扫码或转账交清，报账员又收了一次现金（或者反过来），\
多出来的钱挂在“待查明款项”里，往往不会主动退给村民；现金那一份也最容易被留在手中。\
本规则找出收了现金、又有银行到账点名付它而超付或转入待查明的账单，金额为重复的部分。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    let mut cash: BTreeMap<i64, Vec<&crate::inspect::facts::CashFact>> = BTreeMap::new();
    for c in f.cash.iter().filter(|c| !c.voided) {
        cash.entry(c.bill.get()).or_default().push(c);
    }
    f.credits
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Overpaid | Outcome::Suspense) && f.covers(c.paid.date()))
        .filter_map(|credit| {
            let bill = credit.bill.or(credit.named_bill)?;
            let taken = cash.get(&bill.get())?;
            let cash_total: Money = taken.iter().map(|c| c.amount).sum();
            let mut evidence = vec![
                Evidence::new(EvidenceKind::Bill, bill.get()),
                Evidence::new(EvidenceKind::BankTransaction, credit.id.get()),
            ];
            evidence.extend(
                taken
                    .iter()
                    .map(|c| Evidence::new(EvidenceKind::CashRecord, c.id.get())),
            );
            Some(Flag {
                rule: RuleId::DoubleCollection,
                subject: format!("bank_transaction:{}", credit.id.get()),
                severity: Severity::High,
                start: taken.iter().map(|c| c.received.date()).min()?.min(credit.paid.date()),
                end: taken.iter().map(|c| c.received.date()).max()?.max(credit.paid.date()),
                amount: credit.amount.min(cash_total),
                summary: format!(
                    "同一张账单收了现金 ¥{cash_total}，又于 {} 从银行到账 ¥{}（转待查明）。",
                    credit.paid.format("%Y-%m-%d %H:%M"),
                    credit.amount
                ),
                evidence,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BankTransactionId, BillId, CashRecordId, UserId};
    use crate::inspect::facts::{CashFact, CreditFact};
    use crate::inspect::rules::fixture::*;

    fn setup(outcome: Outcome, voided: bool) -> VillageFacts {
        let mut f = march();
        f.cash = vec![CashFact {
            id: CashRecordId(1),
            clerk: UserId(7),
            bill: BillId(5),
            amount: yuan(600),
            received: at("2026-03-03 10:00"),
            voided,
            pay_in: None,
        }];
        f.credits = vec![CreditFact {
            id: BankTransactionId(9),
            amount: yuan(600),
            paid: at("2026-03-02 20:00"),
            outcome,
            bill: Some(BillId(5)),
            named_bill: Some(BillId(5)),
            pay_in: None,
            refunded: false,
            transferred_to: None,
        }];
        f
    }

    #[test]
    fn cash_for_a_bill_the_bank_also_paid_is_flagged() {
        let flags = check(&setup(Outcome::Overpaid, false), &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(600));
    }

    #[test]
    fn a_credit_naming_a_bill_already_paid_in_cash_is_flagged() {
        let mut f = setup(Outcome::Suspense, false);
        f.credits[0].bill = None;
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }

    #[test]
    fn near_miss_the_cash_was_voided_or_the_credit_paid_the_rest() {
        assert!(check(&setup(Outcome::Overpaid, true), &Thresholds::default()).is_empty());
        assert!(check(&setup(Outcome::PartPaid, false), &Thresholds::default()).is_empty());
    }
}
