//! BACKDATED: entries dated far from the day they were made.

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "手工凭证和冲销凭证的记账日期应与实际登记的日子相近。记账日期比登记日早（或晚）很多天\
（默认超过 7 天），常见于事后补账、把支出塞进已经过去的月份、或者为了凑平余额。\
本系统自动生成的凭证（到账、现金、代交、对账补记）按业务发生日记账，不在检验范围内。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    f.entries
        .iter()
        .filter(|e| e.source.by_a_person())
        .filter(|e| f.covers(e.date) || f.covers(e.created.date()))
        .filter_map(|e| {
            let gap = (e.created.date() - e.date).num_days();
            if gap.abs() <= t.backdated_days {
                return None;
            }
            Some(Flag {
                rule: RuleId::Backdated,
                subject: format!("entry:{}", e.id.get()),
                severity: if gap.abs() > 30 {
                    Severity::High
                } else {
                    Severity::Medium
                },
                start: e.date.min(e.created.date()),
                end: e.date.max(e.created.date()),
                amount: e.amount,
                summary: format!(
                    "第 {} 号凭证（{}）记账日期 {}，实际登记于 {}，相差 {} 天。",
                    e.seq,
                    e.source.label(),
                    e.date,
                    e.created.format("%Y-%m-%d %H:%M"),
                    gap.abs()
                ),
                evidence: vec![Evidence::new(EvidenceKind::Entry, e.id.get())],
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::EntryId;
    use crate::domain::vocabulary::EntrySource;
    use crate::inspect::facts::EntryFact;
    use crate::inspect::rules::fixture::*;

    fn entry(id: i64, date: &str, created: &str, source: EntrySource) -> EntryFact {
        EntryFact {
            id: EntryId(id),
            seq: id,
            date: day(date),
            created: at(created),
            source,
            created_by: None,
            amount: yuan(900),
        }
    }

    #[test]
    fn a_manual_entry_made_a_month_after_its_date_is_flagged() {
        let mut f = march();
        f.entries = vec![entry(1, "2026-03-01", "2026-04-03 10:00", EntrySource::Manual)];
        assert_eq!(check(&f, &Thresholds::default()).len(), 1);
    }

    #[test]
    fn near_miss_a_week_late_or_a_callback_dated_by_the_bank() {
        let mut f = march();
        f.entries = vec![
            entry(1, "2026-03-01", "2026-03-08 10:00", EntrySource::Manual),
            entry(2, "2026-03-01", "2026-04-03 10:00", EntrySource::Statement),
        ];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
