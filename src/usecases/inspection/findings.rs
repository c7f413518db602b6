//! The inspector's findings: a filtered list over a scope, one finding with its evidence and
//! history, and the workflow (open → acknowledged → explained / confirmed / dismissed), each
//! step with a note, kept in the finding's append-only history and in the audit log.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{months, scope_for, villages_of};
use crate::domain::access::{Action, Actor, Place};
use crate::domain::ids::{UserId, VillageId};
use crate::domain::period::business_time;
use crate::domain::vocabulary::{EvidenceKind, FindingEventKind, FindingStatus, RuleId, Severity};
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::inspect::{rules, Evidence};
use crate::store::access::User;
use crate::store::inspection::{Finding, FindingEvent, FindingFilter, NewFindingEvent};
use crate::store::lock::lock_village;
use crate::store::registry::{Township, Village};
use crate::store::{Db, DbConnection};

/// The most findings one page of the list carries; exports read page after page.
pub const PAGE: i64 = 500;

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// The 12-digit code of a county, township or village.
    pub scope: String,
    /// First month, `2026-01`.
    pub from: String,
    /// Last month, `2026-12`.
    pub to: String,
    /// Rule codes separated by commas.
    #[serde(default)]
    pub rules: Option<String>,
    #[serde(default)]
    pub status: Option<FindingStatus>,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Only this village (12-digit code) of the scope.
    #[serde(default)]
    pub village: Option<String>,
    /// Only findings with at least this much at stake (yuan).
    #[serde(default)]
    pub min_amount: Option<String>,
    /// Also findings whose cause the data no longer shows.
    #[serde(default)]
    pub include_gone: Option<bool>,
    /// Keyset paging: findings after this id.
    #[serde(default)]
    pub after: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceView {
    pub kind: EvidenceKind,
    pub kind_label: String,
    pub id: i64,
    /// What it is, as a person finds it (a receipt's number, a bill's, an entry's), in the
    /// detail of a finding; the kind and id in lists.
    pub label: String,
    /// The staff page that shows it, where there is one.
    pub href: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub village: String,
    pub village_name: String,
    pub rule: RuleId,
    pub rule_label: String,
    pub severity: Severity,
    pub severity_label: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[schema(value_type = String)]
    pub amount: Money,
    pub summary: String,
    pub status: FindingStatus,
    pub status_label: String,
    /// Beijing time, to the minute.
    pub first_seen: String,
    pub last_seen: String,
    /// When a run stopped finding its cause (resolved by data), Beijing time.
    pub cause_gone: Option<String>,
    pub evidence: Vec<EvidenceView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingPage {
    pub findings: Vec<FindingView>,
    /// Pass as `after` for the next page; None on the last.
    pub next_after: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryView {
    pub at: String,
    pub kind: FindingEventKind,
    pub kind_label: String,
    /// The inspector who moved it; None for a run of the rules.
    pub by: Option<String>,
    pub from_status: Option<FindingStatus>,
    pub to_status: Option<FindingStatus>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingDetail {
    pub finding: FindingView,
    /// What the rule flags and why it matters.
    pub explanation: String,
    pub history: Vec<HistoryView>,
    /// The statuses the inspector may move it to.
    pub next: Vec<FindingStatus>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MoveInput {
    pub to: FindingStatus,
    /// The inspector's note (required to explain, confirm or dismiss).
    #[serde(default)]
    pub note: String,
}

pub(crate) fn minute(t: chrono::NaiveDateTime) -> String {
    business_time(t.and_utc()).format("%Y-%m-%d %H:%M").to_string()
}

pub(crate) fn view(f: Finding, village: &(String, String)) -> FindingView {
    let evidence: Vec<Evidence> = serde_json::from_str(&f.evidence).unwrap_or_default();
    FindingView {
        id: f.id,
        village: village.0.clone(),
        village_name: village.1.clone(),
        rule: f.rule,
        rule_label: f.rule.label().into(),
        severity: f.severity,
        severity_label: f.severity.label().into(),
        period_start: f.period_start,
        period_end: f.period_end,
        amount: f.amount,
        summary: f.summary,
        status: f.status,
        status_label: f.status.label().into(),
        first_seen: minute(f.first_seen),
        last_seen: minute(f.last_seen),
        cause_gone: f.cause_gone_at.map(minute),
        evidence: evidence
            .into_iter()
            .map(|e| EvidenceView {
                kind: e.kind,
                kind_label: e.kind.label().into(),
                id: e.id,
                label: format!("{} #{}", e.kind.label(), e.id),
                href: None,
            })
            .collect(),
    }
}

/// Each village's code and name, by id.
pub(crate) type VillageNames = HashMap<VillageId, (String, String)>;

/// The scope a query names, and the filter it asks for over the villages the actor may inspect.
pub(crate) fn filter_of(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    q: &FindingQuery,
) -> AppResult<(FindingFilter, VillageNames, super::ScopeRef)> {
    let (from, to) = months(&q.from, &q.to)?;
    let scope = scope_for(conn, actor, &q.scope)?;
    let mut villages = villages_of(conn, scope.scope)?;
    if let Some(code) = q.village.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        villages.retain(|v| v.code == code);
        if villages.is_empty() {
            return Err(AppError::new(
                ErrorCode::VillageNotFound,
                format!("{} 不在所查的范围 {} 之内。", code, scope.name),
            )
            .at("village"));
        }
    }
    let rules = match q.rules.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(_) => super::parse_rules(q.rules.as_deref(), &Default::default())?,
        None => Vec::new(),
    };
    let min_amount = match q.min_amount.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => {
            Some(Money::parse(m).map_err(|e| AppError::new(ErrorCode::AmountInvalid, e.to_string()).at("min_amount"))?)
        }
        None => None,
    };
    let names = villages
        .iter()
        .map(|v| (v.id, (v.code.clone(), v.name.clone())))
        .collect();
    Ok((
        FindingFilter {
            villages: villages.iter().map(|v| v.id).collect(),
            from: Some(from),
            to: Some(to),
            rules,
            statuses: q.status.into_iter().collect(),
            severities: q.severity.into_iter().collect(),
            min_amount,
            include_gone: q.include_gone.unwrap_or(false),
            after: q.after.unwrap_or(0),
            limit: PAGE,
        },
        names,
        scope,
    ))
}

/// One page of the findings of a scope and period, oldest first.
pub fn list(db: &Db, actor: &Actor, q: &FindingQuery) -> AppResult<FindingPage> {
    db.read(|conn| {
        let (filter, names, _) = filter_of(conn, Some(actor), q)?;
        let rows = Finding::list(conn, &filter)?;
        let next_after = (rows.len() as i64 == filter.limit)
            .then(|| rows.last().map(|f| f.id))
            .flatten();
        Ok(FindingPage {
            findings: rows
                .into_iter()
                .map(|f| {
                    let v = names.get(&f.village_id).cloned().unwrap_or_default();
                    view(f, &v)
                })
                .collect(),
            next_after,
        })
    })
}

/// A finding the actor may inspect, with its village.
fn finding_for(conn: &mut DbConnection, actor: &Actor, id: i64) -> AppResult<(Finding, Village)> {
    let not_found = || AppError::code(ErrorCode::FindingNotFound);
    let f = Finding::by_id(conn, id)?.ok_or_else(not_found)?;
    let village = Village::by_id(conn, f.village_id)?;
    let township = Township::by_id(conn, village.township_id)?;
    let place = Place {
        county_id: township.county_id,
        township_id: Some(township.id),
        village_id: Some(village.id),
    };
    actor.may(Action::Inspect, place).map_err(|d| match d {
        crate::domain::access::Denied::OutOfScope => not_found(),
        other => other.into(),
    })?;
    Ok((f, village))
}

fn detail(conn: &mut DbConnection, f: Finding, village: &Village) -> AppResult<FindingDetail> {
    let events = FindingEvent::of_finding(conn, f.id)?;
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut history = Vec::with_capacity(events.len());
    for e in events {
        let by = match e.actor_id {
            Some(u) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(u) {
                    slot.insert(User::by_id(conn, u)?.map(|u| u.display_name).unwrap_or_default());
                }
                names.get(&u).cloned()
            }
            None => None,
        };
        history.push(HistoryView {
            at: minute(e.at),
            kind: e.kind,
            kind_label: e.kind.label().into(),
            by,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
        });
    }
    let next = f.status.next().to_vec();
    let explanation = rules::explanation(f.rule).to_string();
    let mut finding = view(f, &(village.code.clone(), village.name.clone()));
    for e in &mut finding.evidence {
        describe(conn, village, e);
    }
    Ok(FindingDetail {
        finding,
        explanation,
        history,
        next,
    })
}

