//! Gateway settlement in the books (DESIGN.md §6 Settlement).
//!
//! A binding that settles daily (WeChat Pay and Alipay merchants: the day's payments less the
//! provider's fee, T+1, in one credit) books each payment Dr 112.990x 待结算 (the provider's
//! clearing account) instead of Dr 102, and keeps it as a clearing item with the fee its rate
//! gives ([`hold`]). The provider's settlement credit on the statement then clears the days it
//! pays for ([`settle`]): Dr 102 the amount, Dr 521 管理费用 the fee, Cr the clearing account.
//!
//! A credit is a settlement when it adds up exactly to open days of a binding whose provider
//! pays it ([`exact_claim`]); one that does not add up is a settlement only when its remark
//! names the merchant ([`named_claim`]). Such a one is still posted (the books follow the bank),
//! the difference stays in the clearing account, and the reconciliation report shows it as a
//! settlement mismatch (critical). Any other credit from 财付通 or 支付宝 (a villager's transfer
//! from their wallet, a refund) goes on to the ordinary matcher.

use chrono::NaiveDate;
use std::collections::BTreeMap;

use super::bookkeeping::{fixed_account, post_in_open_month};
use crate::domain::ids::{BankTransactionId, EntryId};
use crate::domain::vocabulary::{EntrySource, Settlement};
use crate::domain::{period, Money};
use crate::error::{AppError, AppResult};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::reconcile::settlement::{self, claimed_batch, exact_batch, fee_of, Batch, ClearingDay};
use crate::store::journal::LedgerAccount;
use crate::store::payments::Binding;
use crate::store::registry::{CorporateAccount, Village};
use crate::store::settlements::{ClearingItem, NewClearingItem, NewSettlementBatch, SettlementBatch};
use crate::store::DbConnection;
use bank_adapters::Provider;

/// The binding, when it settles daily: its payments go to clearing.
pub fn daily(binding: Option<&Binding>) -> Option<&Binding> {
    binding.filter(|b| b.settlement == Settlement::Daily)
}

/// The provider's clearing account (112.9901 WeChat Pay, 112.9902 Alipay) in the chart of `day`.
pub fn clearing_account(
    conn: &mut DbConnection,
    village: &Village,
    provider: Provider,
    day: NaiveDate,
) -> AppResult<LedgerAccount> {
    let (code, name) = match provider {
        Provider::Wechat => (chart::CLEARING_WECHAT_CODE, "微信支付待结算"),
        Provider::Alipay => (chart::CLEARING_ALIPAY_CODE, "支付宝待结算"),
        other => return Err(AppError::Internal(format!("{} does not settle daily", other.as_str()))),
    };
    fixed_account(conn, village, day, code, name)
}

/// Keeps a payment just posted to clearing, with its fee at the binding's rate today.
pub fn hold(
    conn: &mut DbConnection,
    binding: &Binding,
    txn: BankTransactionId,
    day: NaiveDate,
    amount: Money,
) -> AppResult<()> {
    ClearingItem::insert(
        conn,
        &NewClearingItem {
            bank_transaction_id: txn,
            village_id: binding.village_id,
            corporate_account_id: binding.corporate_account_id,
            binding_id: binding.id,
            business_date: day,
            amount,
            fee: fee_of(amount, binding.fee_rate_ppm),
            created_at: period::now().naive_utc(),
        },
    )?;
    Ok(())
}

/// An account's open clearing items, by binding and day.
pub struct OpenDays {
    by_binding: BTreeMap<i64, BTreeMap<NaiveDate, Vec<ClearingItem>>>,
}

impl OpenDays {
    pub fn load(conn: &mut DbConnection, account: &CorporateAccount) -> AppResult<OpenDays> {
        let mut by_binding: BTreeMap<i64, BTreeMap<NaiveDate, Vec<ClearingItem>>> = BTreeMap::new();
        for item in ClearingItem::open_of_account(conn, account.id)? {
            by_binding
                .entry(item.binding_id)
                .or_default()
                .entry(item.business_date)
                .or_default()
                .push(item);
        }
        Ok(OpenDays { by_binding })
    }

    /// Whether a binding has payments waiting.
    pub fn has(&self, binding: i64) -> bool {
        self.by_binding.get(&binding).is_some_and(|d| !d.is_empty())
    }

