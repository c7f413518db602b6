//! RECEIPT_WITHOUT_MONEY: a receipt for a payment the bank never received (screenshot fraud).

use crate::domain::vocabulary::{Channel, EvidenceKind, ReceiptStatus, RuleId, Severity};
use crate::inspect::workdays::add_working_days;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "村民出示付款截图时，报账员可先开“待核实”收据，银行到账后才转为有效。\
到了次一个工作日（T+1）仍无对应的银行到账，截图可能是伪造或重复使用的，收据却已到了村民手中；\
扫码或转账收据没有银行交易作凭据，同样属于有收据无到账。本规则逐张列出这类收据。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    f.receipts
        .iter()
        .filter(|r| f.covers(r.issued.date()) && r.channel != Channel::Cash)
        .filter_map(|r| {
            let why = match (r.status, r.bank_txn) {
                (ReceiptStatus::Pending, _) => {
                    let due = add_working_days(r.issued.date(), t.receipt_without_money_working_days as u32);
                    if f.as_of.date() <= due {
                        return None;
                    }
                    format!(
                        "开具后超过 {} 个工作日仍无银行到账",
                        t.receipt_without_money_working_days
                    )
                }
                (ReceiptStatus::Issued, None) => "作为有效收据却没有对应的银行交易".to_string(),
                _ => return None,
            };
            Some(Flag {
                rule: RuleId::ReceiptWithoutMoney,
                subject: format!("receipt:{}", r.id.get()),
                severity: Severity::High,
                start: r.issued.date(),
                end: r.issued.date(),
                amount: r.amount,
                summary: format!(
                    "{}年第 {} 号{}收据 ¥{}（{}开具）{}。",
                    r.year,
                    r.number,
                    r.channel.label(),
                    r.amount,
                    r.issued.format("%Y-%m-%d %H:%M"),
                    why
                ),
                evidence: vec![Evidence::new(EvidenceKind::Receipt, r.id.get())],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::BankTransactionId;
    use crate::inspect::facts::ReceiptFact;
    use crate::inspect::rules::fixture::*;

    fn wechat(id: i64, issued: &str, status: ReceiptStatus, txn: Option<i64>) -> ReceiptFact {
        ReceiptFact {
            channel: Channel::Wechat,
            status,
            issued: at(issued),
            bank_txn: txn.map(BankTransactionId),
            ..receipt(id)
        }
    }

    #[test]
    fn a_claim_still_pending_after_t_plus_one_is_flagged() {
        let mut f = march();
        f.receipts
            .push(wechat(1, "2026-03-05 10:00", ReceiptStatus::Pending, None));
        f.receipts
            .push(wechat(2, "2026-03-06 10:00", ReceiptStatus::Issued, None));
        assert_eq!(check(&f, &Thresholds::default()).len(), 2);
    }

    #[test]
    fn near_miss_a_claim_within_t_plus_one_or_confirmed() {
        let mut f = march();
        f.as_of = at("2026-03-06 18:00");
        f.receipts
            .push(wechat(1, "2026-03-05 10:00", ReceiptStatus::Pending, None));
        f.receipts
            .push(wechat(2, "2026-03-05 10:00", ReceiptStatus::Issued, Some(9)));
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
