//! Credits waiting in suspense (211.9999) and their placements onto the bills they paid.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::payments::BankTransaction;
use super::schema::{bank_transactions, pay_ins, suspense_placements};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, BillId, EntryId, UserId, VillageId};
use crate::domain::vocabulary::Outcome;
use crate::domain::Money;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suspense_placements)]
pub struct Placement {
    pub id: i64,
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    pub bill_id: BillId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub entry_id: EntryId,
    pub note: String,
    pub placed_by: UserId,
    pub placed_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = suspense_placements)]
pub struct NewPlacement<'a> {
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    pub bill_id: BillId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub entry_id: EntryId,
    pub note: &'a str,
    pub placed_by: UserId,
    pub placed_at: NaiveDateTime,
}

impl Placement {
    /// Keeps a placement; a credit already placed is refused by the unique key (`Unique`).
    pub fn insert(conn: &mut DbConnection, new: &NewPlacement) -> StoreResult<Placement> {
        Ok(diesel::insert_into(suspense_placements::table)
            .values(new)
            .returning(suspense_placements::all_columns)
            .get_result(conn)?)
    }

    pub fn of_transaction(conn: &mut DbConnection, txn: BankTransactionId) -> StoreResult<Option<Placement>> {
        Ok(suspense_placements::table
            .filter(suspense_placements::bank_transaction_id.eq(txn))
            .select(Placement::as_select())
            .first(conn)
            .optional()?)
    }

    /// A village's placements by the credit they placed (what the lists, `verify` and the
    /// inspection facts read a placed credit by).
    pub fn by_credit(
        conn: &mut DbConnection,
        village: VillageId,
    ) -> StoreResult<std::collections::HashMap<BankTransactionId, Placement>> {
        Ok(suspense_placements::table
            .filter(suspense_placements::village_id.eq(village))
            .select(Placement::as_select())
            .load::<Placement>(conn)?
            .into_iter()
            .map(|p| (p.bank_transaction_id, p))
            .collect())
    }
}

/// The village's credits that named no bill and still wait in suspense: not placed, and not a
/// clerk's cash deposit (a pay-in explains those), oldest first; with `only`, that one credit
/// if it waits.
fn waiting_query(
    conn: &mut DbConnection,
    village: VillageId,
    only: Option<BankTransactionId>,
) -> StoreResult<Vec<BankTransaction>> {
    let placed = suspense_placements::table
        .filter(suspense_placements::village_id.eq(village))
        .select(suspense_placements::bank_transaction_id);
    let deposits = pay_ins::table
        .filter(pay_ins::village_id.eq(village))
        .filter(pay_ins::bank_transaction_id.is_not_null())
        .select(pay_ins::bank_transaction_id.assume_not_null());
    let mut q = bank_transactions::table
        .filter(bank_transactions::village_id.eq(village))
        .filter(bank_transactions::outcome.eq(Outcome::Suspense))
        .filter(bank_transactions::id.ne_all(placed))
        .filter(bank_transactions::id.ne_all(deposits))
        .into_boxed();
    if let Some(id) = only {
        q = q.filter(bank_transactions::id.eq(id));
    }
    Ok(q.order(bank_transactions::id)
        .select(BankTransaction::as_select())
        .load(conn)?)
}

/// Every credit of the village that waits in suspense, oldest first.
pub fn waiting(conn: &mut DbConnection, village: VillageId) -> StoreResult<Vec<BankTransaction>> {
    waiting_query(conn, village, None)
}

/// Whether one credit of the village still waits in suspense.
pub fn is_waiting(conn: &mut DbConnection, village: VillageId, txn: BankTransactionId) -> StoreResult<bool> {
    Ok(!waiting_query(conn, village, Some(txn))?.is_empty())
}
