//! What reconciliation posts: a credit taken in, a paid disbursement, an unexplained debit.

use super::*;
use crate::usecases::bookkeeping::fixed_account;

/// A statement credit the books never heard of, booked as the bank's push of it would have
/// been. Its serial is its transaction id, so the push arriving late is a duplicate; a line
/// without a serial gets one from its key. None when that id is already another credit's (the
/// line stays unmatched and shows in the report).
pub(super) fn take_in(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    l: &StatementLine,
    server_key: &[u8],
) -> AppResult<Option<(BankTransactionId, crate::domain::ids::EntryId)>> {
    let txn_id = l.serial.clone().unwrap_or_else(|| format!("STMT-{}", l.line_key));
    if BankTransaction::by_provider_txn(conn, Provider::RuralBank, &txn_id)?.is_some() {
        return Ok(None);
    }
    let paid_at = period::from_beijing(l.booked_at);
    let credit = BankCredit {
        provider: Provider::RuralBank,
        provider_txn_id: txn_id,
        account_ref: account.account_no.clone(),
        amount: l.amount,
        paid_at,
        payer_masked: l.counterparty_name.as_deref().map(masking::person_name),
        reference: l.remark.clone(),
    };
    match post_credit(conn, village.id, account.id, None, &credit, server_key)? {
        Applied::Posted {
            bank_transaction_id, ..
        } => {
            let txn = BankTransaction::by_id(conn, bank_transaction_id)?
                .ok_or_else(|| AppError::Internal("a credit just posted is missing".into()))?;
            Ok(Some((bank_transaction_id, txn.entry_id)))
        }
        Applied::Duplicate { .. } => Ok(None),
    }
}

/// Dr the account the approved request books to / Cr the account's 102 sub-account, dated the
/// bank's business day (or today, with the date in the memo, when that month is closed).
pub(super) fn post_disbursement(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    l: &StatementLine,
    d: &Disbursement,
) -> AppResult<crate::domain::ids::EntryId> {
    let version = chart::version_for(l.business_date)
        .ok_or_else(|| AppError::Internal(format!("no chart on {}", l.business_date)))?;
    let booking = LedgerAccount::by_code(conn, village.id, version.id, &d.account_code)?
        .ok_or_else(|| AppError::Internal(format!("village {} has no account {}", village.code, d.account_code)))?;
    let bank = LedgerAccount::by_id(conn, account.ledger_account_id)?;
    let memo = format!(
        "支出：付给 {}，{}（支出申请 {}，流水 {}）",
        d.payee_name,
        d.purpose,
        d.id,
        l.serial.as_deref().unwrap_or("无")
    );
    let lines = vec![
        Line {
            account: booking.view(),
            debit: l.amount,
            credit: Money::ZERO,
            memo: d.purpose.chars().take(100).collect(),
        },
        Line {
            account: bank.view(),
            debit: Money::ZERO,
            credit: l.amount,
            memo: String::new(),
        },
    ];
    post_dated(conn, village, l.business_date, &memo, lines)
}

/// Posts a reconciliation entry on the bank's business day, or today (its date in the memo)
/// when that month is closed.
fn post_dated(
    conn: &mut DbConnection,
    village: &Village,
    day: NaiveDate,
    memo: &str,
    lines: Vec<Line>,
) -> AppResult<crate::domain::ids::EntryId> {
    let proposed = ProposedEntry {
        village_id: village.id,
        entry_date: day,
        memo: memo.chars().take(180).collect(),
        lines,
    };
    Ok(post_in_open_month(conn, village, proposed, EntrySource::Statement)?.id)
}

/// Dr 211.9998 待查明支出 / Cr the account's 102 sub-account, dated the bank's business day (or
/// today, with the date in the memo, when that month is closed).
pub(super) fn post_unexplained_debit(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    l: &StatementLine,
) -> AppResult<crate::domain::ids::EntryId> {
    let bank = LedgerAccount::by_id(conn, account.ledger_account_id)?;
    let suspense = fixed_account(
        conn,
        village,
        l.business_date,
        chart::UNEXPLAINED_DEBITS_CODE,
        "待查明支出",
    )?;
    let who = l.counterparty_name.as_deref().unwrap_or("未列明");
    let memo = format!(
        "银行支出未见审批：付给 {who}，{}（流水 {}）",
        l.remark.as_deref().or(l.summary.as_deref()).unwrap_or("无附言"),
        l.serial.as_deref().unwrap_or("无")
    );
    let lines = vec![
        Line {
            account: suspense.view(),
            debit: l.amount,
            credit: Money::ZERO,
            memo: "待查明支出".into(),
        },
        Line {
            account: bank.view(),
            debit: Money::ZERO,
            credit: l.amount,
            memo: String::new(),
        },
    ];
    post_dated(conn, village, l.business_date, &memo, lines)
}
