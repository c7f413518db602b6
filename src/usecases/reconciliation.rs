//! Reconciling a corporate account against the bank's statement, per business day.
//!
//! [`reconcile`] (the accountant, or the nightly job) sets the statement's unmatched lines of
//! some days against the books' unmatched credits (`reconcile::matcher`) and acts on what it
//! decides, in one transaction under the village's lock:
//! - a pair is recorded with the rule that made it;
//! - a credit the books never heard of (a lost callback) is taken in through the callback's
//!   own intake (`callbacks::post_credit`), the statement line as its evidence: the bill it
//!   names is paid and a receipt numbered; the bank's late push of the same serial is then a
//!   duplicate;
//! - a debit that an approved disbursement explains (`usecases::disbursements`) is posted to the
//!   account the request named (Dr it / Cr 102) and the request marked paid;
//! - any other debit is posted Dr 211.9998 待查明支出 / Cr 102, so the books follow the bank and
//!   the money out waits, visibly, to be explained: it is exactly 坐支 or 挪用 until it is.
//!
//! [`report`] derives every outcome from what is kept, without writing: matched (by rule),
//! amount mismatch, statement-only credit (taken in), ledger-only credit (critical after T+1),
//! unexplained debit (critical), a broken statement, and each day's closing balance on the
//! statement against the books' 102 sub-account.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

use super::bookkeeping::post;
use super::callbacks::{post_credit, Applied};
use super::statements::account_of;
use super::{audit, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{BankTransactionId, CorporateAccountId};
use crate::domain::vocabulary::{Direction, EntrySource, MatchRule, ReconOutcome};
use crate::domain::{masking, period, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::reconcile::matcher::{self, Decision};
use crate::store::disbursements::Disbursement;
use crate::store::journal::{self, LedgerAccount, NewLedgerAccount};
use crate::store::payments::BankTransaction;
use crate::store::registry::{CorporateAccount, Village};
use crate::store::statements::{
    NewStatementMatch, StatementImport, StatementLineBrief as StatementLine, StatementMatch,
};
use crate::store::{Db, DbConnection};
use bank_adapters::{BankCredit, Provider};

/// Days a line's date may be from its credit's under the reference and amount rules.
pub const WINDOW_DAYS: i64 = 3;
/// The longest range one request reconciles or reports.
pub const MAX_DAYS: i64 = 62;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// First business day (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last business day (YYYY-MM-DD), at most 62 days after `from`.
    pub to: NaiveDate,
}

impl DaysQuery {
    fn check(self) -> AppResult<DaysQuery> {
        if self.to < self.from || (self.to - self.from).num_days() >= MAX_DAYS {
            return Err(AppError::new(
                ErrorCode::DateInvalid,
                format!("日期范围有误：结束日期不能早于开始日期，一次最多 {MAX_DAYS} 天。"),
            )
            .at("to"));
        }
        Ok(self)
    }
}

/// What one run decided.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunSummary {
    pub matched: usize,
    pub taken_in: usize,
    pub unexplained_debits: usize,
    pub report: ReconciliationReport,
}

/// Beijing midnight of a day, as the UTC instant the books store.
fn utc_start(day: NaiveDate) -> NaiveDateTime {
    period::from_beijing(day.and_time(chrono::NaiveTime::MIN)).naive_utc()
}

/// The books' credits to the account that a line of these days could be, not yet matched.
fn open_credits(conn: &mut DbConnection, account: &CorporateAccount, q: DaysQuery) -> AppResult<Vec<BankTransaction>> {
    let txns = BankTransaction::of_account_between(
        conn,
        account.id,
        utc_start(q.from - Duration::days(WINDOW_DAYS)),
        utc_start(q.to + Duration::days(WINDOW_DAYS + 1)),
    )?;
    let ids: Vec<BankTransactionId> = txns.iter().map(|t| t.id).collect();
    let matched = StatementMatch::matched_transactions(conn, &ids)?;
    Ok(txns.into_iter().filter(|t| !matched.contains(&t.id)).collect())
}

