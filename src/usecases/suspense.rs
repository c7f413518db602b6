//! 待查明款项: credits that named no bill wait in suspense (211.9999). When the accountant learns
//! which bill one paid, they place it there: Dr 211.9999 / Cr the bill's income, the bill is
//! paid, and the receipt rests on that credit (a 待核实 receipt the clerk issued from the
//! payer's screenshot is confirmed instead). A credit is placed once and whole, onto one bill;
//! an amount over what the bill still owes is refused, so the credit never carries two receipts.
//! Under the village's lock, like every payment, and a unique key besides.
//!
//! A placement onto the wrong bill is undone, never edited: its entry is reversed, the bill owes
//! the amount again, the receipt on the credit is voided, and the undo is kept in its own row.
//! The credit then waits again, to be placed onto the bill it really paid.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookkeeping::post;
use super::receipts::{self, Evidence, Issue, ReceiptDetail};
use super::{audit, input, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::BankTransactionId;
use crate::domain::vocabulary::{Channel, DisbursementStatus, EntrySource, Outcome};
use crate::domain::ReceiptStatus;
use crate::domain::{period, BillReference, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::store::billing::{Bill, FeeItem};
use crate::store::journal::Entry;
use crate::store::journal::LedgerAccount;
use crate::store::payments::{self as store, BankTransaction, Receipt, ReceiptVoid};
use crate::store::refunds::{self as refund_store, Refund};
use crate::store::registry::Village;
use crate::store::suspense::{self as waiting, NewPlacement, NewTransfer, NewUndo, Placement, Transfer};
use crate::store::{Db, DbConnection, StoreError};

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
        waiting_of(conn, &village)
    })
}

/// What waits and what was placed, read together (the accountant's page: a credit is in one
/// list or the other, never both or neither).
pub fn overview(db: &Db, actor: &Actor, village_code: &str) -> AppResult<(Vec<WaitingCredit>, Vec<PlacedCredit>)> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok((waiting_of(conn, &village)?, placed_of(conn, &village)?))
    })
}

fn waiting_of(conn: &mut DbConnection, village: &Village) -> AppResult<Vec<WaitingCredit>> {
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
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PlaceInput {
    /// The bill the credit paid (`000001-000004-8`, dashes optional).
    pub bill_reference: String,
    /// How the accountant knows (the villager called, the clerk recognised the name…).
    pub note: String,
}

fn already_placed(txn: BankTransactionId) -> String {
    format!(
        "银行入账 {} 已经认领过了；如果认错了账单，请先在“已认领”里撤销认领。",
        txn.get()
    )
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
        let txn: BankTransaction = BankTransaction::by_id(conn, txn_id)?
            .filter(|t| t.village_id == village.id)
            .ok_or_else(|| no_credit(txn_id))?;
        if txn.outcome != Outcome::Suspense {
            return Err(refused(format!(
                "银行入账 {} 是“{}”，不是待查明款项。",
                txn.id.get(),
                txn.outcome.label()
            )));
        }
        if Placement::in_force(conn, txn.id)?.is_some() {
            return Err(refused(already_placed(txn.id)));
        }
        if let Some(t) = Transfer::of_credit(conn, txn.id)? {
            return Err(refused(transferred_already(conn, &t)?));
        }
        if let Some((_, d)) = Refund::active(conn, txn.id)? {
            return Err(refused(format!(
                "银行入账 {} 已申请退款（支出申请 {}，{}），不能再认领到账单。",
                txn.id.get(),
                d.id,
                d.status.label()
            )));
        }
        if !waiting::is_waiting(conn, village.id, txn.id)? {
            return Err(refused(format!(
                "银行入账 {} 是报账员代交的现金，不能认领到账单。",
                txn.id.get()
            )));
        }
        ensure_covered(conn, village.id, txn.amount, "认领")?;
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
        store::bill_add_payment(conn, &bill, txn.amount)?;
        let confirmed = receipts::confirm_pending(conn, key, &village, &bill, &txn, txn.amount)?;
        if confirmed.is_none() {
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
        let attempt = Placement::attempts(conn, txn.id)? + 1;
        Placement::insert(
            conn,
            &NewPlacement {
                village_id: village.id,
                bank_transaction_id: txn.id,
                attempt,
                bill_id: bill.id,
                amount: txn.amount,
                entry_id: entry.id,
                note: &note,
                placed_by: actor.user_id,
                placed_at: period::now().naive_utc(),
                confirmed_receipt_id: confirmed,
            },
        )
        .map_err(|e| match e {
            StoreError::Unique(_) => refused(already_placed(txn.id)),
            other => other.into(),
        })?;
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

/// A placement the accountant may still undo.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedCredit {
    pub bank_transaction_id: BankTransactionId,
    pub channel_name: String,
    #[schema(value_type = String)]
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub payer: Option<String>,
    /// The bill it was placed on (`000001-000004-8`).
    pub bill_reference: String,
    pub note: String,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
}

/// The village's latest placements in force, newest first.
pub fn list_placed(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<PlacedCredit>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        placed_of(conn, &village)
    })
}

