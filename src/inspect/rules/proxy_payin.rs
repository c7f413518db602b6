//! PROXY_PAYIN: one bank account paying for many villagers.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::{masking, Money};
use crate::inspect::facts::PayerAccountFact;
use crate::inspect::{Evidence, Flag, Thresholds, VillageFacts};

pub const EXPLANATION: &str = "村民应当从自己的账户扫码或转账交费。同一个个人账户替很多户（默认 5 户以上）交费，\
常见的是村干部或报账员先把现金收进自己腰包、再从自己账户转账“代缴”：钱在个人手里周转，\
有的收了不缴、有的拖延。本规则按银行对账单上的付款账户，找出为多个缴费人付款的账户。";

pub fn check(f: &VillageFacts, t: &Thresholds) -> Vec<Flag> {
    let mut by_account: BTreeMap<&str, Vec<&PayerAccountFact>> = BTreeMap::new();
    for p in f
        .payer_accounts
        .iter()
        .filter(|p| f.covers(p.date) && !p.account.trim().is_empty())
    {
        by_account.entry(p.account.trim()).or_default().push(p);
    }
    by_account
        .into_iter()
        .filter_map(|(account, list)| {
            let payers: BTreeSet<_> = list.iter().map(|p| p.payer).collect();
            if (payers.len() as i64) < t.proxy_min_payers.max(2) {
                return None;
            }
            let amount: Money = list.iter().map(|p| p.amount).sum();
            let mut evidence: Vec<Evidence> = list
                .iter()
                .map(|p| Evidence::new(EvidenceKind::StatementLine, p.line))
                .collect();
            evidence.extend(
                list.iter()
                    .map(|p| Evidence::new(EvidenceKind::BankTransaction, p.bank_txn.get())),
            );
            Some(Flag {
                rule: RuleId::ProxyPayin,
                subject: format!("account:{account}"),
                severity: Severity::Medium,
                start: list.iter().map(|p| p.date).min()?,
                end: list.iter().map(|p| p.date).max()?,
                amount,
                summary: format!(
                    "账户 {}（{}）为 {} 户缴费人付款 {} 笔，共 ¥{amount}。",
                    masking::account_no(account),
                    list[0].name,
                    payers.len(),
                    list.len()
                ),
                evidence,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{BankTransactionId, PayerId};
    use crate::inspect::rules::fixture::*;

    fn paid(line: i64, account: &str, payer: i64) -> PayerAccountFact {
        PayerAccountFact {
            account: account.into(),
            name: "王某".into(),
            line,
            bank_txn: BankTransactionId(line),
            payer: PayerId(payer),
            amount: yuan(300),
            date: day("2026-03-05"),
        }
    }

    #[test]
    fn one_account_paying_for_five_households_is_flagged() {
        let mut f = march();
        f.payer_accounts = (1..=5).map(|i| paid(i, "6228480000000000777", i)).collect();
        let flags = check(&f, &Thresholds::default());
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].amount, yuan(1500));
    }

    #[test]
    fn near_miss_a_household_paying_its_own_bills_and_four_families() {
        let mut f = march();
        f.payer_accounts = (1..=6).map(|i| paid(i, "6228480000000000001", 1)).collect();
        f.payer_accounts
            .extend((7..=10).map(|i| paid(i, "6228480000000000777", i)));
        assert!(check(&f, &Thresholds::default()).is_empty());
    }
}