/// The village's 211.9998 (待查明支出) in the chart of `day`, opened where a village's books
/// predate it.
fn unexplained_debits_account(conn: &mut DbConnection, village: &Village, day: NaiveDate) -> AppResult<LedgerAccount> {
    let version = chart::version_for(day).ok_or_else(|| AppError::Internal(format!("no chart on {day}")))?;
    if let Some(a) = LedgerAccount::by_code(conn, village.id, version.id, chart::UNEXPLAINED_DEBITS_CODE)? {
        return Ok(a);
    }
    let parent = version
        .accounts
        .iter()
        .find(|a| chart::UNEXPLAINED_DEBITS_CODE.starts_with(&format!("{}.", a.code)))
        .ok_or_else(|| AppError::Internal("the chart has no parent of 211.9998".into()))?;
    Ok(LedgerAccount::insert(
        conn,
        &NewLedgerAccount {
            village_id: village.id,
            chart_version: version.id,
            code: chart::UNEXPLAINED_DEBITS_CODE,
            name: "待查明支出",
            category: parent.category.as_str(),
            normal_side: parent.normal_side.as_str(),
            parent_code: Some(parent.code),
            postable: true,
            active: true,
            created_at: period::now().naive_utc(),
        },
    )?)
}

/// Reconciles an account's statement lines of some days; returns what it did and the report.
pub fn reconcile(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    q: DaysQuery,
    server_key: &[u8],
) -> AppResult<RunSummary> {
    let q = q.check()?;
    let (matched, taken_in, debits) = db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::Reconcile)?;
        let account = account_of(conn, &village, account)?;
        let done = run(conn, &village, &account, q, server_key)?;
        audit(
            conn,
            Some(actor),
            "statement.reconcile",
            "corporate_account",
            account.id,
            Some(village.id),
            serde_json::json!({"from": q.from, "to": q.to, "matched": done.0, "taken_in": done.1, "unexplained_debits": done.2}),
        )?;
        Ok::<_, AppError>(done)
    })?;
    Ok(RunSummary {
        matched,
        taken_in,
        unexplained_debits: debits,
        report: report(db, actor, village_code, account, q)?,
    })
}

/// The nightly run: reconciles one account's day as the system (no person), after the job has
/// fetched that day's statement; audit-logged without an actor.
pub fn reconcile_as_system(
    db: &Db,
    village_code: &str,
    account: CorporateAccountId,
    day: NaiveDate,
    server_key: &[u8],
) -> AppResult<(usize, usize, usize)> {
    let q = DaysQuery { from: day, to: day };
    db.write(|conn| {
        let village = Village::by_code(conn, village_code)?.ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?;
        crate::store::lock::lock_village(conn, village.id)?;
        let account = account_of(conn, &village, account)?;
        let done = run(conn, &village, &account, q, server_key)?;
        audit(
            conn,
            None,
            "statement.reconcile",
            "corporate_account",
            account.id,
            Some(village.id),
            serde_json::json!({"from": day, "to": day, "matched": done.0, "taken_in": done.1, "unexplained_debits": done.2}),
        )?;
        Ok(done)
    })
}