/// Names a piece of evidence as a person finds it, and links the page that shows it. A row
/// that cannot be read leaves the kind and id.
fn describe(conn: &mut DbConnection, village: &Village, e: &mut EvidenceView) {
    use crate::domain::ids::*;
    use crate::store::{billing::Bill, cash, disbursements::Disbursement, journal::Entry, payments};
    let v = &village.code;
    let described: Option<(String, Option<String>)> = match e.kind {
        EvidenceKind::Receipt => payments::Receipt::by_id(conn, ReceiptId(e.id)).ok().map(|r| {
            let n = crate::payments::receipt_code::receipt_number(v, r.year, r.number);
            (
                format!("收据 {n}（¥{}，{}）", r.amount, r.status.label()),
                Some(format!("/staff/v/{v}/receipts/{n}")),
            )
        }),
        EvidenceKind::Bill => Bill::by_id(conn, BillId(e.id)).ok().map(|b| {
            let r = crate::domain::BillReference::parse(&b.reference).map_or(b.reference.clone(), |r| r.to_string());
            (
                format!("账单 {r}（¥{}，{} 到期，{}）", b.amount, b.due_date, b.status.label()),
                None,
            )
        }),
        EvidenceKind::Entry => Entry::by_id(conn, EntryId(e.id))
            .ok()
            .map(|x| (format!("第 {} 号凭证（{}，{}）", x.seq, x.entry_date, x.memo), None)),
        EvidenceKind::BankTransaction => payments::BankTransaction::by_id(conn, BankTransactionId(e.id))
            .ok()
            .flatten()
            .map(|t| {
                (
                    format!("银行到账 ¥{}（{}，{}）", t.amount, minute(t.paid_at), t.outcome.label()),
                    None,
                )
            }),
        EvidenceKind::CashRecord => cash::CashRecord::by_id(conn, CashRecordId(e.id))
            .ok()
            .flatten()
            .map(|c| {
                (
                    format!(
                        "现金收款 ¥{}（{}，{}）",
                        c.amount,
                        minute(c.received_at),
                        c.status.label()
                    ),
                    None,
                )
            }),
        EvidenceKind::PayIn => cash::PayIn::by_id(conn, PayInId(e.id)).ok().flatten().map(|p| {
            (
                format!(
                    "代交 ¥{}（{} 登记，{}）",
                    p.amount,
                    minute(p.declared_at),
                    p.status.label()
                ),
                None,
            )
        }),
        EvidenceKind::Disbursement => Disbursement::in_village(conn, village.id, e.id)
            .ok()
            .flatten()
            .map(|d| {
                (
                    format!(
                        "支出申请：{} ¥{}（{}）",
                        d.payee_name,
                        d.amount,
                        match Disbursement::withdrawals(conn, &[d.id]) {
                            Ok(w) if !w.is_empty() => "已撤回批准",
                            _ => d.status.label(),
                        }
                    ),
                    None,
                )
            }),
        EvidenceKind::StatementLine => Some((
            format!("对账单流水 #{}", e.id),
            Some(format!("/staff/v/{v}/reconciliation")),
        )),
        EvidenceKind::AuditEvent => None,
    };
    if let Some((label, href)) = described {
        e.label = label;
        e.href = href;
    }
}

