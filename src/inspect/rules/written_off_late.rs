//! WRITTEN_OFF_LATE: a bill cancelled after its due date.

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "账单开错了应当及时作废；到期以后才作废的账单，实际上是把一笔应收款核销或减免了，\
而减免须经村民代表会议决定。到期后作废，常见于收了钱不入账、再把账单作废抹平的做法。\
本规则逐张列出到期后被作废的账单，附作废人、时间和理由。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    f.cancellations
        .iter()
        .filter(|c| f.covers(c.cancelled.date()) && c.cancelled.date() > c.due)
        .map(|c| Flag {
            rule: RuleId::WrittenOffLate,
            subject: format!("bill:{}", c.bill.get()),
            severity: Severity::Medium,
            start: c.due,
            end: c.cancelled.date(),
            amount: c.amount,
            summary: format!(
                "账单 {}（¥{}，{} 到期）于 {} 作废，理由：{}。",
                c.reference,
                c.amount,
                c.due,
                c.cancelled.format("%Y-%m-%d %H:%M"),
                if c.reason.is_empty() { "未写明" } else { &c.reason }
            ),
            evidence: vec![
                Evidence::new(EvidenceKind::Bill, c.bill.get()),
                Evidence::new(EvidenceKind::AuditEvent, c.audit),
            ],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BillId, UserId};
    use crate::inspect::facts::CancellationFact;
    use crate::inspect::rules::fixture::*;

    fn cancelled(due: &str, when: &str) -> CancellationFact {
        CancellationFact {
            bill: BillId(4),
            reference: "000001-000004-8".into(),
            amount: yuan(1200),
            due: day(due),
            cancelled: at(when),
            by: Some(UserId(7)),
            reason: "村民困难".into(),
            audit: 77,
        }
    }

    #[test]
    fn a_bill_cancelled_after_its_due_date_is_flagged() {
        let mut f = march();
        f.cancellations = vec![cancelled("2026-01-31", "2026-03-10 10:00")];
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }

    #[test]
    fn near_miss_cancelled_before_it_was_due() {
        let mut f = march();
        f.cancellations = vec![cancelled("2026-03-31", "2026-03-10 10:00")];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