fn placed_of(conn: &mut DbConnection, village: &Village) -> AppResult<Vec<PlacedCredit>> {
    Ok(Placement::latest_in_force(conn, village.id, 50)?
        .into_iter()
        .map(|(p, txn, bill_reference, placed_by)| PlacedCredit {
            bank_transaction_id: p.bank_transaction_id,
            channel_name: Channel::of(txn.provider).label().into(),
            amount: p.amount,
            paid_at: txn.paid_at.and_utc(),
            payer: txn.payer_masked,
            bill_reference: BillReference::shown(&bill_reference),
            note: p.note,
            placed_by: placed_by.unwrap_or_default(),
            placed_at: p.placed_at.and_utc(),
        })
        .collect())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UndoInput {
    /// Why the placement was wrong (kept on the reversal, the voided receipt and the undo).
    pub note: String,
}

/// What an undo did.
#[derive(Debug, Serialize, ToSchema)]
pub struct UndoOutcome {
    pub bank_transaction_id: BankTransactionId,
    /// The bill that owes the amount again.
    pub bill_reference: String,
    #[schema(value_type = String)]
    pub amount: Money,
    /// The reversal entry's number in the village's journal.
    pub reversal_seq: i64,
    /// The receipt voided with it (`370725102201-2026-000042`).
    pub voided_receipt: String,
    /// When that receipt was a clerk's 待核实 one the placement had confirmed: the new 待核实
    /// receipt that carries the payer's claim on, waiting for its money.
    pub claim_again: Option<String>,
}

/// Undoes the placement of a credit onto the wrong bill; the credit waits again.
pub fn undo(
    db: &Db,
    key: &[u8],
    actor: &Actor,
    village_code: &str,
    txn_id: BankTransactionId,
    input: UndoInput,
) -> AppResult<UndoOutcome> {
    // 100, not 150: the reversal's memo carries the note after its own words, within 200.
    let note = input::text("note", &input.note, 100)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::PostEntries)?;
        let placement = Placement::in_force(conn, txn_id)?
            .filter(|p| p.village_id == village.id)
            .ok_or_else(|| {
                refused(format!(
                    "本村编号为 {} 的银行入账没有在用的认领，无需撤销。",
                    txn_id.get()
                ))
            })?;
        let bill = Bill::by_id(conn, placement.bill_id)?;
        let reference = BillReference::shown(&bill.reference);
        let now = period::now();
        let placed_entry = Entry::by_id(conn, placement.entry_id)?;
        let reversal = super::bookkeeping::reverse(
            conn,
            &village,
            &placed_entry,
            &format!("撤销待查明款项认领（账单 {reference}）：{note}"),
            period::business_date(now),
            actor.user_id,
        )?;
        store::bill_add_payment(conn, &bill, -placement.amount)?;
        // The receipt on the credit said this bill was paid by it; it no longer is. Placed, a
        // credit always has one, for this bill and amount.
        let receipt = Receipt::of_bank_transaction(conn, txn_id)?
            .filter(|r| r.status != ReceiptStatus::Voided)
            .filter(|r| r.bill_id == Some(bill.id) && r.amount == placement.amount)
            .ok_or_else(|| AppError::Internal(format!("placed credit {} without its receipt", txn_id.get())))?;
        let voided = {
            let printed = receipts::view_of(conn, &village, &receipt)?;
            if !Receipt::void(
                conn,
                &ReceiptVoid {
                    receipt_id: receipt.id,
                    reason: format!("撤销认领：{note}").chars().take(150).collect(),
                    voided_by: actor.user_id,
                    voided_at: now.naive_utc(),
                    printed_payer_name: printed.payer_name.clone(),
                },
            )? {
                return Err(AppError::code(ErrorCode::ReceiptAlreadyVoided));
            }
            printed.number
        };
        // A clerk's 待核实 receipt that the placement confirmed: the payer's claim was never
        // disproved, only the credit was the wrong one, so the claim waits for its money again
        // (and RECEIPT_WITHOUT_MONEY keeps watching it) under a new number.
        let claim = match placement.confirmed_receipt_id {
            Some(id) if id == receipt.id => {
                let renewed = receipts::issue(
                    conn,
                    key,
                    &village,
                    Issue {
                        bill: &bill,
                        amount: receipt.amount,
                        channel: receipt.channel,
                        evidence: Evidence::Claimed,
                        issued_by: Some(actor.user_id),
                        replaces_id: Some(receipt.id),
                    },
                )?;
                Some(receipts::view_of(conn, &village, &renewed)?.number)
            }
            _ => None,
        };
        NewUndo {
            placement_id: placement.id,
            village_id: village.id,
            reversal_entry_id: reversal.id,
            voided_receipt_id: Some(receipt.id),
            note: &note,
            undone_by: actor.user_id,
            undone_at: now.naive_utc(),
        }
        .insert(conn)
        .map_err(|e| match e {
            StoreError::Unique(_) => refused(format!("银行入账 {} 的认领已经撤销过了。", txn_id.get())),
            other => other.into(),
        })?;
        audit(
            conn,
            Some(actor),
            "suspense.undo",
            "bank_transaction",
            txn_id.get(),
            Some(village.id),
            serde_json::json!({
                "bill": reference, "amount": placement.amount.to_string(), "note": note,
                "reversal_seq": reversal.seq, "voided_receipt": voided, "claim_again": claim,
            }),
        )?;
        Ok(UndoOutcome {
            bank_transaction_id: txn_id,
            bill_reference: reference,
            amount: placement.amount,
            reversal_seq: reversal.seq,
            voided_receipt: voided,
            claim_again: claim,
        })
    })
}

