//! A village's journal as a Beancount file, for outside auditors to check with their own tools
//! (`bean-check`, `bean-query`, Fava).
//!
//! - Accounts become `Assets:C102-0001` and the like (Beancount names are Latin; the Chinese
//!   name goes in the `open` directive's metadata). The root follows the chart's category;
//!   profit-and-loss accounts are `Income` or `Expenses` by their normal side, cost accounts
//!   (生产成本) are assets, as work in progress is.
//! - Debits are positive, credits negative, in CNY; every entry keeps its journal number and
//!   hash as metadata, so each transaction can be traced to the chain.
//! - The year opens with one transaction of every account's opening balance (it sums to zero,
//!   because the books balance), and ends with a `balance` assertion of every account at the
//!   first day of the next year, exact to the fen. The assertions come from the books' own trial balance, so
//!   `bean-check` passing means the auditor's sums of the transactions equal ours.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;

use crate::domain::Money;

#[derive(Debug, Clone)]
pub struct Account {
    /// The account's id in the books.
    pub id: i64,
    pub code: String,
    pub name: String,
    pub chart_version: String,
    /// `asset`, `liability`, `equity`, `cost` or `profit_and_loss` (the chart's categories).
    pub category: String,
    /// `debit` or `credit`.
    pub normal_side: String,
}

#[derive(Debug, Clone)]
pub struct Posting {
    pub account: i64,
    pub debit: Money,
    pub credit: Money,
    pub memo: String,
}

#[derive(Debug, Clone)]
pub struct Transaction {
    pub seq: i64,
    pub date: NaiveDate,
    /// Who or what made it (`现金收款`, `手工凭证`…).
    pub source: String,
    pub memo: String,
    pub hash: String,
    pub postings: Vec<Posting>,
}

/// What the file covers.
#[derive(Debug, Clone)]
pub struct Year<'a> {
    pub village_code: &'a str,
    pub village_name: &'a str,
    pub year: i32,
    pub accounts: &'a [Account],
    /// Debit-positive balance of each account before the year.
    pub opening: &'a BTreeMap<i64, Money>,
    /// Debit-positive balance of each account at the end of the year, from the trial balance.
    pub closing: &'a BTreeMap<i64, Money>,
}

fn quoted(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!("\"{clean}\"")
}

fn amount(m: Money) -> String {
    format!("{m} CNY")
}

/// Each account's Beancount name; a code that two chart versions share gets the version.
pub fn names(accounts: &[Account]) -> BTreeMap<i64, String> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for a in accounts {
        *uses.entry(a.code.as_str()).or_default() += 1;
    }
    accounts
        .iter()
        .map(|a| {
            let root = match (a.category.as_str(), a.normal_side.as_str()) {
                ("asset" | "cost", _) => "Assets",
                ("liability", _) => "Liabilities",
                ("equity", _) => "Equity",
                (_, "credit") => "Income",
                _ => "Expenses",
            };
            let leaf: String = a
                .code
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let version: String = a.chart_version.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let name = if uses[a.code.as_str()] > 1 {
                format!("{root}:C{leaf}-V{version}")
            } else {
                format!("{root}:C{leaf}")
            };
            (a.id, name)
        })
        .collect()
}

