//! RECEIPT_GAP: receipt numbers missing from a year's sequence.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "本系统按村、按年连续编号开具收据，作废的收据保留原号，号码本不会出现空缺。\
号码断档说明有收据记录被删除或绕过系统开具，是隐匿收入最直接的痕迹。本规则找出每一年中缺失的号码段，\
列出断档前后的收据。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    let mut by_year: BTreeMap<i32, Vec<(i64, &crate::inspect::facts::ReceiptFact)>> = BTreeMap::new();
    for r in &f.receipts {
        by_year.entry(r.year).or_default().push((r.number, r));
    }
    let mut out = Vec::new();
    for (year, mut numbers) in by_year {
        numbers.sort_by_key(|(n, _)| *n);
        let mut expected = 1;
        let mut before: Option<&crate::inspect::facts::ReceiptFact> = None;
        for (n, r) in numbers {
            if n > expected {
                let first = expected;
                let last = n - 1;
                let start = before.map_or(r.issued.date(), |b| b.issued.date());
                let end = r.issued.date();
                let mut evidence = vec![Evidence::new(EvidenceKind::Receipt, r.id.get())];
                evidence.extend(before.map(|b| Evidence::new(EvidenceKind::Receipt, b.id.get())));
                let range = if first == last {
                    format!("第 {first} 号")
                } else {
                    format!("第 {first}–{last} 号")
                };
                out.push(Flag {
                    rule: RuleId::ReceiptGap,
                    subject: format!("year:{year}:{first}-{last}"),
                    severity: Severity::Critical,
                    start: start.min(end),
                    end: end.max(start),
                    amount: Money::ZERO,
                    summary: format!("{year} 年的收据缺少{range}（共 {} 张）。", last - first + 1),
                    evidence,
                });
            }
            expected = expected.max(n + 1);
            before = Some(r);
        }
    }
    out.retain(|f2: &Flag| overlaps(f2.start, f2.end, f.from, f.to));
    out
}

fn overlaps(a: NaiveDate, b: NaiveDate, from: NaiveDate, to: NaiveDate) -> bool {
    a <= to && b >= from
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ReceiptId;
    use crate::inspect::facts::ReceiptFact;
    use crate::inspect::rules::fixture::*;

    fn numbered(number: i64, issued: &str) -> ReceiptFact {
        ReceiptFact {
            id: ReceiptId(number + 100),
            issued: at(issued),
            ..receipt(number)
        }
    }

    #[test]
    fn numbers_missing_in_march_are_one_gap() {
        let mut f = march();
        for (n, d) in [
            (1, "2026-01-05"),
            (2, "2026-03-02"),
            (5, "2026-03-09"),
            (6, "2026-03-10"),
        ] {
            f.receipts.push(numbered(n, &format!("{d} 10:00")));
        }
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].subject, "year:2026:3-4");
        assert!(flags[0].summary.contains("第 3–4 号"));
    }

    #[test]
    fn near_miss_gapless_numbers_and_a_gap_outside_the_period() {
        let mut f = march();
        for (n, d) in [
            (1, "2026-01-05"),
            (3, "2026-01-09"),
            (4, "2026-03-02"),
            (5, "2026-03-09"),
        ] {
            f.receipts.push(numbered(n, &format!("{d} 10:00")));
        }
        assert!(check(&f, &Thresholds::default()).is_empty(), "the gap lies in January");
    }
}
