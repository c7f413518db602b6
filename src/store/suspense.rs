//! Credits waiting in suspense (211.9999), their placements onto the bills they paid, and the
//! undoing of a placement onto the wrong bill. A credit may have several placements over time
//! (numbered by `attempt`); at most one is in force, every earlier one undone by its own row.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::payments::BankTransaction;
use super::schema::{bank_transactions, pay_ins, placement_undos, suspense_placements, suspense_transfers};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, BillId, EntryId, ReceiptId, UserId, VillageId};
use crate::domain::vocabulary::Outcome;
use crate::domain::Money;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suspense_placements)]
pub struct Placement {
    pub id: i64,
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    pub attempt: i32,
    pub bill_id: BillId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub entry_id: EntryId,
    pub note: String,
    pub placed_by: UserId,
    pub placed_at: NaiveDateTime,
    /// The clerk's 待核实 receipt the placement confirmed, if it confirmed one.
    pub confirmed_receipt_id: Option<ReceiptId>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = suspense_placements)]
pub struct NewPlacement<'a> {
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    /// 1 + the credit's earlier placements (all undone).
    pub attempt: i32,
    pub bill_id: BillId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub entry_id: EntryId,
    pub note: &'a str,
    pub placed_by: UserId,
    pub placed_at: NaiveDateTime,
    pub confirmed_receipt_id: Option<ReceiptId>,
}

/// A placement in force with its credit, its bill's reference and the placer's name.
pub type PlacedRow = (Placement, BankTransaction, String, Option<String>);

/// Placements not undone: the filter every reader of "what a credit became" applies.
macro_rules! in_force {
    () => {
        suspense_placements::id.ne_all(placement_undos::table.select(placement_undos::placement_id))
    };
}

impl Placement {
    /// Keeps a placement; a second placement racing for the same attempt of one credit is
    /// refused by the unique key (`Unique`).
    pub fn insert(conn: &mut DbConnection, new: &NewPlacement) -> StoreResult<Placement> {
        Ok(diesel::insert_into(suspense_placements::table)
            .values(new)
            .returning(suspense_placements::all_columns)
            .get_result(conn)?)
    }

    /// The credit's placement in force, if it has one.
    pub fn in_force(conn: &mut DbConnection, txn: BankTransactionId) -> StoreResult<Option<Placement>> {
        Ok(suspense_placements::table
            .filter(suspense_placements::bank_transaction_id.eq(txn))
            .filter(in_force!())
            .select(Placement::as_select())
            .first(conn)
            .optional()?)
    }

    /// How many placements the credit has had, undone ones included.
    pub fn attempts(conn: &mut DbConnection, txn: BankTransactionId) -> StoreResult<i32> {
        let n: i64 = suspense_placements::table
            .filter(suspense_placements::bank_transaction_id.eq(txn))
            .count()
            .get_result(conn)?;
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// The village's placements in force, newest first (what the accountant may still undo),
    /// each with its credit, its bill's reference and the placer's name: one query.
    pub fn latest_in_force(conn: &mut DbConnection, village: VillageId, limit: i64) -> StoreResult<Vec<PlacedRow>> {
        use super::schema::{bills, users};
        Ok(suspense_placements::table
            .inner_join(bank_transactions::table.on(bank_transactions::id.eq(suspense_placements::bank_transaction_id)))
            .inner_join(bills::table.on(bills::id.eq(suspense_placements::bill_id)))
            .left_join(users::table.on(users::id.eq(suspense_placements::placed_by)))
            .filter(suspense_placements::village_id.eq(village))
            .filter(in_force!())
            .order(suspense_placements::id.desc())
            .limit(limit)
            .select((
                Placement::as_select(),
                BankTransaction::as_select(),
                bills::reference,
                users::display_name.nullable(),
            ))
            .load(conn)?)
    }

    /// Every placement of a village, undone ones too, each with the reversal entry its undo
    /// recorded (what `verify` checks the undos by).
    pub fn all_with_undos(
        conn: &mut DbConnection,
        village: VillageId,
    ) -> StoreResult<Vec<(BankTransactionId, EntryId, Option<EntryId>)>> {
        Ok(suspense_placements::table
            .left_join(placement_undos::table.on(placement_undos::placement_id.eq(suspense_placements::id)))
            .filter(suspense_placements::village_id.eq(village))
            .order(suspense_placements::id)
            .select((
                suspense_placements::bank_transaction_id,
                suspense_placements::entry_id,
                placement_undos::reversal_entry_id.nullable(),
            ))
            .load(conn)?)
    }

    /// A village's placements in force by the credit they placed (what the lists, `verify` and
    /// the inspection facts read a placed credit by).
    pub fn by_credit(
        conn: &mut DbConnection,
        village: VillageId,
    ) -> StoreResult<std::collections::HashMap<BankTransactionId, Placement>> {
        Ok(suspense_placements::table
            .filter(suspense_placements::village_id.eq(village))
            .filter(in_force!())
            .select(Placement::as_select())
            .load::<Placement>(conn)?
            .into_iter()
            .map(|p| (p.bank_transaction_id, p))
            .collect())
    }
}

/// The undoing of a placement onto the wrong bill; kept, never changed.
#[derive(Debug, Insertable)]
#[diesel(table_name = placement_undos)]
pub struct NewUndo<'a> {
    pub placement_id: i64,
    pub village_id: VillageId,
    pub reversal_entry_id: EntryId,
    pub voided_receipt_id: Option<ReceiptId>,
    pub note: &'a str,
    pub undone_by: UserId,
    pub undone_at: NaiveDateTime,
}

impl NewUndo<'_> {
    /// Keeps the undo; a second undo of the same placement is refused by the unique key
    /// (`Unique`).
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(placement_undos::table).values(self).execute(conn)?;
        Ok(())
    }
}