    fn days(&self, binding: i64) -> Vec<ClearingDay> {
        self.by_binding
            .get(&binding)
            .map(|days| {
                days.iter()
                    .map(|(day, items)| ClearingDay {
                        day: *day,
                        payments: items.len() as i64,
                        gross: items.iter().fold(Money::ZERO, |a, i| a + i.amount),
                        fee: items.iter().fold(Money::ZERO, |a, i| a + i.fee),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Takes a batch's days out, returning their items.
    fn take(&mut self, binding: i64, batch: &Batch) -> Vec<ClearingItem> {
        let Some(days) = self.by_binding.get_mut(&binding) else {
            return Vec::new();
        };
        batch
            .days
            .iter()
            .flat_map(|d| days.remove(d).unwrap_or_default())
            .collect()
    }
}

/// A statement credit from a daily-settling provider, as the books have it.
pub struct SettlementCredit<'a> {
    pub line_id: i64,
    pub date: NaiveDate,
    pub amount: Money,
    pub serial: Option<&'a str>,
    pub remark: Option<&'a str>,
}

/// The bindings a statement credit may be a settlement of: those of its provider's payout
/// company, or the one its remark names.
pub fn candidates<'b>(bindings: &'b [Binding], counterparty: Option<&str>, remark: Option<&str>) -> Vec<&'b Binding> {
    bindings
        .iter()
        .filter(|b| {
            settlement::from_provider(b.provider, counterparty) || settlement::names_merchant(remark, &b.account_ref)
        })
        .collect()
}

/// The first binding whose open days owe exactly the credit's amount (a binding the remark
/// names first, then in id order), with those days.
pub fn exact_claim<'b>(
    bindings: &[&'b Binding],
    open: &OpenDays,
    credit: &SettlementCredit,
) -> Option<(&'b Binding, Batch)> {
    let mut ordered: Vec<&'b Binding> = bindings.to_vec();
    ordered.sort_by_key(|b| (!settlement::names_merchant(credit.remark, &b.account_ref), b.id));
    ordered.into_iter().find_map(|b| {
        let named = settlement::names_merchant(credit.remark, &b.account_ref);
        exact_batch(credit.date, credit.amount, credit.remark, &open.days(b.id), named).map(|batch| (b, batch))
    })
}

/// A settlement that does not add up but names its merchant: the days it claims to pay for
/// (`settlement::claimed_batch`); None when the binding has no open day it could pay for.
pub fn named_claim<'b>(
    bindings: &[&'b Binding],
    open: &OpenDays,
    credit: &SettlementCredit,
) -> Option<(&'b Binding, Batch)> {
    bindings
        .iter()
        .filter(|b| settlement::names_merchant(credit.remark, &b.account_ref))
        .map(|b| (*b, claimed_batch(credit.date, credit.remark, &open.days(b.id))))
        .find(|(_, batch)| !batch.days.is_empty())
}

/// Posts a settlement and marks its payments settled: Dr 102 the amount, Dr the fee expense,
/// Cr the clearing account the amount plus the fee (a difference stays in clearing). Returns
/// the settlement kept and whether it adds up.
pub fn settle(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    binding: &Binding,
    open: &mut OpenDays,
    batch: &Batch,
    credit: &SettlementCredit,
) -> AppResult<(SettlementBatch, bool)> {
    let items = open.take(binding.id, batch);
    let clearing = clearing_account(conn, village, binding.provider, credit.date)?;
    let bank = LedgerAccount::by_id(conn, account.ledger_account_id)?;
    let version =
        chart::version_for(credit.date).ok_or_else(|| AppError::Internal(format!("no chart on {}", credit.date)))?;
    let fees = LedgerAccount::by_code(conn, village.id, version.id, chart::fees_code(version))?
        .ok_or_else(|| AppError::Internal(format!("village {} has no fee expense account", village.code)))?;
    let days = match (batch.days.first(), batch.days.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a} 至 {b}"),
        _ => return Err(AppError::Internal("a settlement of no day".into())),
    };
    let mut lines = vec![Line {
        account: bank.view(),
        debit: credit.amount,
        credit: Money::ZERO,
        memo: String::new(),
    }];
    if batch.fee > Money::ZERO {
        lines.push(Line {
            account: fees.view(),
            debit: batch.fee,
            credit: Money::ZERO,
            memo: "支付手续费".into(),
        });
    }
    lines.push(Line {
        account: clearing.view(),
        debit: Money::ZERO,
        credit: credit.amount + batch.fee,
        memo: format!("{} 笔", batch.payments),
    });
    let memo = format!(
        "{}结算 {days} 收款 {} 笔 {} 元，手续费 {} 元（流水 {}）",
        binding.provider.label(),
        batch.payments,
        batch.gross,
        batch.fee,
        credit.serial.unwrap_or("无")
    );
    let entry: EntryId = post_in_open_month(
        conn,
        village,
        ProposedEntry {
            village_id: village.id,
            entry_date: credit.date,
            memo: memo.chars().take(180).collect(),
            lines,
        },
        EntrySource::Statement,
    )?
    .id;
    let kept = SettlementBatch::insert(
        conn,
        &NewSettlementBatch {
            village_id: village.id,
            corporate_account_id: account.id,
            binding_id: binding.id,
            statement_line_id: credit.line_id,
            first_day: batch.days.first().copied(),
            last_day: batch.days.last().copied(),
            payments: batch.payments,
            gross: batch.gross,
            fee: batch.fee,
            expected: batch.expected(),
            amount: credit.amount,
            entry_id: entry,
            created_at: period::now().naive_utc(),
        },
    )?;
    let ids: Vec<BankTransactionId> = items.iter().map(|i| i.bank_transaction_id).collect();
    if ClearingItem::settle(conn, &ids, kept.id)? != ids.len() {
        return Err(AppError::Retry("a clearing item was settled meanwhile".into()));
    }
    Ok((kept, batch.expected() == credit.amount))
}
