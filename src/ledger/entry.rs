//! Journal entries and the rules every one of them obeys (DESIGN.md §5, rules 1 and 4).
//!
//! `check` is pure: the store resolves the accounts and the closed periods, then asks here
//! whether the entry may be posted. Nothing is written unless every rule holds.

use crate::domain::ids::{LedgerAccountId, VillageId};
use crate::domain::{Money, Period};
use chrono::NaiveDate;

/// An account as the rules need to see it.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub id: LedgerAccountId,
    pub village_id: VillageId,
    pub code: String,
    pub chart_version: String,
    pub active: bool,
    pub postable: bool,
}

/// One line of a proposed entry: exactly one of debit or credit is positive.
#[derive(Debug, Clone)]
pub struct Line {
    pub account: AccountView,
    pub debit: Money,
    pub credit: Money,
    pub memo: String,
}

#[derive(Debug, Clone)]
pub struct ProposedEntry {
    pub village_id: VillageId,
    pub entry_date: NaiveDate,
    pub memo: String,
    pub lines: Vec<Line>,
}

/// Why an entry was refused; each variant is one rule, with what was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("一张凭证至少要有两行，现在只有 {0} 行")]
    TooFewLines(usize),
    #[error("第 {line} 行：只能在借方或贷方其中一边填写正数金额")]
    BadLineAmount { line: usize },
    #[error("借贷不平：借方合计 {debit}，贷方合计 {credit}")]
    Unbalanced { debit: Money, credit: Money },
    #[error("第 {line} 行：科目 {code} 不属于本村")]
    CrossVillage { line: usize, code: String },
    #[error("第 {line} 行：科目 {code} 已停用")]
    InactiveAccount { line: usize, code: String },
    #[error("第 {line} 行：科目 {code} 下设明细科目，请记到明细科目")]
    NotPostable { line: usize, code: String },
    #[error("第 {line} 行：科目 {code} 属于 {account_chart} 年制度，而 {date} 适用 {chart} 年制度的科目")]
    WrongChart {
        line: usize,
        code: String,
        account_chart: String,
        chart: String,
        date: NaiveDate,
    },
    #[error("{0} 没有适用的会计科目表")]
    NoChart(NaiveDate),
    #[error("{0} 已经结账，不能再记入；请记在未结账的月份并在摘要中写明原日期")]
    PeriodClosed(Period),
    #[error("摘要必须填写，最多 200 字")]
    BadMemo,
}

impl EntryError {
    /// The stable code clients see.
    pub fn code(&self) -> &'static str {
        match self {
            EntryError::TooFewLines(_) => "entry_too_few_lines",
            EntryError::BadLineAmount { .. } => "entry_line_amount_invalid",
            EntryError::Unbalanced { .. } => "entry_unbalanced",
            EntryError::CrossVillage { .. } => "entry_cross_village",
            EntryError::InactiveAccount { .. } => "entry_account_inactive",
            EntryError::NotPostable { .. } => "entry_account_not_postable",
            EntryError::WrongChart { .. } => "entry_account_wrong_chart",
            EntryError::NoChart(_) => "entry_no_chart",
            EntryError::PeriodClosed(_) => "period_closed",
            EntryError::BadMemo => "entry_memo_invalid",
        }
    }

    /// The request field at fault, for the client.
    pub fn field(&self) -> Option<String> {
        match self {
            EntryError::TooFewLines(_) | EntryError::Unbalanced { .. } => Some("lines".into()),
            EntryError::BadLineAmount { line }
            | EntryError::CrossVillage { line, .. }
            | EntryError::InactiveAccount { line, .. }
            | EntryError::NotPostable { line, .. }
            | EntryError::WrongChart { line, .. } => Some(format!("lines[{}]", line - 1)),
            EntryError::NoChart(_) | EntryError::PeriodClosed(_) => Some("entry_date".into()),
            EntryError::BadMemo => Some("memo".into()),
        }
    }
}

/// Checks every rule for posting `entry`; `is_closed` says whether a period of the entry's
/// village is closed.
pub fn check(entry: &ProposedEntry, is_closed: impl Fn(Period) -> bool) -> Result<(), EntryError> {
    let memo_len = entry.memo.trim().chars().count();
    if memo_len == 0 || memo_len > 200 {
        return Err(EntryError::BadMemo);
    }
    if entry.lines.len() < 2 {
        return Err(EntryError::TooFewLines(entry.lines.len()));
    }
    let chart = super::chart::version_for(entry.entry_date).ok_or(EntryError::NoChart(entry.entry_date))?;
    let period = Period::of(entry.entry_date);
    if is_closed(period) {
        return Err(EntryError::PeriodClosed(period));
    }
    let mut debit = Money::ZERO;
    let mut credit = Money::ZERO;
    for (i, l) in entry.lines.iter().enumerate() {
        let line = i + 1;
        let code = || l.account.code.clone();
        let one_sided = (l.debit.ensure_positive().is_ok() && l.credit.is_zero())
            || (l.credit.ensure_positive().is_ok() && l.debit.is_zero());
        if !one_sided {
            return Err(EntryError::BadLineAmount { line });
        }
        if l.account.village_id != entry.village_id {
            return Err(EntryError::CrossVillage { line, code: code() });
        }
        if !l.account.active {
            return Err(EntryError::InactiveAccount { line, code: code() });
        }
        if !l.account.postable {
            return Err(EntryError::NotPostable { line, code: code() });
        }
        if l.account.chart_version != chart.id {
            return Err(EntryError::WrongChart {
                line,
                code: code(),
                account_chart: l.account.chart_version.clone(),
                chart: chart.id.to_string(),
                date: entry.entry_date,
            });
        }
        // Bounded: each amount is at most MAX_FEN and lines are few; checked_add guards anyway.
        debit = debit.checked_add(l.debit).ok_or(EntryError::BadLineAmount { line })?;
        credit = credit.checked_add(l.credit).ok_or(EntryError::BadLineAmount { line })?;
    }
    if debit != credit {
        return Err(EntryError::Unbalanced { debit, credit });
    }
    Ok(())
}