/// A credit's part in suspense moved to the account it belongs to (查明转出); kept, never
/// changed, at most one per credit.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suspense_transfers)]
pub struct Transfer {
    pub id: i64,
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub account_code: String,
    pub entry_id: EntryId,
    pub note: String,
    pub transferred_by: UserId,
    pub transferred_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = suspense_transfers)]
pub struct NewTransfer<'a> {
    pub village_id: VillageId,
    pub bank_transaction_id: BankTransactionId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub account_code: &'a str,
    pub entry_id: EntryId,
    pub note: &'a str,
    pub transferred_by: UserId,
    pub transferred_at: NaiveDateTime,
}

/// A transfer with its credit and the name of whoever made it.
pub type TransferRow = (Transfer, BankTransaction, i64, Option<String>);

impl Transfer {
    /// Keeps a transfer; a second one of the same credit is refused by the unique key
    /// (`Unique`).
    pub fn insert(conn: &mut DbConnection, new: &NewTransfer) -> StoreResult<Transfer> {
        Ok(diesel::insert_into(suspense_transfers::table)
            .values(new)
            .returning(suspense_transfers::all_columns)
            .get_result(conn)?)
    }

    /// The credit's transfer, if it was transferred.
    pub fn of_credit(conn: &mut DbConnection, txn: BankTransactionId) -> StoreResult<Option<Transfer>> {
        Ok(suspense_transfers::table
            .filter(suspense_transfers::bank_transaction_id.eq(txn))
            .select(Transfer::as_select())
            .first(conn)
            .optional()?)
    }

    /// Every transfer of a village with what its entry took out of 211.9999, debit-positive (what `verify` checks
    /// the transfers by): two queries.
    pub fn with_suspense_debits(conn: &mut DbConnection, village: VillageId) -> StoreResult<Vec<(Transfer, Money)>> {
        use super::schema::{journal_postings, ledger_accounts};
        let transfers: Vec<Transfer> = suspense_transfers::table
            .filter(suspense_transfers::village_id.eq(village))
            .order(suspense_transfers::id)
            .select(Transfer::as_select())
            .load(conn)?;
        let lines: Vec<(EntryId, i64)> = journal_postings::table
            .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
            .filter(journal_postings::village_id.eq(village))
            .filter(ledger_accounts::village_id.eq(village))
            .filter(journal_postings::entry_id.eq_any(suspense_transfers::table.select(suspense_transfers::entry_id)))
            .filter(ledger_accounts::code.eq(crate::ledger::chart::SUSPENSE_CODE))
            .select((
                journal_postings::entry_id,
                journal_postings::debit_fen - journal_postings::credit_fen,
            ))
            .load(conn)?;
        let mut debited: std::collections::HashMap<EntryId, i64> = std::collections::HashMap::new();
        for (entry, fen) in lines {
            *debited.entry(entry).or_default() += fen;
        }
        Ok(transfers
            .into_iter()
            .map(|t| {
                let fen = debited.get(&t.entry_id).copied().unwrap_or(0);
                (t, Money::from_fen(fen))
            })
            .collect())
    }

    /// The village's transferred credits, each with the account it went to.
    pub fn credits_of(
        conn: &mut DbConnection,
        village: VillageId,
    ) -> StoreResult<std::collections::HashMap<BankTransactionId, String>> {
        Ok(suspense_transfers::table
            .filter(suspense_transfers::village_id.eq(village))
            .select((
                suspense_transfers::bank_transaction_id,
                suspense_transfers::account_code,
            ))
            .load::<(BankTransactionId, String)>(conn)?
            .into_iter()
            .collect())
    }

    /// The village's transfers, newest first (`limit` rows; `verify` takes them all), each with
    /// its credit, its entry's number in the journal and the accountant's name: one query.
    pub fn of_village(conn: &mut DbConnection, village: VillageId, limit: i64) -> StoreResult<Vec<TransferRow>> {
        use super::schema::{journal_entries, users};
        Ok(suspense_transfers::table
            .inner_join(bank_transactions::table.on(bank_transactions::id.eq(suspense_transfers::bank_transaction_id)))
            .inner_join(journal_entries::table.on(journal_entries::id.eq(suspense_transfers::entry_id)))
            .left_join(users::table.on(users::id.eq(suspense_transfers::transferred_by)))
            .filter(suspense_transfers::village_id.eq(village))
            .order(suspense_transfers::id.desc())
            .limit(limit)
            .select((
                Transfer::as_select(),
                BankTransaction::as_select(),
                journal_entries::seq,
                users::display_name.nullable(),
            ))
            .load(conn)?)
    }
}

/// The ids of the village's transferred credits, as a subquery (what the waiting lists leave
/// out).
macro_rules! transferred {
    ($village:expr) => {
        $crate::store::schema::suspense_transfers::table
            .filter($crate::store::schema::suspense_transfers::village_id.eq($village))
            .select($crate::store::schema::suspense_transfers::bank_transaction_id)
    };
}
pub(crate) use transferred;

/// The village's credits that named no bill and still wait in suspense: not placed, not a
/// clerk's cash deposit (a pay-in explains those), not being refunded and not transferred,
/// oldest first; with `only`, that one credit if it waits.
fn waiting_query(
    conn: &mut DbConnection,
    village: VillageId,
    only: Option<BankTransactionId>,
) -> StoreResult<Vec<BankTransaction>> {
    let placed = suspense_placements::table
        .filter(suspense_placements::village_id.eq(village))
        .filter(in_force!())
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
        .filter(bank_transactions::id.ne_all(super::refunds::refunding!(village)))
        .filter(bank_transactions::id.ne_all(transferred!(village)))
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
