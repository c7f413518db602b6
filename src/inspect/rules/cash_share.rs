//! CASH_SHARE: a village collecting in cash far more than it used to, or than its neighbours.

use crate::domain::vocabulary::{RuleId, Severity};
use crate::domain::Money;
use crate::inspect::{Flag, Thresholds, VillageFacts};

use super::yuan;

pub const EXPLANATION: &str = "推行扫码收款以后，现金收款应当越来越少。一个村的现金收款占比明显高于它自己上一年同期，\
或明显高于同一乡镇其他村的中位数（默认高出 30 个百分点），说明有人在引导村民交现金——现金更容易截留、坐支。\
本规则只在期间收款达到一定规模（默认 ¥10,000）时判断；金额为期间的现金收款。";

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let now = f.mix.now;
    let min_total = yuan(t.cash_share_min_total_yuan);
    let Some(share) = now.cash_share().filter(|_| now.total >= min_total) else {
        return Vec::new();
    };
    let mut reasons = Vec::new();
    if let Some(before) = f
        .mix
        .year_before
        .cash_share()
        .filter(|_| f.mix.year_before.total >= min_total)
    {
        if share > before + t.cash_share_rise {
            reasons.push(format!("上一年同期为 {:.0}%", before * 100.0));
        }
    }
    let peers: Vec<f64> = f
        .mix
        .peers
        .iter()
        .filter(|p| p.total >= min_total)
        .filter_map(|p| p.cash_share())
        .collect();
    if peers.len() as i64 >= t.cash_share_min_peers.max(1) {
        if let Some(m) = median(peers) {
            if share > m + t.cash_share_rise {
                reasons.push(format!("同乡镇其他村的中位数为 {:.0}%", m * 100.0));
            }
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
            "期间收款 ¥{}，其中现金 ¥{}（{:.0}%），{}。",
            now.total,
            now.cash,
            share * 100.0,
            reasons.join("，")
        ),
        evidence: Vec::new(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::facts::Collected;
    use crate::inspect::rules::fixture::*;

    fn c(cash: i64, total: i64) -> Collected {
        Collected {
            cash: yuan(cash),
            total: yuan(total),
            receipts: 100,
        }
    }

    #[test]
    fn cash_at_seventy_percent_against_twenty_last_year_and_next_door() {
        let mut f = march();
        f.mix.now = c(35_000, 50_000);
        f.mix.year_before = c(10_000, 50_000);
        f.mix.peers = vec![c(5_000, 40_000), c(8_000, 40_000), c(10_000, 40_000)];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert!(
            flags[0].summary.contains("上一年同期为 20%") && flags[0].summary.contains("中位数为 20%"),
            "{}",
            flags[0].summary
        );
    }

    #[test]
    fn near_miss_a_modest_rise_a_small_village_or_too_few_peers() {
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
        f.mix.now = c(35_000, 50_000);
        f.mix.year_before = Collected::default();
        f.mix.peers.truncate(2);
        assert!(check(&f, &Thresholds::default()).is_empty(), "nothing to compare with");
    }
}
