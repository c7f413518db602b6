//! The books of a village: manual entries and their reversals, month close, the accounts with
//! their balances, the trial balance, and the signed chain head.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{audit, input, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::UserId;
use crate::domain::EntryId;
use crate::domain::{period, EntrySource, Money, Period};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chain;
use crate::ledger::chart;
use crate::ledger::entry::{self, Line, ProposedEntry};
use crate::ledger::trial_balance::{self, AccountSums, TrialBalance};
use crate::store::journal::{self, Entry, LedgerAccount, PostingRequest};
use crate::store::registry::Village;
use crate::store::{Db, DbConnection, Page};

#[derive(Debug, Deserialize, ToSchema)]
pub struct LineInput {
    pub account_code: String,
    #[schema(value_type = Option<String>, example = "1200.00")]
    pub debit: Option<Money>,
    #[schema(value_type = Option<String>)]
    pub credit: Option<Money>,
    pub memo: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewEntryInput {
    /// The business date of the entry, YYYY-MM-DD.
    pub entry_date: String,
    pub memo: String,
    pub lines: Vec<LineInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReverseInput {
    /// Why the entry is reversed.
    pub reason: String,
    /// Date of the reversal; today (Asia/Shanghai) when absent.
    pub entry_date: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub line_no: i32,
    pub account_code: String,
    pub account_name: String,
    #[schema(value_type = String)]
    pub debit: Money,
    #[schema(value_type = String)]
    pub credit: Money,
    pub memo: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    /// The entry's number in its village's journal (gapless).
    pub seq: i64,
    pub entry_date: NaiveDate,
    pub period: String,
    pub memo: String,
    pub source: EntrySource,
    /// The entry this one reverses.
    pub reverses_seq: Option<i64>,
    /// The entry that reverses this one, in whatever month it was posted.
    pub reversed_by_seq: Option<i64>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// This entry's link in the village's SHA-256 chain.
    pub hash: String,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountBalanceView {
    pub code: String,
    pub name: String,
    pub chart_version: String,
    pub category: String,
    pub normal_side: String,
    pub parent_code: Option<String>,
    pub postable: bool,
    pub active: bool,
    #[schema(value_type = String)]
    pub debit_total: Money,
    #[schema(value_type = String)]
    pub credit_total: Money,
    /// Debit-positive balance (a credit balance is negative).
    #[schema(value_type = String)]
    pub balance: Money,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedPeriodView {
    pub period: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainHeadView {
    pub village_code: String,
    /// Number of entries in the chain.
    pub seq: i64,
    pub hash: String,
    pub signed_on: NaiveDate,
    /// HMAC-SHA256 under the server key over `qz-head-v1|village|seq|hash|date`.
    pub signature: String,
}

fn entry_views(conn: &mut DbConnection, entries: Vec<Entry>) -> AppResult<Vec<EntryView>> {
    let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
    let mut postings = Entry::postings_of(conn, &ids)?.into_iter().peekable();
    let reversed_by: std::collections::HashMap<EntryId, i64> = Entry::reversals_of(conn, &ids)?.into_iter().collect();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let mut lines = Vec::new();
        while let Some((p, _, _)) = postings.peek() {
            if p.entry_id != e.id {
                break;
            }
            let (p, code, name) = postings.next().expect("peeked");
            lines.push(LineView {
                line_no: p.line_no,
                account_code: code,
                account_name: name,
                debit: p.debit,
                credit: p.credit,
                memo: p.memo,
            });
        }
        let reverses_seq = match e.reverses_entry_id {
            Some(id) => Some(Entry::by_id(conn, id)?.seq),
            None => None,
        };
        out.push(EntryView {
            seq: e.seq,
            entry_date: e.entry_date,
            period: e.period,
            memo: e.memo,
            source: e.source,
            reverses_seq,
            reversed_by_seq: reversed_by.get(&e.id).copied(),
            created_by: e.created_by,
            created_at: e.created_at.and_utc(),
            hash: e.hash,
            lines,
        });
    }
    Ok(out)
}

/// Resolves account codes to the village's accounts of the chart in force on `date`.
fn resolve_lines(
    conn: &mut DbConnection,
    village: &Village,
    date: NaiveDate,
    lines: &[LineInput],
) -> AppResult<Vec<Line>> {
    let version = chart::version_for(date).ok_or(AppError::from(entry::EntryError::NoChart(date)))?;
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let field = format!("lines[{i}].account_code");
        let code = l.account_code.trim();
        let account = LedgerAccount::by_code(conn, village.id, version.id, code)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::EntryAccountUnknown,
                format!("第 {} 行：本村在《{}》的科目中没有“{code}”。", i + 1, version.name),
            )
            .at(field.clone())
        })?;
        let memo = input::optional_text(&format!("lines[{i}].memo"), l.memo.as_deref(), 200)?.unwrap_or_default();
        out.push(Line {
            account: account.view(),
            debit: l.debit.unwrap_or(Money::ZERO),
            credit: l.credit.unwrap_or(Money::ZERO),
            memo,
        });
    }
    Ok(out)
}

