//! CASH_LATE: cash a clerk took and did not deposit in time.

use std::collections::BTreeMap;

use crate::domain::ids::UserId;
use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::workdays::{add_working_days, month_end};
use crate::inspect::{month_key, month_label, Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "现金收款须在规定的工作日内（默认次一个工作日）交存村集体对公账户，且不得跨月。\
超期未交存的现金留在经手人手中，是“坐收坐支”和截留挪用的常见起点。本规则按经手人和月份汇总超期的现金收款，\
列出每一笔及其交存（代交）记录；节假日未计入工作日，请核对日期。";

/// One finding per clerk and month: the cash records deposited late, or not yet deposited
/// when they should have been.
pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let deposited: BTreeMap<_, _> = f.pay_ins.iter().map(|p| (p.id, p.declared)).collect();
    let mut late: BTreeMap<(UserId, String), Vec<(&crate::inspect::facts::CashFact, i64)>> = BTreeMap::new();
    for c in f.cash.iter().filter(|c| !c.voided && f.covers(c.received.date())) {
        let taken = c.received.date();
        let due = add_working_days(taken, t.cash_late_working_days as u32).min(month_end(taken));
        let deposited_on = c.pay_in.and_then(|p| deposited.get(&p)).map(|d| d.date());
        let judged_on = deposited_on.unwrap_or_else(|| f.as_of.date());
        if judged_on > due {
            let days = (judged_on - due).num_days();
            late.entry((c.clerk, month_key(taken))).or_default().push((c, days));
        }
    }
    late.into_iter()
        .map(|((clerk, month), records)| {
            let amount: Money = records.iter().map(|(c, _)| c.amount).sum();
            let worst = records.iter().map(|(_, d)| *d).max().unwrap_or(0);
            let open = records.iter().filter(|(c, _)| c.pay_in.is_none()).count();
            let start = records.iter().map(|(c, _)| c.received.date()).min().unwrap_or(f.from);
            let end = records.iter().map(|(c, _)| c.received.date()).max().unwrap_or(f.to);
            let mut evidence: Vec<Evidence> = records
                .iter()
                .map(|(c, _)| Evidence::new(EvidenceKind::CashRecord, c.id.get()))
                .collect();
            evidence.extend(
                records
                    .iter()
                    .filter_map(|(c, _)| c.pay_in)
                    .map(|p| Evidence::new(EvidenceKind::PayIn, p.get())),
            );
            Flag {
                rule: RuleId::CashLate,
                subject: format!("clerk:{}:{month}", clerk.get()),
                severity: if open > 0 || worst > 5 {
                    Severity::High
                } else {
                    Severity::Medium
                },
                start,
                end,
                amount,
                summary: format!(
                    "经手人 {} {} 有 {} 笔现金收款共 ¥{} 未按时交存，最长超期 {} 天{}。",
                    f.who(clerk),
                    month_label(start),
                    records.len(),
                    amount,
                    worst,
                    if open > 0 {
                        format!("，其中 {open} 笔至今未交存")
                    } else {
                        String::new()
                    }
                ),
                evidence,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BillId, CashRecordId, PayInId};
    use crate::inspect::facts::{CashFact, PayInFact};
    use crate::inspect::rules::fixture::*;

    fn cash(id: i64, received: &str, pay_in: Option<i64>) -> CashFact {
        CashFact {
            id: CashRecordId(id),
            clerk: UserId(7),
            bill: BillId(id),
            amount: yuan(300),
            received: at(received),
            voided: false,
            pay_in: pay_in.map(PayInId),
        }
    }
    fn pay_in(id: i64, declared: &str) -> PayInFact {
        PayInFact {
            id: PayInId(id),
            clerk: UserId(7),
            amount: yuan(300),
            declared: at(declared),
            credit: None,
            matched_by: None,
        }
    }

    #[test]
    fn cash_kept_over_a_weekend_and_cash_never_deposited_are_late() {
        let mut f = march();
        // Thursday's cash deposited the next Monday: one working day late.
        f.cash.push(cash(1, "2026-03-05 10:00", Some(1)));
        f.pay_ins.push(pay_in(1, "2026-03-09 09:00"));
        // Never deposited.
        f.cash.push(cash(2, "2026-03-20 10:00", None));
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(600));
        assert_eq!(flags[0].severity, Severity::High);
        assert!(flags[0].summary.contains("1 笔至今未交存"), "{}", flags[0].summary);
        assert!(flags[0].evidence.contains(&Evidence::new(EvidenceKind::CashRecord, 2)));
    }

    #[test]
    fn near_miss_friday_cash_deposited_on_monday_is_on_time() {
        let mut f = march();
        f.cash.push(cash(1, "2026-03-06 16:00", Some(1)));
        f.pay_ins.push(pay_in(1, "2026-03-09 09:00"));
        // Voided cash is not owed.
        let mut v = cash(2, "2026-03-02 10:00", None);
        v.voided = true;
        f.cash.push(v);
        assert!(check(&f, &Thresholds::default()).is_empty());
    }

    #[test]
    fn cash_deposited_in_the_next_month_is_late_even_within_a_working_day() {
        let mut f = march();
        f.cash.push(cash(1, "2026-03-31 17:00", Some(1)));
        f.pay_ins.push(pay_in(1, "2026-04-01 09:00"));
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }
}
