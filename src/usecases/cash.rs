//! Cash: a clerk takes cash for a bill (receipt at once, Dr 101 / Cr income), pays it in at the
//! bank (代交, one deposit for many receipts), and when the deposit's credit arrives, the credit
//! (first posted to 211.9999 suspense, as it names no bill) is matched to the pay-in:
//! Dr 211.9999 / Cr 101. So 101 always holds exactly the cash not yet confirmed by the bank:
//! the clerks' cash on hand plus pay-ins on their way.
//!
//! A clerk may also record a payment a villager claims to have made by transfer: its receipt is
//! 待核实 and nothing is posted until the bank's credit for the bill arrives.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bookkeeping::post;
use super::receipts::{self, Evidence, Issue, ReceiptDetail};
use super::{audit, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{
    BankTransactionId, CashRecordId, CorporateAccountId, LedgerAccountId, PayInId, UserId, VillageId,
};
use crate::domain::{period, BillReference, CashStatus, Channel, EntrySource, Money, PayInStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::store::access::User;
use crate::store::billing::{Bill, FeeItem};
use crate::store::cash::{CashRecord, NewCashRecord, NewPayIn, PayIn};
use crate::store::journal::LedgerAccount;
use crate::store::payments::{bill_add_payment, BankTransaction};
use crate::store::registry::{CorporateAccount, Village};
use crate::store::{Db, DbConnection};

fn account(conn: &mut DbConnection, village: &Village, code: &str) -> AppResult<LedgerAccount> {
    let version = chart::version_for(period::business_date(period::now()))
        .ok_or_else(|| AppError::Internal("no chart for today".into()))?;
    LedgerAccount::by_code(conn, village.id, version.id, code)?
        .ok_or_else(|| AppError::Internal(format!("village {} has no account {code}", village.code)))
}

/// The village's cash accounts: 101 and any sub-accounts under it.
pub(crate) fn cash_account_ids(conn: &mut DbConnection, village_id: VillageId) -> AppResult<Vec<LedgerAccountId>> {
    Ok(LedgerAccount::of_village(conn, village_id)?
        .iter()
        .filter(|a| chart::is_cash(&a.code))
        .map(|a| a.id)
        .collect())
}

fn open_bill(conn: &mut DbConnection, village: &Village, reference: &str) -> AppResult<Bill> {
    let r = BillReference::parse(reference)
        .map_err(|e| AppError::new(ErrorCode::BillReferenceInvalid, e.to_string()).at("bill_reference"))?;
    let bill = Bill::by_reference(conn, r.as_str())?
        .filter(|b| b.village_id == village.id)
        .ok_or_else(|| AppError::new(ErrorCode::BillNotFound, format!("本村没有账单 {r}")))?;
    if !bill.status.takes_payment() {
        return Err(AppError::new(
            ErrorCode::BillNotOpen,
            format!("账单 {r} {}，不能再收款", bill.status.label()),
        ));
    }
    Ok(bill)
}

fn parse_amount(text: &str) -> AppResult<Money> {
    let m = Money::parse(text)
        .map_err(|e| AppError::new(ErrorCode::AmountInvalid, format!("金额有误：{e}")).at("amount"))?;
    if m.fen() <= 0 {
        return Err(AppError::new(ErrorCode::AmountInvalid, "金额必须大于零").at("amount"));
    }
    Ok(m)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CashInput {
    pub bill_reference: String,
    /// Yuan, e.g. "1678.38"; at most what the bill still owes.
    pub amount: String,
}

/// Cash taken for a bill: the entry, the cash record and the receipt, in one transaction.
pub fn record_cash(
    db: &Db,
    key: &[u8],
    actor: &Actor,
    village_code: &str,
    input: CashInput,
) -> AppResult<ReceiptDetail> {
    let amount = parse_amount(&input.amount)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        super::still_assigned(conn, actor)?;
        let bill = open_bill(conn, &village, &input.bill_reference)?;
        let owed = bill.amount - bill.paid;
        if amount > owed {
            return Err(AppError::new(
                ErrorCode::AmountExceedsBill,
                format!("金额 ¥{} 超过账单尚欠的 ¥{}", amount, owed),
            )
            .at("amount"));
        }
        let item = FeeItem::in_village(conn, village.id, bill.fee_item_id)?
            .ok_or_else(|| AppError::Internal("bill without fee item".into()))?;
        let cash = account(conn, &village, chart::CASH_CODE)?;
        let income = account(conn, &village, &item.income_account_code)?;
        let now = period::now();
        let proposed = ProposedEntry {
            village_id: village.id,
            entry_date: period::business_date(now),
            memo: format!(
                "现金收款 {} {}（账单 {}）",
                item.name,
                crate::domain::schedule::shown_period(&bill.period_label),
                BillReference::shown(&bill.reference)
            )
            .chars()
            .take(180)
            .collect(),
            lines: vec![
                Line {
                    account: cash.view(),
                    debit: amount,
                    credit: Money::ZERO,
                    memo: String::new(),
                },
                Line {
                    account: income.view(),
                    debit: Money::ZERO,
                    credit: amount,
                    memo: item.name.clone(),
                },
            ],
        };
        let entry = post(conn, &village, &proposed, EntrySource::Cash, None, Some(actor.user_id))?;
        let record = CashRecord::insert(
            conn,
            &NewCashRecord {
                village_id: village.id,
                clerk_id: actor.user_id,
                bill_id: bill.id,
                amount,
                received_at: now.naive_utc(),
                entry_id: entry.id,
                status: CashStatus::OnHand,
            },
        )?;
        bill_add_payment(conn, &bill, amount)?;
        let receipt = receipts::issue(
            conn,
            key,
            &village,
            Issue {
                bill: &bill,
                amount,
                channel: Channel::Cash,
                evidence: Evidence::Cash(&record),
                issued_by: Some(actor.user_id),
                replaces_id: None,
            },
        )?;
        let view = receipts::view_of(conn, &village, &receipt)?;
        audit(
            conn,
            Some(actor),
            "cash.record",
            "receipt",
            receipt.id,
            Some(village.id),
            serde_json::json!({ "number": view.number, "amount": amount, "bill": bill.reference }),
        )?;
        Ok(view)
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ClaimInput {
    pub bill_reference: String,
    pub amount: String,
    /// How the payer says they paid: wechat, alipay or bank (cash is taken, not claimed).
    pub channel: Channel,
}

/// A payment the payer claims to have made (a screenshot): a 待核实 receipt, nothing posted.
/// When the bank's credit for this bill and amount arrives, that receipt is confirmed.
pub fn claim_payment(
    db: &Db,
    key: &[u8],
    actor: &Actor,
    village_code: &str,
    input: ClaimInput,
) -> AppResult<ReceiptDetail> {
    let amount = parse_amount(&input.amount)?;
    if input.channel == Channel::Cash {
        return Err(AppError::code(ErrorCode::ChannelInvalid).at("channel"));
    }
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        super::still_assigned(conn, actor)?;
        let bill = open_bill(conn, &village, &input.bill_reference)?;
        if amount > bill.amount - bill.paid {
            return Err(AppError::new(ErrorCode::AmountExceedsBill, "金额超过账单尚欠金额").at("amount"));
        }
        let receipt = receipts::issue(
            conn,
            key,
            &village,
            Issue {
                bill: &bill,
                amount,
                channel: input.channel,
                evidence: Evidence::Claimed,
                issued_by: Some(actor.user_id),
                replaces_id: None,
            },
        )?;
        let view = receipts::view_of(conn, &village, &receipt)?;
        audit(
            conn,
            Some(actor),
            "receipt.claim",
            "receipt",
            receipt.id,
            Some(village.id),
            serde_json::json!({ "number": view.number, "amount": amount, "bill": bill.reference }),
        )?;
        Ok(view)
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayInInput {
    /// The corporate account the cash is deposited into.
    pub account_id: CorporateAccountId,
    /// Yuan deposited.
    pub amount: String,
    /// The cash records it covers; when absent, the clerk's oldest cash on hand that adds up to
    /// exactly the amount.
    #[serde(default)]
    pub cash_record_ids: Option<Vec<CashRecordId>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayInView {
    pub id: PayInId,
    pub clerk: String,
    pub account_id: CorporateAccountId,
    #[schema(value_type = String)]
    pub amount: Money,
    pub declared_at: String,
    pub status: PayInStatus,
    pub cash_record_ids: Vec<CashRecordId>,
    pub bank_transaction_id: Option<BankTransactionId>,
}

fn pay_in_view(conn: &mut DbConnection, p: &PayIn) -> AppResult<PayInView> {
    Ok(PayInView {
        id: p.id,
        clerk: User::by_id(conn, p.clerk_id)?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        account_id: p.corporate_account_id,
        amount: p.amount,
        declared_at: p.declared_at.and_utc().to_rfc3339(),
        status: p.status,
        cash_record_ids: CashRecord::of_pay_in(conn, p.id)?.iter().map(|c| c.id).collect(),
        bank_transaction_id: p.bank_transaction_id,
    })
}

/// The clerk deposits cash (代交): the records it covers leave "on hand" for "on its way".
pub fn declare_pay_in(db: &Db, actor: &Actor, village_code: &str, input: PayInInput) -> AppResult<PayInView> {
    let amount = parse_amount(&input.amount)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        super::still_assigned(conn, actor)?;
        CorporateAccount::of_village(conn, village.id)?
            .into_iter()
            .find(|a| a.id == input.account_id && a.active)
            .ok_or_else(|| AppError::new(ErrorCode::AccountNotFound, "本村没有这个对公账户"))?;
        let mine = CashRecord::on_hand(conn, village.id, Some(actor.user_id))?;
        let on_hand: Money = mine.iter().map(|c| c.amount).sum();
        if amount > on_hand {
            return Err(AppError::new(
                ErrorCode::PayinExceedsCashOnHand,
                format!("代交金额 ¥{} 超过您的库存现金 ¥{}", amount, on_hand),
            )
            .at("amount"));
        }
        let chosen: Vec<&CashRecord> = match &input.cash_record_ids {
            Some(ids) => {
                let mut chosen = Vec::new();
                for id in ids {
                    let c = mine.iter().find(|c| c.id == *id).ok_or_else(|| {
                        AppError::new(
                            ErrorCode::CashRecordUnavailable,
                            format!("现金收款记录 {id} 不在您的库存现金中（已交存、已作废或不是您收的）"),
                        )
                        .at("cash_record_ids")
                    })?;
                    if !chosen.iter().any(|x: &&CashRecord| x.id == c.id) {
                        chosen.push(c);
                    }
                }
                chosen
            }
            None => {
                let mut sum = Money::ZERO;
                let mut chosen = Vec::new();
                for c in &mine {
                    if sum >= amount {
                        break;
                    }
                    sum += c.amount;
                    chosen.push(c);
                }
                chosen
            }
        };
        let covered: Money = chosen.iter().map(|c| c.amount).sum();
        if covered != amount || chosen.is_empty() {
            return Err(AppError::new(
                ErrorCode::PayinDoesNotMatchReceipts,
                format!(
                    "代交金额 ¥{} 与所选现金收据合计 ¥{} 不符，请逐笔选择收据",
                    amount, covered
                ),
            )
            .at("cash_record_ids"));
        }
        let p = PayIn::insert(
            conn,
            &NewPayIn {
                village_id: village.id,
                clerk_id: actor.user_id,
                corporate_account_id: input.account_id,
                amount,
                declared_at: period::now().naive_utc(),
                status: PayInStatus::Declared,
            },
        )?;
        let ids: Vec<CashRecordId> = chosen.iter().map(|c| c.id).collect();
        if CashRecord::pay_in(conn, &ids, p.id)? != ids.len() {
            return Err(AppError::new(ErrorCode::CashChanged, "现金收款记录刚被改动，请重试"));
        }
        audit(
            conn,
            Some(actor),
            "cash.pay_in",
            "pay_in",
            p.id,
            Some(village.id),
            serde_json::json!({ "amount": amount, "cash_records": ids }),
        )?;
        pay_in_view(conn, &p)
    })
}

/// A bank credit that could be a pay-in's deposit: unplaced (suspense), unmatched, same amount,
/// not before the pay-in was declared (less a day: a clerk may declare after depositing).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchProposal {
    pub pay_in_id: PayInId,
    pub bank_transaction_id: BankTransactionId,
    #[schema(value_type = String)]
    pub amount: Money,
    pub paid_at: String,
    pub payer_masked: Option<String>,
}

pub fn propose_matches(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<MatchProposal>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        // What waits in suspense: neither matched to another pay-in nor placed on a bill.
        let credits = crate::store::suspense::waiting(conn, village.id)?;
        let mut out = Vec::new();
        for p in PayIn::of_village(conn, village.id, Some(PayInStatus::Declared))? {
            for t in credits.iter().filter(|t| {
                t.amount == p.amount
                    && t.corporate_account_id == p.corporate_account_id
                    && t.paid_at >= p.declared_at - Duration::days(1)
            }) {
                out.push(MatchProposal {
                    pay_in_id: p.id,
                    bank_transaction_id: t.id,
                    amount: t.amount,
                    paid_at: t.paid_at.and_utc().to_rfc3339(),
                    payer_masked: t.payer_masked.clone(),
                });
            }
        }
        Ok(out)
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MatchInput {
    pub bank_transaction_id: BankTransactionId,
}

/// The deposit's credit is found: Dr 211.9999 / Cr 101, and the pay-in is matched.
pub fn match_pay_in(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    pay_in_id: PayInId,
    input: MatchInput,
) -> AppResult<PayInView> {
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        let p = PayIn::by_id(conn, pay_in_id)?
            .filter(|p| p.village_id == village.id)
            .ok_or_else(|| AppError::new(ErrorCode::PayInNotFound, "本村没有这笔代交"))?;
        if p.status != PayInStatus::Declared {
            return Err(AppError::new(
                ErrorCode::PayInAlreadyMatched,
                "这笔代交已经匹配过银行到账",
            ));
        }
        // Another village's credit is "not found" here, as everything outside one's scope.
        let t = BankTransaction::by_id(conn, input.bank_transaction_id)?
            .filter(|t| t.village_id == village.id)
            .ok_or_else(|| AppError::new(ErrorCode::BankTransactionNotFound, "本村没有这笔银行到账"))?;
        if !crate::store::suspense::is_waiting(conn, village.id, t.id)? {
            return Err(AppError::new(
                ErrorCode::BankTransactionNotAvailable,
                "这笔银行到账已对应账单、已匹配其他代交、已申请退款或已查明转出",
            ));
        }
        if t.amount != p.amount || t.corporate_account_id != p.corporate_account_id {
            return Err(AppError::new(
                ErrorCode::MatchAmountDiffers,
                format!("银行到账 ¥{} 与代交金额 ¥{} 或账户不符", t.amount, p.amount),
            )
            .at("bank_transaction_id"));
        }
        super::suspense::ensure_covered(conn, village.id, t.amount, "匹配代交")?;
        let suspense = account(conn, &village, chart::SUSPENSE_CODE)?;
        let cash = account(conn, &village, chart::CASH_CODE)?;
        let amount = p.amount;
        let proposed = ProposedEntry {
            village_id: village.id,
            entry_date: period::business_date(period::now()),
            memo: format!("代交现金到账（代交 {}，银行流水 {}）", p.id, t.provider_txn_id)
                .chars()
                .take(180)
                .collect(),
            lines: vec![
                Line {
                    account: suspense.view(),
                    debit: amount,
                    credit: Money::ZERO,
                    memo: "待查明转出".into(),
                },
                Line {
                    account: cash.view(),
                    debit: Money::ZERO,
                    credit: amount,
                    memo: "现金交存".into(),
                },
            ],
        };
        let entry = post(conn, &village, &proposed, EntrySource::PayIn, None, Some(actor.user_id))?;
        let now = period::now().naive_utc();
        if !PayIn::matched(conn, p.id, t.id, entry.id, actor.user_id, now)? {
            return Err(AppError::new(
                ErrorCode::PayInAlreadyMatched,
                "这笔代交已经匹配过银行到账",
            ));
        }
        audit(
            conn,
            Some(actor),
            "cash.match",
            "pay_in",
            p.id,
            Some(village.id),
            serde_json::json!({ "bank_transaction_id": t.id, "entry": entry.seq }),
        )?;
        let p = PayIn::by_id(conn, p.id)?.ok_or_else(|| AppError::Internal("pay-in vanished".into()))?;
        pay_in_view(conn, &p)
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClerkCash {
    pub clerk_id: UserId,
    pub clerk: String,
    #[schema(value_type = String)]
    pub on_hand: Money,
    /// Paid in, not yet seen on the bank's side.
    #[schema(value_type = String)]
    pub in_transit: Money,
    /// Open cash records: (id, receipt number, amount).
    pub records: Vec<CashRecordView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CashRecordView {
    pub id: CashRecordId,
    pub bill_reference: String,
    #[schema(value_type = String)]
    pub amount: Money,
    pub received_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CashOnHand {
    pub clerks: Vec<ClerkCash>,
    #[schema(value_type = String)]
    pub on_hand: Money,
    #[schema(value_type = String)]
    pub in_transit: Money,
    /// The ledger's 101 balance: always on hand + in transit.
    #[schema(value_type = String)]
    pub ledger_101: Money,
    pub pay_ins: Vec<PayInView>,
}

impl CashOnHand {
    /// What the books' 101 holds beyond the cash the records account for (on hand plus on its
    /// way to the bank); zero when they agree. Not zero means an entry touched cash without a
    /// cash record (or the other way round), and a person must look.
    pub fn books_differ_by(&self) -> Money {
        self.ledger_101 - (self.on_hand + self.in_transit)
    }
}

pub fn cash_on_hand(db: &Db, actor: &Actor, village_code: &str) -> AppResult<CashOnHand> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let records = CashRecord::on_hand(conn, village.id, None)?;
        let declared = PayIn::of_village(conn, village.id, Some(PayInStatus::Declared))?;
        let mut clerk_ids: Vec<UserId> = records
            .iter()
            .map(|c| c.clerk_id)
            .chain(declared.iter().map(|p| p.clerk_id))
            .collect();
        clerk_ids.sort_unstable();
        clerk_ids.dedup();
        let mut clerks = Vec::new();
        for id in clerk_ids {
            let mut views = Vec::new();
            for c in records.iter().filter(|c| c.clerk_id == id) {
                views.push(CashRecordView {
                    id: c.id,
                    bill_reference: BillReference::shown(&Bill::by_id(conn, c.bill_id)?.reference),
                    amount: c.amount,
                    received_at: c.received_at.and_utc().to_rfc3339(),
                });
            }
            clerks.push(ClerkCash {
                clerk_id: id,
                clerk: User::by_id(conn, id)?.map(|u| u.display_name).unwrap_or_default(),
                on_hand: records.iter().filter(|c| c.clerk_id == id).map(|c| c.amount).sum(),
                in_transit: declared.iter().filter(|p| p.clerk_id == id).map(|p| p.amount).sum(),
                records: views,
            });
        }
        let cash_ids = cash_account_ids(conn, village.id)?;
        let ledger: Money = crate::store::journal::sums_by_account(conn, village.id, None, None)?
            .iter()
            .filter(|(id, _)| cash_ids.contains(id))
            .map(|(_, s)| s.debit - s.credit)
            .sum();
        let mut pay_ins = Vec::new();
        for p in PayIn::of_village(conn, village.id, None)? {
            pay_ins.push(pay_in_view(conn, &p)?);
        }
        Ok(CashOnHand {
            clerks,
            on_hand: records.iter().map(|c| c.amount).sum(),
            in_transit: declared.iter().map(|p| p.amount).sum(),
            ledger_101: ledger,
            pay_ins,
        })
    })
}
