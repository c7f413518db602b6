//! ROUND_AMOUNTS: payments out that are round far more often than real expenses are.

use crate::domain::vocabulary::{DisbursementStatus, EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "真实的支出（材料、工钱、电费）金额多有零头；整百、整千的支出占比异常高，\
常见于虚列支出、白条入账或按“估计数”套取资金（审计分析中的整数金额检验）。承包费等收入按合同定价本就是整数，\
不在检验范围内。本规则在支出笔数足够时（默认至少 10 笔），计算整百元金额的占比，超过阈值（默认 60%）即提示。";

/// The amounts of money out: the statement's debits where there are statements, otherwise the
/// disbursements that were not rejected. Shared with BENFORD.
pub(crate) fn outflows(f: &VillageFacts) -> Vec<(Money, Evidence)> {
    let debits: Vec<_> = f
        .debits
        .iter()
        .filter(|d| f.covers(d.date))
        .map(|d| (d.amount, Evidence::new(EvidenceKind::StatementLine, d.line)))
        .collect();
    if !debits.is_empty() {
        return debits;
    }
    f.disbursements
        .iter()
        .filter(|d| d.status != DisbursementStatus::Rejected && f.covers(d.requested.date()))
        .map(|d| (d.amount, Evidence::new(EvidenceKind::Disbursement, d.id)))
        .collect()
}

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let amounts = outflows(f);
    let unit = t.round_unit_yuan.max(1) * 100;
    if (amounts.len() as i64) < t.round_min_count.max(1) {
        return Vec::new();
    }
    let round: Vec<_> = amounts.iter().filter(|(m, _)| m.fen() % unit == 0).collect();
    let share = round.len() as f64 / amounts.len() as f64;
    if share <= t.round_share {
        return Vec::new();
    }
    vec![Flag {
        rule: RuleId::RoundAmounts,
        subject: format!("period:{}:{}", f.from, f.to),
        severity: Severity::Low,
        start: f.from,
        end: f.to,
        amount: round.iter().map(|(m, _)| *m).sum(),
        summary: format!(
            "期间 {} 笔支出中有 {} 笔是 {} 元的整数倍（{:.0}%）。",
            amounts.len(),
            round.len(),
            t.round_unit_yuan,
            share * 100.0
        ),
        evidence: round.iter().map(|(_, e)| *e).collect(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::facts::DebitFact;
    use crate::inspect::rules::fixture::*;

    fn debits(amounts_fen: &[i64]) -> Vec<DebitFact> {
        amounts_fen
            .iter()
            .enumerate()
            .map(|(i, a)| DebitFact {
                line: i as i64 + 1,
                amount: Money::from_fen(*a),
                date: day("2026-03-10"),
                counterparty: String::new(),
                rule: None,
                disbursement: None,
            })
            .collect()
    }

    #[test]
    fn eight_round_of_ten_is_flagged() {
        let mut f = march();
        f.debits = debits(&[
            100_000, 200_000, 50_000, 300_000, 10_000, 80_000, 90_000, 40_000, 12_345, 67_891,
        ]);
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }

    #[test]
    fn near_miss_six_of_ten_or_too_few_to_tell() {
        let mut f = march();
        f.debits = debits(&[
            100_000, 200_000, 50_000, 300_000, 10_000, 80_000, 12_345, 67_891, 23_456, 45_678,
        ]);
        assert!(check(&f, &Thresholds::default()).is_empty());
        f.debits = debits(&[100_000, 200_000, 50_000]);
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
