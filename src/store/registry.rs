//! Counties, townships, villages, their corporate accounts and per-village counters.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{corporate_accounts, counties, townships, village_cash_limits, village_counters, villages};
use super::{DbConnection, Page, StoreError, StoreResult};
use crate::domain::cash_limits::CashLimits;
use crate::domain::ids::{CorporateAccountId, LedgerAccountId, UserId, VillageId};
use crate::domain::Money;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = counties)]
pub struct County {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = counties)]
pub struct NewCounty<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = townships)]
pub struct Township {
    pub id: i64,
    pub county_id: i64,
    pub code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = townships)]
pub struct NewTownship<'a> {
    pub county_id: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = villages)]
pub struct Village {
    pub id: VillageId,
    pub township_id: i64,
    pub code: String,
    pub name: String,
    /// The limit it was registered with; later changes are `CashLimitChange`s (read the limit
    /// of a day through [`cash_limits`]).
    #[diesel(column_name = cash_limit_fen)]
    pub first_cash_limit: Money,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = villages)]
pub struct NewVillage<'a> {
    pub township_id: i64,
    pub code: &'a str,
    pub name: &'a str,
    #[diesel(column_name = cash_limit_fen)]
    pub cash_limit: Money,
    pub created_at: NaiveDateTime,
}

/// A village with the ids of the township and county above it, for scope checks.
#[derive(Debug, Clone)]
pub struct VillagePlace {
    pub village: Village,
    pub county_id: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = corporate_accounts)]
pub struct CorporateAccount {
    pub id: CorporateAccountId,
    pub village_id: VillageId,
    pub bank_name: String,
    pub account_name: String,
    pub account_no: String,
    pub ledger_account_id: LedgerAccountId,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = corporate_accounts)]
