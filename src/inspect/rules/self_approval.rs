//! SELF_APPROVAL: one person both asked and approved, or deposited and confirmed.

use crate::domain::vocabulary::{DisbursementStatus, EvidenceKind, RuleId, Severity};
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "不相容岗位必须分离：申请支出的人不能自己批准，交存现金的报账员不能自己确认到账。\
同一个人既办又批，内部牵制就失效了。本系统在支出审批上拒绝自批，本规则仍检查全部记录\
（包括从旧账导入的历史），并检查代交是否由报账员本人确认到账。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    let mut out: Vec<Flag> = f
        .disbursements
        .iter()
        .filter(|d| f.covers(d.requested.date()))
        .filter(|d| matches!(d.status, DisbursementStatus::Approved | DisbursementStatus::Paid))
        .filter(|d| d.decided_by == Some(d.requested_by))
        .map(|d| Flag {
            rule: RuleId::SelfApproval,
            subject: format!("disbursement:{}", d.id),
            severity: Severity::High,
            start: d.requested.date(),
            end: d.decided.map_or(d.requested.date(), |t| t.date()),
            amount: d.amount,
            summary: format!(
                "支付给 {} 的 ¥{} 由用户 {} 申请并由其本人批准。",
                d.payee_name,
                d.amount,
                d.requested_by.get()
            ),
            evidence: vec![Evidence::new(EvidenceKind::Disbursement, d.id)],
        })
        .collect();
    out.extend(
        f.pay_ins
            .iter()
            .filter(|p| f.covers(p.declared.date()) && p.matched_by == Some(p.clerk))
            .map(|p| Flag {
                rule: RuleId::SelfApproval,
                subject: format!("pay_in:{}", p.id.get()),
                severity: Severity::Medium,
                start: p.declared.date(),
                end: p.declared.date(),
                amount: p.amount,
                summary: format!("用户 {} 登记的代交 ¥{} 由其本人确认到账。", p.clerk.get(), p.amount),
                evidence: vec![Evidence::new(EvidenceKind::PayIn, p.id.get())],
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::inspect::facts::DisbursementFact;
    use crate::inspect::rules::fixture::*;

    fn disbursement(requested_by: i64, decided_by: i64) -> DisbursementFact {
        DisbursementFact {
            id: 1,
            payee_name: "张三".into(),
            payee_account: "6222".into(),
            amount: yuan(800),
            requested_by: UserId(requested_by),
            requested: at("2026-03-03 10:00"),
            decided_by: Some(UserId(decided_by)),
            decided: Some(at("2026-03-03 11:00")),
            status: DisbursementStatus::Approved,
        }
    }

    #[test]
    fn the_requester_approving_is_flagged() {
        let mut f = march();
        f.disbursements = vec![disbursement(7, 7)];
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }

    #[test]
    fn near_miss_another_person_approved() {
        let mut f = march();
        f.disbursements = vec![disbursement(7, 8)];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
