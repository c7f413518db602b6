//! Payers, fee items, contracts and bills.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{bills, contracts, fee_items, payers};
use super::{DbConnection, Page, StoreResult};
use crate::domain::ids::{BillId, FeeItemId, LedgerAccountId, PayerId, UserId, VillageId};
use crate::domain::schedule::Schedule;
use crate::domain::Money;
use crate::domain::{BillStatus, ContractKind, PayerKind};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payers)]
pub struct Payer {
    pub id: PayerId,
    pub village_id: VillageId,
    pub kind: PayerKind,
    pub name: String,
    pub phone: Option<String>,
    pub household_no: Option<String>,
    pub ledger_account_id: LedgerAccountId,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = payers)]
pub struct NewPayer<'a> {
    pub village_id: VillageId,
    pub kind: PayerKind,
    pub name: &'a str,
    pub phone: Option<&'a str>,
    pub household_no: Option<&'a str>,
    pub ledger_account_id: LedgerAccountId,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = fee_items)]
pub struct FeeItem {
    pub id: FeeItemId,
    pub village_id: VillageId,
    pub code: String,
    pub name: String,
    pub income_account_code: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = fee_items)]
pub struct NewFeeItem<'a> {
    pub village_id: VillageId,
    pub code: &'a str,
    pub name: &'a str,
    pub income_account_code: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contracts)]
pub struct Contract {
    pub id: i64,
    pub village_id: VillageId,
    pub contract_no: String,
    pub kind: ContractKind,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    pub area: Option<String>,
    #[diesel(column_name = unit_price_fen)]
    pub unit_price: Option<Money>,
    #[diesel(column_name = fixed_amount_fen)]
    pub fixed_amount: Option<Money>,
    pub schedule: Schedule,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = contracts)]
// NULL, not DEFAULT, for an absent price: the same SQL on both databases.
#[diesel(treat_none_as_default_value = false)]
pub struct NewContract<'a> {
    pub village_id: VillageId,
    pub contract_no: &'a str,
    pub kind: ContractKind,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    pub area: Option<String>,
    #[diesel(column_name = unit_price_fen)]
    pub unit_price: Option<Money>,
    #[diesel(column_name = fixed_amount_fen)]
    pub fixed_amount: Option<Money>,
    pub schedule: Schedule,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bills)]
pub struct Bill {
    pub id: BillId,
    pub village_id: VillageId,
    pub seq: i64,
    pub reference: String,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    pub contract_id: Option<i64>,
    pub period_label: String,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    #[diesel(column_name = paid_fen)]
    pub paid: Money,
    pub status: BillStatus,
    pub due_date: NaiveDate,
    pub note: String,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = bills)]
pub struct NewBill<'a> {
    pub village_id: VillageId,
    pub seq: i64,
    pub reference: &'a str,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    pub contract_id: Option<i64>,
    pub period_label: &'a str,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    #[diesel(column_name = paid_fen)]
    pub paid: Money,
    pub status: BillStatus,
    pub due_date: NaiveDate,
    pub note: &'a str,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

/// Filters for listing bills.
#[derive(Debug, Clone, Default)]
pub struct BillFilter {
    pub status: Option<BillStatus>,
    pub payer_id: Option<PayerId>,
    pub contract_id: Option<i64>,
}

