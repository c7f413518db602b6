//! `qingzhang import-history FILE`: a file of dated events replayed through the same use cases
//! the API calls, in order, each at its own time, all or nothing.
//!
//! A village adopting the service brings its past year from its old books this way, and anyone
//! can build a test county without touching the database. The format (docs/history.md): one
//! JSON object per line, `{"at": "2026-03-05 10:00", "as": "clerk_a", "village": "370725102201",
//! "event": "cash", "data": {…the API's request body…}, "name": "c1"}`. `name` keeps what the
//! event made (an id, a bill reference, a receipt number) so later lines can say `"@c1"`.
//!
//! The whole file runs in one transaction (`Db::all_or_nothing`): if one event is refused,
//! nothing is kept and the refusal names the line. Times must not go backwards nor lie in the
//! future; blank lines and lines starting with `#` are skipped.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{access, billing, bookkeeping, cash, disbursements, receipts, reconciliation, statements};
use crate::domain::access::Actor;
use crate::domain::ids::{CorporateAccountId, PayInId};
use crate::domain::{period, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::reconcile::profile::Profiles;
use crate::store::registry::{CorporateAccount, Village};
use crate::store::Db;

/// The most events one file may hold.
pub const MAX_EVENTS: usize = 1_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    at: String,
    #[serde(default, rename = "as")]
    by: Option<String>,
    village: String,
    event: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Replayed {
    pub events: usize,
    /// Events per kind, in the order first seen.
    pub by_event: Vec<(String, usize)>,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
}

/// A bank credit as the history gives it (the bank's or gateway's notification, already
/// verified by the old books).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditEvent {
    /// The corporate account's number the money reached.
    account_no: String,
    #[serde(default = "rural_bank")]
    provider: bank_adapters::Provider,
    txn_id: String,
    amount: String,
    #[serde(default)]
    payer: Option<String>,
    /// The bill reference the payment carried.
    #[serde(default)]
    reference: Option<String>,
}

