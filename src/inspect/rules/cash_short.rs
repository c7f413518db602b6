//! CASH_SHORT: a clerk's declared deposits that the bank never shows, or shows short.

use std::collections::BTreeMap;

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::facts::PayInFact;
use crate::inspect::workdays::add_working_days;
use crate::inspect::{month_key, month_label, Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str =
    "报账员登记“代交”即表示已把收取的现金存入对公账户；银行流水应在几个工作日内（默认 3 个）出现同额入账。\
登记了代交却迟迟不见银行入账，或入账金额少于登记金额，意味着现金可能被截留。本规则按经手人和月份汇总，\
金额为短少的部分（未到账的按全额计）。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let mut short: BTreeMap<(i64, String), Vec<(&PayInFact, Money)>> = BTreeMap::new();
    for p in f.pay_ins.iter().filter(|p| f.covers(p.declared.date())) {
        let missing = match p.credit {
            Some((_, credited, _)) if credited < p.amount => p.amount - credited,
            Some(_) => continue,
            None => {
                let due = add_working_days(p.declared.date(), t.cash_short_working_days as u32);
                if f.as_of.date() <= due {
                    continue;
                }
                p.amount
            }
        };
        short
            .entry((p.clerk.get(), month_key(p.declared.date())))
            .or_default()
            .push((p, missing));
    }
    short
        .into_iter()
        .map(|((clerk, month), items)| {
            let amount: Money = items.iter().map(|(_, m)| *m).sum();
            let start = items.iter().map(|(p, _)| p.declared.date()).min().unwrap_or(f.from);
            let end = items.iter().map(|(p, _)| p.declared.date()).max().unwrap_or(f.to);
            let never = items.iter().filter(|(p, _)| p.credit.is_none()).count();
            let mut evidence: Vec<Evidence> = items
                .iter()
                .map(|(p, _)| Evidence::new(EvidenceKind::PayIn, p.id.get()))
                .collect();
            evidence.extend(
                items
                    .iter()
                    .filter_map(|(p, _)| p.credit)
                    .map(|(b, _, _)| Evidence::new(EvidenceKind::BankTransaction, b.get())),
            );
            evidence.extend(
                f.cash
                    .iter()
                    .filter(|c| items.iter().any(|(p, _)| c.pay_in == Some(p.id)))
                    .map(|c| Evidence::new(EvidenceKind::CashRecord, c.id.get())),
            );
            Flag {
                rule: RuleId::CashShort,
                subject: format!("clerk:{clerk}:{month}"),
                severity: Severity::High,
                start,
                end,
                amount,
                summary: format!(
                    "经手人 {} {} 登记的 {} 笔代交中，{} 笔银行未见入账，共短少 ¥{}。",
                    f.who(crate::domain::ids::UserId(clerk)),
                    month_label(start),
                    items.len(),
                    never,
                    amount
                ),
                evidence,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BankTransactionId, PayInId, UserId};
    use crate::inspect::rules::fixture::*;

    fn pay_in(id: i64, declared: &str, credit: Option<i64>) -> PayInFact {
        PayInFact {
            id: PayInId(id),
            clerk: UserId(7),
            amount: yuan(1000),
            declared: at(declared),
            credit: credit.map(|y| (BankTransactionId(id), yuan(y), at(declared))),
            matched_by: None,
        }
    }

    #[test]
    fn a_deposit_never_credited_and_one_credited_short_are_flagged() {
        let mut f = march();
        f.pay_ins = vec![
            pay_in(1, "2026-03-02 10:00", None),
            pay_in(2, "2026-03-03 10:00", Some(800)),
        ];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(1200));
    }

    #[test]
    fn near_miss_credited_in_full_or_still_within_three_working_days() {
        let mut f = march();
        f.pay_ins = vec![
            pay_in(1, "2026-03-02 10:00", Some(1000)),
            pay_in(2, "2026-04-07 10:00", None),
        ];
        f.to = "2026-04-30".parse().unwrap();
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
