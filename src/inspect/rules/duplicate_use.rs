//! DUPLICATE_USE: one bank transaction used as the money behind two receipts or deposits.

use std::collections::BTreeMap;

use crate::domain::vocabulary::{EvidenceKind, ReceiptStatus, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "每一笔银行到账只能对应一张有效收据，或一笔代交。同一笔到账（同一张付款截图）\
被用来开出两张收据，或既开了收据又被认作现金代交，就有一笔钱被重复“证明”，真实的那笔款项去向不明。\
本规则逐笔列出被重复使用的银行交易及相关收据、代交。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    let mut uses: BTreeMap<i64, Vec<Evidence>> = BTreeMap::new();
    for r in f.receipts.iter().filter(|r| r.status != ReceiptStatus::Voided) {
        if let Some(b) = r.bank_txn {
            uses.entry(b.get())
                .or_default()
                .push(Evidence::new(EvidenceKind::Receipt, r.id.get()));
        }
    }
    for p in &f.pay_ins {
        if let Some((b, _, _)) = p.credit {
            uses.entry(b.get())
                .or_default()
                .push(Evidence::new(EvidenceKind::PayIn, p.id.get()));
        }
    }
    let credits: BTreeMap<i64, &crate::inspect::facts::CreditFact> =
        f.credits.iter().map(|c| (c.id.get(), c)).collect();
    uses.into_iter()
        .filter(|(_, u)| u.len() > 1)
        .filter_map(|(txn, mut evidence)| {
            let credit = credits.get(&txn)?;
            if !f.covers(credit.paid.date()) {
                return None;
            }
            let n = evidence.len();
            evidence.push(Evidence::new(EvidenceKind::BankTransaction, txn));
            Some(Flag {
                rule: RuleId::DuplicateUse,
                subject: format!("bank_transaction:{txn}"),
                severity: Severity::Critical,
                start: credit.paid.date(),
                end: credit.paid.date(),
                amount: Money::from_fen(credit.amount.fen().saturating_mul(n as i64 - 1)),
                summary: format!(
                    "{} 到账的 ¥{} 被用作 {n} 张收据或代交的凭据。",
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
    use crate::domain::ids::BankTransactionId;
    use crate::domain::vocabulary::{Channel, Outcome};
    use crate::inspect::facts::{CreditFact, ReceiptFact};
    use crate::inspect::rules::fixture::*;

    fn paid_by(id: i64, txn: i64, status: ReceiptStatus) -> ReceiptFact {
        ReceiptFact {
            channel: Channel::Wechat,
            status,
            bank_txn: Some(BankTransactionId(txn)),
            ..receipt(id)
        }
    }
    fn credit(id: i64) -> CreditFact {
        CreditFact {
            id: BankTransactionId(id),
            amount: yuan(100),
            paid: at("2026-03-10 09:00"),
            outcome: Outcome::Paid,
            bill: None,
            named_bill: None,
            pay_in: None,
            refunded: false,
            transferred_to: None,
        }
    }

    #[test]
    fn one_credit_behind_two_receipts_is_flagged() {
        let mut f = march();
        f.credits.push(credit(9));
        f.receipts = vec![
            paid_by(1, 9, ReceiptStatus::Issued),
            paid_by(2, 9, ReceiptStatus::Issued),
        ];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(100));
    }

    #[test]
    fn near_miss_a_voided_receipt_and_its_reissue_share_the_credit() {
        let mut f = march();
        f.credits.push(credit(9));
        f.receipts = vec![
            paid_by(1, 9, ReceiptStatus::Voided),
            paid_by(2, 9, ReceiptStatus::Issued),
        ];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