/// A refusal about the credit named in the path.
/// The credit named in the path is no credit of this village.
pub(super) fn no_credit(txn: BankTransactionId) -> AppError {
    AppError::new(
        ErrorCode::BankTransactionNotFound,
        format!("本村没有编号为 {} 的银行入账。", txn.get()),
    )
    .at("bank_transaction_id")
}

/// The credit named in the path cannot take this action as it stands (placed, refunded,
/// transferred, a clerk's deposit, paid exactly into its bill…): one code for every such
/// refusal, as pay-in matching answers too.
pub(super) fn refused(why: String) -> AppError {
    AppError::new(ErrorCode::BankTransactionNotAvailable, why).at("bank_transaction_id")
}

fn transferred_already(conn: &mut DbConnection, t: &Transfer) -> AppResult<String> {
    let seq = Entry::by_id(conn, t.entry_id)?.seq;
    Ok(format!(
        "银行入账 {} 的待查明款项 ¥{} 已于 {} 查明转入 {} 科目（第{}号凭证），不能再认领、退款或转出。",
        t.bank_transaction_id.get(),
        t.amount,
        period::shown(t.transferred_at.and_utc()),
        t.account_code,
        seq
    ))
}

/// The credit's part still in suspense that a refund or a transfer would take (`what` names
/// which, for the messages), or why it cannot be taken: it was refunded or transferred
/// already, its entry was reversed, it was placed onto a bill, it is a clerk's cash deposit,
/// or it paid its bill exactly. The caller holds the village's lock.
pub(super) fn part_to_settle(conn: &mut DbConnection, txn: &BankTransaction, what: &str) -> AppResult<Money> {
    let credit = txn.id.get();
    if let Some((_, d)) = Refund::active(conn, txn.id)? {
        let asked = d.id;
        return Err(refused(match d.status {
            DisbursementStatus::Paid => format!("银行入账 {credit} 已经退款（支出申请 {asked}），不能再{what}。"),
            DisbursementStatus::Approved => format!(
                "银行入账 {credit} 的退款已批准（支出申请 {asked}），等待银行付款；如果银行付不出去，请乡镇会计在“支出审批”里撤回批准（申请人本人不能撤回）后再办理。"
            ),
            _ => format!("银行入账 {credit} 已有退款申请（支出申请 {asked}，待审批），不能再{what}。"),
        }));
    }
    if let Some(t) = Transfer::of_credit(conn, txn.id)? {
        return Err(refused(transferred_already(conn, &t)?));
    }
    if Entry::reversal_of(conn, txn.entry_id)?.is_some() {
        return Err(refused(format!(
            "银行入账 {credit} 的记账凭证已冲销，没有待查明的款项可{what}。"
        )));
    }
    match txn.outcome {
        Outcome::Overpaid => {}
        Outcome::Suspense => {
            if Placement::in_force(conn, txn.id)?.is_some() {
                return Err(refused(format!(
                    "银行入账 {credit} 已认领到账单；如果认错了，请先在“已认领”里撤销认领。"
                )));
            }
            if !waiting::is_waiting(conn, txn.village_id, txn.id)? {
                return Err(refused(format!(
                    "银行入账 {credit} 是报账员代交的现金，已记入代交款，不能{what}。"
                )));
            }
        }
        other => {
            return Err(refused(format!(
                "银行入账 {credit} 是“{}”，全部记入了账单，没有待查明的部分可{what}。",
                other.label()
            )));
        }
    }
    let part = refund_store::suspense_part(conn, txn)?;
    if part <= Money::ZERO {
        return Err(refused(format!("银行入账 {credit} 没有待查明的部分可{what}。")));
    }
    ensure_covered(conn, txn.village_id, part, what)?;
    Ok(part)
}