/// A fixed sub-account of the chart in force on `day` (211.9998 待查明支出, 112.9901 微信支付待结算,
/// …), opened in the village's books the first time it is needed, under its parent's category
/// and side.
pub(crate) fn fixed_account(
    conn: &mut DbConnection,
    village: &Village,
    day: NaiveDate,
    code: &'static str,
    name: &'static str,
) -> AppResult<LedgerAccount> {
    let version = chart::version_for(day).ok_or_else(|| AppError::Internal(format!("no chart on {day}")))?;
    if let Some(a) = LedgerAccount::by_code(conn, village.id, version.id, code)? {
        return Ok(a);
    }
    let parent = version
        .accounts
        .iter()
        .find(|a| code.starts_with(&format!("{}.", a.code)))
        .ok_or_else(|| AppError::Internal(format!("chart {} has no parent of {code}", version.id)))?;
    Ok(LedgerAccount::insert(
        conn,
        &journal::NewLedgerAccount {
            village_id: village.id,
            chart_version: version.id,
            code,
            name,
            category: parent.category.as_str(),
            normal_side: parent.normal_side.as_str(),
            parent_code: Some(parent.code),
            postable: true,
            active: true,
            created_at: period::now().naive_utc(),
        },
    )?)
}

/// The village's accounts of today's chart that take postings and that a person may book money
/// to (`chart::is_booking_account`): a payment's expense, a transfer out of suspense.
pub(crate) fn bookable_accounts(
    conn: &mut DbConnection,
    village: crate::domain::ids::VillageId,
) -> AppResult<Vec<LedgerAccount>> {
    let today = period::business_date(period::now());
    let version = chart::version_for(today).ok_or_else(|| AppError::Internal(format!("no chart on {today}")))?;
    Ok(LedgerAccount::of_village(conn, village)?
        .into_iter()
        .filter(|a| a.chart_version == version.id && a.postable && a.active && chart::is_booking_account(&a.code))
        .collect())
}

/// One of `bookable_accounts`, by its code.
pub(crate) fn bookable_account(
    conn: &mut DbConnection,
    village: crate::domain::ids::VillageId,
    code: &str,
) -> AppResult<Option<LedgerAccount>> {
    let today = period::business_date(period::now());
    let version = chart::version_for(today).ok_or_else(|| AppError::Internal(format!("no chart on {today}")))?;
    if !chart::is_booking_account(code) {
        return Ok(None);
    }
    Ok(LedgerAccount::by_code(conn, village, version.id, code)?.filter(|a| a.postable && a.active))
}

/// Posts an entry of money the bank moved on its own date, or, when that month is closed, in
/// the open month with its own date in the memo (DESIGN.md §5 rule 4): a late credit from a
/// callback, a line of the bank's statement. The check is pure, so a refusal wrote nothing.
pub(crate) fn post_in_open_month(
    conn: &mut DbConnection,
    village: &Village,
    mut proposed: ProposedEntry,
    source: EntrySource,
) -> AppResult<Entry> {
    match post(conn, village, &proposed, source, None, None) {
        Err(e) if e.is(ErrorCode::PeriodClosed) => {
            let day = proposed.entry_date;
            proposed.entry_date = period::business_date(period::now());
            proposed.memo = format!("{}，原日期 {day}", proposed.memo);
            post(conn, village, &proposed, source, None, None)
        }
        other => other,
    }
}

/// Checks and appends one entry; the single path every posting takes (manual entries,
/// reversals, and later payments and cash).
pub(crate) fn post(
    conn: &mut DbConnection,
    village: &Village,
    proposed: &ProposedEntry,
    source: EntrySource,
    reverses: Option<(EntryId, i64)>,
    created_by: Option<UserId>,
) -> AppResult<Entry> {
    let period = Period::of(proposed.entry_date);
    let closed = journal::is_closed(conn, village.id, period)?;
    entry::check(proposed, |p| p == period && closed)?;
    let request = PostingRequest {
        village_id: village.id,
        village_code: &village.code,
        entry_date: proposed.entry_date,
        memo: proposed.memo.trim(),
        source,
        reverses,
        created_by,
        lines: &proposed.lines,
    };
    Ok(journal::append(conn, &request, period::now())?)
}

