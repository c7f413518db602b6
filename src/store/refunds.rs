//! Refunds (退款) of money waiting in suspense: each ties a disbursement booked to 211.9999 to
//! the credit it returns. A refund is active unless its disbursement was rejected; a credit has
//! at most one active refund (numbered by `attempt`, the use case refusing a second under the
//! village's lock), and while it has one it is neither placed nor matched to a pay-in.

use diesel::prelude::*;

use super::disbursements::Disbursement;
use super::payments::BankTransaction;
use super::schema::{
    account_balances, bank_transactions, disbursements, journal_postings, ledger_accounts, suspense_refunds,
};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, VillageId};
use crate::domain::vocabulary::{DisbursementStatus, Outcome};
use crate::domain::Money;
use crate::ledger::chart;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suspense_refunds)]
pub struct Refund {
    pub id: i64,
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    pub attempt: i32,
    pub disbursement_id: i64,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = suspense_refunds)]
pub struct NewRefund {
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    /// 1 + the credit's earlier refunds (all rejected).
    pub attempt: i32,
    pub disbursement_id: i64,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
}

/// The credits of a village with an active refund (its disbursement not rejected): what the
/// waiting list and the lists of overpaid credits leave out.
macro_rules! refunding {
    ($village:expr) => {
        $crate::store::schema::suspense_refunds::table
            .inner_join($crate::store::schema::disbursements::table.on(
                $crate::store::schema::disbursements::id.eq($crate::store::schema::suspense_refunds::disbursement_id),
            ))
            .filter($crate::store::schema::suspense_refunds::village_id.eq($village))
            .filter(
                $crate::store::schema::disbursements::status
                    .ne($crate::domain::vocabulary::DisbursementStatus::Rejected),
            )
            .select($crate::store::schema::suspense_refunds::bank_transaction_id)
    };
}
pub(crate) use refunding;

impl Refund {
    /// Keeps a refund; a second racing for the same attempt of one credit is refused by the
    /// unique key (`Unique`).
    pub fn insert(conn: &mut DbConnection, new: &NewRefund) -> StoreResult<Refund> {
        Ok(diesel::insert_into(suspense_refunds::table)
            .values(new)
            .returning(suspense_refunds::all_columns)
            .get_result(conn)?)
    }

