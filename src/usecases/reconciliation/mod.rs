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
//!   the money out waits, visibly, to be explained: it is exactly 坐支 or 挪用 until it is;
//! - a provider's settlement (a credit from 财付通 or 支付宝 that adds up to days of a binding's
//!   payments waiting in clearing, or one naming the merchant) is first set against those days
//!   (N:1, `usecases::clearing`) and posted Dr 102 / Dr 手续费 / Cr the clearing account; those
//!   payments were never going to show singly on the statement, so they are not "ledger-only"
//!   credits.
//!
//! What it posts is in `postings`. [`report`] (`report.rs`) derives every outcome from what is
//! kept, without writing: matched (by rule),
//! amount mismatch, statement-only credit (taken in), ledger-only credit (critical after T+1),
//! unexplained debit (critical), a broken statement, and each day's closing balance on the
//! statement against the books' 102 sub-account.

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

use super::bookkeeping::post_in_open_month;
use super::callbacks::{post_credit, Applied};
use super::clearing;
use super::statements::account_of;
use super::{audit, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{BankTransactionId, CorporateAccountId};
use crate::domain::vocabulary::{Direction, EntrySource, MatchRule, ReconOutcome, Settlement};
use crate::domain::{masking, period, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::payments::allocation::find_reference;
use crate::reconcile::matcher::{self, Decision};
use crate::store::disbursements::Disbursement;
use crate::store::journal::{self, LedgerAccount};
use crate::store::payments::{BankTransaction, Binding};
use crate::store::registry::{CorporateAccount, Village};
use crate::store::settlements::{ClearingItem, SettlementBatch};
use crate::store::statements::{
    credits_in_window, unmatched_credits_in_window, CreditToMatch, LineToMatch, NewStatementMatch, StatementImport,
    StatementLineBrief as StatementLine, StatementMatch,
};
use crate::store::{Db, DbConnection};
use bank_adapters::{BankCredit, Provider};

/// Days a line's date may be from its credit's under the reference and amount rules.
pub const WINDOW_DAYS: i64 = 3;
/// The longest range one request reconciles or reports.
pub const MAX_DAYS: i64 = 62;
/// Days after a payment day within which its daily settlement may still come (T+1, and a
/// weekend or holiday the provider pays together); later it is missing.
pub const SETTLEMENT_DAYS: i64 = 3;

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
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RunCounts {
    /// Lines matched (to a credit, an approved disbursement, or a settlement).
    pub matched: usize,
    /// Credits the books never heard of, taken in.
    pub taken_in: usize,
    /// Debits with no approved payment, posted to 待查明支出.
    pub unexplained_debits: usize,
}

/// What one run decided, with the report of its days as it now stands.
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

/// The books' credits to the account that a line of these days could be, not yet matched and
/// not waiting in a provider's clearing account.
fn open_credits(conn: &mut DbConnection, account: &CorporateAccount, q: DaysQuery) -> AppResult<Vec<CreditToMatch>> {
    Ok(unmatched_credits_in_window(
        conn,
        account.id,
        utc_start(q.from - Duration::days(WINDOW_DAYS)),
        utc_start(q.to + Duration::days(WINDOW_DAYS + 1)),
    )?)
}

mod postings;
mod report;

/// Sets the open credit lines that are a provider's settlements against the days of payments
/// they pay for, and posts them; returns each such line with its entry and whether it adds up.
/// Two passes, so that a settlement that does not add up never takes the days of one that does:
/// first every line that adds up exactly, then the lines that name a merchant. A line whose
/// serial is a credit the books hold is that credit, never a settlement.
fn settle_lines<'l>(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    open: &[&'l LineToMatch],
    credits: &[CreditToMatch],
) -> AppResult<Vec<(&'l LineToMatch, crate::domain::ids::EntryId, bool)>> {
    let bindings = Binding::of_account(conn, account.id)?;
    let daily = bindings.iter().any(|b| b.settlement == Settlement::Daily);
    if !daily && !ClearingItem::any_of_account(conn, account.id)? {
        return Ok(Vec::new());
    }
    let mut days = clearing::OpenDays::load(conn, account)?;
    // A binding switched away from daily settlement still has its waiting payments settled.
    let settling: Vec<Binding> = bindings
        .into_iter()
        .filter(|b| b.settlement == Settlement::Daily || days.has(b.id))
        .collect();
    let known: std::collections::HashSet<&str> = credits.iter().map(|c| c.provider_txn_id.as_str()).collect();
    // A line that carries a bill reference is a payment of that bill (a villager's transfer
    // from their wallet), never a provider's payout.
    let lines: Vec<&LineToMatch> = open
        .iter()
        .copied()
        .filter(|l| {
            l.direction == Direction::Credit
                && !l.serial.as_deref().is_some_and(|s| known.contains(s))
                && l.remark.as_deref().is_none_or(|r| find_reference(r).is_none())
        })
        .collect();
    let mut done: Vec<(&'l LineToMatch, crate::domain::ids::EntryId, bool)> = Vec::new();
    for exact in [true, false] {
        for l in &lines {
            if done.iter().any(|(d, _, _)| d.id == l.id) {
                continue;
            }
            let candidates = clearing::candidates(&settling, l.counterparty_name.as_deref(), l.remark.as_deref());
            let credit = clearing::SettlementCredit {
                line_id: l.id,
                date: l.business_date,
                amount: l.amount,
                serial: l.serial.as_deref(),
                remark: l.remark.as_deref(),
            };
            let claim = if exact {
                clearing::exact_claim(&candidates, &days, &credit)
            } else {
                clearing::named_claim(&candidates, &days, &credit)
            };
            let Some((binding, batch)) = claim else {
                continue;
            };
            let (kept, adds_up) = clearing::settle(conn, village, account, binding, &mut days, &batch, &credit)?;
            done.push((*l, kept.entry_id, adds_up));
        }
    }
    Ok(done)
}

use postings::{post_disbursement, post_unexplained_debit, take_in};
pub use report::{report, report_table, DayReport, ReconItem, ReconciliationReport};

/// Reconciles an account's statement lines of some days; returns what it did and the report
/// (the accountant's request and page).
pub fn reconcile(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    q: DaysQuery,
    server_key: &[u8],
) -> AppResult<RunSummary> {
    let done = match_days(db, actor, village_code, account, q, server_key)?;
    Ok(RunSummary {
        matched: done.matched,
        taken_in: done.taken_in,
        unexplained_debits: done.unexplained_debits,
        report: report(db, actor, village_code, account, q)?,
    })
}

/// The matching and its postings for some days of an account, in one transaction under the
/// village's lock; what it decided, without the report.
pub fn match_days(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    q: DaysQuery,
    server_key: &[u8],
) -> AppResult<RunCounts> {
    let q = q.check()?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::Reconcile)?;
        let account = account_of(conn, &village, account)?;
        run_and_audit(conn, Some(actor), &village, &account, q, server_key)
    })
}