/// The file: options, the accounts opened, the opening balances, every transaction of the year
/// in journal order, and the closing balance assertions.
pub fn render(y: &Year, transactions: impl IntoIterator<Item = Transaction>) -> String {
    let names = names(y.accounts);
    let first = NaiveDate::from_ymd_opt(y.year, 1, 1).expect("a year's first day");
    let next = NaiveDate::from_ymd_opt(y.year + 1, 1, 1).expect("a year's first day");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; 清账 qingzhang: the journal of {} ({}) for {}",
        y.village_name, y.village_code, y.year
    );
    let _ = writeln!(
        out,
        "option \"title\" {}",
        quoted(&format!("{} {} 年账簿", y.village_name, y.year))
    );
    let _ = writeln!(out, "option \"operating_currency\" \"CNY\"\n");
    for a in y.accounts {
        let _ = writeln!(
            out,
            "{first} open {} CNY\n  code: {}\n  name: {}",
            names[&a.id],
            quoted(&a.code),
            quoted(&a.name)
        );
    }
    let opening: Vec<(&i64, &Money)> = y.opening.iter().filter(|(_, m)| **m != Money::ZERO).collect();
    if !opening.is_empty() {
        let _ = writeln!(
            out,
            "\n{first} * \"期初余额\" {}",
            quoted(&format!("{} 年初余额", y.year))
        );
        for (id, m) in opening {
            let _ = writeln!(out, "  {}  {}", names[id], amount(*m));
        }
    }
    for t in transactions {
        let _ = writeln!(out, "\n{} * {} {}", t.date, quoted(&t.source), quoted(&t.memo));
        let _ = writeln!(out, "  seq: {}\n  hash: {}", t.seq, quoted(&t.hash));
        for p in &t.postings {
            let _ = write!(out, "  {}  {}", names[&p.account], amount(p.debit - p.credit));
            if !p.memo.trim().is_empty() {
                let _ = write!(out, "\n    memo: {}", quoted(&p.memo));
            }
            out.push('\n');
        }
    }
    out.push('\n');
    for a in y.accounts {
        let closing = y.closing.get(&a.id).copied().unwrap_or(Money::ZERO);
        // Beancount would let a balance pass within a fen; `~ 0.001` makes it exact to the fen.
        let _ = writeln!(out, "{next} balance {}  {closing} ~ 0.001 CNY", names[&a.id]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: i64, code: &str, category: &str, side: &str, version: &str) -> Account {
        Account {
            id,
            code: code.into(),
            name: format!("科目{code}"),
            chart_version: version.into(),
            category: category.into(),
            normal_side: side.into(),
        }
    }

    #[test]
    fn accounts_are_named_by_root_and_code() {
        let names = names(&[
            account(1, "101", "asset", "debit", "2023"),
            account(2, "102.0001", "asset", "debit", "2023"),
            account(3, "501", "profit_and_loss", "credit", "2023"),
            account(4, "521", "profit_and_loss", "debit", "2023"),
            account(5, "211", "liability", "credit", "2004"),
            account(6, "211", "liability", "credit", "2023"),
        ]);
        assert_eq!(names[&1], "Assets:C101");
        assert_eq!(names[&2], "Assets:C102-0001");
        assert_eq!(names[&3], "Income:C501");
        assert_eq!(names[&4], "Expenses:C521");
        assert_eq!(
            (names[&5].as_str(), names[&6].as_str()),
            ("Liabilities:C211-V2004", "Liabilities:C211-V2023")
        );
    }

    #[test]
    fn a_year_renders_with_its_opening_transactions_and_closing_assertions() {
        let accounts = [
            account(1, "101", "asset", "debit", "2023"),
            account(3, "501", "profit_and_loss", "credit", "2023"),
        ];
        let opening = BTreeMap::from([(1, Money::from_fen(10_000)), (3, Money::from_fen(-10_000))]);
        let closing = BTreeMap::from([(1, Money::from_fen(15_000)), (3, Money::from_fen(-15_000))]);
        let text = render(
            &Year {
                village_code: "370725102201",
                village_name: "北岩村",
                year: 2026,
                accounts: &accounts,
                opening: &opening,
                closing: &closing,
            },
            [Transaction {
                seq: 7,
                date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
                source: "现金收款".into(),
                memo: "收 \"张三\" 承包费".into(),
                hash: "ab12".into(),
                postings: vec![
                    Posting {
                        account: 1,
                        debit: Money::from_fen(5_000),
                        credit: Money::ZERO,
                        memo: String::new(),
                    },
                    Posting {
                        account: 3,
                        debit: Money::ZERO,
                        credit: Money::from_fen(5_000),
                        memo: "土地".into(),
                    },
                ],
            }],
        );
        assert!(
            text.contains("2026-03-05 * \"现金收款\" \"收 \\\"张三\\\" 承包费\""),
            "{text}"
        );
        assert!(text.contains("  Assets:C101  50.00 CNY"), "{text}");
        assert!(text.contains("  Income:C501  -50.00 CNY"), "{text}");
        assert!(
            text.contains("2027-01-01 balance Assets:C101  150.00 ~ 0.001 CNY"),
            "{text}"
        );
        assert!(text.contains("2026-01-01 * \"期初余额\""), "{text}");
    }
}