pub fn post_entry(db: &Db, actor: &Actor, village_code: &str, input: NewEntryInput) -> AppResult<EntryView> {
    let date = input::date("entry_date", &input.entry_date)?;
    let memo = input.memo.trim().to_string();
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::PostEntries)?;
        let lines = resolve_lines(conn, &village, date, &input.lines)?;
        // 101 is the clerks' cash not yet banked; only cash taken, paid in or voided moves it,
        // so that it always equals what the cash records say (verify checks it).
        if let Some(i) = lines.iter().position(|l| chart::is_cash(&l.account.code)) {
            return Err(AppError::code(ErrorCode::EntryCashReserved).at(format!("lines[{i}].account_code")));
        }
        // 211.9999 holds credits nobody has placed yet; every fen that leaves it names its
        // credit (placement, refund, pay-in, transfer), so a refund or a transfer can never take
        // money a hand entry already moved.
        if let Some(i) = lines.iter().position(|l| l.account.code == chart::SUSPENSE_CODE) {
            return Err(AppError::code(ErrorCode::EntrySuspenseReserved).at(format!("lines[{i}].account_code")));
        }
        let out: Vec<(String, Money)> = lines
            .iter()
            .map(|l| (l.account.code.clone(), l.credit - l.debit))
            .collect();
        clearing_write_off(conn, &village, &out).map_err(|e| {
            let i = lines
                .iter()
                .position(|l| chart::is_clearing(&l.account.code))
                .unwrap_or(0);
            e.at(format!("lines[{i}].account_code"))
        })?;
        let proposed = ProposedEntry {
            village_id: village.id,
            entry_date: date,
            memo: memo.clone(),
            lines,
        };
        let e = post(
            conn,
            &village,
            &proposed,
            EntrySource::Manual,
            None,
            Some(actor.user_id),
        )?;
        audit(
            conn,
            Some(actor),
            "entry.post",
            "entry",
            e.seq,
            Some(village.id),
            serde_json::json!({ "seq": e.seq, "hash": e.hash }),
        )?;
        Ok(entry_views(conn, vec![e])?.remove(0))
    })
}

pub fn reverse_entry(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    seq: i64,
    input: ReverseInput,
) -> AppResult<EntryView> {
    let reason = input::text("reason", &input.reason, 150)?;
    let date = match input.entry_date.as_deref() {
        Some(d) => input::date("entry_date", d)?,
        None => period::business_date(period::now()),
    };
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::PostEntries)?;
        let original = Entry::by_seq(conn, village.id, seq)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::EntryNotFound,
                format!("本村（{}）没有第 {seq} 号凭证。", village.code),
            )
        })?;
        // An entry that a receipt, a cash record or a pay-in rests on is corrected through
        // them (a void reverses cash still on hand), never behind their back: the books and
        // the receipts would no longer agree.
        if !original.source.reversible_by_hand() {
            let instead = match original.source {
                EntrySource::Placement => "认错了账单时，请在“待查明款项”页的“已认领”里撤销认领",
                EntrySource::Transfer => {
                    "查明转出不能撤销；转错了科目时，请另做一张凭证在两个科目之间调整（不经过待查明款项）"
                }
                _ => "请作废并重开对应的收据",
            };
            return Err(AppError::new(
                ErrorCode::EntryBacksMoney,
                if original.source.by_a_person() {
                    format!(
                        "第{seq}号凭证记的是{}，不能直接冲销；{instead}",
                        original.source.label()
                    )
                } else {
                    format!(
                        "第{seq}号凭证是{}自动生成的，不能直接冲销；{instead}",
                        original.source.label()
                    )
                },
            )
            .at("seq"));
        }
        // A reversal takes out of each account what its original put in.
        let out: Vec<(String, Money)> = journal::Entry::postings_of(conn, &[original.id])?
            .into_iter()
            .map(|(p, code, _)| (code, p.debit - p.credit))
            .collect();
        clearing_write_off(conn, &village, &out).map_err(|e| e.at("seq"))?;
        let e = reverse(conn, &village, &original, &reason, date, actor.user_id)?;
        audit(
            conn,
            Some(actor),
            "entry.reverse",
            "entry",
            e.seq,
            Some(village.id),
            serde_json::json!({ "reverses": seq, "reason": reason }),
        )?;
        Ok(entry_views(conn, vec![e])?.remove(0))
    })
}

