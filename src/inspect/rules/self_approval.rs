//! SELF_APPROVAL: one person both asked and approved, or deposited and confirmed.

use crate::domain::vocabulary::{DisbursementStatus, EvidenceKind, RuleId, Severity};
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "不相容岗位必须分离：申请支出的人不能自己批准。同一个人既办又批，内部牵制就失效了。\
本系统在支出审批上拒绝自批，本规则仍检查全部记录（包括从旧账导入的历史）。报账员确认自己代交的到账是允许的，\
但如果他确认的那笔银行到账早于这些现金的收取，或比代交登记早三天以上，那笔到账多半是别人的付款，\
被拿来冲抵自己手中的现金，本规则也会列出。";

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
                "支付给 {} 的 ¥{} 由 {} 申请并由其本人批准。",
                d.payee_name,
                d.amount,
                f.who(d.requested_by)
            ),
            evidence: vec![Evidence::new(EvidenceKind::Disbursement, d.id)],
        })
        .collect();
    out.extend(
        f.pay_ins
            .iter()
            .filter(|p| f.covers(p.declared.date()) && p.matched_by == Some(p.clerk))
            .filter(|p| {
                let Some((_, _, credited)) = p.credit else { return false };
                let first_cash = f
                    .cash
                    .iter()
                    .filter(|c| c.pay_in == Some(p.id))
                    .map(|c| c.received)
                    .min();
                first_cash.is_some_and(|c| credited < c) || p.declared - credited > chrono::Duration::days(3)
            })
            .map(|p| Flag {
                rule: RuleId::SelfApproval,
                subject: format!("pay_in:{}", p.id.get()),
                severity: Severity::Medium,
                start: p.declared.date(),
                end: p.declared.date(),
                amount: p.amount,
                summary: format!(
                    "{} 登记的代交 ¥{} 由其本人确认到账，而所认的银行到账（{}）早于这些现金的收取或代交登记。",
                    f.who(p.clerk),
                    p.amount,
                    p.credit
                        .map(|(_, _, t)| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default()
                ),
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
    fn a_clerk_confirming_their_deposit_with_an_older_credit_is_flagged_and_a_fresh_one_is_not() {
        use crate::domain::ids::{BankTransactionId, BillId, CashRecordId, PayInId};
        use crate::inspect::facts::{CashFact, PayInFact};
        let mut f = march();
        f.cash = vec![CashFact {
            id: CashRecordId(1),
            clerk: UserId(7),
            bill: BillId(1),
            amount: yuan(500),
            received: at("2026-03-10 09:00"),
            voided: false,
            pay_in: Some(PayInId(2)),
        }];
        let pay_in = |credited: &str| PayInFact {
            id: PayInId(2),
            clerk: UserId(7),
            amount: yuan(500),
            declared: at("2026-03-10 11:00"),
            credit: Some((BankTransactionId(3), yuan(500), at(credited))),
            matched_by: Some(UserId(7)),
        };
        f.pay_ins = vec![pay_in("2026-03-10 10:30")];
        assert!(
            check(&f, &Thresholds::default()).is_empty(),
            "deposited, then declared and confirmed"
        );
        f.pay_ins = vec![pay_in("2026-03-05 10:30")];
        assert_eq!(
            check(&f, &Thresholds::default()).len(),
            1,
            "a credit from before the cash was taken"
        );
    }

    #[test]
    fn near_miss_another_person_approved() {
        let mut f = march();
        f.disbursements = vec![disbursement(7, 8)];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