/// A run with the page cache bulk work gets, and its audit record (by a person, or the nightly
/// job), in the caller's transaction under the village's lock.
fn run_and_audit(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    village: &Village,
    account: &CorporateAccount,
    q: DaysQuery,
    server_key: &[u8],
) -> AppResult<RunCounts> {
    let done = crate::store::with_large_cache(conn, |conn| run(conn, village, account, q, server_key))?;
    audit(
        conn,
        actor,
        "statement.reconcile",
        "corporate_account",
        account.id,
        Some(village.id),
        serde_json::json!({"from": q.from, "to": q.to, "matched": done.matched, "taken_in": done.taken_in,
                           "unexplained_debits": done.unexplained_debits}),
    )?;
    Ok(done)
}

/// The nightly run: reconciles one account's day as the system (no person), after the job has
/// fetched that day's statement; audit-logged without an actor.
pub fn reconcile_as_system(
    db: &Db,
    village_code: &str,
    account: CorporateAccountId,
    day: NaiveDate,
    server_key: &[u8],
) -> AppResult<RunCounts> {
    let q = DaysQuery { from: day, to: day };
    db.write(|conn| {
        let village =
            Village::by_code(conn, village_code)?.ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?;
        crate::store::lock::lock_village(conn, village.id)?;
        let account = account_of(conn, &village, account)?;
        run_and_audit(conn, None, &village, &account, q, server_key)
    })
}

/// The matching and its actions, in the caller's transaction (which holds the village's lock).
fn run(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    q: DaysQuery,
    server_key: &[u8],
) -> AppResult<RunCounts> {
    let lines = LineToMatch::undecided_of_days(conn, account.id, q.from, q.to)?;
    let mut open: Vec<&LineToMatch> = lines.iter().collect();
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
    let now = period::now().naive_utc();
    let mut rows = Vec::new();
    // Settlements first: a provider's credit pays for days of payments held in clearing.
    let credits = open_credits(conn, account, q)?;
    let settled = settle_lines(conn, village, account, &open, &credits)?;
    let mut matched = 0;
    for (line, entry, adds_up) in &settled {
        matched += 1;
        rows.push(NewStatementMatch {
            village_id: village.id,
            corporate_account_id: account.id,
            statement_line_id: line.id,
            bank_transaction_id: None,
            entry_id: Some(*entry),
            rule: MatchRule::Settlement,
            amount_differs: !adds_up,
            business_date: line.business_date,
            created_at: now,
        });
    }
    open.retain(|l| !settled.iter().any(|(s, _, _)| s.id == l.id));
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
    let by_id: HashMap<i64, &LineToMatch> = open.iter().map(|l| (l.id, *l)).collect();
    // The lines a decision posts are opened whole: their evidence goes into the entry.
    let posted: Vec<i64> = decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Pair { .. } => None,
            Decision::TakeIn { line } | Decision::Paid { line, .. } | Decision::UnexplainedDebit { line } => {
                Some(*line)
            }
        })
        .collect();
    let whole: HashMap<i64, StatementLine> = StatementLine::by_ids(conn, &posted)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let (mut taken_in, mut debits) = (0, 0);
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
                let Some((txn, entry)) = take_in(conn, village, account, &whole[&line], server_key)? else {
                    continue;
                };
                taken_in += 1;
                (l, Some(txn), Some(entry), MatchRule::TakenIn, false)
            }
            Decision::Paid { line, payout } => {
                let l = by_id[&line];
                let d = &payouts[&payout];
                let entry = post_disbursement(conn, village, account, &whole[&line], d)?;
                if !Disbursement::mark_paid(conn, d.id, l.id, entry)? {
                    return Err(AppError::Retry(format!("disbursement {} changed meanwhile", d.id)));
                }
                matched += 1;
                (l, None, Some(entry), MatchRule::Disbursement, false)
            }
            Decision::UnexplainedDebit { line } => {
                let l = by_id[&line];
                let entry = post_unexplained_debit(conn, village, account, &whole[&line])?;
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
    crate::store::statements::refresh_statistics(conn, crate::store::statements::Grown::Matches, rows.len())?;
    crate::store::statements::refresh_statistics(conn, crate::store::statements::Grown::Credits, taken_in)?;
    Ok(RunCounts {
        matched,
        taken_in,
        unexplained_debits: debits,
    })
}