/// 112.990x holds payments waiting for their provider's settlement. A hand entry (or the hand
/// reversal of one) may write off what settlements left there by paying short, never more: not
/// a waiting payment's money, nor what a settlement that paid too much already took. `out` is
/// what the entry takes out of each account (credit minus debit); checked under the village's
/// lock, reading clearing only when the entry takes something out of it.
fn clearing_write_off(conn: &mut DbConnection, village: &Village, out: &[(String, Money)]) -> AppResult<()> {
    if !out.iter().any(|(code, m)| chart::is_clearing(code) && *m > Money::ZERO) {
        return Ok(());
    }
    for c in crate::store::books::clearing_facts(conn, village.id)? {
        let taken: Money = out.iter().filter(|(code, _)| *code == c.code).map(|(_, m)| *m).sum();
        if taken > Money::ZERO && c.written_off() + taken > c.left_short {
            let free = (c.left_short - c.written_off()).max(Money::ZERO);
            return Err(AppError::new(
                ErrorCode::EntryClearingShort,
                format!(
                    "待结算科目 {} 里是等待支付机构结算的收款：手工凭证只能核销结算少到账留下的差额，现在最多还能转出 {free}。",
                    c.code
                ),
            ));
        }
    }
    Ok(())
}

/// Posts the reversal of `original` (once, never of a reversal), in the caller's transaction.
pub(crate) fn reverse(
    conn: &mut DbConnection,
    village: &Village,
    original: &Entry,
    reason: &str,
    date: chrono::NaiveDate,
    user_id: UserId,
) -> AppResult<Entry> {
    let seq = original.seq;
    if original.reverses_entry_id.is_some() {
        return Err(AppError::new(
            ErrorCode::EntryIsReversal,
            format!("第 {seq} 号凭证本身是冲销凭证，不能再冲销；请另做一张新凭证。"),
        ));
    }
    if let Some(r) = Entry::reversal_of(conn, original.id)? {
        return Err(AppError::new(
            ErrorCode::EntryAlreadyReversed,
            format!("第 {seq} 号凭证已由第 {} 号凭证冲销过。", r.seq),
        ));
    }
    let postings = Entry::postings_of(conn, &[original.id])?;
    let accounts = LedgerAccount::of_village(conn, village.id)?;
    let mut lines = Vec::with_capacity(postings.len());
    for (p, _, _) in postings {
        let account = accounts
            .iter()
            .find(|a| a.id == p.account_id)
            .ok_or_else(|| AppError::Internal(format!("account {} of entry {seq} missing", p.account_id)))?;
        lines.push(Line {
            account: account.view(),
            debit: p.debit,
            credit: p.credit,
            memo: p.memo,
        });
    }
    let memo = format!("冲销第{seq}号凭证（原日期 {}）：{reason}", original.entry_date);
    let proposed = ProposedEntry {
        village_id: village.id,
        entry_date: date,
        memo,
        lines: entry::reversal_lines(&lines),
    };
    post(
        conn,
        village,
        &proposed,
        EntrySource::Reversal,
        Some((original.id, original.seq)),
        Some(user_id),
    )
    .map_err(super::on_unique(
        ErrorCode::EntryAlreadyReversed,
        format!("第 {seq} 号凭证已经冲销过。"),
        "seq",
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntryQuery {
    /// Only entries of this month, YYYY-MM.
    pub period: Option<String>,
    /// Entries after this sequence number (paging).
    pub after_seq: Option<i64>,
    pub limit: Option<i64>,
}

pub fn list_entries(db: &Db, actor: &Actor, village_code: &str, q: EntryQuery) -> AppResult<Vec<EntryView>> {
    let period = match q.period.as_deref() {
        Some(p) => Some(
            Period::parse(p)
                .map_err(|e| AppError::new(ErrorCode::PeriodInvalid, e.to_string()).at("period"))?
                .to_string(),
        ),
        None => None,
    };
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let entries = Entry::list(conn, village.id, period.as_deref(), Page::new(q.after_seq, q.limit))?;
        entry_views(conn, entries)
    })
}

pub fn get_entry(db: &Db, actor: &Actor, village_code: &str, seq: i64) -> AppResult<EntryView> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let e = Entry::by_seq(conn, village.id, seq)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::EntryNotFound,
                format!("本村（{}）没有第 {seq} 号凭证。", village.code),
            )
        })?;
        Ok(entry_views(conn, vec![e])?.remove(0))
    })
}

pub fn list_accounts(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<AccountBalanceView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok(LedgerAccount::with_balances(conn, village.id)?
            .into_iter()
            .map(|(a, d, c)| AccountBalanceView {
                code: a.code,
                name: a.name,
                chart_version: a.chart_version,
                category: a.category,
                normal_side: a.normal_side,
                parent_code: a.parent_code,
                postable: a.postable,
                active: a.active,
                debit_total: d,
                credit_total: c,
                balance: d - c,
            })
            .collect())
    })
}

