//! UNAPPROVED_DEBIT: money that left the corporate account with no approved payment.

use crate::domain::vocabulary::{EvidenceKind, MatchRule, RuleId, Severity};
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str =
    "对公账户的每一笔支出都应有经审批的支出申请。银行对账单上出现、却没有任何已批准申请对应的支出，\
就是未经审批的用款（坐支、挪用的直接证据）；对账时它被记入“待查明支出”。本规则逐笔列出这些流水，\
包括尚未对账、也没有批准申请的支出。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    f.debits
        .iter()
        .filter(|d| f.covers(d.date))
        .filter(|d| {
            matches!(d.rule, Some(MatchRule::UnexplainedDebit)) || (d.rule.is_none() && d.disbursement.is_none())
        })
        .map(|d| Flag {
            rule: RuleId::UnapprovedDebit,
            subject: format!("statement_line:{}", d.line),
            severity: Severity::Critical,
            start: d.date,
            end: d.date,
            amount: d.amount,
            summary: format!(
                "{} 对公账户支出 ¥{}（对方：{}），没有经审批的支出申请{}。",
                d.date,
                d.amount,
                if d.counterparty.is_empty() {
                    "未载明"
                } else {
                    &d.counterparty
                },
                if d.rule.is_none() { "，尚未对账" } else { "" }
            ),
            evidence: vec![Evidence::new(EvidenceKind::StatementLine, d.line)],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::facts::DebitFact;
    use crate::inspect::rules::fixture::*;

    fn debit(line: i64, rule: Option<MatchRule>, disbursement: Option<i64>) -> DebitFact {
        DebitFact {
            line,
            amount: yuan(3000),
            date: day("2026-03-12"),
            counterparty: "某某建材店".into(),
            rule,
            disbursement,
        }
    }

    #[test]
    fn an_unexplained_debit_and_an_unreconciled_one_are_flagged() {
        let mut f = march();
        f.debits = vec![debit(1, Some(MatchRule::UnexplainedDebit), None), debit(2, None, None)];
        assert_eq!(check(&f, &Thresholds::default()).len(), 2);
    }

    #[test]
    fn near_miss_a_debit_an_approved_payment_explains() {
        let mut f = march();
        f.debits = vec![debit(1, Some(MatchRule::Disbursement), Some(4))];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
