//! Receipts: numbered per village and year without gaps, each resting on money (a bank credit or
//! a cash record) or marked 待核实 until the bank confirms the payment it claims.
//!
//! - A number is taken from the village's `receipt:{year}` counter in the same transaction as
//!   the receipt, so a rolled-back issue leaves no gap.
//! - A void keeps its number, with a reason, who and when. A reissue takes a new number and
//!   points to the receipt it replaces; the money it rests on stays the same.
//! - The verification code is an HMAC under the server key over the receipt's number, amount,
//!   channel, evidence and time; the public page `/r/{number}` checks it without showing
//!   personal data.

use chrono::{Datelike, NaiveDateTime, TimeZone};
use chrono_tz::Asia::Shanghai;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{audit, input, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{ReceiptId, UserId};
use crate::domain::{masking, period, CashStatus, Channel, Money, ReceiptStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::payments::receipt_code::{receipt_number, verification_code, CodeFields};
use crate::store::access::User;
use crate::store::billing::{Bill, FeeItem, Payer};
use crate::store::cash::CashRecord;
use crate::store::payments::{BankTransaction, NewReceipt, Receipt, ReceiptVoid};
use crate::store::registry::Village;
use crate::store::{Db, DbConnection};

/// What a receipt rests on.
pub enum Evidence<'a> {
    Bank(&'a BankTransaction),
    Cash(&'a CashRecord),
    /// A payment the payer claims (a transfer screenshot): 待核实 until the bank confirms it.
    Claimed,
}

impl Evidence<'_> {
    /// The evidence as the verification code covers it.
    fn text(&self) -> String {
        match self {
            Evidence::Bank(t) => t.provider_txn_id.clone(),
            Evidence::Cash(c) => format!("CASH-{}", c.id),
            Evidence::Claimed => "PENDING".into(),
        }
    }
}

pub struct Issue<'a> {
    pub bill: &'a Bill,
    pub amount: Money,
    pub channel: Channel,
    pub evidence: Evidence<'a>,
    pub issued_by: Option<UserId>,
    pub replaces_id: Option<ReceiptId>,
}

fn issued_text(at: NaiveDateTime) -> String {
    at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn code_for(key: &[u8], village_code: &str, r: &Receipt, evidence: &str) -> String {
    verification_code(
        key,
        &CodeFields {
            village_code,
            year: r.year,
            number: r.number,
            amount: r.amount,
            channel: r.channel.as_str(),
            bank_txn: evidence,
            issued_at: &issued_text(r.issued_at),
        },
    )
}

/// Numbers and records a receipt in the caller's transaction.
pub(crate) fn issue(conn: &mut DbConnection, key: &[u8], village: &Village, i: Issue) -> AppResult<Receipt> {
    let issued_at = period::now();
    let year = period::business_date(issued_at).year();
    let number = Village::next_number(conn, village.id, &format!("receipt:{year}"))?;
    let status = if matches!(i.evidence, Evidence::Claimed) {
        ReceiptStatus::Pending
    } else {
        ReceiptStatus::Issued
    };
    let code = verification_code(
        key,
        &CodeFields {
            village_code: &village.code,
            year,
            number,
            amount: i.amount,
            channel: i.channel.as_str(),
            bank_txn: &i.evidence.text(),
            issued_at: &issued_text(issued_at.naive_utc()),
        },
    );
    Ok(Receipt::insert(
        conn,
        &NewReceipt {
            village_id: village.id,
            year,
            number,
            bill_id: Some(i.bill.id),
            payer_id: Some(i.bill.payer_id),
            fee_item_id: Some(i.bill.fee_item_id),
            bank_transaction_id: match i.evidence {
                Evidence::Bank(t) => Some(t.id),
                _ => None,
            },
            amount: i.amount,
            channel: i.channel,
            status,
            issued_at: issued_at.naive_utc(),
            issued_by: i.issued_by,
            verification_code: &code,
            cash_record_id: match i.evidence {
                Evidence::Cash(c) => Some(c.id),
                _ => None,
            },
            replaces_id: i.replaces_id,
        },
    )?)
}

/// The bank confirmed a claimed payment: its 待核实 receipt now rests on the credit (and its
/// code covers the credit), instead of a second receipt being issued. Returns the one confirmed.
pub(crate) fn confirm_pending(
    conn: &mut DbConnection,
    key: &[u8],
    village: &Village,
    bill: &Bill,
    txn: &BankTransaction,
    amount: Money,
) -> AppResult<Option<ReceiptId>> {
    let Some(r) = Receipt::pending_for_bill(conn, bill.id, amount)? else {
        return Ok(None);
    };
    let code = code_for(key, &village.code, &r, &txn.provider_txn_id);
    Receipt::confirm(conn, r.id, txn.id, &code)?;
    Ok(Some(r.id))
}

/// A receipt number as printed: `370725102201-2026-000042`, or `2026-000042` within a village.
pub fn parse_number(text: &str) -> Option<(Option<String>, i32, i64)> {
    let parts: Vec<&str> = text.trim().split('-').collect();
    let (village, year, number) = match parts.as_slice() {
        [v, y, n] => (Some(v.to_string()), *y, *n),
        [y, n] => (None, *y, *n),
        _ => return None,
    };
    if village
        .as_deref()
        .is_some_and(|v| v.len() != 12 || !v.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let year: i32 = year.parse().ok().filter(|y| (2000..=2999).contains(y))?;
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    Some((village, year, number))
}

/// Everything a printed receipt shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptDetail {
    pub id: ReceiptId,
    /// `370725102201-2026-000042`.
    pub number: String,
    pub village_code: String,
    pub village_name: String,
    pub payer_name: String,
    pub fee_item: String,
    pub period_label: String,
    pub bill_reference: Option<String>,
    #[schema(value_type = String)]
    pub amount: Money,
    pub amount_in_words: String,
    pub channel: Channel,
    pub channel_name: String,
    /// The bank transaction (provider id) or the cash record it rests on; empty while 待核实.
    pub evidence: String,
    pub clerk: String,
    /// Beijing time, `2026-11-28 09:30`.
    pub issued_at: String,
    pub status: ReceiptStatus,
    pub void_reason: Option<String>,
    pub voided_by: Option<String>,
    /// The receipt this one replaces, and the one that replaced it.
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    /// 16 hex characters in groups of four.
    pub verification_code: String,
}

fn beijing(at: NaiveDateTime) -> String {
    Shanghai.from_utc_datetime(&at).format("%Y-%m-%d %H:%M").to_string()
}

fn grouped(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The full view of a receipt (staff and the printed copy; the payer's own e-receipt).
pub(crate) fn view_of(conn: &mut DbConnection, village: &Village, r: &Receipt) -> AppResult<ReceiptDetail> {
    let bill = match r.bill_id {
        Some(id) => Some(Bill::by_id(conn, id)?),
        None => None,
    };
    let payer = match r.payer_id {
        Some(id) => Payer::in_village(conn, village.id, id)?.map(|p| p.name),
        None => None,
    };
    let item = match r.fee_item_id {
        Some(id) => FeeItem::in_village(conn, village.id, id)?.map(|f| f.name),
        None => None,
    };
    let evidence = match (r.bank_transaction_id, r.cash_record_id) {
        (Some(t), _) => BankTransaction::by_id(conn, t)?
            .map(|t| format!("{} {}", r.channel.label(), t.provider_txn_id))
            .unwrap_or_default(),
        (None, Some(c)) => format!("现金收款记录 {c}"),
        _ => String::new(),
    };
    let clerk = match r.issued_by {
        Some(u) => User::by_id(conn, u)?.map(|u| u.display_name).unwrap_or_default(),
        None => "系统（银行到账自动开具）".into(),
    };
    let void = ReceiptVoid::of(conn, r.id)?;
    let voided_by = match &void {
        Some(v) => User::by_id(conn, v.voided_by)?.map(|u| u.display_name),
        None => None,
    };
    let number_of = |conn: &mut DbConnection, id: ReceiptId| -> AppResult<String> {
        let o = Receipt::by_id(conn, id)?;
        Ok(receipt_number(&village.code, o.year, o.number))
    };
    let replaces = match r.replaces_id {
        Some(id) => Some(number_of(conn, id)?),
        None => None,
    };
    let replaced_by = Receipt::reissue_of(conn, r.id)?.map(|o| receipt_number(&village.code, o.year, o.number));
    let amount = r.amount;
    Ok(ReceiptDetail {
        id: r.id,
        number: receipt_number(&village.code, r.year, r.number),
        village_code: village.code.clone(),
        village_name: village.name.clone(),
        payer_name: void
            .as_ref()
            .map(|v| v.printed_payer_name.clone())
            .or(payer)
            .unwrap_or_default(),
        fee_item: item.unwrap_or_default(),
        period_label: bill.as_ref().map(|b| b.period_label.clone()).unwrap_or_default(),
        bill_reference: bill.as_ref().map(|b| crate::domain::BillReference::shown(&b.reference)),
        amount,
        amount_in_words: amount.to_chinese_capital(),
        channel: r.channel,
        channel_name: r.channel.label().into(),
        evidence,
        clerk,
        issued_at: beijing(r.issued_at),
        status: r.status,
        void_reason: void.as_ref().map(|v| v.reason.clone()),
        voided_by,
        replaces,
        replaced_by,
        verification_code: grouped(&r.verification_code),
    })
}

fn not_found(text: &str) -> AppError {
    AppError::new(ErrorCode::ReceiptNotFound, format!("本村没有收据 {}。", text.trim()))
}

/// A receipt of the village by its number (staff).
fn find(conn: &mut DbConnection, village: &Village, text: &str) -> AppResult<Receipt> {
    let (v, year, number) =
        parse_number(text).ok_or_else(|| AppError::code(ErrorCode::ReceiptNumberInvalid).at("number"))?;
    if v.is_some_and(|v| v != village.code) {
        return Err(not_found(text));
    }
    Receipt::by_number(conn, village.id, year, number)?.ok_or_else(|| not_found(text))
}

/// Every receipt of the village as printed, by number, in one read (PDF archive, exports).
pub fn all_details(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<(Receipt, ReceiptDetail)>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let page = Receipt::of_village(conn, village.id, crate::store::Page { after, limit: 500 })?;
            let Some(last) = page.last() else { break };
            after = last.id.get();
            for r in page {
                let v = view_of(conn, &village, &r)?;
                out.push((r, v));
            }
        }
        Ok(out)
    })
}

pub fn get_receipt(db: &Db, actor: &Actor, village_code: &str, number: &str) -> AppResult<ReceiptDetail> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let r = find(conn, &village, number)?;
        view_of(conn, &village, &r)
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VoidInput {
    /// Why (shown on the voided receipt and in the audit log).
    pub reason: String,
    /// Issue a new receipt for the same money (e.g. the name was misspelt). Without it, only a
    /// cash receipt whose cash is still on hand, or a 待核实 receipt, may be voided: the cash
    /// entry is reversed and the bill owes the amount again.
    #[serde(default)]
    pub reissue: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoidOutcome {
    pub voided: ReceiptDetail,
    pub reissued: Option<ReceiptDetail>,
}

pub fn void_receipt(
    db: &Db,
    key: &[u8],
    actor: &Actor,
    village_code: &str,
    number: &str,
    input: VoidInput,
) -> AppResult<VoidOutcome> {
    let reason = input::text("reason", &input.reason, 150)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        let r = find(conn, &village, number)?;
        if r.status == ReceiptStatus::Voided {
            return Err(AppError::new(
                ErrorCode::ReceiptAlreadyVoided,
                format!(
                    "收据 {} 已作废，不能再次作废",
                    receipt_number(&village.code, r.year, r.number)
                ),
            ));
        }
        let printed = view_of(conn, &village, &r)?;
        let bill = match r.bill_id {
            Some(id) => Bill::by_id(conn, id)?,
            None => return Err(AppError::Internal("receipt without bill".into())),
        };
        let cash = match r.cash_record_id {
            Some(id) => CashRecord::by_id(conn, id)?,
            None => None,
        };
        let now = period::now();
        if !input.reissue {
            match (r.status, &cash) {
                (ReceiptStatus::Pending, _) => {}
                (_, Some(c)) if c.status == CashStatus::OnHand => {
                    // The cash goes back: reverse its entry and the bill owes it again.
                    let original = crate::store::journal::Entry::by_id(conn, c.entry_id)?;
                    let reversal = super::bookkeeping::reverse(
                        conn,
                        &village,
                        &original,
                        &format!("作废现金收据 {}：{reason}", printed.number),
                        period::business_date(now),
                        actor.user_id,
                    )?;
                    if CashRecord::void(conn, c.id, reversal.id)? != 1 {
                        return Err(AppError::code(ErrorCode::CashChanged));
                    }
                    crate::store::payments::bill_add_payment(conn, &bill, -r.amount)?;
                }
                (_, Some(_)) => {
                    return Err(AppError::new(
                        ErrorCode::CashAlreadyPaidIn,
                        "这笔现金已交存银行，不能直接作废；请作废并重开收据",
                    ))
                }
                _ => {
                    return Err(AppError::new(
                        ErrorCode::ReceiptMoneyReceived,
                        "款项已到账，收据不能只作废；请作废并重开",
                    ))
                }
            }
        }
        let done = Receipt::void(
            conn,
            &ReceiptVoid {
                receipt_id: r.id,
                reason: reason.clone(),
                voided_by: actor.user_id,
                voided_at: now.naive_utc(),
                printed_payer_name: printed.payer_name.clone(),
            },
        )?;
        if !done {
            return Err(AppError::new(
                ErrorCode::ReceiptAlreadyVoided,
                "收据已作废，不能再次作废",
            ));
        }
        let reissued = if input.reissue {
            let txn = match r.bank_transaction_id {
                Some(id) => BankTransaction::by_id(conn, id)?,
                None => None,
            };
            let evidence = match (&txn, &cash) {
                (Some(t), _) => Evidence::Bank(t),
                (None, Some(c)) => Evidence::Cash(c),
                _ => Evidence::Claimed,
            };
            let new = issue(
                conn,
                key,
                &village,
                Issue {
                    bill: &bill,
                    amount: r.amount,
                    channel: r.channel,
                    evidence,
                    issued_by: Some(actor.user_id),
                    replaces_id: Some(r.id),
                },
            )?;
            Some(view_of(conn, &village, &new)?)
        } else {
            None
        };
        audit(
            conn,
            Some(actor),
            "receipt.void",
            "receipt",
            r.id,
            Some(village.id),
            serde_json::json!({
                "number": printed.number, "reason": reason,
                "reissued_as": reissued.as_ref().map(|v| v.number.clone()),
            }),
        )?;
        let after = Receipt::by_id(conn, r.id)?;
        let voided = view_of(conn, &village, &after)?;
        Ok(VoidOutcome { voided, reissued })
    })
}