/// The matching and its actions, in the caller's transaction (which holds the village's lock).
fn run(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    q: DaysQuery,
    server_key: &[u8],
) -> AppResult<(usize, usize, usize)> {
    let lines = StatementLine::of_days(conn, account.id, q.from, q.to)?;
    let done: std::collections::HashSet<i64> = StatementMatch::of_days(conn, account.id, q.from, q.to)?
        .into_iter()
        .map(|m| m.statement_line_id)
        .collect();
    let open: Vec<&StatementLine> = lines.iter().filter(|l| !done.contains(&l.id)).collect();
    // A line the books could not take (dated before any chart of accounts) is refused up front,
    // naming its day, before anything is decided.
    if let Some(l) = open.iter().find(|l| chart::version_for(l.business_date).is_none()) {
        return Err(AppError::new(
            ErrorCode::EntryNoChart,
            format!(
                "{} 的对账单早于本系统的会计科目表，不能在本系统中对账。",
                l.business_date
            ),
        )
        .at("from"));
    }
    let credits = open_credits(conn, account, q)?;
    let payouts = Disbursement::approved_unpaid(conn, account.id)?;
    let decisions = matcher::decide(
        &open
            .iter()
            .map(|l| matcher::Line {
                id: l.id,
                date: l.business_date,
                serial: l.serial.clone(),
                direction: l.direction,
                amount: l.amount,
                counterparty: l.counterparty_name.clone(),
                counterparty_account: l.counterparty_account.clone(),
                remark: l.remark.clone(),
            })
            .collect::<Vec<_>>(),
        &credits
            .iter()
            .map(|c| matcher::Credit {
                id: c.id.0,
                txn_id: c.provider_txn_id.clone(),
                date: period::business_date(Utc.from_utc_datetime(&c.paid_at)),
                amount: c.amount,
                payer: c.payer_masked.clone(),
                reference: c.reference.clone(),
            })
            .collect::<Vec<_>>(),
        &payouts
            .iter()
            .filter_map(|d| {
                Some(matcher::Payout {
                    id: d.id,
                    amount: d.amount,
                    payee_name: d.payee_name.clone(),
                    payee_account: d.payee_account.clone(),
                    approved_on: period::business_date(d.decided_at?.and_utc()),
                })
            })
            .collect::<Vec<_>>(),
        WINDOW_DAYS,
    );
    let payouts: HashMap<i64, Disbursement> = payouts.into_iter().map(|d| (d.id, d)).collect();
    let by_id: HashMap<i64, &StatementLine> = open.iter().map(|l| (l.id, *l)).collect();
    let now = period::now().naive_utc();
    let (mut matched, mut taken_in, mut debits) = (0, 0, 0);
    let mut rows = Vec::new();
    for d in decisions {
        let (line, txn, entry, rule, amount_differs) = match d {
            Decision::Pair {
                line,
                credit,
                rule,
                amount_differs,
            } => {
                matched += 1;
                (
                    by_id[&line],
                    Some(BankTransactionId(credit)),
                    None,
                    rule,
                    amount_differs,
                )
            }
            Decision::TakeIn { line } => {
                let l = by_id[&line];
                let Some((txn, entry)) = take_in(conn, village, account, l, server_key)? else {
                    continue;
                };
                taken_in += 1;
                (l, Some(txn), Some(entry), MatchRule::TakenIn, false)
            }
            Decision::Paid { line, payout } => {
                let l = by_id[&line];
                let d = &payouts[&payout];
                let entry = post_disbursement(conn, village, account, l, d)?;
                if !Disbursement::mark_paid(conn, d.id, l.id, entry)? {
                    return Err(AppError::Retry(format!("disbursement {} changed meanwhile", d.id)));
                }
                matched += 1;
                (l, None, Some(entry), MatchRule::Disbursement, false)
            }
            Decision::UnexplainedDebit { line } => {
                let l = by_id[&line];
                let entry = post_unexplained_debit(conn, village, account, l)?;
                debits += 1;
                (l, None, Some(entry), MatchRule::UnexplainedDebit, false)
            }
        };
        rows.push(NewStatementMatch {
            village_id: village.id,
            corporate_account_id: account.id,
            statement_line_id: line.id,
            bank_transaction_id: txn,
            entry_id: entry,
            rule,
            amount_differs,
            business_date: line.business_date,
            created_at: now,
        });
    }
    StatementMatch::insert_all(conn, &rows)?;
    crate::store::statements::refresh_statistics(conn, rows.len())?;
    Ok((matched, taken_in, debits))
}

