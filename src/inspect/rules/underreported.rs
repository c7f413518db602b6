//! UNDERREPORTED: contract income the books never billed (漏报瞒报).

use chrono::Duration;

use crate::domain::schedule::installments;
use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "村集体的承包、租赁合同登记在册，每一期应收多少是确定的。到期一段时间（默认 30 天）后，\
某一期没有开出账单，或账单金额少于合同约定，这部分收入就没有进入账簿——可能被私下收取、减免或瞒报。\
本规则按合同台账逐期核对，金额为少计的部分。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    use chrono::Datelike;
    let grace = Duration::days(t.underreported_grace_days);
    let mut out = Vec::new();
    for c in &f.contracts {
        let mut missing = Money::ZERO;
        let mut periods = Vec::new();
        let (mut first, mut last) = (None, None);
        for year in f.from.year()..=f.to.year() {
            for inst in installments(c.schedule, year, c.annual) {
                let due = inst.starts.max(c.start);
                if inst.ends < c.start || inst.starts > c.end || !f.covers(due) || f.as_of.date() - due <= grace {
                    continue;
                }
                let billed: Money = c
                    .billed
                    .iter()
                    .filter(|(l, _, _)| *l == inst.label)
                    .map(|(_, _, m)| *m)
                    .sum();
                if billed < inst.amount {
                    missing += inst.amount - billed;
                    periods.push(inst.label.clone());
                    first = first.or(Some(due));
                    last = Some(due);
                }
            }
        }
        if let (Some(start), Some(end)) = (first, last) {
            out.push(Flag {
                rule: RuleId::Underreported,
                subject: format!("contract:{}", c.id),
                severity: Severity::High,
                start,
                end,
                amount: missing,
                summary: format!(
                    "合同 {} 的 {} 期应收款没有（足额）开出账单，少计 ¥{missing}。",
                    c.contract_no,
                    periods.join("、")
                ),
                evidence: c
                    .billed
                    .iter()
                    .map(|(_, b, _)| Evidence::new(EvidenceKind::Bill, b.get()))
                    .collect(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::BillId;
    use crate::domain::schedule::Schedule;
    use crate::inspect::facts::ContractFact;
    use crate::inspect::rules::fixture::*;

    fn quarterly(billed: Vec<(String, BillId, Money)>) -> ContractFact {
        ContractFact {
            id: 3,
            contract_no: "HT-2026-003".into(),
            annual: yuan(4000),
            schedule: Schedule::Quarterly,
            start: day("2025-01-01"),
            end: day("2030-12-31"),
            billed,
        }
    }

    fn labels() -> Vec<String> {
        installments(Schedule::Quarterly, 2026, yuan(4000))
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn a_quarter_never_billed_is_underreported() {
        let mut f = march();
        f.from = day("2026-01-01");
        f.to = day("2026-06-30");
        f.as_of = at("2026-08-15 10:00");
        let l = labels();
        f.contracts = vec![quarterly(vec![(l[0].clone(), BillId(1), yuan(1000))])];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert_eq!(flags[0].amount, yuan(1000));
        assert!(flags[0].summary.contains(&l[1]));
    }

    #[test]
    fn near_miss_every_quarter_billed_or_the_next_not_yet_due() {
        let mut f = march();
        f.from = day("2026-01-01");
        f.to = day("2026-06-30");
        f.as_of = at("2026-04-20 10:00");
        let l = labels();
        f.contracts = vec![quarterly(vec![(l[0].clone(), BillId(1), yuan(1000))])];
        assert!(
            check(&f, &Thresholds::default()).is_empty(),
            "Q2 is due 1 April: within 30 days"
        );
        f.as_of = at("2026-08-15 10:00");
        f.contracts = vec![quarterly(vec![
            (l[0].clone(), BillId(1), yuan(1000)),
            (l[1].clone(), BillId(2), yuan(1000)),
        ])];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