    /// How many refunds the credit has had, rejected ones included.
    pub fn attempts(conn: &mut DbConnection, txn: BankTransactionId) -> StoreResult<i32> {
        let n: i64 = suspense_refunds::table
            .filter(suspense_refunds::bank_transaction_id.eq(txn))
            .count()
            .get_result(conn)?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// The credit's active refund with its disbursement, if it has one.
    pub fn active(conn: &mut DbConnection, txn: BankTransactionId) -> StoreResult<Option<(Refund, Disbursement)>> {
        Ok(suspense_refunds::table
            .inner_join(disbursements::table.on(disbursements::id.eq(suspense_refunds::disbursement_id)))
            .filter(suspense_refunds::bank_transaction_id.eq(txn))
            .filter(disbursements::status.ne(DisbursementStatus::Rejected))
            .select((Refund::as_select(), Disbursement::as_select()))
            .first(conn)
            .optional()?)
    }

    /// A village's refunds with their disbursements, newest first (`limit` rows; `verify` takes
    /// them all).
    pub fn of_village(
        conn: &mut DbConnection,
        village: VillageId,
        limit: i64,
    ) -> StoreResult<Vec<(Refund, Disbursement)>> {
        Ok(suspense_refunds::table
            .inner_join(disbursements::table.on(disbursements::id.eq(suspense_refunds::disbursement_id)))
            .filter(suspense_refunds::village_id.eq(village))
            .order(suspense_refunds::id.desc())
            .limit(limit)
            .select((Refund::as_select(), Disbursement::as_select()))
            .load(conn)?)
    }
}

/// What a credit's own entry put into suspense (211.9999): the whole credit when it named no
/// bill, the part over the bill's amount when it overpaid one, nothing otherwise.
pub fn suspense_part(conn: &mut DbConnection, txn: &BankTransaction) -> StoreResult<Money> {
    let lines: Vec<(i64, i64)> = journal_postings::table
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(journal_postings::entry_id.eq(txn.entry_id))
        .filter(ledger_accounts::code.eq(chart::SUSPENSE_CODE))
        .select((journal_postings::credit_fen, journal_postings::debit_fen))
        .load(conn)?;
    Ok(Money::from_fen(lines.iter().map(|(c, d)| c - d).sum()))
}

/// The village's credits that overpaid their bill and whose excess still waits in suspense (no
/// active refund, not transferred), oldest first, each with that excess: one query.
pub fn overpaid_waiting(conn: &mut DbConnection, village: VillageId) -> StoreResult<Vec<(BankTransaction, Money)>> {
    let rows: Vec<(BankTransaction, i64)> = bank_transactions::table
        .inner_join(journal_postings::table.on(journal_postings::entry_id.eq(bank_transactions::entry_id)))
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(bank_transactions::village_id.eq(village))
        .filter(bank_transactions::outcome.eq(Outcome::Overpaid))
        .filter(ledger_accounts::code.eq(chart::SUSPENSE_CODE))
        .filter(journal_postings::credit_fen.gt(0))
        .filter(bank_transactions::id.ne_all(refunding!(village)))
        .filter(bank_transactions::id.ne_all(super::suspense::transferred!(village)))
        .order(bank_transactions::id)
        .select((BankTransaction::as_select(), journal_postings::credit_fen))
        .load(conn)?;
    Ok(rows.into_iter().map(|(t, fen)| (t, Money::from_fen(fen))).collect())
}

/// Disbursements of the village booked to 211.9999 with no refund row: money paid out of
/// suspense without saying which credit it returned (what `verify` names).
pub fn untied_suspense_disbursements(conn: &mut DbConnection, village: VillageId) -> StoreResult<Vec<i64>> {
    Ok(disbursements::table
        .filter(disbursements::village_id.eq(village))
        .filter(disbursements::account_code.eq(chart::SUSPENSE_CODE))
        .filter(disbursements::id.ne_all(suspense_refunds::table.select(suspense_refunds::disbursement_id)))
        .order(disbursements::id)
        .select(disbursements::id)
        .load(conn)?)
}

/// The village's credits whose part in suspense a paid refund sent back.
pub fn refunded(
    conn: &mut DbConnection,
    village: VillageId,
) -> StoreResult<std::collections::HashSet<BankTransactionId>> {
    Ok(suspense_refunds::table
        .inner_join(disbursements::table.on(disbursements::id.eq(suspense_refunds::disbursement_id)))
        .filter(suspense_refunds::village_id.eq(village))
        .filter(disbursements::status.eq(DisbursementStatus::Paid))
        .select(suspense_refunds::bank_transaction_id)
        .load::<BankTransactionId>(conn)?
        .into_iter()
        .collect())
}

/// What 211.9999 holds for the village (credit-positive), over every chart's account of that
/// code, and the part of it the refunds asked for or approved but not yet paid will take.
pub fn suspense_held(conn: &mut DbConnection, village: VillageId) -> StoreResult<(Money, Money)> {
    // The cached balances (`account_balances`, kept with every posting, checked by `verify`).
    let lines: Vec<(i64, i64)> = account_balances::table
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(account_balances::account_id)))
        .filter(account_balances::village_id.eq(village))
        .filter(ledger_accounts::code.eq(chart::SUSPENSE_CODE))
        .select((account_balances::credit_fen, account_balances::debit_fen))
        .load(conn)?;
    let held = Money::from_fen(lines.iter().map(|(c, d)| c - d).sum());
    let promised: Vec<i64> = suspense_refunds::table
        .inner_join(disbursements::table.on(disbursements::id.eq(suspense_refunds::disbursement_id)))
        .filter(suspense_refunds::village_id.eq(village))
        .filter(disbursements::status.eq_any([DisbursementStatus::Requested, DisbursementStatus::Approved]))
        .select(suspense_refunds::amount_fen)
        .load(conn)?;
    Ok((held, Money::from_fen(promised.iter().sum())))
}