/// A statement credit the books never heard of, booked as the bank's push of it would have
/// been. Its serial is its transaction id, so the push arriving late is a duplicate; a line
/// without a serial gets one from its key. None when that id is already another credit's (the
/// line stays unmatched and shows in the report).
fn take_in(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    l: &StatementLine,
    server_key: &[u8],
) -> AppResult<Option<(BankTransactionId, crate::domain::ids::EntryId)>> {
    let txn_id = l.serial.clone().unwrap_or_else(|| format!("STMT-{}", l.line_key));
    if BankTransaction::by_provider_txn(conn, Provider::RuralBank, &txn_id)?.is_some() {
        return Ok(None);
    }
    let paid_at = period::from_beijing(l.booked_at);
    let credit = BankCredit {
        provider: Provider::RuralBank,
        provider_txn_id: txn_id,
        account_ref: account.account_no.clone(),
        amount: l.amount,
        paid_at,
        payer_masked: l.counterparty_name.as_deref().map(masking::person_name),
        reference: l.remark.clone(),
    };
    match post_credit(conn, village.id, account.id, &credit, server_key)? {
        Applied::Posted {
            bank_transaction_id, ..
        } => {
            let txn = BankTransaction::by_id(conn, bank_transaction_id)?
                .ok_or_else(|| AppError::Internal("a credit just posted is missing".into()))?;
            Ok(Some((bank_transaction_id, txn.entry_id)))
        }
        Applied::Duplicate { .. } => Ok(None),
    }
}

/// Dr the account the approved request books to / Cr the account's 102 sub-account, dated the
/// bank's business day (or today, with the date in the memo, when that month is closed).
fn post_disbursement(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    l: &StatementLine,
    d: &Disbursement,
) -> AppResult<crate::domain::ids::EntryId> {
    let version = chart::version_for(l.business_date)
        .ok_or_else(|| AppError::Internal(format!("no chart on {}", l.business_date)))?;
    let booking = LedgerAccount::by_code(conn, village.id, version.id, &d.account_code)?
        .ok_or_else(|| AppError::Internal(format!("village {} has no account {}", village.code, d.account_code)))?;
    let bank = LedgerAccount::by_id(conn, account.ledger_account_id)?;
    let memo = format!(
        "支出：付给 {}，{}（支出申请 {}，流水 {}）",
        d.payee_name,
        d.purpose,
        d.id,
        l.serial.as_deref().unwrap_or("无")
    );
    let lines = vec![
        Line {
            account: booking.view(),
            debit: l.amount,
            credit: Money::ZERO,
            memo: d.purpose.chars().take(100).collect(),
        },
        Line {
            account: bank.view(),
            debit: Money::ZERO,
            credit: l.amount,
            memo: String::new(),
        },
    ];
    post_dated(conn, village, l.business_date, &memo, lines)
}

/// Posts a reconciliation entry on the bank's business day, or today (its date in the memo)
/// when that month is closed.
fn post_dated(
    conn: &mut DbConnection,
    village: &Village,
    day: NaiveDate,
    memo: &str,
    lines: Vec<Line>,
) -> AppResult<crate::domain::ids::EntryId> {
    let mut proposed = ProposedEntry {
        village_id: village.id,
        entry_date: day,
        memo: memo.chars().take(180).collect(),
        lines,
    };
    let entry = match post(conn, village, &proposed, EntrySource::Statement, None, None) {
        Err(e) if e.is(ErrorCode::PeriodClosed) => {
            proposed.entry_date = period::business_date(period::now());
            proposed.memo = format!("{}，原日期 {day}", proposed.memo);
            post(conn, village, &proposed, EntrySource::Statement, None, None)?
        }
        other => other?,
    };
    Ok(entry.id)
}

/// Dr 211.9998 待查明支出 / Cr the account's 102 sub-account, dated the bank's business day (or
/// today, with the date in the memo, when that month is closed).
fn post_unexplained_debit(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    l: &StatementLine,
) -> AppResult<crate::domain::ids::EntryId> {
    let bank = LedgerAccount::by_id(conn, account.ledger_account_id)?;
    let suspense = unexplained_debits_account(conn, village, l.business_date)?;
    let who = l.counterparty_name.as_deref().unwrap_or("未列明");
    let memo = format!(
        "银行支出未见审批：付给 {who}，{}（流水 {}）",
        l.remark.as_deref().or(l.summary.as_deref()).unwrap_or("无附言"),
        l.serial.as_deref().unwrap_or("无")
    );
    let lines = vec![
        Line {
            account: suspense.view(),
            debit: l.amount,
            credit: Money::ZERO,
            memo: "待查明支出".into(),
        },
        Line {
            account: bank.view(),
            debit: Money::ZERO,
            credit: l.amount,
            memo: String::new(),
        },
    ];
    post_dated(conn, village, l.business_date, &memo, lines)
}

