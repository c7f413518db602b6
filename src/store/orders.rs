//! Orders placed with a gateway for a bill, and their query schedule.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::gateway_orders;
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, BillId, VillageId};
use crate::domain::Money;
use crate::domain::OrderStatus;
use bank_adapters::Provider;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = gateway_orders)]
pub struct GatewayOrder {
    pub id: i64,
    pub village_id: VillageId,
    pub binding_id: i64,
    pub bill_id: BillId,
    pub provider: Provider,
    pub out_trade_no: String,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub code_url: Option<String>,
    pub status: OrderStatus,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub queries: i32,
    pub next_query_at: NaiveDateTime,
    pub bank_transaction_id: Option<BankTransactionId>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = gateway_orders)]
pub struct NewGatewayOrder<'a> {
    pub village_id: VillageId,
    pub binding_id: i64,
    pub bill_id: BillId,
    pub provider: Provider,
    pub out_trade_no: &'a str,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub status: OrderStatus,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub queries: i32,
    pub next_query_at: NaiveDateTime,
}

impl GatewayOrder {
    pub fn insert(conn: &mut DbConnection, new: &NewGatewayOrder) -> StoreResult<GatewayOrder> {
        Ok(diesel::insert_into(gateway_orders::table)
            .values(new)
            .returning(gateway_orders::all_columns)
            .get_result(conn)?)
    }

    pub fn by_out_trade_no(conn: &mut DbConnection, out_trade_no: &str) -> StoreResult<Option<GatewayOrder>> {
        Ok(gateway_orders::table
            .filter(gateway_orders::out_trade_no.eq(out_trade_no))
            .select(GatewayOrder::as_select())
            .first(conn)
            .optional()?)
    }

    /// The newest order still open for a bill through one binding (to reuse rather than order
    /// again each time the page is opened).
    pub fn open_for_bill(
        conn: &mut DbConnection,
        bill_id: BillId,
        binding_id: i64,
    ) -> StoreResult<Option<GatewayOrder>> {
        Ok(gateway_orders::table
            .filter(gateway_orders::bill_id.eq(bill_id))
            .filter(gateway_orders::binding_id.eq(binding_id))
            .filter(gateway_orders::status.eq(OrderStatus::Pending))
            .order(gateway_orders::id.desc())
            .select(GatewayOrder::as_select())
            .first(conn)
            .optional()?)
    }

    /// Orders due for a query: pending (or stuck creating), whose next query time has come;
    /// in one village, or everywhere.
    pub fn due(
        conn: &mut DbConnection,
        now: NaiveDateTime,
        village_id: Option<VillageId>,
        limit: i64,
    ) -> StoreResult<Vec<GatewayOrder>> {
        let mut q = gateway_orders::table
            .filter(gateway_orders::status.eq_any([OrderStatus::Pending, OrderStatus::Creating]))
            .filter(gateway_orders::next_query_at.le(now))
            .into_boxed();
        if let Some(v) = village_id {
            q = q.filter(gateway_orders::village_id.eq(v));
        }
        Ok(q.order(gateway_orders::next_query_at)
            .limit(limit)
            .select(GatewayOrder::as_select())
            .load(conn)?)
    }

    pub fn created(conn: &mut DbConnection, id: i64, code_url: &str) -> StoreResult<()> {
        diesel::update(gateway_orders::table.find(id))
            .set((
                gateway_orders::code_url.eq(code_url),
                gateway_orders::status.eq(OrderStatus::Pending),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Records an outcome (`pending` with the next query time, `paid`, `closed`, `failed`).
    pub fn settle(
        conn: &mut DbConnection,
        id: i64,
        status: OrderStatus,
        reason: Option<&str>,
        next_query_at: NaiveDateTime,
        bank_transaction_id: Option<BankTransactionId>,
    ) -> StoreResult<()> {
        // A paid order stays paid: a query answered before its notification was applied must
        // not turn it back to pending.
        diesel::update(
            gateway_orders::table
                .find(id)
                .filter(gateway_orders::status.ne(OrderStatus::Paid)),
        )
        .set((
            gateway_orders::status.eq(status),
            gateway_orders::reason.eq(reason),
            gateway_orders::queries.eq(gateway_orders::queries + 1),
            gateway_orders::next_query_at.eq(next_query_at),
            gateway_orders::bank_transaction_id.eq(bank_transaction_id),
        ))
        .execute(conn)?;
        Ok(())
    }

    /// Marks the order paid when its payment arrived by notification (no query needed).
    pub fn paid_by(
        conn: &mut DbConnection,
        out_trade_no: &str,
        bank_transaction_id: BankTransactionId,
    ) -> StoreResult<()> {
        diesel::update(
            gateway_orders::table
                .filter(gateway_orders::out_trade_no.eq(out_trade_no))
                .filter(gateway_orders::status.ne(OrderStatus::Paid)),
        )
        .set((
            gateway_orders::status.eq(OrderStatus::Paid),
            gateway_orders::bank_transaction_id.eq(Some(bank_transaction_id)),
        ))
        .execute(conn)?;
        Ok(())
    }
}