impl Payer {
    pub fn insert(conn: &mut DbConnection, new: &NewPayer) -> StoreResult<Payer> {
        Ok(diesel::insert_into(payers::table)
            .values(new)
            .returning(payers::all_columns)
            .get_result(conn)?)
    }
    pub fn in_village(conn: &mut DbConnection, village_id: VillageId, id: PayerId) -> StoreResult<Option<Payer>> {
        Ok(payers::table
            .filter(payers::village_id.eq(village_id))
            .filter(payers::id.eq(id))
            .select(Payer::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn list(conn: &mut DbConnection, village_id: VillageId, page: Page) -> StoreResult<Vec<Payer>> {
        Ok(payers::table
            .filter(payers::village_id.eq(village_id))
            .filter(payers::id.gt(page.after))
            .order(payers::id)
            .limit(page.limit)
            .select(Payer::as_select())
            .load(conn)?)
    }
}

impl FeeItem {
    pub fn insert(conn: &mut DbConnection, new: &NewFeeItem) -> StoreResult<FeeItem> {
        Ok(diesel::insert_into(fee_items::table)
            .values(new)
            .returning(fee_items::all_columns)
            .get_result(conn)?)
    }
    pub fn in_village(conn: &mut DbConnection, village_id: VillageId, id: FeeItemId) -> StoreResult<Option<FeeItem>> {
        Ok(fee_items::table
            .filter(fee_items::village_id.eq(village_id))
            .filter(fee_items::id.eq(id))
            .select(FeeItem::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn list(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<Vec<FeeItem>> {
        Ok(fee_items::table
            .filter(fee_items::village_id.eq(village_id))
            .order(fee_items::id)
            .select(FeeItem::as_select())
            .load(conn)?)
    }
}

impl Contract {
    pub fn insert(conn: &mut DbConnection, new: &NewContract) -> StoreResult<Contract> {
        Ok(diesel::insert_into(contracts::table)
            .values(new)
            .returning(contracts::all_columns)
            .get_result(conn)?)
    }
    pub fn in_village(conn: &mut DbConnection, village_id: VillageId, id: i64) -> StoreResult<Option<Contract>> {
        Ok(contracts::table
            .filter(contracts::village_id.eq(village_id))
            .filter(contracts::id.eq(id))
            .select(Contract::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn list(conn: &mut DbConnection, village_id: VillageId, page: Page) -> StoreResult<Vec<Contract>> {
        Ok(contracts::table
            .filter(contracts::village_id.eq(village_id))
            .filter(contracts::id.gt(page.after))
            .order(contracts::id)
            .limit(page.limit)
            .select(Contract::as_select())
            .load(conn)?)
    }
    /// Contracts of a village in force at some time between `from` and `to` (inclusive).
    pub fn in_force(
        conn: &mut DbConnection,
        village_id: VillageId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<Contract>> {
        Ok(contracts::table
            .filter(contracts::village_id.eq(village_id))
            .filter(contracts::start_date.le(to))
            .filter(contracts::end_date.ge(from))
            .order(contracts::id)
            .select(Contract::as_select())
            .load(conn)?)
    }
}

impl Bill {
    pub fn insert(conn: &mut DbConnection, new: &NewBill) -> StoreResult<Bill> {
        Ok(diesel::insert_into(bills::table)
            .values(new)
            .returning(bills::all_columns)
            .get_result(conn)?)
    }
    pub fn by_id(conn: &mut DbConnection, id: BillId) -> StoreResult<Bill> {
        Ok(bills::table.find(id).select(Bill::as_select()).first(conn)?)
    }
    pub fn by_reference(conn: &mut DbConnection, reference: &str) -> StoreResult<Option<Bill>> {
        Ok(bills::table
            .filter(bills::reference.eq(reference))
            .select(Bill::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn exists_for(conn: &mut DbConnection, contract_id: i64, period_label: &str) -> StoreResult<bool> {
        let n: i64 = bills::table
            .filter(bills::contract_id.eq(contract_id))
            .filter(bills::period_label.eq(period_label))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    }
    pub fn list(
        conn: &mut DbConnection,
        village_id: VillageId,
        filter: &BillFilter,
        page: Page,
    ) -> StoreResult<Vec<Bill>> {
        let mut q = bills::table
            .filter(bills::village_id.eq(village_id))
            .filter(bills::id.gt(page.after))
            .order(bills::id)
            .limit(page.limit)
            .select(Bill::as_select())
            .into_boxed();
        if let Some(s) = &filter.status {
            q = q.filter(bills::status.eq(*s));
        }
        if let Some(p) = filter.payer_id {
            q = q.filter(bills::payer_id.eq(p));
        }
        if let Some(c) = filter.contract_id {
            q = q.filter(bills::contract_id.eq(c));
        }
        Ok(q.load(conn)?)
    }
    /// Cancels an unpaid bill; returns false when it was not open (paid, part paid, cancelled).
    pub fn cancel(conn: &mut DbConnection, id: BillId, note: &str) -> StoreResult<bool> {
        let n = diesel::update(
            bills::table
                .filter(bills::id.eq(id))
                .filter(bills::status.eq(BillStatus::Open)),
        )
        .set((bills::status.eq(BillStatus::Cancelled), bills::note.eq(note)))
        .execute(conn)?;
        Ok(n == 1)
    }
}
