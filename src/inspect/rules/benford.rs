//! BENFORD: first digits of the village's payments out against Benford's law, with Nigrini's
//! mean absolute deviation (MAD) conformity bounds.

use crate::domain::vocabulary::{RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Flag, Thresholds, VillageFacts};

use super::round_amounts::outflows;

pub const EXPLANATION: &str = "自然发生的金额，首位数字是 1 的约占 30%，是 9 的不到 5%（本福特定律）。\
编造的金额往往首位数字分布过于平均，或集中在审批标准以下的某几个数。本规则在支出笔数足够时\
（首位数字检验默认至少 300 笔，前两位检验至少 1000 笔），按 Nigrini 的平均绝对偏差（MAD）判断是否符合：\
首位数字 MAD 超过 0.015、前两位超过 0.0022 即为不符合。它只提示需要抽查的方向，本身不是违规证据。";

/// The first `digits` significant digits of an amount of at least ten yuan (smaller amounts are
/// left out, as Nigrini advises).
fn leading(m: Money, digits: u32) -> Option<u32> {
    let yuan = m.fen().unsigned_abs() / 100;
    if yuan < 10 {
        return None;
    }
    let mut v = yuan;
    while v >= 10u64.pow(digits) {
        v /= 10;
    }
    Some(v as u32)
}

/// Nigrini's MAD of the first `digits` digits (1 or 2) of the amounts given.
pub fn mad(amounts: &[Money], digits: u32) -> Option<(f64, usize)> {
    let lo = 10u32.pow(digits - 1);
    let hi = 10u32.pow(digits) - 1;
    let mut counts = vec![0usize; (hi + 1) as usize];
    let mut n = 0usize;
    for d in amounts.iter().filter_map(|m| leading(*m, digits)) {
        counts[d as usize] += 1;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let sum: f64 = (lo..=hi)
        .map(|d| {
            let expected = (1.0 + 1.0 / d as f64).log10();
            (counts[d as usize] as f64 / n as f64 - expected).abs()
        })
        .sum();
    Some((sum / (hi - lo + 1) as f64, n))
}

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let amounts: Vec<Money> = outflows(f).into_iter().map(|(m, _)| m).collect();
    let mut out = Vec::new();
    for (digits, min, bound, name) in [
        (1, t.benford_min_count, t.benford_mad_first, "首位数字"),
        (2, t.benford_two_min_count, t.benford_mad_two, "前两位数字"),
    ] {
        let Some((mad, n)) = mad(&amounts, digits) else {
            continue;
        };
        if (n as i64) < min.max(1) || mad <= bound {
            continue;
        }
        out.push(Flag {
            rule: RuleId::Benford,
            subject: format!("digits{digits}:{}:{}", f.from, f.to),
            severity: Severity::Low,
            start: f.from,
            end: f.to,
            amount: Money::ZERO,
            summary: format!("期间 {n} 笔支出的{name}分布不符合本福特定律：MAD = {mad:.4}，上限 {bound}。"),
            evidence: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::facts::DebitFact;
    use crate::inspect::rules::fixture::*;

    fn with_amounts(amounts: impl Iterator<Item = i64>) -> VillageFacts {
        let mut f = march();
        f.debits = amounts
            .enumerate()
            .map(|(i, fen)| DebitFact {
                line: i as i64,
                amount: Money::from_fen(fen),
                date: day("2026-03-10"),
                counterparty: String::new(),
                rule: None,
                disbursement: None,
            })
            .collect();
        f
    }

    /// Amounts spread evenly in log scale over four decades conform to Benford's law.
    fn benford_like(n: usize) -> impl Iterator<Item = i64> {
        (0..n).map(move |i| {
            let x = 1.0 + 4.0 * (i as f64 + 0.5) / n as f64; // log10 of yuan in 1..5
            (10f64.powf(x) * 100.0).round() as i64
        })
    }

    #[test]
    fn amounts_made_up_evenly_do_not_conform() {
        // First digits 1..9 equally often: MAD about 0.06.
        let f = with_amounts((0..1200).map(|i| ((i % 9 + 1) * 1000 + 37) as i64 * 100));
        let flags = check(&f, &Thresholds::default());
        assert!(flags.iter().any(|fl| fl.subject.starts_with("digits1")), "{flags:?}");
        assert!(flags.iter().any(|fl| fl.subject.starts_with("digits2")), "{flags:?}");
    }

    #[test]
    fn near_miss_benford_amounts_conform_and_few_amounts_are_not_judged() {
        let f = with_amounts(benford_like(1200));
        let (m1, _) = mad(&f.debits.iter().map(|d| d.amount).collect::<Vec<_>>(), 1).unwrap();
        assert!(m1 < 0.006, "close conformity: {m1}");
        assert!(check(&f, &Thresholds::default()).is_empty());
        let few = with_amounts((0..50).map(|i| ((i % 9 + 1) * 1000) as i64 * 100));
        assert!(check(&few, &Thresholds::default()).is_empty());
    }
}
