//! MONEY_WITHOUT_RECEIPT: a bank credit no receipt (and no pay-in) accounts for.

use std::collections::BTreeSet;

use chrono::Duration;

use crate::domain::vocabulary::{EvidenceKind, ReceiptStatus, RuleId, Severity};
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "对公账户收到的每一笔钱，都应有收据交到付款人手中，或是报账员代交的现金。\
到账超过规定天数（默认 7 天）仍无收据的款项，付款人可能从未拿到凭证，这笔收入也可能被漏记或挪作他用（漏报瞒报）。\
本规则逐笔列出这些银行到账；它们在账上挂在“待查明款项”。已经退还付款人的款项不再列出；乡镇会计查明并写明理由转入其他科目的款项（如上级补助）仍然列出，严重程度为低，请核对转出的依据：一笔村民的缴费也可能被这样转走。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let receipted: BTreeSet<_> = f
        .receipts
        .iter()
        .filter(|r| r.status != ReceiptStatus::Voided)
        .filter_map(|r| r.bank_txn)
        .collect();
    let deposited: BTreeSet<_> = f.pay_ins.iter().filter_map(|p| p.credit.map(|c| c.0)).collect();
    let wait = Duration::days(t.money_without_receipt_days);
    f.credits
        .iter()
        .filter(|c| f.covers(c.paid.date()))
        .filter(|c| c.pay_in.is_none() && !receipted.contains(&c.id) && !deposited.contains(&c.id))
        // Money sent back to its payer needs no receipt (a refund of an overpaid credit's
        // excess leaves the receipt of what it paid).
        .filter(|c| !c.refunded)
        .filter(|c| f.as_of - c.paid > wait)
        .map(|c| Flag {
            rule: RuleId::MoneyWithoutReceipt,
            subject: format!("bank_transaction:{}", c.id.get()),
            // Moved by the accountant to an account with a reason (a subsidy, a donation): still
            // money no receipt accounts for, decided by one person, so it stays listed, lower.
            severity: if c.transferred_to.is_some() {
                Severity::Low
            } else {
                Severity::Medium
            },
            start: c.paid.date(),
            end: c.paid.date(),
            amount: c.amount,
            summary: format!(
                "{} 到账 ¥{}（{}），超过 {} 天没有收据{}。",
                c.paid.format("%Y-%m-%d %H:%M"),
                c.amount,
                c.outcome.label(),
                t.money_without_receipt_days,
                c.transferred_to
                    .as_deref()
                    .map(|a| format!("；乡镇会计已查明转入 {a} 科目，请核对依据"))
                    .unwrap_or_default()
            ),
            evidence: vec![Evidence::new(EvidenceKind::BankTransaction, c.id.get())],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BankTransactionId, PayInId};
    use crate::domain::vocabulary::{Channel, Outcome};
    use crate::inspect::facts::{CreditFact, ReceiptFact};
    use crate::inspect::rules::fixture::*;

    fn credit(id: i64, paid: &str) -> CreditFact {
        CreditFact {
            id: BankTransactionId(id),
            amount: yuan(80),
            paid: at(paid),
            outcome: Outcome::Suspense,
            bill: None,
            named_bill: None,
            pay_in: None,
            refunded: false,
            transferred_to: None,
        }
    }

    #[test]
    fn a_credit_without_receipt_for_over_a_week_is_flagged() {
        let mut f = march();
        f.credits.push(credit(1, "2026-03-20 10:00"));
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(80));
    }

    #[test]
    fn a_credit_transferred_by_the_accountant_stays_listed_lower() {
        let mut f = march();
        f.credits.push(CreditFact {
            transferred_to: Some("503".into()),
            ..credit(1, "2026-03-20 10:00")
        });
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].severity, Severity::Low);
        assert!(flags[0].summary.contains("查明转入 503"), "{}", flags[0].summary);
    }

    #[test]
    fn near_miss_receipted_deposited_refunded_or_recent() {
        let mut f = march();
        f.credits.push(credit(1, "2026-03-20 10:00"));
        f.credits.push(CreditFact {
            pay_in: Some(PayInId(3)),
            ..credit(2, "2026-03-20 10:00")
        });
        f.credits.push(credit(3, "2026-03-31 10:00"));
        f.credits.push(CreditFact {
            refunded: true,
            ..credit(4, "2026-03-20 10:00")
        });
        f.as_of = at("2026-04-05 10:00");
        f.receipts.push(ReceiptFact {
            channel: Channel::Wechat,
            bank_txn: Some(BankTransactionId(1)),
            ..receipt(1)
        });
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
