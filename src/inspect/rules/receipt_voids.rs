//! RECEIPT_VOIDS: a clerk who voids too many receipts, and payments reissued again and again.

use std::collections::{BTreeMap, HashMap};

use crate::domain::ids::ReceiptId;
use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::facts::ReceiptFact;
use crate::inspect::{month_key, month_label, Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "作废收据本身是正常操作，但一个经手人一个月里作废的比例过高（默认超过 5% 且至少 3 张），\
或同一笔款反复“作废—重开”，常见于收了钱再作废收据、把款项留在手中的做法。本规则按开具人和月份计算作废率，\
并找出被重开两次以上的收据链。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let mut out = Vec::new();
    let in_period: Vec<&ReceiptFact> = f.receipts.iter().filter(|r| f.covers(r.issued.date())).collect();

    let mut by_clerk: BTreeMap<(i64, String), (usize, Vec<&ReceiptFact>)> = BTreeMap::new();
    for r in &in_period {
        let Some(clerk) = r.issued_by else { continue };
        let slot = by_clerk.entry((clerk.get(), month_key(r.issued.date()))).or_default();
        slot.0 += 1;
        if r.voided.is_some() {
            slot.1.push(r);
        }
    }
    for ((clerk, month), (issued, voided)) in by_clerk {
        let rate = voided.len() as f64 / issued as f64;
        if voided.len() as i64 >= t.void_min_count && rate > t.void_rate {
            let amount: Money = voided.iter().map(|r| r.amount).sum();
            let start = voided.iter().map(|r| r.issued.date()).min().unwrap_or(f.from);
            out.push(Flag {
                rule: RuleId::ReceiptVoids,
                subject: format!("clerk:{clerk}:{month}"),
                severity: if rate > 3.0 * t.void_rate {
                    Severity::High
                } else {
                    Severity::Medium
                },
                start,
                end: voided.iter().map(|r| r.issued.date()).max().unwrap_or(f.to),
                amount,
                summary: format!(
                    "开具人 {} {} 开具收据 {issued} 张，作废 {} 张（{:.1}%），作废金额 ¥{amount}。",
                    f.who(crate::domain::ids::UserId(clerk)),
                    month_label(start),
                    voided.len(),
                    rate * 100.0
                ),
                evidence: voided
                    .iter()
                    .map(|r| Evidence::new(EvidenceKind::Receipt, r.id.get()))
                    .collect(),
            });
        }
    }

    // Reissue chains: follow `replaces` back to the first receipt of the payment.
    let by_id: HashMap<ReceiptId, &ReceiptFact> = f.receipts.iter().map(|r| (r.id, r)).collect();
    let replaced: std::collections::HashSet<ReceiptId> = f.receipts.iter().filter_map(|r| r.replaces).collect();
    for last in in_period
        .iter()
        .filter(|r| !replaced.contains(&r.id) && r.replaces.is_some())
    {
        let mut chain = vec![*last];
        let mut cur = *last;
        while let Some(prev) = cur.replaces.and_then(|p| by_id.get(&p)) {
            if chain.len() > 1000 || chain.iter().any(|c| c.id == prev.id) {
                break;
            }
            chain.push(prev);
            cur = prev;
        }
        let reissues = chain.len() as i64 - 1;
        if reissues >= t.reissue_loop.max(1) {
            let first = chain[chain.len() - 1];
            out.push(Flag {
                rule: RuleId::ReceiptVoids,
                subject: format!("reissue:{}", first.id.get()),
                severity: Severity::High,
                start: first.issued.date(),
                end: last.issued.date(),
                amount: last.amount,
                summary: format!(
                    "{}年第 {} 号收据被作废重开 {reissues} 次，最后为第 {} 号。",
                    first.year, first.number, last.number
                ),
                evidence: chain
                    .iter()
                    .map(|r| Evidence::new(EvidenceKind::Receipt, r.id.get()))
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::domain::vocabulary::ReceiptStatus;
    use crate::inspect::rules::fixture::*;

    fn issued(id: i64, voided: bool, replaces: Option<i64>) -> ReceiptFact {
        ReceiptFact {
            status: if voided {
                ReceiptStatus::Voided
            } else {
                ReceiptStatus::Issued
            },
            issued_by: Some(UserId(7)),
            replaces: replaces.map(ReceiptId),
            voided: voided.then(|| (at("2026-03-11 10:00"), UserId(7))),
            ..receipt(id)
        }
    }

    #[test]
    fn four_voids_in_twenty_receipts_are_too_many() {
        let mut f = march();
        f.receipts = (1..=20).map(|i| issued(i, i <= 4, None)).collect();
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert!(flags[0].summary.contains("作废 4 张"));
    }

    #[test]
    fn near_miss_three_voids_in_a_hundred() {
        let mut f = march();
        f.receipts = (1..=100).map(|i| issued(i, i <= 3, None)).collect();
        assert!(check(&f, &Thresholds::default()).is_empty());
    }

    #[test]
    fn a_payment_reissued_twice_is_a_loop_and_once_is_not() {
        let mut f = march();
        f.receipts = (1..=60).map(|i| issued(i, false, None)).collect();
        f.receipts[0] = issued(1, true, None);
        f.receipts[1] = issued(2, true, Some(1));
        f.receipts[2] = issued(3, false, Some(2));
        f.receipts[10] = issued(11, true, None);
        f.receipts[11] = issued(12, false, Some(11));
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].subject, "reissue:1");
    }
}
