//! 退款: money waiting in suspense (211.9999) that was never the village's goes back to whoever
//! paid it: a credit that named no bill of this village (a stranger's transfer, a payment meant
//! for another village), or the part of a credit over what its bill owed (多付). Placement
//! takes only whole credits onto a bill, so an overpaid excess had no way out before this.
//!
//! A refund is a disbursement like any other: one person requests it, another with the
//! approving role approves or rejects it, and it is posted (Dr 211.9999 / Cr 102) when the
//! bank's statement shows the debit. What this adds is the tie to the credit
//! (`suspense_refunds`): the amount is always the credit's whole part in suspense, and while a
//! refund is active (not rejected) the credit can be neither placed onto a bill nor matched to
//! a clerk's pay-in, nor refunded again. Under the village's lock, with a unique key besides.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::disbursements::{self, DisbursementView};
use super::{audit, input, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::BankTransactionId;
use crate::domain::vocabulary::{Channel, DisbursementStatus, Outcome};
use crate::domain::{period, Money};
use crate::error::AppResult;
use crate::ledger::chart;
use crate::store::disbursements::NewDisbursement;
use crate::store::payments::BankTransaction;
use crate::store::refunds::{self as store, NewRefund, Refund};
use crate::store::{Db, StoreError};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundInput {
    /// Who the money goes back to (the payer, as the bank or the villager names them).
    pub payee_name: String,
    /// Their bank account number.
    pub payee_account: String,
    /// Why it goes back (paid twice, meant for another village…).
    pub note: String,
}

/// A credit whose excess over its bill waits in suspense, to be refunded.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverpaidCredit {
    pub bank_transaction_id: BankTransactionId,
    pub channel_name: String,
    /// The whole credit.
    #[schema(value_type = String)]
    pub amount: Money,
    /// Its part in suspense: what a refund returns.
    #[schema(value_type = String)]
    pub excess: Money,
    pub paid_at: chrono::DateTime<chrono::Utc>,
    pub payer: Option<String>,
    pub reference: Option<String>,
}

/// A refund and where its disbursement stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub bank_transaction_id: BankTransactionId,
    #[schema(value_type = String)]
    pub amount: Money,
    pub disbursement: DisbursementView,
}

/// Overpaid credits waiting to be refunded, and the village's refunds, read together.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundsOverview {
    /// Oldest first.
    pub overpaid: Vec<OverpaidCredit>,
    /// The latest 200, newest first, rejected ones too.
    pub refunds: Vec<RefundView>,
}

pub fn overview(db: &Db, actor: &Actor, village_code: &str) -> AppResult<RefundsOverview> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let overpaid = store::overpaid_waiting(conn, village.id)?
            .into_iter()
            .map(|(t, excess)| OverpaidCredit {
                bank_transaction_id: t.id,
                channel_name: Channel::of(t.provider).label().into(),
                amount: t.amount,
                excess,
                paid_at: t.paid_at.and_utc(),
                payer: t.payer_masked,
                reference: t.reference,
            })
            .collect();
        let (refunds, asked): (Vec<Refund>, Vec<_>) = Refund::of_village(conn, village.id, 200)?.into_iter().unzip();
        let refunds = refunds
            .into_iter()
            .zip(disbursements::views(conn, asked)?)
            .map(|(r, disbursement)| RefundView {
                bank_transaction_id: r.bank_transaction_id,
                amount: r.amount,
                disbursement,
            })
            .collect();
        Ok(RefundsOverview { overpaid, refunds })
    })
}

/// Requests the refund of a credit's part in suspense; the disbursement waiting for approval.
pub fn request(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    txn_id: BankTransactionId,
    input: RefundInput,
) -> AppResult<DisbursementView> {
    let (payee_name, payee_account) = disbursements::payee(&input.payee_name, &input.payee_account)?;
    let note = input::text("note", &input.note, 100)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::RequestDisbursement)?;
        let txn = BankTransaction::by_id(conn, txn_id)?
            .filter(|t| t.village_id == village.id)
            .ok_or_else(|| super::suspense::no_credit(txn_id))?;
        let amount = super::suspense::part_to_settle(conn, &txn, "退款")?;
        let what = match txn.outcome {
            Outcome::Overpaid => "多付部分",
            _ => "待查明款项",
        };
        let d = disbursements::record(
            conn,
            actor,
            &NewDisbursement {
                village_id: village.id,
                corporate_account_id: txn.corporate_account_id,
                payee_name: &payee_name,
                payee_account: &payee_account,
                amount,
                purpose: &format!(
                    "退款：{}入账 {} 的{what}（{note}）",
                    Channel::of(txn.provider).label(),
                    txn.provider_txn_id
                )
                .chars()
                .take(200)
                .collect::<String>(),
                account_code: chart::SUSPENSE_CODE,
                attachments: "",
                status: DisbursementStatus::Requested,
                requested_by: actor.user_id,
                requested_at: period::now().naive_utc(),
            },
        )?;
        let attempt = Refund::attempts(conn, txn.id)? + 1;
        Refund::insert(
            conn,
            &NewRefund {
                village_id: village.id,
                bank_transaction_id: txn.id,
                attempt,
                disbursement_id: d.id,
                amount,
            },
        )
        .map_err(|e| match e {
            StoreError::Unique(_) => refused(format!("银行入账 {} 已经申请过退款。", txn.id.get())),
            other => other.into(),
        })?;
        audit(
            conn,
            Some(actor),
            "suspense.refund",
            "bank_transaction",
            txn.id.get(),
            Some(village.id),
            serde_json::json!({"disbursement": d.id, "amount": amount.to_string(), "note": note}),
        )?;
        disbursements::view(conn, d)
    })
}

use super::suspense::refused;
