//! SPLIT_PAYMENTS: payments to one payee split to stay under the approval threshold.

use std::collections::BTreeMap;

use chrono::Duration;

use crate::domain::vocabulary::{DisbursementStatus, EvidenceKind, RuleId, Severity};
use crate::domain::{masking, Money};
use crate::inspect::facts::DisbursementFact;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

use super::yuan;

pub const EXPLANATION: &str = "超过一定金额（默认 ¥5,000）的支出须经村民代表会议或乡镇审核。把一笔大额支出拆成几笔、\
在几天之内（默认 7 天）分别付给同一收款人，每笔都低于标准，就绕开了审批。本规则找出同一收款账户在窗口期内\
多笔低于标准、合计达到标准的支出申请。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let threshold = yuan(t.split_threshold_yuan);
    let window = Duration::days(t.split_window_days);
    let mut by_payee: BTreeMap<&str, Vec<&DisbursementFact>> = BTreeMap::new();
    for d in f
        .disbursements
        .iter()
        .filter(|d| d.status != DisbursementStatus::Rejected && d.amount < threshold && f.covers(d.requested.date()))
    {
        by_payee.entry(d.payee_account.trim()).or_default().push(d);
    }
    let mut out = Vec::new();
    for (account, mut list) in by_payee {
        list.sort_by_key(|d| (d.requested, d.id));
        let mut i = 0;
        while i < list.len() {
            let mut j = i;
            while j + 1 < list.len() && list[j + 1].requested - list[i].requested <= window {
                j += 1;
            }
            let cluster = &list[i..=j];
            let total: Money = cluster.iter().map(|d| d.amount).sum();
            if cluster.len() as i64 >= t.split_min_count.max(2) && total >= threshold {
                out.push(Flag {
                    rule: RuleId::SplitPayments,
                    subject: format!("disbursement:{}", cluster[0].id),
                    severity: Severity::High,
                    start: cluster[0].requested.date(),
                    end: cluster[cluster.len() - 1].requested.date(),
                    amount: total,
                    summary: format!(
                        "{} 天内向 {}（{}）支出 {} 笔，每笔低于 ¥{threshold}，合计 ¥{total}。",
                        t.split_window_days,
                        cluster[0].payee_name,
                        masking::account_no(account),
                        cluster.len()
                    ),
                    evidence: cluster
                        .iter()
                        .map(|d| Evidence::new(EvidenceKind::Disbursement, d.id))
                        .collect(),
                });
                i = j + 1;
            } else {
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use crate::inspect::rules::fixture::*;

    pub fn disbursement(id: i64, account: &str, amount: i64, requested: &str) -> DisbursementFact {
        DisbursementFact {
            id,
            payee_name: "某某工程队".into(),
            payee_account: account.into(),
            amount: yuan(amount),
            requested_by: UserId(7),
            requested: at(requested),
            decided_by: Some(UserId(8)),
            decided: Some(at(requested)),
            status: DisbursementStatus::Paid,
        }
    }

    #[test]
    fn three_payments_under_five_thousand_in_a_week_are_a_split() {
        let mut f = march();
        f.disbursements = vec![
            disbursement(1, "6222000011112222", 4800, "2026-03-02 10:00"),
            disbursement(2, "6222000011112222", 4900, "2026-03-04 10:00"),
            disbursement(3, "6222000011112222", 4700, "2026-03-06 10:00"),
        ];
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(14400));
    }

    #[test]
    fn near_miss_payments_weeks_apart_or_to_different_payees() {
        let mut f = march();
        f.disbursements = vec![
            disbursement(1, "6222000011112222", 4800, "2026-03-02 10:00"),
            disbursement(2, "6222000011112222", 4900, "2026-03-20 10:00"),
            disbursement(3, "6222000099998888", 4700, "2026-03-03 10:00"),
        ];
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