/// Every way out of 211.9999 names its credit, so a credit's part is its own; but hand entries
/// made before they were refused named none, and one may have moved this very credit's money
/// out. So before a placement, a pay-in, a refund or a transfer takes `part`, the account as a
/// whole must still hold it beside what the refunds already asked for will take.
pub(super) fn ensure_covered(
    conn: &mut DbConnection,
    village: crate::domain::ids::VillageId,
    part: Money,
    what: &str,
) -> AppResult<()> {
    let (held, promised) = refund_store::suspense_held(conn, village)?;
    if held - promised < part {
        let promised = if promised.is_zero() {
            String::new()
        } else {
            format!("，其中 ¥{promised} 已申请退款待付")
        };
        let hand: Vec<String> = crate::store::books::suspense_lines(conn, village)?
            .hand_entries
            .iter()
            .map(|s| format!("第{s}号"))
            .collect();
        return Err(AppError::new(
            ErrorCode::SuspenseShort,
            format!(
                "待查明款项（211.9999）余额 ¥{held}{promised}，不够再{what} ¥{part}：早先的手工凭证（{}）从中转出了钱；请乡镇会计冲销该手工凭证后再办理。",
                hand.join("、")
            ),
        )
        .at("bank_transaction_id"));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TransferInput {
    /// The account the money belongs to: 503 补助收入, 504 其他收入, 211.0001 其他应付款, a
    /// household's 113 sub-account… (never cash, a bank account or suspense itself).
    pub account_code: String,
    /// How the accountant knows (the township's notice of a subsidy, the donor's letter…).
    pub note: String,
}

/// A credit's part in suspense moved to the account it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub bank_transaction_id: BankTransactionId,
    pub channel_name: String,
    /// The whole credit.
    #[schema(value_type = String)]
    pub credit_amount: Money,
    /// What was transferred: the credit's part in suspense.
    #[schema(value_type = String)]
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub payer: Option<String>,
    pub account_code: String,
    /// The entry's number in the village's journal.
    pub entry_seq: i64,
    pub note: String,
    pub transferred_by: String,
    pub transferred_at: DateTime<Utc>,
}

/// An account a transfer may land on, for the form.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferTarget {
    pub code: String,
    pub name: String,
}

/// The village's transfers (the latest 200, newest first) and the accounts a transfer may land
/// on today.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransfersOverview {
    pub transfers: Vec<TransferView>,
    pub targets: Vec<TransferTarget>,
}

pub fn transfers(db: &Db, actor: &Actor, village_code: &str) -> AppResult<TransfersOverview> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let transfers = Transfer::of_village(conn, village.id, 200)?
            .into_iter()
            .map(|(t, txn, seq, by)| transfer_view(t, &txn, seq, by))
            .collect();
        let targets = super::bookkeeping::bookable_accounts(conn, village.id)?
            .into_iter()
            .map(|a| TransferTarget {
                code: a.code,
                name: a.name,
            })
            .collect();
        Ok(TransfersOverview { transfers, targets })
    })
}