/// Closes a month that has ended: no entry may be dated in it afterwards.
fn already_closed(p: Period) -> AppError {
    AppError::new(
        ErrorCode::PeriodAlreadyClosed,
        format!("{} 已经结过账。", crate::domain::schedule::shown_period(&p.to_string())),
    )
    .at("period")
}

pub fn close_period(db: &Db, actor: &Actor, village_code: &str, period_text: &str) -> AppResult<ClosedPeriodView> {
    let p =
        Period::parse(period_text).map_err(|e| AppError::new(ErrorCode::PeriodInvalid, e.to_string()).at("period"))?;
    let today = period::business_date(period::now());
    if p.next().first_day() > today {
        return Err(AppError::new(
            ErrorCode::PeriodNotEnded,
            format!(
                "{} 还没有结束，{} 起才能结账。",
                crate::domain::schedule::shown_period(&p.to_string()),
                p.next().first_day()
            ),
        )
        .at("period"));
    }
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ClosePeriods)?;
        if journal::is_closed(conn, village.id, p)? {
            return Err(already_closed(p));
        }
        journal::close_period(conn, village.id, p, Some(actor.user_id), period::now())
            .map_err(AppError::from)
            .map_err(|e| {
                if e.is(ErrorCode::AlreadyExists) {
                    already_closed(p)
                } else {
                    e
                }
            })?;
        audit(
            conn,
            Some(actor),
            "period.close",
            "period",
            p,
            Some(village.id),
            serde_json::json!({}),
        )?;
        Ok(ClosedPeriodView { period: p.to_string() })
    })
}

pub fn list_closed_periods(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<ClosedPeriodView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok(journal::closed_periods(conn, village.id)?
            .into_iter()
            .map(|period| ClosedPeriodView { period })
            .collect())
    })
}

/// The trial balance of a village for one month, derived from the postings.
pub fn trial_balance(db: &Db, actor: &Actor, village_code: &str, period_text: &str) -> AppResult<TrialBalance> {
    let p =
        Period::parse(period_text).map_err(|e| AppError::new(ErrorCode::PeriodInvalid, e.to_string()).at("period"))?;
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        trial_balance_between(conn, village.id, p.first_day(), p.next().first_day())
    })
}

/// The trial balance of the days from `from` up to (not including) `until`, in the caller's
/// transaction: every account of the chart in force at `from`, and any other with a balance.
pub fn trial_balance_between(
    conn: &mut DbConnection,
    village: crate::domain::ids::VillageId,
    from: NaiveDate,
    until: NaiveDate,
) -> AppResult<TrialBalance> {
    let before = journal::sums_by_account(conn, village, None, Some(from))?;
    let during = journal::sums_by_account(conn, village, Some(from), Some(until))?;
    let accounts = LedgerAccount::of_village(conn, village)?;
    let version = chart::version_for(from).map(|v| v.id);
    let leaves: Vec<AccountSums> = accounts
        .iter()
        .filter(|a| a.postable)
        .filter_map(|a| {
            let b = before
                .iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, s)| *s)
                .unwrap_or_default();
            let d = during
                .iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, s)| *s)
                .unwrap_or_default();
            let in_chart = Some(a.chart_version.as_str()) == version;
            (in_chart || b != Default::default() || d != Default::default()).then(|| AccountSums {
                code: a.code.clone(),
                name: a.name.clone(),
                before: b,
                during: d,
            })
        })
        .collect();
    let parents: Vec<(String, String)> = accounts
        .iter()
        .filter(|a| !a.postable)
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    Ok(trial_balance::build(leaves, &parents))
}

/// The village's chain head, signed with the server key, to publish.
pub fn chain_head(db: &Db, actor: &Actor, village_code: &str, key: &[u8]) -> AppResult<ChainHeadView> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        signed_head(conn, &village, key)
    })
}

/// A village's chain head signed today, in the caller's transaction (the accountant's request,
/// and the public village page, which anyone may read).
pub fn signed_head(conn: &mut DbConnection, village: &Village, key: &[u8]) -> AppResult<ChainHeadView> {
    let (seq, hash) = journal::head(conn, village.id)?;
    let signed_on = period::business_date(period::now());
    let signature = chain::sign_head(key, &village.code, seq, &hash, signed_on);
    Ok(ChainHeadView {
        village_code: village.code.clone(),
        seq,
        hash,
        signed_on,
        signature,
    })
}
