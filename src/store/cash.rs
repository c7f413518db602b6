//! Cash taken by clerks (`cash_records`) and their pay-ins to the corporate account (`pay_ins`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{cash_records, pay_ins};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{
    BankTransactionId, BillId, CashRecordId, CorporateAccountId, EntryId, PayInId, UserId, VillageId,
};
use crate::domain::Money;
use crate::domain::{CashStatus, PayInStatus};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cash_records)]
pub struct CashRecord {
    pub id: CashRecordId,
    pub village_id: VillageId,
    pub clerk_id: UserId,
    pub bill_id: BillId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub received_at: NaiveDateTime,
    pub entry_id: EntryId,
    /// `on_hand`, `paid_in` or `voided`.
    pub status: CashStatus,
    pub pay_in_id: Option<PayInId>,
    pub reversal_entry_id: Option<EntryId>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = cash_records)]
pub struct NewCashRecord {
    pub village_id: VillageId,
    pub clerk_id: UserId,
    pub bill_id: BillId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub received_at: NaiveDateTime,
    pub entry_id: EntryId,
    pub status: CashStatus,
}

impl CashRecord {
    pub fn insert(conn: &mut DbConnection, new: &NewCashRecord) -> StoreResult<CashRecord> {
        Ok(diesel::insert_into(cash_records::table)
            .values(new)
            .returning(cash_records::all_columns)
            .get_result(conn)?)
    }

    pub fn by_id(conn: &mut DbConnection, id: CashRecordId) -> StoreResult<Option<CashRecord>> {
        Ok(cash_records::table
            .find(id)
            .select(CashRecord::as_select())
            .first(conn)
            .optional()?)
    }

    /// Cash still with its clerk, oldest first (one clerk, or all clerks of the village).
    pub fn on_hand(
        conn: &mut DbConnection,
        village_id: VillageId,
        clerk_id: Option<UserId>,
    ) -> StoreResult<Vec<CashRecord>> {
        let mut q = cash_records::table
            .filter(cash_records::village_id.eq(village_id))
            .filter(cash_records::status.eq(CashStatus::OnHand))
            .into_boxed();
        if let Some(c) = clerk_id {
            q = q.filter(cash_records::clerk_id.eq(c));
        }
        Ok(q.order(cash_records::id).select(CashRecord::as_select()).load(conn)?)
    }

    /// The cash a clerk still holds, in any village: (records, total).
    pub fn held_by(conn: &mut DbConnection, clerk_id: UserId) -> StoreResult<(usize, Money)> {
        let held: Vec<Money> = cash_records::table
            .filter(cash_records::clerk_id.eq(clerk_id))
            .filter(cash_records::status.eq(CashStatus::OnHand))
            .select(cash_records::amount_fen)
            .load(conn)?;
        Ok((held.len(), held.iter().copied().sum()))
    }

    pub fn of_pay_in(conn: &mut DbConnection, pay_in_id: PayInId) -> StoreResult<Vec<CashRecord>> {
        Ok(cash_records::table
            .filter(cash_records::pay_in_id.eq(pay_in_id))
            .order(cash_records::id)
            .select(CashRecord::as_select())
            .load(conn)?)
    }

    /// Hands records over to a pay-in; the count tells whether they were all still on hand.
    pub fn pay_in(conn: &mut DbConnection, ids: &[CashRecordId], pay_in_id: PayInId) -> StoreResult<usize> {
        Ok(diesel::update(
            cash_records::table
                .filter(cash_records::id.eq_any(ids))
                .filter(cash_records::status.eq(CashStatus::OnHand)),
        )
        .set((
            cash_records::status.eq(CashStatus::PaidIn),
            cash_records::pay_in_id.eq(Some(pay_in_id)),
        ))
        .execute(conn)?)
    }

    pub fn void(conn: &mut DbConnection, id: CashRecordId, reversal_entry_id: EntryId) -> StoreResult<usize> {
        Ok(diesel::update(
            cash_records::table
                .find(id)
                .filter(cash_records::status.eq(CashStatus::OnHand)),
        )
        .set((
            cash_records::status.eq(CashStatus::Voided),
            cash_records::reversal_entry_id.eq(Some(reversal_entry_id)),
        ))
        .execute(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = pay_ins)]
pub struct PayIn {
    pub id: PayInId,
    pub village_id: VillageId,
    pub clerk_id: UserId,
    pub corporate_account_id: CorporateAccountId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub declared_at: NaiveDateTime,
    /// `declared` (on its way to the bank) or `matched` (the bank credit is found).
    pub status: PayInStatus,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub entry_id: Option<EntryId>,
    pub matched_by: Option<UserId>,
    pub matched_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = pay_ins)]
pub struct NewPayIn {
    pub village_id: VillageId,
    pub clerk_id: UserId,
    pub corporate_account_id: CorporateAccountId,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub declared_at: NaiveDateTime,
    pub status: PayInStatus,
}

impl PayIn {
    /// A clerk's pay-ins declared and not yet found on the bank's side, in any village:
    /// (pay-ins, total).
    pub fn declared_by(conn: &mut DbConnection, clerk_id: UserId) -> StoreResult<(usize, Money)> {
        let declared: Vec<Money> = pay_ins::table
            .filter(pay_ins::clerk_id.eq(clerk_id))
            .filter(pay_ins::status.eq(PayInStatus::Declared))
            .select(pay_ins::amount_fen)
            .load(conn)?;
        Ok((declared.len(), declared.iter().copied().sum()))
    }

    pub fn insert(conn: &mut DbConnection, new: &NewPayIn) -> StoreResult<PayIn> {
        Ok(diesel::insert_into(pay_ins::table)
            .values(new)
            .returning(pay_ins::all_columns)
            .get_result(conn)?)
    }

    pub fn by_id(conn: &mut DbConnection, id: PayInId) -> StoreResult<Option<PayIn>> {
        Ok(pay_ins::table
            .find(id)
            .select(PayIn::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn of_village(
        conn: &mut DbConnection,
        village_id: VillageId,
        status: Option<PayInStatus>,
    ) -> StoreResult<Vec<PayIn>> {
        let mut q = pay_ins::table.filter(pay_ins::village_id.eq(village_id)).into_boxed();
        if let Some(s) = status {
            q = q.filter(pay_ins::status.eq(s));
        }
        Ok(q.order(pay_ins::id).select(PayIn::as_select()).load(conn)?)
    }

    /// Records the match; false when the pay-in was matched meanwhile.
    pub fn matched(
        conn: &mut DbConnection,
        id: PayInId,
        bank_transaction_id: BankTransactionId,
        entry_id: EntryId,
        by: UserId,
        at: NaiveDateTime,
    ) -> StoreResult<bool> {
        let n = diesel::update(
            pay_ins::table
                .find(id)
                .filter(pay_ins::status.eq(PayInStatus::Declared)),
        )
        .set((
            pay_ins::status.eq(PayInStatus::Matched),
            pay_ins::bank_transaction_id.eq(Some(bank_transaction_id)),
            pay_ins::entry_id.eq(Some(entry_id)),
            pay_ins::matched_by.eq(Some(by)),
            pay_ins::matched_at.eq(Some(at)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}