/// What the public verification page may say: no personal data.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCheck {
    pub number: String,
    pub village_name: String,
    pub fee_item: String,
    pub amount: Money,
    pub channel_name: String,
    /// Beijing date.
    pub issued_on: String,
    pub status: ReceiptStatus,
    pub payer_masked: String,
    pub replaced_by: Option<String>,
}

/// Checks a receipt number and its verification code (both as printed). Wrong number and wrong
/// code answer the same "not found", so the page cannot be used to list receipts.
pub fn check_public(db: &Db, key: &[u8], number: &str, code: &str) -> AppResult<PublicCheck> {
    let unknown = || {
        AppError::new(
            ErrorCode::ReceiptNotFound,
            "查无此收据：请核对收据号和校验码。如仍不符，这张收据可能是伪造的，请向乡镇纪委反映。",
        )
    };
    let (village_code, year, n) = parse_number(number).ok_or_else(unknown)?;
    let village_code = village_code.ok_or_else(unknown)?;
    let code: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    db.read(|conn| {
        let village = Village::by_code(conn, &village_code)?.ok_or_else(unknown)?;
        let r = Receipt::by_number(conn, village.id, year, n)?.ok_or_else(unknown)?;
        let evidence = match (r.bank_transaction_id, r.cash_record_id) {
            (Some(t), _) => BankTransaction::by_id(conn, t)?
                .map(|t| t.provider_txn_id)
                .unwrap_or_default(),
            (None, Some(c)) => format!("CASH-{c}"),
            _ => "PENDING".into(),
        };
        let expected = code_for(key, &village.code, &r, &evidence);
        if !bank_adapters::constant_time_eq(expected.as_bytes(), code.as_bytes())
            || !bank_adapters::constant_time_eq(r.verification_code.as_bytes(), code.as_bytes())
        {
            return Err(unknown());
        }
        let v = view_of(conn, &village, &r)?;
        Ok(PublicCheck {
            number: v.number,
            village_name: v.village_name,
            fee_item: v.fee_item,
            amount: v.amount,
            channel_name: v.channel_name,
            issued_on: v.issued_at.chars().take(10).collect(),
            status: v.status,
            payer_masked: masking::person_name(&v.payer_name),
            replaced_by: v.replaced_by,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers_parse_strictly() {
        assert_eq!(
            parse_number("370725102201-2026-000042"),
            Some((Some("370725102201".into()), 2026, 42))
        );
        assert_eq!(parse_number(" 2026-000042 "), Some((None, 2026, 42)));
        for bad in [
            "",
            "2026",
            "37072510220-2026-1",
            "370725102201-26-1",
            "2026-0",
            "2026-x",
            "a-b-c-d",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