/// The lines of the entry that reverses one with these lines: every side swapped.
pub fn reversal_lines(lines: &[Line]) -> Vec<Line> {
    lines
        .iter()
        .map(|l| Line {
            account: l.account.clone(),
            debit: l.credit,
            credit: l.debit,
            memo: l.memo.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acct(id: i64, code: &str) -> AccountView {
        AccountView {
            id: LedgerAccountId(id),
            village_id: VillageId(1),
            code: code.into(),
            chart_version: "2023".into(),
            active: true,
            postable: true,
        }
    }
    fn m(s: &str) -> Money {
        Money::parse(s).unwrap()
    }
    fn line(a: AccountView, d: &str, c: &str) -> Line {
        Line {
            account: a,
            debit: m(d),
            credit: m(c),
            memo: String::new(),
        }
    }
    fn entry(lines: Vec<Line>) -> ProposedEntry {
        ProposedEntry {
            village_id: VillageId(1),
            entry_date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            memo: "收承包费".into(),
            lines,
        }
    }
    const OPEN: fn(Period) -> bool = |_| false;

    #[test]
    fn a_balanced_entry_passes() {
        let e = entry(vec![
            line(acct(1, "102.0001"), "1200.50", "0"),
            line(acct(2, "501"), "0", "1200.50"),
        ]);
        assert_eq!(check(&e, OPEN), Ok(()));
    }

    #[test]
    fn each_rule_refuses_with_its_own_code() {
        let unbalanced = entry(vec![
            line(acct(1, "102.0001"), "100", "0"),
            line(acct(2, "501"), "0", "99.99"),
        ]);
        assert_eq!(check(&unbalanced, OPEN).unwrap_err().code(), "entry_unbalanced");
        let single = entry(vec![line(acct(1, "102.0001"), "100", "0")]);
        assert_eq!(check(&single, OPEN).unwrap_err(), EntryError::TooFewLines(1));
        let zero = entry(vec![
            line(acct(1, "102.0001"), "0", "0"),
            line(acct(2, "501"), "0", "0"),
        ]);
        assert_eq!(check(&zero, OPEN).unwrap_err(), EntryError::BadLineAmount { line: 1 });
        let both = entry(vec![
            line(acct(1, "102.0001"), "5", "5"),
            line(acct(2, "501"), "0", "0"),
        ]);
        assert_eq!(check(&both, OPEN).unwrap_err(), EntryError::BadLineAmount { line: 1 });
        let negative = entry(vec![
            line(acct(1, "102.0001"), "-5", "0"),
            line(acct(2, "501"), "0", "-5"),
        ]);
        assert_eq!(check(&negative, OPEN).unwrap_err().code(), "entry_line_amount_invalid");
        let mut other = acct(2, "501");
        other.village_id = VillageId(2);
        let cross = entry(vec![line(acct(1, "102.0001"), "5", "0"), line(other, "0", "5")]);
        assert_eq!(check(&cross, OPEN).unwrap_err().code(), "entry_cross_village");
        let mut parent = acct(2, "102");
        parent.postable = false;
        let to_parent = entry(vec![line(parent, "5", "0"), line(acct(3, "501"), "0", "5")]);
        assert_eq!(
            check(&to_parent, OPEN).unwrap_err().code(),
            "entry_account_not_postable"
        );
        let mut closed_acct = acct(2, "501");
        closed_acct.active = false;
        let inactive = entry(vec![line(acct(1, "102.0001"), "5", "0"), line(closed_acct, "0", "5")]);
        assert_eq!(check(&inactive, OPEN).unwrap_err().code(), "entry_account_inactive");
        let ok = entry(vec![
            line(acct(1, "102.0001"), "5", "0"),
            line(acct(2, "501"), "0", "5"),
        ]);
        assert_eq!(
            check(&ok, |p| p.to_string() == "2026-03").unwrap_err().code(),
            "period_closed"
        );
        let mut old = ok.clone();
        old.entry_date = NaiveDate::from_ymd_opt(2023, 6, 1).unwrap();
        assert_eq!(check(&old, OPEN).unwrap_err().code(), "entry_account_wrong_chart");
        let mut no_memo = ok.clone();
        no_memo.memo = "  ".into();
        assert_eq!(check(&no_memo, OPEN).unwrap_err().code(), "entry_memo_invalid");
    }

    #[test]
    fn a_reversal_swaps_every_side_and_still_balances() {
        let lines = vec![line(acct(1, "102.0001"), "80", "0"), line(acct(2, "501"), "0", "80")];
        let rev = reversal_lines(&lines);
        assert_eq!(rev[0].credit, m("80"));
        assert_eq!(rev[1].debit, m("80"));
        assert_eq!(check(&entry(rev), OPEN), Ok(()));
    }
}