/// One thing reconciliation found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconItem {
    pub outcome: ReconOutcome,
    /// What the outcome means, in Chinese.
    pub label: String,
    pub critical: bool,
    pub rule: Option<MatchRule>,
    pub statement_line_id: Option<i64>,
    pub bank_transaction_id: Option<BankTransactionId>,
    /// The journal entry (by its number in the village) behind the money.
    pub entry_seq: Option<i64>,
    pub direction: Direction,
    #[schema(value_type = String)]
    pub amount: Money,
    /// The books' amount where it differs from the statement's.
    #[schema(value_type = Option<String>)]
    pub books_amount: Option<Money>,
    pub serial: Option<String>,
    pub counterparty: Option<String>,
    pub remark: Option<String>,
}

/// One business day of an account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayReport {
    pub date: NaiveDate,
    /// Whether a statement (a file or the bank's API) covering the day has been taken in; a day
    /// without one cannot be reconciled yet.
    pub statement_imported: bool,
    pub statement_lines: usize,
    /// The balance on the day's last statement line.
    #[schema(value_type = Option<String>)]
    pub statement_closing: Option<Money>,
    /// The books' balance of the account's 102 sub-account at the end of the day.
    #[schema(value_type = String)]
    pub books_closing: Money,
    /// Statement minus books, where the statement gives a balance and they differ.
    #[schema(value_type = Option<String>)]
    pub difference: Option<Money>,
    pub items: Vec<ReconItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconciliationReport {
    pub account_id: CorporateAccountId,
    /// Masked, as pages show it.
    pub account_no: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Outcomes counted over the range.
    pub counts: BTreeMap<String, usize>,
    pub critical: usize,
    pub days: Vec<DayReport>,
}

/// What reconciliation shows for an account and some days, derived from what is kept.
pub fn report(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    q: DaysQuery,
) -> AppResult<ReconciliationReport> {
    let q = q.check()?;
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let account = account_of(conn, &village, account)?;
        build_report(conn, &account, q)
    })
}

