//! CASH_SHARE: a village collecting in cash far more than it used to, or than its neighbours.

use crate::domain::vocabulary::{RuleId, Severity};
use crate::domain::Money;
use crate::inspect::facts::Collected;
use crate::inspect::{Flag, Thresholds, VillageFacts};

use super::yuan;

pub const EXPLANATION: &str = "推行扫码收款以后，现金收款应当越来越少。一个村的现金收款占比明显高于它自己上一年同期，\
或明显高于同一乡镇其他村（默认高出 30 个百分点，且按收据笔数做的统计检验足够确定，不是小村的偶然波动），\
说明有人在引导村民交现金——现金更容易截留、坐支。本规则只在期间收款达到一定规模（默认 ¥10,000）时判断；\
金额为期间的现金收款。";

/// The two-proportion z-score of `k1` of `n1` against `k0` of `n0`.
fn z_score(k1: i64, n1: i64, k0: i64, n0: i64) -> f64 {
    if n1 == 0 || n0 == 0 {
        return 0.0;
    }
    let (p1, p0) = (k1 as f64 / n1 as f64, k0 as f64 / n0 as f64);
    let p = (k1 + k0) as f64 / (n1 + n0) as f64;
    let se = (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt();
    if se == 0.0 {
        0.0
    } else {
        (p1 - p0) / se
    }
}

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let now = f.mix.now;
    let min_total = yuan(t.cash_share_min_total_yuan);
    let Some(share) = now.cash_receipt_share().filter(|_| now.total >= min_total) else {
        return Vec::new();
    };
    let against = |base: Collected| -> Option<f64> {
        let p0 = base.cash_receipt_share()?;
        (share > p0 + t.cash_share_rise
            && z_score(now.cash_receipts, now.receipts, base.cash_receipts, base.receipts) > t.cash_share_z)
            .then_some(p0)
    };
    let mut reasons = Vec::new();
    if f.mix.year_before.total >= min_total {
        if let Some(p0) = against(f.mix.year_before) {
            reasons.push(format!("上一年同期为 {:.0}%", p0 * 100.0));
        }
    }
    let peers: Vec<&Collected> = f.mix.peers.iter().filter(|p| p.receipts > 0).collect();
    if peers.len() as i64 >= t.cash_share_min_peers.max(1) {
        let pooled = Collected {
            cash: peers.iter().map(|p| p.cash).sum(),
            total: peers.iter().map(|p| p.total).sum(),
            receipts: peers.iter().map(|p| p.receipts).sum(),
            cash_receipts: peers.iter().map(|p| p.cash_receipts).sum(),
        };
        if let Some(p0) = against(pooled) {
            reasons.push(format!("同乡镇其他村合计为 {:.0}%", p0 * 100.0));
        }
    }
    if reasons.is_empty() {
        return Vec::new();
    }
    vec![Flag {
        rule: RuleId::CashShare,
        subject: format!("period:{}:{}", f.from, f.to),
        severity: Severity::Medium,
        start: f.from,
        end: f.to,
        amount: now.cash.max(Money::ZERO),
        summary: format!(
            "期间收款 ¥{}（{} 张收据），其中现金 {} 张（{:.0}%），{}。",
            now.total,
            now.receipts,
            now.cash_receipts,
            share * 100.0,
            reasons.join("，")
        ),
        evidence: Vec::new(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::fixture::*;

    /// Collections of `total` yuan over 100 receipts, the share of cash receipts that of cash.
    fn c(cash: i64, total: i64) -> Collected {
        Collected {
            cash: yuan(cash),
            total: yuan(total),
            receipts: 100,
            cash_receipts: 100 * cash / total,
        }
    }

    #[test]
    fn cash_at_seventy_percent_against_twenty_last_year_and_next_door() {
        let mut f = march();
        f.mix.now = c(35_000, 50_000);
        f.mix.year_before = c(10_000, 50_000);
        f.mix.peers = vec![c(8_000, 40_000), c(8_000, 40_000), c(8_000, 40_000)];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert!(
            flags[0].summary.contains("上一年同期为 20%") && flags[0].summary.contains("合计为 20%"),
            "{}",
            flags[0].summary
        );
    }

    #[test]
    fn near_miss_a_modest_rise_a_small_village_a_swing_or_nothing_to_compare() {
        let mut f = march();
        f.mix.now = c(20_000, 50_000);
        f.mix.year_before = c(10_000, 50_000);
        f.mix.peers = vec![c(5_000, 40_000), c(8_000, 40_000), c(10_000, 40_000)];
        assert!(
            check(&f, &Thresholds::default()).is_empty(),
            "40% against 20%: within 30 points"
        );
        f.mix.now = c(7_000, 9_000);
        assert!(
            check(&f, &Thresholds::default()).is_empty(),
            "too little collected to judge"
        );
        // Four cash receipts of ten against none of ten last year: a swing, not a change.
        f.mix.now = Collected {
            cash: yuan(8_000),
            total: yuan(20_000),
            receipts: 10,
            cash_receipts: 4,
        };
        f.mix.year_before = Collected {
            cash: yuan(0),
            total: yuan(20_000),
            receipts: 10,
            cash_receipts: 0,
        };
        f.mix.peers.clear();
        assert!(
            check(&f, &Thresholds::default()).is_empty(),
            "four of ten is within chance"
        );
        f.mix.now = c(35_000, 50_000);
        f.mix.year_before = Collected::default();
        f.mix.peers = vec![c(5_000, 40_000), c(8_000, 40_000)];
        assert!(check(&f, &Thresholds::default()).is_empty(), "nothing to compare with");
    }
}
