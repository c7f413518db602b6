//! Money out (支出): the smallest honest flow. A clerk or accountant requests a payment from a
//! corporate account (payee, their account, amount, purpose, the ledger account it books to,
//! what is attached); another person with the approving role (the township accountant)
//! approves or rejects it, never the requester (the database refuses it too); both are
//! audit-logged. Nothing is posted on approval: the payment is posted when the bank's statement
//! shows the debit and reconciliation matches it (`usecases::reconciliation`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::statements::account_of;
use super::{audit, input, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{CorporateAccountId, UserId};
use crate::domain::vocabulary::DisbursementStatus;
use crate::domain::{masking, period, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::access::User;
use crate::store::disbursements::{Disbursement, NewDisbursement};
use crate::store::journal::LedgerAccount;
use crate::store::registry::Village;
use crate::store::{Db, DbConnection};

#[derive(Debug, Deserialize, ToSchema)]
pub struct DisbursementInput {
    /// The corporate account the money leaves.
    pub account_id: CorporateAccountId,
    pub payee_name: String,
    /// The payee's bank account number.
    pub payee_account: String,
    #[schema(value_type = String, example = "300.00")]
    pub amount: Money,
    pub purpose: String,
    /// The ledger account the payment books to, e.g. `521` (管理费用) or `211.0001`.
    pub account_code: String,
    /// What is attached (invoice, contract, minutes of the villagers' meeting), described.
    #[serde(default)]
    pub attachments: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionInput {
    /// Why, in a few words (kept with the decision).
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisbursementQuery {
    pub status: Option<DisbursementStatus>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisbursementView {
    pub id: i64,
    pub account_id: CorporateAccountId,
    pub payee_name: String,
    /// Masked, as pages show it.
    pub payee_account: String,
    #[schema(value_type = String)]
    pub amount: Money,
    pub purpose: String,
    pub account_code: String,
    pub attachments: String,
    pub status: DisbursementStatus,
    pub status_label: String,
    pub requested_by: UserId,
    /// The requester's and the decider's names, as pages show them.
    pub requested_by_name: String,
    pub decided_by_name: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    /// The statement line that paid it.
    pub statement_line_id: Option<i64>,
    /// When the approval was withdrawn before the bank paid (the request then reads
    /// "已撤回批准", the approval above kept as it was).
    pub withdrawn: Option<Withdrawal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Withdrawal {
    pub by: UserId,
    pub by_name: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

pub(super) fn view(conn: &mut DbConnection, d: Disbursement) -> AppResult<DisbursementView> {
    Ok(views(conn, vec![d])?.remove(0))
}

/// Views of these requests, with the names of who asked, decided and withdrew, read for the
/// whole list at once (two queries, whatever its length).
pub(super) fn views(conn: &mut DbConnection, list: Vec<Disbursement>) -> AppResult<Vec<DisbursementView>> {
    let ids: Vec<i64> = list.iter().map(|d| d.id).collect();
    let withdrawals = Disbursement::withdrawals(conn, &ids)?;
    let people: Vec<UserId> = list
        .iter()
        .flat_map(|d| [Some(d.requested_by), d.decided_by, withdrawals.get(&d.id).map(|w| w.0)])
        .flatten()
        .collect();
    let names = User::names(conn, &people)?;
    let name = |id: UserId| names.get(&id).cloned().unwrap_or_default();
    Ok(list
        .into_iter()
        .map(|d| {
            let withdrawn = withdrawals.get(&d.id).map(|(by, at, note)| Withdrawal {
                by: *by,
                by_name: name(*by),
                at: at.and_utc(),
                note: note.clone(),
            });
            let (requested_by, decided_by) = (name(d.requested_by), d.decided_by.map(name));
            one_view(d, requested_by, decided_by, withdrawn)
        })
        .collect())
}

fn one_view(
    d: Disbursement,
    requested_by_name: String,
    decided_by_name: Option<String>,
    withdrawn: Option<Withdrawal>,
) -> DisbursementView {
    DisbursementView {
        status_label: if withdrawn.is_some() {
            "已撤回批准".to_string()
        } else {
            d.status.label().to_string()
        },
        withdrawn,
        requested_by_name,
        decided_by_name,
        id: d.id,
        account_id: d.corporate_account_id,
        payee_name: d.payee_name,
        payee_account: masking::account_no(&d.payee_account),
        amount: d.amount,
        purpose: d.purpose,
        account_code: d.account_code,
        attachments: d.attachments,
        status: d.status,
        requested_by: d.requested_by,
        requested_at: d.requested_at.and_utc(),
        decided_by: d.decided_by,
        decided_at: d.decided_at.map(|t| t.and_utc()),
        decision_note: d.decision_note,
        statement_line_id: d.statement_line_id,
    }
}

/// The accounts a payment of the village may book to, (code, name), for the request form.
pub fn booking_accounts(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<(String, String)>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok(super::bookkeeping::bookable_accounts(conn, village.id)?
            .into_iter()
            .map(|a| (a.code, a.name))
            .collect())
    })
}

/// The account a payment may book to: one of the village's current chart that takes postings,
/// and not cash, the bank or a suspense account (those only move with money the service sees).
fn booking_account(conn: &mut DbConnection, village: &Village, code: &str) -> AppResult<LedgerAccount> {
    super::bookkeeping::bookable_account(conn, village.id, code.trim())?
        .ok_or_else(|| AppError::code(ErrorCode::DisbursementAccountInvalid).at("account_code"))
}

/// The payee's name, and their account number as a request keeps it (spaces and dashes dropped).
pub(super) fn payee(name: &str, account: &str) -> AppResult<(String, String)> {
    let payee_name = input::text("payee_name", name, 60)?;
    let payee_account: String = account.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if !(6..=32).contains(&payee_account.len()) || !payee_account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::code(ErrorCode::AccountNoInvalid).at("payee_account"));
    }
    Ok((payee_name, payee_account))
}

/// Keeps a request and its audit event (the caller holds the village's lock).
pub(super) fn record(conn: &mut DbConnection, actor: &Actor, new: &NewDisbursement) -> AppResult<Disbursement> {
    let d = Disbursement::insert(conn, new)?;
    audit(
        conn,
        Some(actor),
        "disbursement.request",
        "disbursement",
        d.id,
        Some(new.village_id),
        serde_json::json!({"amount": new.amount.to_string(), "payee": new.payee_name, "account_code": new.account_code}),
    )?;
    Ok(d)
}

pub fn request(db: &Db, actor: &Actor, village_code: &str, input: DisbursementInput) -> AppResult<DisbursementView> {
    let (payee_name, payee_account) = payee(&input.payee_name, &input.payee_account)?;
    let amount = input
        .amount
        .ensure_positive()
        .and_then(Money::within_bound)
        .map_err(|e| AppError::new(ErrorCode::AmountInvalid, e.to_string()).at("amount"))?;
    let purpose = input::text("purpose", &input.purpose, 200)?;
    let attachments = input::optional_text("attachments", Some(&input.attachments), 500)?.unwrap_or_default();
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::RequestDisbursement)?;
        let account = account_of(conn, &village, input.account_id)?;
        let booking = booking_account(conn, &village, &input.account_code)?;
        let d = record(
            conn,
            actor,
            &NewDisbursement {
                village_id: village.id,
                corporate_account_id: account.id,
                payee_name: &payee_name,
                payee_account: &payee_account,
                amount,
                purpose: &purpose,
                account_code: &booking.code,
                attachments: &attachments,
                status: DisbursementStatus::Requested,
                requested_by: actor.user_id,
                requested_at: period::now().naive_utc(),
            },
        )?;
        view(conn, d)
    })
}