fn build_report(conn: &mut DbConnection, account: &CorporateAccount, q: DaysQuery) -> AppResult<ReconciliationReport> {
    let lines = StatementLine::of_days(conn, account.id, q.from, q.to)?;
    let matches: HashMap<i64, StatementMatch> = StatementMatch::of_days(conn, account.id, q.from, q.to)?
        .into_iter()
        .map(|m| (m.statement_line_id, m))
        .collect();
    // The books' credits a line of these days may be matched to (the matcher's window), in a
    // few set queries: which are matched, and the entries behind them.
    let window = BankTransaction::of_account_between(
        conn,
        account.id,
        utc_start(q.from - Duration::days(WINDOW_DAYS)),
        utc_start(q.to + Duration::days(WINDOW_DAYS + 1)),
    )?;
    let (day_start, day_end) = (utc_start(q.from), utc_start(q.to + Duration::days(1)));
    let ids: Vec<BankTransactionId> = window
        .iter()
        .filter(|t| t.paid_at >= day_start && t.paid_at < day_end)
        .map(|t| t.id)
        .collect();
    let matched_txns = StatementMatch::matched_transactions(conn, &ids)?;
    let all_txns: HashMap<BankTransactionId, BankTransaction> = window.into_iter().map(|t| (t.id, t)).collect();
    let txns: Vec<&BankTransaction> = ids.iter().filter_map(|id| all_txns.get(id)).collect();
    let seqs: HashMap<crate::domain::ids::EntryId, i64> = {
        let mut entry_ids: Vec<_> = matches.values().filter_map(|m| m.entry_id).collect();
        entry_ids.extend(all_txns.values().map(|t| t.entry_id));
        entry_ids.sort_unstable();
        entry_ids.dedup();
        journal::seqs_of(conn, &entry_ids)?
    };
    // Which days a statement covers, and broken statements (rows of imports touching these days).
    let imports: Vec<StatementImport> = StatementImport::of_account(conn, account.id, 10_000)?
        .into_iter()
        .filter(|i| i.last_date >= q.from && i.first_date <= q.to)
        .collect();
    let broken: Vec<(NaiveDate, i64, usize)> = imports
        .iter()
        .flat_map(|i| {
            let rows: Vec<usize> = serde_json::from_str(&i.broken_rows).unwrap_or_default();
            rows.into_iter().map(move |r| (i.first_date.max(q.from), i.id, r))
        })
        .collect();
    // The books' 102 balance at the end of each day.
    let daily = journal::daily_sums_of_account(conn, account.ledger_account_id, q.to)?;
    let closing = |day: NaiveDate| -> Money {
        daily
            .iter()
            .filter(|(d, _)| *d <= day)
            .fold(Money::ZERO, |acc, (_, s)| acc + s.debit - s.credit)
    };
    let today = period::business_date(period::now());
    let mut days = Vec::new();
    // Lines and the books' unmatched credits grouped by business day, once.
    let mut lines_by_day: BTreeMap<NaiveDate, Vec<&StatementLine>> = BTreeMap::new();
    for l in &lines {
        lines_by_day.entry(l.business_date).or_default().push(l);
    }
    let mut open_by_day: BTreeMap<NaiveDate, Vec<&BankTransaction>> = BTreeMap::new();
    for t in txns.iter().copied().filter(|t| !matched_txns.contains(&t.id)) {
        open_by_day
            .entry(period::business_date(Utc.from_utc_datetime(&t.paid_at)))
            .or_default()
            .push(t);
    }
    let mut day = q.from;
    while day <= q.to {
        let of_day: Vec<&StatementLine> = lines_by_day.remove(&day).unwrap_or_default();
        let mut items = Vec::new();
        for l in &of_day {
            let m = matches.get(&l.id);
            let txn = m.and_then(|m| m.bank_transaction_id).and_then(|id| all_txns.get(&id));
            let outcome = match m.map(|m| (m.rule, m.amount_differs)) {
                None if l.direction == Direction::Debit => ReconOutcome::UnexplainedDebit,
                None => ReconOutcome::StatementOnlyCredit,
                Some((_, true)) => ReconOutcome::AmountMismatch,
                Some((MatchRule::TakenIn, _)) => ReconOutcome::StatementOnlyCredit,
                Some((MatchRule::UnexplainedDebit, _)) => ReconOutcome::UnexplainedDebit,
                Some(_) => ReconOutcome::Matched,
            };
            items.push(ReconItem {
                outcome,
                label: outcome.label().to_string(),
                critical: outcome.critical(),
                rule: m.map(|m| m.rule),
                statement_line_id: Some(l.id),
                bank_transaction_id: txn.map(|t| t.id),
                entry_seq: m
                    .and_then(|m| m.entry_id)
                    .or(txn.map(|t| t.entry_id))
                    .and_then(|e| seqs.get(&e).copied()),
                direction: l.direction,
                amount: l.amount,
                books_amount: txn.filter(|t| t.amount != l.amount).map(|t| t.amount),
                serial: l.serial.clone(),
                counterparty: l.counterparty_name.clone(),
                remark: l.remark.clone(),
            });
        }
        // Credits of this day the statement does not show: pending until T+1 has passed.
        for t in open_by_day.remove(&day).unwrap_or_default() {
            let outcome = if today > day + Duration::days(1) {
                ReconOutcome::LedgerOnlyCredit
            } else {
                ReconOutcome::LedgerOnlyPending
            };
            items.push(ReconItem {
                outcome,
                label: outcome.label().to_string(),
                critical: outcome.critical(),
                rule: None,
                statement_line_id: None,
                bank_transaction_id: Some(t.id),
                entry_seq: seqs.get(&t.entry_id).copied(),
                direction: Direction::Credit,
                amount: t.amount,
                books_amount: None,
                serial: Some(t.provider_txn_id.clone()),
                counterparty: t.payer_masked.clone(),
                remark: t.reference.clone(),
            });
        }
        for (_, import, row) in broken.iter().filter(|(d, _, _)| *d == day) {
            items.push(ReconItem {
                outcome: ReconOutcome::BrokenStatement,
                label: format!("第 {import} 次导入的对账单第 {row} 行的余额与上一笔不连续"),
                critical: false,
                rule: None,
                statement_line_id: None,
                bank_transaction_id: None,
                entry_seq: None,
                direction: Direction::Credit,
                amount: Money::ZERO,
                books_amount: None,
                serial: None,
                counterparty: None,
                remark: None,
            });
        }
        let statement_closing = of_day.iter().rev().find_map(|l| l.balance);
        let books_closing = closing(day);
        let difference = statement_closing
            .filter(|s| *s != books_closing)
            .map(|s| s - books_closing);
        if let Some(diff) = difference {
            items.push(ReconItem {
                outcome: ReconOutcome::BalanceMismatch,
                label: format!("银行余额比账面多 {diff} 元"),
                critical: false,
                rule: None,
                statement_line_id: None,
                bank_transaction_id: None,
                entry_seq: None,
                direction: Direction::Credit,
                amount: diff,
                books_amount: Some(books_closing),
                serial: None,
                counterparty: None,
                remark: None,
            });
        }
        days.push(DayReport {
            date: day,
            statement_imported: imports.iter().any(|i| i.first_date <= day && i.last_date >= day),
            statement_lines: of_day.len(),
            statement_closing,
            books_closing,
            difference,
            items,
        });
        day += Duration::days(1);
    }
    let mut counts = BTreeMap::new();
    let mut critical = 0;
    for item in days.iter().flat_map(|d| &d.items) {
        *counts.entry(item.outcome.as_str().to_string()).or_insert(0) += 1;
        critical += usize::from(item.critical);
    }
    Ok(ReconciliationReport {
        account_id: account.id,
        account_no: masking::account_no(&account.account_no),
        from: q.from,
        to: q.to,
        counts,
        critical,
        days,
    })
}