pub fn get(db: &Db, actor: &Actor, id: i64) -> AppResult<FindingDetail> {
    db.read(|conn| {
        let (f, village) = finding_for(conn, actor, id)?;
        detail(conn, f, &village)
    })
}

/// Moves a finding one step, with the inspector's note.
pub fn move_to(db: &Db, actor: &Actor, id: i64, input: &MoveInput) -> AppResult<FindingDetail> {
    let note = input.note.trim();
    if note.chars().count() > 2000 {
        return Err(AppError::new(ErrorCode::FieldTooLong, "处理意见最多 2000 字。").at("note"));
    }
    if input.to != FindingStatus::Acknowledged && note.is_empty() {
        return Err(AppError::code(ErrorCode::FindingNoteMissing).at("note"));
    }
    db.write(|conn| {
        let (f, village) = finding_for(conn, actor, id)?;
        lock_village(conn, village.id)?;
        let f = Finding::by_id(conn, f.id)?.ok_or_else(|| AppError::code(ErrorCode::FindingNotFound))?;
        if !f.status.next().contains(&input.to) || !Finding::move_status(conn, f.id, f.status, input.to)? {
            return Err(AppError::new(
                ErrorCode::FindingStep,
                format!(
                    "这条发现现在是“{}”，不能直接改为“{}”。",
                    f.status.label(),
                    input.to.label()
                ),
            )
            .at("to"));
        }
        let now = crate::domain::period::now().naive_utc();
        FindingEvent::insert(
            conn,
            &NewFindingEvent {
                finding_id: f.id,
                at: now,
                kind: FindingEventKind::Status,
                actor_id: Some(actor.user_id),
                from_status: Some(f.status),
                to_status: Some(input.to),
                note,
                run_id: None,
            },
        )?;
        crate::usecases::audit(
            conn,
            Some(actor),
            "finding.move",
            "finding",
            f.id,
            Some(village.id),
            serde_json::json!({ "rule": f.rule, "from": f.status, "to": input.to, "note": note }),
        )?;
        let f = Finding::by_id(conn, f.id)?.ok_or_else(|| AppError::code(ErrorCode::FindingNotFound))?;
        detail(conn, f, &village)
    })
}
