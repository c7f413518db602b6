//! 待查明款项: credits that named no bill wait in suspense (211.9999). When the accountant learns
//! which bill one paid, they place it there: Dr 211.9999 / Cr the bill's income, the bill is
//! paid, and the receipt rests on that credit (a 待核实 receipt the clerk issued from the
//! payer's screenshot is confirmed instead). A credit is placed once and whole, onto one bill;
//! an amount over what the bill still owes is refused, so the credit never carries two receipts.
//! Under the village's lock, like every payment, and a unique key besides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookkeeping::post;
use super::receipts::{self, Evidence, Issue, ReceiptDetail};
use super::{audit, input, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::BankTransactionId;
use crate::domain::vocabulary::{Channel, EntrySource, Outcome};
use crate::domain::{period, BillReference, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::store::billing::{Bill, FeeItem};
use crate::store::journal::LedgerAccount;
use crate::store::payments::{self as store, BankTransaction, Receipt};
use crate::store::suspense::{self as waiting, NewPlacement, Placement};
use crate::store::{Db, StoreError};

/// A credit waiting to be placed.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingCredit {
    pub bank_transaction_id: BankTransactionId,
    pub channel: Channel,
    pub channel_name: String,
    #[schema(value_type = String)]
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// The payer as the bank or gateway gave it (masked).
    pub payer: Option<String>,
    /// The remark (附言) as it came.
    pub reference: Option<String>,
    /// Why it waits (no bill number, a bill of another village or already paid).
    pub note: String,
}

pub fn list_waiting(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<WaitingCredit>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok(waiting::waiting(conn, village.id)?
            .into_iter()
            .map(|t| WaitingCredit {
                bank_transaction_id: t.id,
                channel: Channel::of(t.provider),
                channel_name: Channel::of(t.provider).label().into(),
                amount: t.amount,
                paid_at: t.paid_at.and_utc(),
                payer: t.payer_masked,
                reference: t.reference,
                note: t.note,
            })
            .collect())
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PlaceInput {
    /// The bill the credit paid (`000001-000004-8`, dashes optional).
    pub bill_reference: String,
    /// How the accountant knows (the villager called, the clerk recognised the name…).
    pub note: String,
}

/// Places a waiting credit onto the bill it paid; the receipt it now rests on.
pub fn place(
    db: &Db,
    key: &[u8],
    actor: &Actor,
    village_code: &str,
    txn_id: BankTransactionId,
    input: PlaceInput,
) -> AppResult<ReceiptDetail> {
    let note = input::text("note", &input.note, 150)?;
    let reference = BillReference::parse(&input.bill_reference)
        .map_err(|e| AppError::new(ErrorCode::BillReferenceInvalid, e.to_string()).at("bill_reference"))?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::PostEntries)?;
        let not_waiting = |why: String| AppError::new(ErrorCode::FieldInvalid, why).at("bank_transaction_id");
        let txn: BankTransaction = BankTransaction::by_id(conn, txn_id)?
            .filter(|t| t.village_id == village.id)
            .ok_or_else(|| not_waiting(format!("本村没有编号为 {} 的银行入账。", txn_id.get())))?;
        if txn.outcome != Outcome::Suspense {
            return Err(not_waiting(format!(
                "银行入账 {} 是“{}”，不是待查明款项。",
                txn.id.get(),
                txn.outcome.label()
            )));
        }
        if Placement::of_transaction(conn, txn.id)?.is_some() {
            return Err(not_waiting(format!("银行入账 {} 已经认领过了。", txn.id.get())));
        }
        if !waiting::is_waiting(conn, village.id, txn.id)? {
            return Err(not_waiting(format!(
                "银行入账 {} 是报账员代交的现金，不能认领到账单。",
                txn.id.get()
            )));
        }
        let bill = Bill::by_reference(conn, reference.as_str())?
            .filter(|b| b.village_id == village.id)
            .ok_or_else(|| {
                AppError::new(ErrorCode::BillNotFound, format!("本村没有账单 {reference}。")).at("bill_reference")
            })?;
        if !bill.status.takes_payment() {
            return Err(AppError::new(
                ErrorCode::BillNotOpen,
                format!("账单 {reference} {}，不能再收款。", bill.status.label()),
            )
            .at("bill_reference"));
        }
        let owed = bill.amount - bill.paid;
        if txn.amount > owed {
            return Err(AppError::new(
                ErrorCode::AmountExceedsBill,
                format!(
                    "这笔入账 ¥{} 超过账单 {reference} 尚欠的 ¥{owed}；一笔入账只能整笔认领到一张账单。",
                    txn.amount
                ),
            )
            .at("bill_reference"));
        }
        let today = period::business_date(period::now());
        let version = chart::version_for(today).ok_or_else(|| AppError::Internal(format!("no chart on {today}")))?;
        let item = FeeItem::in_village(conn, village.id, bill.fee_item_id)?
            .ok_or_else(|| AppError::Internal("bill without fee item".into()))?;
        let account = |conn: &mut _, code: &str| -> AppResult<LedgerAccount> {
            LedgerAccount::by_code(conn, village.id, version.id, code)?
                .ok_or_else(|| AppError::Internal(format!("village {} has no account {code}", village.code)))
        };
        let suspense = account(conn, chart::SUSPENSE_CODE)?;
        let income = account(conn, &item.income_account_code)?;
        // Dated today (the month is open: only an ended month can be closed), and signed by
        // the accountant who decided it.
        let entry = post(
            conn,
            &village,
            &ProposedEntry {
                village_id: village.id,
                entry_date: today,
                memo: format!(
                    "待查明款项认领：{}入账 {} 转 {} {}（账单 {}）",
                    Channel::of(txn.provider).label(),
                    txn.provider_txn_id,
                    item.name,
                    crate::domain::schedule::shown_period(&bill.period_label),
                    reference.grouped()
                )
                .chars()
                .take(180)
                .collect(),
                lines: vec![
                    Line {
                        account: suspense.view(),
                        debit: txn.amount,
                        credit: Money::ZERO,
                        memo: "待查明".into(),
                    },
                    Line {
                        account: income.view(),
                        debit: Money::ZERO,
                        credit: txn.amount,
                        memo: item.name.clone(),
                    },
                ],
            },
            EntrySource::Placement,
            None,
            Some(actor.user_id),
        )?;
        Placement::insert(
            conn,
            &NewPlacement {
                village_id: village.id,
                bank_transaction_id: txn.id,
                bill_id: bill.id,
                amount: txn.amount,
                entry_id: entry.id,
                note: &note,
                placed_by: actor.user_id,
                placed_at: period::now().naive_utc(),
            },
        )
        .map_err(|e| match e {
            StoreError::Unique(_) => not_waiting(format!("银行入账 {} 已经认领过了。", txn.id.get())),
            other => other.into(),
        })?;
        store::bill_add_payment(conn, &bill, txn.amount)?;
        if !receipts::confirm_pending(conn, key, &village, &bill, &txn, txn.amount)? {
            receipts::issue(
                conn,
                key,
                &village,
                Issue {
                    bill: &bill,
                    amount: txn.amount,
                    channel: Channel::of(txn.provider),
                    evidence: Evidence::Bank(&txn),
                    issued_by: Some(actor.user_id),
                    replaces_id: None,
                },
            )?;
        }
        audit(
            conn,
            Some(actor),
            "suspense.place",
            "bank_transaction",
            txn.id.get(),
            Some(village.id),
            serde_json::json!({"bill": reference.as_str(), "amount": txn.amount.to_string(), "note": note}),
        )?;
        let receipt = Receipt::of_bank_transaction(conn, txn.id)?
            .ok_or_else(|| AppError::Internal("placed credit without its receipt".into()))?;
        receipts::view_of(conn, &village, &receipt)
    })
}
