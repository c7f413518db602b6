//! Trial balance: per account, opening balance, the period's debits and credits, closing
//! balance; parents are the sums of their sub-accounts. Pure arithmetic over sums the store
//! derives from postings.

use crate::domain::Money;
use serde::Serialize;

/// Debit and credit sums of one account over some postings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub debit: Money,
    pub credit: Money,
}

impl std::ops::Add for Sums {
    type Output = Sums;
    fn add(self, o: Sums) -> Sums {
        Sums {
            debit: self.debit + o.debit,
            credit: self.credit + o.credit,
        }
    }
}

impl Sums {
    /// Debit-positive balance.
    pub fn net(self) -> Money {
        self.debit - self.credit
    }
}

#[derive(Debug, Clone)]
pub struct AccountSums {
    pub code: String,
    pub name: String,
    pub before: Sums,
    pub during: Sums,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TrialBalanceRow {
    pub code: String,
    pub name: String,
    /// Debit-positive balance before the period (negative means a credit balance).
    #[schema(value_type = String, example = "1200.00")]
    pub opening: Money,
    #[schema(value_type = String)]
    pub debit: Money,
    #[schema(value_type = String)]
    pub credit: Money,
    #[schema(value_type = String)]
    pub closing: Money,
    /// True for accounts that have sub-accounts; their figures are the sub-accounts' sums.
    pub is_parent: bool,
}

impl TrialBalanceRow {
    /// Whether the account held anything before the period or moved in it (a row worth showing).
    pub fn has_activity(&self) -> bool {
        !(self.opening.is_zero() && self.debit.is_zero() && self.credit.is_zero())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TrialBalance {
    pub rows: Vec<TrialBalanceRow>,
    #[schema(value_type = String)]
    pub total_debit: Money,
    #[schema(value_type = String)]
    pub total_credit: Money,
    /// Σ debits = Σ credits over the period and Σ closing balances = 0.
    pub balanced: bool,
}

/// Builds the trial balance from leaf-account sums; parents ("102" for "102.0001") are added.
pub fn build(mut leaves: Vec<AccountSums>, parent_names: &[(String, String)]) -> TrialBalance {
    leaves.sort_by(|a, b| a.code.cmp(&b.code));
    let mut rows: Vec<TrialBalanceRow> = Vec::new();
    let (mut total_debit, mut total_credit, mut closing_sum) = (Money::ZERO, Money::ZERO, Money::ZERO);
    let mut i = 0;
    while i < leaves.len() {
        let parent = leaves[i].code.split('.').next().unwrap_or_default().to_string();
        let group: Vec<&AccountSums> = leaves[i..]
            .iter()
            .take_while(|l| l.code.split('.').next() == Some(parent.as_str()))
            .collect();
        let has_subs = group.iter().any(|l| l.code.contains('.'));
        if has_subs {
            let before = group.iter().fold(Sums::default(), |s, l| s + l.before);
            let during = group.iter().fold(Sums::default(), |s, l| s + l.during);
            let name = parent_names
                .iter()
                .find(|(c, _)| *c == parent)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            rows.push(row(&parent, &name, before, during, true));
        }
        for l in &group {
            total_debit += l.during.debit;
            total_credit += l.during.credit;
            closing_sum += (l.before + l.during).net();
            rows.push(row(&l.code, &l.name, l.before, l.during, false));
        }
        i += group.len();
    }
    TrialBalance {
        rows,
        total_debit,
        total_credit,
        balanced: total_debit == total_credit && closing_sum.is_zero(),
    }
}

fn row(code: &str, name: &str, before: Sums, during: Sums, is_parent: bool) -> TrialBalanceRow {
    TrialBalanceRow {
        code: code.to_string(),
        name: name.to_string(),
        opening: before.net(),
        debit: during.debit,
        credit: during.credit,
        closing: (before + during).net(),
        is_parent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(code: &str, before: (i64, i64), during: (i64, i64)) -> AccountSums {
        AccountSums {
            code: code.into(),
            name: code.into(),
            before: Sums {
                debit: Money::from_fen(before.0),
                credit: Money::from_fen(before.1),
            },
            during: Sums {
                debit: Money::from_fen(during.0),
                credit: Money::from_fen(during.1),
            },
        }
    }

    #[test]
    fn parents_sum_their_sub_accounts_and_totals_balance() {
        let tb = build(
            vec![
                sums("501", (0, 10_000), (0, 5_050)),
                sums("102.0001", (10_000, 0), (5_000, 0)),
                sums("102.0002", (0, 0), (50, 0)),
            ],
            &[("102".into(), "银行存款".into())],
        );
        let codes: Vec<_> = tb.rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["102", "102.0001", "102.0002", "501"]);
        assert_eq!(tb.rows[0].closing, Money::parse("150.50").unwrap());
        assert_eq!(tb.rows[0].name, "银行存款");
        assert_eq!(tb.rows[3].closing, Money::parse("-150.50").unwrap());
        assert_eq!(tb.total_debit, Money::parse("50.50").unwrap());
        assert!(tb.balanced);
    }

    #[test]
    fn an_unbalanced_set_of_sums_is_reported() {
        let tb = build(vec![sums("101", (0, 0), (100, 0)), sums("501", (0, 0), (0, 99))], &[]);
        assert!(!tb.balanced);
    }
}
