//! FEE_OVERDUE: contract fees and other bills long past due and not collected.

use std::collections::BTreeMap;

use chrono::Duration;

use crate::domain::vocabulary::{BillStatus, EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{month_key, month_label, Evidence, Flag, Thresholds, VillageFacts};

use super::yuan;

pub const EXPLANATION: &str = "承包费、租金等应收款到期后长期（默认 180 天）未收，村集体的收入就在流失；\
常见的原因有人情减免、私下收取不入账，或关系户拖欠。本规则按到期月份汇总逾期未收清的账单，金额为尚欠部分。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let limit = Duration::days(t.fee_overdue_days);
    let mut by_month: BTreeMap<String, Vec<&crate::inspect::facts::BillFact>> = BTreeMap::new();
    for b in f.bills.iter().filter(|b| {
        matches!(b.status, BillStatus::Open | BillStatus::PartPaid)
            && f.covers(b.due)
            && f.as_of.date() - b.due > limit
            && b.amount - b.paid > Money::ZERO
    }) {
        by_month.entry(month_key(b.due)).or_default().push(b);
    }
    by_month
        .into_iter()
        .filter_map(|(month, bills)| {
            let owed: Money = bills.iter().map(|b| b.amount - b.paid).sum();
            if owed < yuan(t.fee_overdue_min_yuan) {
                return None;
            }
            let start = bills.iter().map(|b| b.due).min()?;
            Some(Flag {
                rule: RuleId::FeeOverdue,
                subject: format!("due:{month}"),
                severity: Severity::Medium,
                start,
                end: bills.iter().map(|b| b.due).max()?,
                amount: owed,
                summary: format!(
                    "{}到期的 {} 张账单逾期超过 {} 天仍未收清，尚欠 ¥{owed}。",
                    month_label(start),
                    bills.len(),
                    t.fee_overdue_days
                ),
                evidence: bills
                    .iter()
                    .map(|b| Evidence::new(EvidenceKind::Bill, b.id.get()))
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::BillId;
    use crate::inspect::facts::BillFact;
    use crate::inspect::rules::fixture::*;

    fn bill(id: i64, due: &str, status: BillStatus) -> BillFact {
        BillFact {
            id: BillId(id),
            reference: format!("B{id}"),
            amount: yuan(2000),
            paid: yuan(500),
            status,
            due: day(due),
        }
    }

    #[test]
    fn a_bill_owing_two_hundred_days_is_overdue() {
        let mut f = march();
        f.as_of = at("2026-10-01 10:00");
        f.bills = vec![bill(1, "2026-03-01", BillStatus::PartPaid)];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(1500));
    }

    #[test]
    fn near_miss_paid_cancelled_or_not_yet_long_overdue() {
        let mut f = march();
        f.as_of = at("2026-08-20 10:00");
        f.bills = vec![
            bill(1, "2026-03-01", BillStatus::Paid),
            bill(2, "2026-03-01", BillStatus::Cancelled),
            bill(3, "2026-03-01", BillStatus::Open),
        ];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
