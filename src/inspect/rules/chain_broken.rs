//! CHAIN_BROKEN: the village's books do not verify.

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str =
    "每张凭证都带着前一张凭证的哈希值，形成一条不可改动的链；收据、账单、现金和代交之间也必须彼此相符。\
校验不通过，说明有人绕过系统直接改动了数据库里的账（删改凭证、改金额），或数据已损坏。这是最严重的发现：\
在查明之前，这个村的账都不能作为依据。本规则复用 `qingzhang verify` 的全部检查。";

pub fn check(f: &VillageFacts, _t: &Thresholds) -> Vec<Flag> {
    if f.chain.ok {
        return Vec::new();
    }
    let evidence = f
        .chain
        .first_bad_entry
        .map(|e| vec![Evidence::new(EvidenceKind::Entry, e.get())])
        .unwrap_or_default();
    let first = f
        .chain
        .first_bad_seq
        .map_or(String::new(), |s| format!("自第 {s} 号凭证起链条断开；"));
    let shown: Vec<&str> = f.chain.problems.iter().take(3).map(String::as_str).collect();
    vec![Flag {
        rule: RuleId::ChainBroken,
        // The first bad entry names the break: a new break elsewhere is a new finding.
        subject: format!("chain:{}", f.chain.first_bad_seq.unwrap_or(0)),
        severity: Severity::Critical,
        start: f.from,
        end: f.to,
        amount: Money::ZERO,
        summary: format!(
            "账簿校验不通过：{first}{} 个问题{}{}",
            f.chain.problems.len(),
            if shown.is_empty() { "。" } else { "，例如：" },
            shown.join("；")
        ),
        evidence,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::facts::ChainFact;
    use crate::inspect::rules::fixture::*;

    #[test]
    fn a_chain_that_does_not_verify_is_flagged_and_one_that_does_is_not() {
        let mut f = march();
        assert!(check(&f, &Thresholds::default()).is_empty());
        f.chain = ChainFact {
            ok: false,
            entries: 10,
            first_bad_seq: Some(4),
            first_bad_entry: Some(crate::domain::ids::EntryId(40)),
            problems: vec!["entry 4: hash does not match".into()],
        };
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert!(flags[0].summary.contains("第 4 号"));
        assert_eq!(flags[0].evidence, vec![Evidence::new(EvidenceKind::Entry, 40)]);
    }
}