/// Approves (`approve`) or rejects a request another person made.
pub fn decide(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    id: i64,
    approve: bool,
    decision: DecisionInput,
) -> AppResult<DisbursementView> {
    let note = input::optional_text("note", Some(&decision.note), 200)?.unwrap_or_default();
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ApproveDisbursement)?;
        let d = Disbursement::in_village(conn, village.id, id)?
            .ok_or_else(|| AppError::code(ErrorCode::DisbursementNotFound))?;
        if d.requested_by == actor.user_id {
            return Err(AppError::code(ErrorCode::SelfApproval));
        }
        let to = if approve {
            DisbursementStatus::Approved
        } else {
            DisbursementStatus::Rejected
        };
        if !Disbursement::decide(conn, d.id, to, actor.user_id, period::now().naive_utc(), &note)? {
            return Err(AppError::new(
                ErrorCode::DisbursementDecided,
                format!("这笔支出申请已是“{}”，不能再次审批。", d.status.label()),
            ));
        }
        audit(
            conn,
            Some(actor),
            if approve {
                "disbursement.approve"
            } else {
                "disbursement.reject"
            },
            "disbursement",
            d.id,
            Some(village.id),
            serde_json::json!({"note": note}),
        )?;
        let d = Disbursement::in_village(conn, village.id, id)?
            .ok_or_else(|| AppError::code(ErrorCode::DisbursementNotFound))?;
        view(conn, d)
    })
}

