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
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::store::disbursements::NewDisbursement;
use crate::store::journal::Entry;
use crate::store::payments::BankTransaction;
use crate::store::refunds::{self as store, NewRefund, Refund};
use crate::store::suspense::{self as waiting, Placement};
use crate::store::{Db, DbConnection, StoreError};

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
        let refunds = Refund::of_village(conn, village.id, 200)?
            .into_iter()
            .map(|(r, d)| {
                Ok(RefundView {
                    bank_transaction_id: r.bank_transaction_id,
                    amount: r.amount,
                    disbursement: disbursements::view(conn, d)?,
                })
            })
            .collect::<AppResult<_>>()?;
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
            .ok_or_else(|| refused(format!("本村没有编号为 {} 的银行入账。", txn_id.get())))?;
        let amount = refundable(conn, &txn)?;
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

fn refused(why: String) -> AppError {
    AppError::new(ErrorCode::FieldInvalid, why).at("bank_transaction_id")
}

/// What a refund of this credit returns, or why it cannot be refunded (the caller holds the
/// village's lock).
fn refundable(conn: &mut DbConnection, txn: &BankTransaction) -> AppResult<Money> {
    if let Some((_, d)) = Refund::active(conn, txn.id)? {
        let (credit, asked) = (txn.id.get(), d.id);
        return Err(refused(match d.status {
            DisbursementStatus::Paid => format!("银行入账 {credit} 已经退款（支出申请 {asked}），不能再退。"),
            DisbursementStatus::Approved => format!(
                "银行入账 {credit} 的退款已批准（支出申请 {asked}），等待银行付款；如果银行付不出去，请乡镇会计在“支出审批”里撤回批准（申请人本人不能撤回）后重新申请。"
            ),
            _ => format!("银行入账 {credit} 已有退款申请（支出申请 {asked}，待审批），不能重复申请。"),
        }));
    }
    if Entry::reversal_of(conn, txn.entry_id)?.is_some() {
        return Err(refused(format!(
            "银行入账 {} 的记账凭证已冲销，没有可退的款项。",
            txn.id.get()
        )));
    }
    match txn.outcome {
        Outcome::Overpaid => {}
        Outcome::Suspense => {
            if Placement::in_force(conn, txn.id)?.is_some() {
                return Err(refused(format!(
                    "银行入账 {} 已认领到账单；如果认错了，请先在“已认领”里撤销认领。",
                    txn.id.get()
                )));
            }
            if !waiting::is_waiting(conn, txn.village_id, txn.id)? {
                return Err(refused(format!(
                    "银行入账 {} 是报账员代交的现金，已记入代交款，不能退款。",
                    txn.id.get()
                )));
            }
        }
        other => {
            return Err(refused(format!(
                "银行入账 {} 是“{}”，全部记入了账单，没有待查明的部分可退。",
                txn.id.get(),
                other.label()
            )));
        }
    }
    let part = store::suspense_part(conn, txn)?;
    if part <= Money::ZERO {
        return Err(refused(format!("银行入账 {} 没有待查明的部分可退。", txn.id.get())));
    }
    // The money must still be in 211.9999 beside what the refunds already asked for will take.
    // A hand entry names no credit, so this can only be checked for the account as a whole: a
    // hand entry that moved this very credit's money out while other credits still wait is not
    // caught here (tying such entries to their credit is the next step).
    let (held, promised) = store::suspense_held(conn, txn.village_id)?;
    if held - promised < part {
        return Err(refused(format!(
            "待查明款项（211.9999）余额 ¥{held}，其中 ¥{promised} 已申请退款待付，不够再退 ¥{part}：这笔钱可能已用手工凭证转出；请核对凭证，确有错误的先冲销。"
        )));
    }
    Ok(part)
}