fn rural_bank() -> bank_adapters::Provider {
    bank_adapters::Provider::RuralBank
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchEvent {
    pay_in: i64,
    bank_transaction: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VoidEvent {
    number: String,
    #[serde(flatten)]
    input: receipts::VoidInput,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelEvent {
    reference: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideEvent {
    id: i64,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementEvent {
    account_no: String,
    #[serde(default)]
    file_name: String,
    /// The statement file's text (CSV as the bank exports it).
    content: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReconcileEvent {
    account_no: String,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseEvent {
    period: String,
}

/// "2026-03-05 10:00", "2026-03-05 10:00:00" (Beijing time) or RFC 3339.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .map(period::from_beijing)
}

/// What `@name`, or `@name/key/…` inside what an event made (a key may itself be `@name`),
/// stands for.
fn lookup(path: &str, names: &HashMap<String, Value>) -> Result<Value, String> {
    let mut parts = path.split('/');
    let first = parts.next().unwrap_or_default();
    let mut value = names
        .get(first)
        .cloned()
        .ok_or_else(|| format!("no earlier event is named @{first}"))?;
    for key in parts {
        let key = match key.strip_prefix('@') {
            Some(name) => match lookup(name, names)? {
                Value::String(s) => s,
                other => other.to_string(),
            },
            None => key.to_string(),
        };
        value = value
            .get(&key)
            .cloned()
            .ok_or_else(|| format!("@{path}: nothing under “{key}”"))?;
    }
    Ok(value)
}

/// Replaces every `"@name"` (or `"@name/key"`) in the event's data by what the named event made
/// (`"@@…"` is a literal `@…`).
fn resolve(value: Value, names: &HashMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) if s.starts_with("@@") => Value::String(s[1..].to_string()),
        Value::String(s) if s.starts_with('@') => lookup(&s[1..], names)?,
        Value::Array(items) => Value::Array(items.into_iter().map(|v| resolve(v, names)).collect::<Result<_, _>>()?),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| Ok((k, resolve(v, names)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other,
    })
}

fn data<T: DeserializeOwned>(v: Value) -> AppResult<T> {
    serde_json::from_value(v).map_err(|e| AppError::new(ErrorCode::HistoryInvalid, format!("data: {e}")))
}

fn account(db: &Db, village: &str, account_no: &str) -> AppResult<CorporateAccountId> {
    db.read(|conn| {
        let v = Village::by_code(conn, village.trim())?.ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?;
        CorporateAccount::by_account_no(conn, account_no.trim())?
            .filter(|a| a.village_id == v.id)
            .map(|a| a.id)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::AccountNotFound,
                    format!("本村没有账号为 {account_no} 的对公账户。"),
                )
            })
    })
}

/// Replays one event; returns what it made, for `name`.
fn replay(db: &Db, key: &[u8], profiles: &Profiles, actor: Option<&Actor>, line: Line) -> AppResult<Value> {
    let need = || actor.ok_or_else(|| AppError::new(ErrorCode::HistoryInvalid, "这个事件要写明经办人（\"as\"）。"));
    let v = line.village.as_str();
    let d = line.data;
    Ok(match line.event.as_str() {
        "payer" => serde_json::json!(billing::create_payer(db, need()?, v, data(d)?)?.id),
        "fee_item" => serde_json::json!(billing::create_fee_item(db, need()?, v, data(d)?)?.id),
        "contract" => serde_json::json!(billing::create_contract(db, need()?, v, data(d)?)?.id),
        "bill" => serde_json::json!(billing::create_bill(db, need()?, v, data(d)?)?.reference),
        "generate_bills" => {
            // {contract id: {installment: bill reference}}
            let mut made = serde_json::Map::new();
            for b in billing::generate_bills(db, need()?, v, data(d)?)?.created {
                let by_contract = made
                    .entry(b.contract_id.unwrap_or_default().to_string())
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(m) = by_contract {
                    m.insert(b.period_label, Value::String(b.reference));
                }
            }
            Value::Object(made)
        }
        "cancel_bill" => {
            let e: CancelEvent = data(d)?;
            let input = billing::CancelBillInput { reason: e.reason };
            serde_json::json!(billing::cancel_bill(db, need()?, v, &e.reference, input)?.reference)
        }
        "credit" => {
            let e: CreditEvent = data(d)?;
            let amount = Money::parse_positive(&e.amount)
                .map_err(|err| AppError::new(ErrorCode::AmountInvalid, err.to_string()).at("amount"))?;
            let account = account(db, v, &e.account_no)?;
            let credit = bank_adapters::BankCredit {
                provider: e.provider,
                provider_txn_id: e.txn_id,
                account_ref: e.account_no,
                amount,
                paid_at: period::now(),
                payer_masked: e.payer.as_deref().map(crate::domain::masking::person_name),
                reference: e.reference,
            };
            match super::callbacks::apply_imported(db, v, account, &credit, key)? {
                super::callbacks::Applied::Posted { bank_transaction_id, .. } => serde_json::json!(bank_transaction_id),
                super::callbacks::Applied::Duplicate { .. } => {
                    return Err(AppError::new(
                        ErrorCode::HistoryInvalid,
                        format!("银行交易 {} 已经入账过。", credit.provider_txn_id),
                    ))
                }
            }
        }
        "cash" => serde_json::json!(cash::record_cash(db, key, need()?, v, data(d)?)?.number),
        "claim" => serde_json::json!(cash::claim_payment(db, key, need()?, v, data(d)?)?.number),
        "pay_in" => serde_json::json!(cash::declare_pay_in(db, need()?, v, data(d)?)?.id),
        "match_pay_in" => {
            let e: MatchEvent = data(d)?;
            let input = cash::MatchInput { bank_transaction_id: crate::domain::BankTransactionId(e.bank_transaction) };
            serde_json::json!(cash::match_pay_in(db, need()?, v, PayInId(e.pay_in), input)?.id)
        }
        "void" => {
            let e: VoidEvent = data(d)?;
            let out = receipts::void_receipt(db, key, need()?, v, &e.number, e.input)?;
            serde_json::json!(out.reissued.map_or(out.voided.number, |r| r.number))
        }
        "disbursement" => serde_json::json!(disbursements::request(db, need()?, v, data(d)?)?.id),
        "approve" | "reject" => {
            let e: DecideEvent = data(d)?;
            let decision = disbursements::DecisionInput { note: e.note };
            serde_json::json!(disbursements::decide(db, need()?, v, e.id, line.event == "approve", decision)?.id)
        }
        "entry" => serde_json::json!(bookkeeping::post_entry(db, need()?, v, data(d)?)?.seq),
        "close_period" => {
            let e: CloseEvent = data(d)?;
            serde_json::json!(bookkeeping::close_period(db, need()?, v, &e.period)?.period)
        }
        "statement" => {
            let e: StatementEvent = data(d)?;
            let account = account(db, v, &e.account_no)?;
            let name = if e.file_name.is_empty() { "history.csv".to_string() } else { e.file_name };
            let r = statements::import_file(db, need()?, v, account, &name, e.content.as_bytes(), profiles)?;
            serde_json::json!(r.lines_new)
        }
        "reconcile" => {
            let e: ReconcileEvent = data(d)?;
            let account = account(db, v, &e.account_no)?;
            let q = reconciliation::DaysQuery { from: e.from, to: e.to };
            serde_json::json!(reconciliation::match_days(db, need()?, v, account, q, key)?.matched)
        }
        other => {
            return Err(AppError::new(
                ErrorCode::HistoryInvalid,
                format!(
                    "没有“{other}”这种事件；可用的有 payer、fee_item、contract、bill、generate_bills、cancel_bill、credit、cash、claim、pay_in、match_pay_in、void、disbursement、approve、reject、entry、close_period、statement、reconcile。"
                ),
            ))
        }
    })
}

/// Replays a history file whole, or refuses it naming the line.
pub fn import(db: &Db, key: &[u8], profiles: &Profiles, text: &str) -> AppResult<Replayed> {
    db.all_or_nothing(|db| replay_file(db, key, profiles, text))
}

/// Replays a history file as [`import`] does, but commits each event on its own: a refused
/// event stops the replay and the events before it are kept. For loading a large generated
/// history into PostgreSQL (the benchmark's county): in one transaction every update of a chain
/// head or counter leaves a row version that each later update of that row steps over, so a
/// file of thousands of events slows down with its length.
pub fn import_event_by_event(db: &Db, key: &[u8], profiles: &Profiles, text: &str) -> AppResult<Replayed> {
    replay_file(db, key, profiles, text)
}

fn replay_file(db: &Db, key: &[u8], profiles: &Profiles, text: &str) -> AppResult<Replayed> {
    let at_line = |n: usize, e: AppError| -> AppError {
        let why = match &e {
            AppError::Refused { code, message, field } => {
                let text = if message.is_empty() {
                    code.zh().to_string()
                } else {
                    message.clone()
                };
                match field {
                    Some(f) => format!("{text}（{f}）"),
                    None => text,
                }
            }
            other => other.to_string(),
        };
        AppError::new(ErrorCode::HistoryInvalid, format!("第 {n} 行：{why}")).at("line")
    };
    {
        let now = period::now();
        let mut names: HashMap<String, Value> = HashMap::new();
        let mut actors: HashMap<String, Actor> = HashMap::new();
        let mut last: Option<DateTime<Utc>> = None;
        let mut done = Replayed {
            events: 0,
            by_event: Vec::new(),
            first_at: None,
            last_at: None,
        };
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let raw = raw.trim();
            if raw.is_empty() || raw.starts_with('#') {
                continue;
            }
            if done.events >= MAX_EVENTS {
                return Err(at_line(
                    n,
                    AppError::new(ErrorCode::HistoryInvalid, format!("一个文件最多 {MAX_EVENTS} 个事件。")),
                ));
            }
            let mut line: Line = serde_json::from_str(raw).map_err(|e| {
                at_line(
                    n,
                    AppError::new(ErrorCode::HistoryInvalid, format!("不是有效的事件：{e}")),
                )
            })?;
            let at = parse_time(&line.at).ok_or_else(|| {
                at_line(
                    n,
                    AppError::new(
                        ErrorCode::HistoryInvalid,
                        format!("时间“{}”有误，请写成 2026-03-05 10:00。", line.at),
                    ),
                )
            })?;
            if at > now {
                return Err(at_line(n, AppError::new(ErrorCode::HistoryInvalid, "时间在将来。")));
            }
            if last.is_some_and(|l| at < l) {
                return Err(at_line(
                    n,
                    AppError::new(ErrorCode::HistoryInvalid, "时间早于上一行：事件要按发生的先后排列。"),
                ));
            }
            last = Some(at);
            line.data = resolve(std::mem::take(&mut line.data), &names)
                .map_err(|e| at_line(n, AppError::new(ErrorCode::HistoryInvalid, e)))?;
            let actor = match line.by.as_deref() {
                Some(u) => {
                    if !actors.contains_key(u) {
                        let a = access::actor_by_username(db, u).map_err(|e| at_line(n, e))?;
                        actors.insert(u.to_string(), a);
                    }
                    actors.get(u)
                }
                None => None,
            };
            let event = line.event.clone();
            let name = line.name.clone();
            let made = period::at(at, || replay(db, key, profiles, actor, line)).map_err(|e| at_line(n, e))?;
            if let Some(name) = name {
                names.insert(name, made);
            }
            done.events += 1;
            match done.by_event.iter_mut().find(|(e, _)| *e == event) {
                Some(slot) => slot.1 += 1,
                None => done.by_event.push((event, 1)),
            }
            let shown = period::business_time(at).format("%Y-%m-%d %H:%M").to_string();
            done.first_at.get_or_insert_with(|| shown.clone());
            done.last_at = Some(shown);
        }
        Ok(done)
    }
}
