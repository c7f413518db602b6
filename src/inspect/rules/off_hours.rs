//! OFF_HOURS: staff actions on the books in the middle of the night.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Timelike};

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::inspect::{month_key, month_label, Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "村民扫码付款不分昼夜，这是正常的；但报账员收现金、作废收据、会计登记手工凭证、\
认领或转出待查明款项、审批或撤回支出，通常在白天办公时间。同一个人一个月里多次（默认 3 次以上）在深夜（默认 22 点到次日 6 点，北京时间）\
操作账务，值得问一问为什么。本规则按人和月份汇总这些操作。";

fn at_night(t: NaiveDateTime, th: &Thresholds) -> bool {
    let h = t.hour() as i64;
    if th.off_hours_from <= th.off_hours_to {
        h >= th.off_hours_from && h < th.off_hours_to
    } else {
        h >= th.off_hours_from || h < th.off_hours_to
    }
}

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let mut acts: Vec<(i64, NaiveDateTime, Evidence, &'static str)> = Vec::new();
    for c in &f.cash {
        acts.push((
            c.clerk.get(),
            c.received,
            Evidence::new(EvidenceKind::CashRecord, c.id.get()),
            "收现金",
        ));
    }
    for r in &f.receipts {
        if let Some((when, who)) = r.voided {
            acts.push((
                who.get(),
                when,
                Evidence::new(EvidenceKind::Receipt, r.id.get()),
                "作废收据",
            ));
        }
    }
    for e in f.entries.iter().filter(|e| e.source.by_a_person()) {
        if let Some(who) = e.created_by {
            acts.push((
                who.get(),
                e.created,
                Evidence::new(EvidenceKind::Entry, e.id.get()),
                // 手工凭证, 冲销凭证, 待查明款项认领, 待查明款项转出.
                e.source.label(),
            ));
        }
    }
    for d in &f.disbursements {
        if let (Some(who), Some(when)) = (d.decided_by, d.decided) {
            acts.push((
                who.get(),
                when,
                Evidence::new(EvidenceKind::Disbursement, d.id),
                "审批支出",
            ));
        }
    }
    for w in &f.withdrawals {
        acts.push((
            w.by.get(),
            w.at,
            Evidence::new(EvidenceKind::Disbursement, w.disbursement),
            "撤回批准",
        ));
    }
    type Act = (NaiveDateTime, Evidence, &'static str);
    let mut by_user: BTreeMap<(i64, String), Vec<Act>> = BTreeMap::new();
    for (who, when, ev, what) in acts {
        if f.covers(when.date()) && at_night(when, t) {
            by_user
                .entry((who, month_key(when.date())))
                .or_default()
                .push((when, ev, what));
        }
    }
    by_user
        .into_iter()
        .filter(|(_, v)| v.len() as i64 >= t.off_hours_min_count.max(1))
        .map(|((who, month), v)| {
            let start = v.iter().map(|(w, _, _)| w.date()).min().unwrap_or(f.from);
            let mut kinds: Vec<&str> = v.iter().map(|(_, _, k)| *k).collect();
            kinds.sort();
            kinds.dedup();
            Flag {
                rule: RuleId::OffHours,
                subject: format!("user:{who}:{month}"),
                severity: Severity::Low,
                start,
                end: v.iter().map(|(w, _, _)| w.date()).max().unwrap_or(f.to),
                amount: crate::domain::Money::ZERO,
                summary: format!(
                    "{} {} 在 {}:00–{}:00 之间操作账务 {} 次（{}）。",
                    f.who(crate::domain::ids::UserId(who)),
                    month_label(start),
                    t.off_hours_from,
                    t.off_hours_to,
                    v.len(),
                    kinds.join("、")
                ),
                evidence: v.iter().map(|(_, e, _)| *e).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BillId, CashRecordId, UserId};
    use crate::inspect::facts::CashFact;
    use crate::inspect::rules::fixture::*;

    fn cash(id: i64, when: &str) -> CashFact {
        CashFact {
            id: CashRecordId(id),
            clerk: UserId(7),
            bill: BillId(id),
            amount: yuan(10),
            received: at(when),
            voided: false,
            pay_in: None,
        }
    }

    #[test]
    fn three_cash_takings_after_midnight_are_flagged() {
        let mut f = march();
        f.cash = vec![
            cash(1, "2026-03-02 23:10"),
            cash(2, "2026-03-05 01:30"),
            cash(3, "2026-03-09 05:59"),
        ];
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }

    #[test]
    fn withdrawals_and_transfers_at_night_count_with_cash() {
        let mut f = march();
        f.cash = vec![cash(1, "2026-03-02 23:10")];
        f.withdrawals = vec![crate::inspect::facts::WithdrawalFact {
            disbursement: 4,
            by: UserId(7),
            at: at("2026-03-05 01:30"),
        }];
        f.entries = vec![crate::inspect::facts::EntryFact {
            id: crate::domain::ids::EntryId(9),
            seq: 9,
            date: at("2026-03-09 05:00").date(),
            created: at("2026-03-09 05:00"),
            source: crate::domain::vocabulary::EntrySource::Transfer,
            created_by: Some(UserId(7)),
            amount: yuan(500),
        }];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1, "{flags:?}");
        assert!(
            flags[0].summary.contains("撤回批准") && flags[0].summary.contains("待查明款项转出"),
            "{}",
            flags[0].summary
        );
    }

    #[test]
    fn near_miss_evening_work_and_two_late_nights() {
        let mut f = march();
        f.cash = vec![
            cash(1, "2026-03-02 21:59"),
            cash(2, "2026-03-05 01:30"),
            cash(3, "2026-03-09 06:00"),
            cash(4, "2026-03-10 22:30"),
        ];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