fn transfer_view(t: Transfer, txn: &BankTransaction, seq: i64, by: Option<String>) -> TransferView {
    TransferView {
        bank_transaction_id: t.bank_transaction_id,
        channel_name: Channel::of(txn.provider).label().into(),
        credit_amount: txn.amount,
        amount: t.amount,
        paid_at: txn.paid_at.and_utc(),
        payer: txn.payer_masked.clone(),
        account_code: t.account_code,
        entry_seq: seq,
        note: t.note,
        transferred_by: by.unwrap_or_default(),
        transferred_at: t.transferred_at.and_utc(),
    }
}

/// Moves a credit's part in suspense to the account it belongs to: Dr 211.9999 / Cr that
/// account, dated today and signed by the accountant, tied to the credit by its own row. Final:
/// a transfer to the wrong account is corrected by an entry between the two accounts, which
/// leaves 211.9999 alone.
pub fn transfer(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    txn_id: BankTransactionId,
    input: TransferInput,
) -> AppResult<TransferView> {
    // 100: the entry's memo carries the note after its own words, within 200.
    let note = input::text("note", &input.note, 100)?;
    if input.account_code.trim().is_empty() {
        return Err(AppError::new(ErrorCode::FieldRequired, "请选择转入科目。").at("account_code"));
    }
    let code = input::text("account_code", &input.account_code, 20)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::PostEntries)?;
        let txn = BankTransaction::by_id(conn, txn_id)?
            .filter(|t| t.village_id == village.id)
            .ok_or_else(|| no_credit(txn_id))?;
        let today = period::business_date(period::now());
        let version = chart::version_for(today).ok_or_else(|| AppError::Internal(format!("no chart on {today}")))?;
        if !chart::is_booking_account(&code) {
            return Err(AppError::new(
                ErrorCode::SuspenseTransferAccountInvalid,
                format!("不能转入“{code}”：待查明款项只能转入它真正所属的收入、应付或往来科目，不能转入现金、银行存款、待查明款项或待结算科目。"),
            )
            .at("account_code"));
        }
        let target = super::bookkeeping::bookable_account(conn, village.id, &code)?.ok_or_else(|| {
            AppError::new(
                ErrorCode::EntryAccountUnknown,
                format!("本村在《{}》的科目中没有可以记账的“{code}”。", version.name),
            )
            .at("account_code")
        })?;
        let part = part_to_settle(conn, &txn, "转出")?;
        let suspense = super::bookkeeping::fixed_account(conn, &village, today, chart::SUSPENSE_CODE, "待查明款项")?;
        let entry = post(
            conn,
            &village,
            &ProposedEntry {
                village_id: village.id,
                entry_date: today,
                memo: format!(
                    "待查明款项查明转出：{}入账 {} 转入 {} {}（{note}）",
                    Channel::of(txn.provider).label(),
                    txn.provider_txn_id,
                    target.code,
                    target.name
                )
                .chars()
                .take(200)
                .collect(),
                lines: vec![
                    Line {
                        account: suspense.view(),
                        debit: part,
                        credit: Money::ZERO,
                        memo: "待查明".into(),
                    },
                    Line {
                        account: target.view(),
                        debit: Money::ZERO,
                        credit: part,
                        memo: "查明转入".into(),
                    },
                ],
            },
            EntrySource::Transfer,
            None,
            Some(actor.user_id),
        )?;
        let kept = Transfer::insert(
            conn,
            &NewTransfer {
                village_id: village.id,
                bank_transaction_id: txn.id,
                amount: part,
                account_code: &target.code,
                entry_id: entry.id,
                note: &note,
                transferred_by: actor.user_id,
                transferred_at: period::now().naive_utc(),
            },
        )
        .map_err(|e| match e {
            StoreError::Unique(_) => refused(format!("银行入账 {} 已经查明转出过了。", txn.id.get())),
            other => other.into(),
        })?;
        audit(
            conn,
            Some(actor),
            "suspense.transfer",
            "bank_transaction",
            txn.id.get(),
            Some(village.id),
            serde_json::json!({"account": target.code, "amount": part.to_string(), "entry_seq": entry.seq, "note": note}),
        )?;
        let by = crate::store::access::User::by_id(conn, actor.user_id)?.map(|u| u.display_name);
        Ok(transfer_view(kept, &txn, entry.seq, by))
    })
}