/// Withdraws an approval the bank has not paid (the approver, or another accountant; never the
/// requester): the request ends rejected with the reason, and a refund's credit is free to be
/// refunded again or placed. A payment the statement already shows cannot be withdrawn.
pub fn withdraw(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    id: i64,
    decision: DecisionInput,
) -> AppResult<DisbursementView> {
    let note = input::text("note", &decision.note, 150)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ApproveDisbursement)?;
        let d = Disbursement::in_village(conn, village.id, id)?
            .ok_or_else(|| AppError::code(ErrorCode::DisbursementNotFound))?;
        if d.requested_by == actor.user_id {
            return Err(AppError::new(
                ErrorCode::SelfApproval,
                "不能撤回自己提出的支出申请的批准；请另一位乡镇会计办理。",
            ));
        }
        // The bank may have paid already: a debit of this amount on the statement from the day of
        // the approval on, not yet reconciled, may be that payment (reconciliation pairs it by the
        // payee's account or name). Withdrawing then would post it as money out nobody approved
        // and, for a refund, free its credit to be refunded twice: reconcile first.
        if d.status == DisbursementStatus::Approved {
            let approved_on = d
                .decided_at
                .map(|t| period::business_date(t.and_utc()))
                .unwrap_or_default();
            let lines = crate::store::statements::undecided_debits(conn, d.corporate_account_id, d.amount, approved_on)?;
            if let Some(line) = lines.first() {
                return Err(AppError::new(
                    ErrorCode::DisbursementDecided,
                    format!(
                        "对账单上有一笔同样金额、尚未对账的支出（对账单行 {line}），可能就是银行付出的这笔；请先对账，再决定是否撤回。"
                    ),
                ));
            }
        }
        if !Disbursement::withdraw(conn, &d, actor.user_id, period::now().naive_utc(), &note)? {
            return Err(AppError::new(
                ErrorCode::DisbursementDecided,
                format!(
                    "这笔支出申请是“{}”，只有已批准、银行还没有付出的才能撤回。",
                    d.status.label()
                ),
            ));
        }
        audit(
            conn,
            Some(actor),
            "disbursement.withdraw",
            "disbursement",
            d.id,
            Some(village.id),
            serde_json::json!({"note": note}),
        )?;
        let d = Disbursement::in_village(conn, village.id, id)?
            .ok_or_else(|| AppError::code(ErrorCode::DisbursementNotFound))?;
        view(conn, d)
    })
}

pub fn list(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    status: Option<DisbursementStatus>,
) -> AppResult<Vec<DisbursementView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let list = Disbursement::of_village(conn, village.id, status, 500)?;
        views(conn, list)
    })
}