pub struct NewCorporateAccount<'a> {
    pub village_id: VillageId,
    pub bank_name: &'a str,
    pub account_name: &'a str,
    pub account_no: &'a str,
    pub ledger_account_id: LedgerAccountId,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl County {
    pub fn insert(conn: &mut DbConnection, new: &NewCounty) -> StoreResult<County> {
        Ok(diesel::insert_into(counties::table)
            .values(new)
            .returning(counties::all_columns)
            .get_result(conn)?)
    }
    pub fn by_code(conn: &mut DbConnection, code: &str) -> StoreResult<Option<County>> {
        Ok(counties::table
            .filter(counties::code.eq(code))
            .select(County::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn by_id(conn: &mut DbConnection, id: i64) -> StoreResult<County> {
        Ok(counties::table.find(id).select(County::as_select()).first(conn)?)
    }
    pub fn list(conn: &mut DbConnection, only: Option<&[i64]>) -> StoreResult<Vec<County>> {
        let mut q = counties::table
            .select(County::as_select())
            .order(counties::id)
            .into_boxed();
        if let Some(ids) = only {
            q = q.filter(counties::id.eq_any(ids.to_vec()));
        }
        Ok(q.load(conn)?)
    }
}

impl Township {
    pub fn insert(conn: &mut DbConnection, new: &NewTownship) -> StoreResult<Township> {
        Ok(diesel::insert_into(townships::table)
            .values(new)
            .returning(townships::all_columns)
            .get_result(conn)?)
    }
    pub fn by_code(conn: &mut DbConnection, code: &str) -> StoreResult<Option<Township>> {
        Ok(townships::table
            .filter(townships::code.eq(code))
            .select(Township::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn by_id(conn: &mut DbConnection, id: i64) -> StoreResult<Township> {
        Ok(townships::table.find(id).select(Township::as_select()).first(conn)?)
    }
    pub fn list(
        conn: &mut DbConnection,
        county_ids: Option<&[i64]>,
        ids: Option<&[i64]>,
    ) -> StoreResult<Vec<Township>> {
        let mut q = townships::table
            .select(Township::as_select())
            .order(townships::id)
            .into_boxed();
        if let Some(c) = county_ids {
            q = q.filter(townships::county_id.eq_any(c.to_vec()));
        }
        if let Some(t) = ids {
            q = q.filter(townships::id.eq_any(t.to_vec()));
        }
        Ok(q.load(conn)?)
    }
}

/// Which villages a listing may include: all of some counties, all of some townships, or one.
#[derive(Debug, Clone, Copy)]
pub enum VillageFilter {
    County(i64),
    Township(i64),
    Village(VillageId),
}

impl Village {
    pub fn insert(conn: &mut DbConnection, new: &NewVillage) -> StoreResult<Village> {
        Ok(diesel::insert_into(villages::table)
            .values(new)
            .returning(villages::all_columns)
            .get_result(conn)?)
    }
    /// Gives the village a new name (its code, and everything keyed by it, stays).
    pub fn rename(conn: &mut DbConnection, id: VillageId, name: &str) -> StoreResult<()> {
        diesel::update(villages::table.find(id))
            .set(villages::name.eq(name))
            .execute(conn)?;
        Ok(())
    }
    pub fn by_code(conn: &mut DbConnection, code: &str) -> StoreResult<Option<Village>> {
        Ok(villages::table
            .filter(villages::code.eq(code))
            .select(Village::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn by_id(conn: &mut DbConnection, id: VillageId) -> StoreResult<Village> {
        Ok(villages::table.find(id).select(Village::as_select()).first(conn)?)
    }
    /// The village and the county it lies in.
    pub fn place_by_code(conn: &mut DbConnection, code: &str) -> StoreResult<Option<VillagePlace>> {
        let row = villages::table
            .inner_join(townships::table)
            .filter(villages::code.eq(code))
            .select((Village::as_select(), townships::county_id))
            .first::<(Village, i64)>(conn)
            .optional()?;
        Ok(row.map(|(village, county_id)| VillagePlace { village, county_id }))
    }
    pub fn all(conn: &mut DbConnection) -> StoreResult<Vec<Village>> {
        Ok(villages::table
            .select(Village::as_select())
            .order(villages::id)
            .load(conn)?)
    }
    /// Villages with their township's code, by id.
    pub fn list(
        conn: &mut DbConnection,
        filter: VillageFilter,
        township: Option<i64>,
        page: Page,
    ) -> StoreResult<Vec<(Village, String)>> {
        let mut q = villages::table
            .inner_join(townships::table)
            .select((Village::as_select(), townships::code))
            .filter(villages::id.gt(page.after))
            .order(villages::id)
            .limit(page.limit)
            .into_boxed();
        q = match filter {
            VillageFilter::County(c) => q.filter(townships::county_id.eq(c)),
            VillageFilter::Township(t) => q.filter(villages::township_id.eq(t)),
            VillageFilter::Village(v) => q.filter(villages::id.eq(v)),
        };
        if let Some(t) = township {
            q = q.filter(villages::township_id.eq(t));
        }
        Ok(q.load(conn)?)
    }

    /// Takes the next value of a per-village counter ("bill", "sub:113", "receipt:2026"),
    /// starting at 1. The UPDATE locks the counter row until the caller's transaction ends, so
    /// numbers are gapless and unique across processes.
    pub fn next_number(conn: &mut DbConnection, village_id: VillageId, name: &str) -> StoreResult<i64> {
        let target = village_counters::table
            .filter(village_counters::village_id.eq(village_id))
            .filter(village_counters::name.eq(name));
        let bumped: Option<i64> = diesel::update(target)
            .set(village_counters::last_value.eq(village_counters::last_value + 1))
            .returning(village_counters::last_value)
            .get_result(conn)
            .optional()?;
        if let Some(v) = bumped {
            return Ok(v);
        }
        let inserted = diesel::insert_into(village_counters::table)
            .values((
                village_counters::village_id.eq(village_id),
                village_counters::name.eq(name),
                village_counters::last_value.eq(1i64),
            ))
            .execute(conn);
        match inserted.map_err(StoreError::from) {
            Ok(_) => Ok(1),
            // Another transaction created the row first: on PostgreSQL the failed INSERT has
            // aborted our transaction, so the caller retries the whole use case.
            Err(StoreError::Unique(c)) => Err(StoreError::Retry(format!("counter {name} created concurrently ({c})"))),
            Err(e) => Err(e),
        }
    }
}

impl CorporateAccount {
    pub fn insert(conn: &mut DbConnection, new: &NewCorporateAccount) -> StoreResult<CorporateAccount> {
        Ok(diesel::insert_into(corporate_accounts::table)
            .values(new)
            .returning(corporate_accounts::all_columns)
            .get_result(conn)?)
    }
    pub fn by_id(conn: &mut DbConnection, id: CorporateAccountId) -> StoreResult<CorporateAccount> {
        Ok(corporate_accounts::table
            .find(id)
            .select(CorporateAccount::as_select())
            .first(conn)?)
    }
    pub fn by_account_no(conn: &mut DbConnection, no: &str) -> StoreResult<Option<CorporateAccount>> {
        Ok(corporate_accounts::table
            .filter(corporate_accounts::account_no.eq(no))
            .select(CorporateAccount::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn of_village(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<Vec<CorporateAccount>> {
        Ok(corporate_accounts::table
            .filter(corporate_accounts::village_id.eq(village_id))
            .select(CorporateAccount::as_select())
            .order(corporate_accounts::id)
            .load(conn)?)
    }
}

/// A change of a village's cash limit, from its day on; kept, never changed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = village_cash_limits)]
pub struct CashLimitChange {
    pub id: i64,
    pub village_id: VillageId,
    pub effective_from: NaiveDate,
    #[diesel(column_name = limit_fen)]
    pub limit: Money,
    pub note: String,
    pub set_by: UserId,
    pub set_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = village_cash_limits)]
pub struct NewCashLimitChange<'a> {
    pub village_id: VillageId,
    pub effective_from: NaiveDate,
    #[diesel(column_name = limit_fen)]
    pub limit: Money,
    pub note: &'a str,
    pub set_by: UserId,
    pub set_at: NaiveDateTime,
}

impl CashLimitChange {
    pub fn insert(conn: &mut DbConnection, new: &NewCashLimitChange) -> StoreResult<CashLimitChange> {
        Ok(diesel::insert_into(village_cash_limits::table)
            .values(new)
            .returning(village_cash_limits::all_columns)
            .get_result(conn)?)
    }

    /// The changes of these villages, in the order they were made: one query.
    pub fn of_villages(conn: &mut DbConnection, villages: &[VillageId]) -> StoreResult<Vec<CashLimitChange>> {
        let mut out = Vec::new();
        for chunk in villages.chunks(500) {
            out.extend(
                village_cash_limits::table
                    .filter(village_cash_limits::village_id.eq_any(chunk.to_vec()))
                    .order(village_cash_limits::id)
                    .select(CashLimitChange::as_select())
                    .load::<CashLimitChange>(conn)?,
            );
        }
        out.sort_by_key(|c| c.id);
        Ok(out)
    }
}

/// The village's cash limit over time.
pub fn cash_limits(conn: &mut DbConnection, village: &Village) -> StoreResult<CashLimits> {
    let changes = CashLimitChange::of_villages(conn, &[village.id])?;
    Ok(limits_of(village, &changes))
}

/// The village's limits from changes read for many villages at once (any order of villages,
/// each village's changes in the order made).
pub fn limits_of(village: &Village, changes: &[CashLimitChange]) -> CashLimits {
    CashLimits::new(
        village.first_cash_limit,
        changes
            .iter()
            .filter(|c| c.village_id == village.id)
            .map(|c| (c.effective_from, c.limit))
            .collect(),
    )
}