/// The report as a table for XLSX or CSV: one row per outcome, amounts as numbers, serials and
/// entry numbers as text.
pub fn report_table(report: &ReconciliationReport) -> crate::usecases::exports::Table {
    use crate::usecases::exports::{Cell, Table};
    let text = |s: Option<&str>| Cell::Text(s.unwrap_or("").to_string());
    let mut rows = Vec::new();
    for day in &report.days {
        for i in &day.items {
            rows.push(vec![
                Cell::Text(day.date.to_string()),
                Cell::Text(i.label.clone()),
                text(i.rule.map(|r| r.label())),
                Cell::Text(if i.critical { "重点" } else { "" }.into()),
                Cell::Text(i.direction.label().into()),
                Cell::Money(i.amount),
                i.books_amount.map_or(Cell::Text(String::new()), Cell::Money),
                text(i.serial.as_deref()),
                text(i.counterparty.as_deref()),
                text(i.remark.as_deref()),
                text(i.entry_seq.map(|s| s.to_string()).as_deref()),
            ]);
        }
        rows.push(vec![
            Cell::Text(day.date.to_string()),
            Cell::Text("当日余额".into()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            day.statement_closing
                .map_or(Cell::Text("（无对账单余额）".into()), Cell::Money),
            Cell::Money(day.books_closing),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(
                if day.statement_imported {
                    ""
                } else {
                    "未导入对账单"
                }
                .into(),
            ),
            Cell::Text(String::new()),
        ]);
    }
    Table {
        name: "对账",
        header: vec![
            "日期",
            "结果",
            "规则",
            "重点",
            "收支",
            "金额",
            "账面金额",
            "流水号",
            "对方户名",
            "附言",
            "凭证号",
        ],
        rows,
    }
}
