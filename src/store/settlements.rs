//! Gateway settlement: payments waiting in clearing for their provider's daily settlement, and
//! the settlements themselves (one statement credit each, kept as evidence, never changed).
//! A clearing item is settled once, by a conditional UPDATE under the village's lock; the
//! database refuses any other change to it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashSet;

use super::schema::{clearing_items, settlements};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, CorporateAccountId, EntryId, VillageId};
use crate::domain::Money;

/// Rows per `IN (…)` list: well inside both databases' bound-parameter limits.
const BATCH: usize = 5000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = clearing_items)]
pub struct ClearingItem {
    pub bank_transaction_id: BankTransactionId,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub binding_id: i64,
    /// The payment's Beijing day.
    pub business_date: NaiveDate,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    #[diesel(column_name = fee_fen)]
    pub fee: Money,
    pub settlement_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = clearing_items)]
pub struct NewClearingItem {
    pub bank_transaction_id: BankTransactionId,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub binding_id: i64,
    pub business_date: NaiveDate,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    #[diesel(column_name = fee_fen)]
    pub fee: Money,
    pub created_at: NaiveDateTime,
}

impl ClearingItem {
    pub fn insert(conn: &mut DbConnection, new: &NewClearingItem) -> StoreResult<()> {
        diesel::insert_into(clearing_items::table).values(new).execute(conn)?;
        Ok(())
    }

    /// Whether any payment to the account ever went to clearing.
    pub fn any_of_account(conn: &mut DbConnection, account: CorporateAccountId) -> StoreResult<bool> {
        Ok(diesel::select(diesel::dsl::exists(
            clearing_items::table.filter(clearing_items::corporate_account_id.eq(account)),
        ))
        .get_result(conn)?)
    }

    /// How many of a binding's payments wait for their settlement.
    pub fn open_of_binding(conn: &mut DbConnection, binding: i64) -> StoreResult<i64> {
        Ok(clearing_items::table
            .filter(clearing_items::binding_id.eq(binding))
            .filter(clearing_items::settlement_id.is_null())
            .count()
            .get_result(conn)?)
    }

    /// An account's payments not yet settled, by binding, day and transaction.
    pub fn open_of_account(conn: &mut DbConnection, account: CorporateAccountId) -> StoreResult<Vec<ClearingItem>> {
        Ok(clearing_items::table
            .filter(clearing_items::corporate_account_id.eq(account))
            .filter(clearing_items::settlement_id.is_null())
            .order((
                clearing_items::binding_id,
                clearing_items::business_date,
                clearing_items::bank_transaction_id,
            ))
            .select(ClearingItem::as_select())
            .load(conn)?)
    }

    /// Which of these bank transactions went to clearing (they never show singly on a statement).
    pub fn among(conn: &mut DbConnection, ids: &[BankTransactionId]) -> StoreResult<HashSet<BankTransactionId>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(BATCH) {
            let got: Vec<BankTransactionId> = clearing_items::table
                .filter(clearing_items::bank_transaction_id.eq_any(chunk))
                .select(clearing_items::bank_transaction_id)
                .load(conn)?;
            found.extend(got);
        }
        Ok(found)
    }

    /// Marks open items settled; returns how many were still open (the caller checks it is all).
    pub fn settle(conn: &mut DbConnection, ids: &[BankTransactionId], settlement: i64) -> StoreResult<usize> {
        let mut n = 0;
        for chunk in ids.chunks(BATCH) {
            n += diesel::update(
                clearing_items::table
                    .filter(clearing_items::bank_transaction_id.eq_any(chunk))
                    .filter(clearing_items::settlement_id.is_null()),
            )
            .set(clearing_items::settlement_id.eq(Some(settlement)))
            .execute(conn)?;
        }
        Ok(n)
    }
}

/// One settlement credit of a statement and what it paid for.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = settlements)]
pub struct SettlementBatch {
    pub id: i64,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub binding_id: i64,
    pub statement_line_id: i64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub payments: i64,
    #[diesel(column_name = gross_fen)]
    pub gross: Money,
    #[diesel(column_name = fee_fen)]
    pub fee: Money,
    /// Gross less fee: what the provider owed.
    #[diesel(column_name = expected_fen)]
    pub expected: Money,
    /// What the statement shows it paid.
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub entry_id: EntryId,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = settlements)]
pub struct NewSettlementBatch {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub binding_id: i64,
    pub statement_line_id: i64,
    pub first_day: Option<NaiveDate>,
    pub last_day: Option<NaiveDate>,
    pub payments: i64,
    #[diesel(column_name = gross_fen)]
    pub gross: Money,
    #[diesel(column_name = fee_fen)]
    pub fee: Money,
    #[diesel(column_name = expected_fen)]
    pub expected: Money,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub entry_id: EntryId,
    pub created_at: NaiveDateTime,
}

impl SettlementBatch {
    pub fn insert(conn: &mut DbConnection, new: &NewSettlementBatch) -> StoreResult<SettlementBatch> {
        Ok(diesel::insert_into(settlements::table)
            .values(new)
            .returning(settlements::all_columns)
            .get_result(conn)?)
    }

    /// The settlements of these statement lines.
    pub fn of_lines(conn: &mut DbConnection, lines: &[i64]) -> StoreResult<Vec<SettlementBatch>> {
        let mut found = Vec::new();
        for chunk in lines.chunks(BATCH) {
            found.extend(
                settlements::table
                    .filter(settlements::statement_line_id.eq_any(chunk))
                    .select(SettlementBatch::as_select())
                    .load(conn)?,
            );
        }
        Ok(found)
    }
}
