//! Statement storage: what each import read (`statement_imports`), and the bank's lines
//! (`statement_lines`), unique per corporate account on their key. Both are append-only (the
//! migration's triggers refuse UPDATE and DELETE): they are the bank's word, kept as evidence.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashSet;

use super::schema::{statement_imports, statement_lines, statement_matches};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, CorporateAccountId, EntryId, UserId, VillageId};
use crate::domain::vocabulary::{Direction, MatchRule, StatementSource};
use crate::domain::Money;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = statement_imports)]
pub struct StatementImport {
    pub id: i64,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub source: StatementSource,
    pub profile: String,
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: i64,
    pub encoding: String,
    pub lines_total: i64,
    pub lines_new: i64,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub broken_rows: String,
    pub imported_by: Option<UserId>,
    pub imported_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = statement_imports)]
pub struct NewStatementImport<'a> {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub source: StatementSource,
    pub profile: &'a str,
    pub file_name: &'a str,
    pub file_sha256: &'a str,
    pub file_size: i64,
    pub encoding: &'a str,
    pub lines_total: i64,
    pub lines_new: i64,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    pub broken_rows: &'a str,
    pub imported_by: Option<UserId>,
    pub imported_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = statement_lines)]
pub struct StatementLine {
    pub id: i64,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub line_key: String,
    pub business_date: NaiveDate,
    pub booked_at: NaiveDateTime,
    pub position: i64,
    pub value_time: Option<NaiveDateTime>,
    pub serial: Option<String>,
    pub direction: Direction,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    #[diesel(column_name = balance_fen)]
    pub balance: Option<Money>,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub summary: Option<String>,
    pub remark: Option<String>,
    pub source: StatementSource,
    pub import_id: i64,
    pub row_no: i64,
    pub raw: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = statement_lines)]
// NULL, not DEFAULT, for a missing value: SQLite's multi-row VALUES has no DEFAULT keyword.
#[diesel(treat_none_as_default_value = false)]
pub struct NewStatementLine<'a> {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub line_key: &'a str,
    pub business_date: NaiveDate,
    pub booked_at: NaiveDateTime,
    pub position: i64,
    pub value_time: Option<NaiveDateTime>,
    pub serial: Option<&'a str>,
    pub direction: Direction,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    #[diesel(column_name = balance_fen)]
    pub balance: Option<Money>,
    pub counterparty_name: Option<&'a str>,
    pub counterparty_account: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub remark: Option<&'a str>,
    pub source: StatementSource,
    pub import_id: i64,
    pub row_no: i64,
    pub raw: &'a str,
    pub created_at: NaiveDateTime,
}

/// Rows per multi-row INSERT: 21 columns × 1000 stays under SQLite's 32,766 parameters.
const BATCH: usize = 1000;

impl StatementImport {
    pub fn insert(conn: &mut DbConnection, new: &NewStatementImport) -> StoreResult<StatementImport> {
        Ok(diesel::insert_into(statement_imports::table)
            .values(new)
            .returning(statement_imports::all_columns)
            .get_result(conn)?)
    }

    /// An account's imports, newest first.
    pub fn of_account(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        limit: i64,
    ) -> StoreResult<Vec<StatementImport>> {
        Ok(statement_imports::table
            .filter(statement_imports::corporate_account_id.eq(account))
            .order(statement_imports::id.desc())
            .limit(limit)
            .select(StatementImport::as_select())
            .load(conn)?)
    }
}

impl StatementLine {
    /// The keys already kept for an account among `keys` (looked up in chunks).
    pub fn known_keys(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        keys: &[&str],
    ) -> StoreResult<HashSet<String>> {
        let mut known = HashSet::new();
        for chunk in keys.chunks(BATCH) {
            let found: Vec<String> = statement_lines::table
                .filter(statement_lines::corporate_account_id.eq(account))
                .filter(statement_lines::line_key.eq_any(chunk))
                .select(statement_lines::line_key)
                .load(conn)?;
            known.extend(found);
        }
        Ok(known)
    }

    /// Inserts new lines in multi-row statements (a statement of a year is one round trip per
    /// thousand lines). diesel's MultiConnection has no batch insert, so each backend runs it.
    pub fn insert_all(conn: &mut DbConnection, lines: &[NewStatementLine]) -> StoreResult<usize> {
        let mut n = 0;
        for chunk in lines.chunks(BATCH) {
            let insert = diesel::insert_into(statement_lines::table).values(chunk);
            n += match conn {
                DbConnection::Pg(c) => insert.execute(c)?,
                DbConnection::Sqlite(c) => insert.execute(c)?,
            };
        }
        Ok(n)
    }

    /// An account's lines of some days, in booking order.
    pub fn of_days(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StatementLine>> {
        Ok(statement_lines::table
            .filter(statement_lines::corporate_account_id.eq(account))
            .filter(statement_lines::business_date.between(from, to))
            .order((
                statement_lines::business_date,
                statement_lines::booked_at,
                statement_lines::import_id,
                statement_lines::position,
            ))
            .select(StatementLine::as_select())
            .load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = statement_matches)]
pub struct StatementMatch {
    pub id: i64,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub statement_line_id: i64,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub entry_id: Option<EntryId>,
    pub rule: MatchRule,
    pub amount_differs: bool,
    pub business_date: NaiveDate,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = statement_matches)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewStatementMatch {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub statement_line_id: i64,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub entry_id: Option<EntryId>,
    pub rule: MatchRule,
    pub amount_differs: bool,
    pub business_date: NaiveDate,
    pub created_at: NaiveDateTime,
}

impl StatementMatch {
    /// Inserts matches in multi-row statements (a month of an account in a few round trips).
    pub fn insert_all(conn: &mut DbConnection, new: &[NewStatementMatch]) -> StoreResult<()> {
        for chunk in new.chunks(BATCH) {
            let insert = diesel::insert_into(statement_matches::table).values(chunk);
            match conn {
                DbConnection::Pg(c) => insert.execute(c)?,
                DbConnection::Sqlite(c) => insert.execute(c)?,
            };
        }
        Ok(())
    }

    /// The matches of an account's lines of some days.
    pub fn of_days(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StatementMatch>> {
        Ok(statement_matches::table
            .filter(statement_matches::corporate_account_id.eq(account))
            .filter(statement_matches::business_date.between(from, to))
            .select(StatementMatch::as_select())
            .load(conn)?)
    }

    /// Which of these bank transactions are matched to a line (of any day).
    pub fn matched_transactions(
        conn: &mut DbConnection,
        ids: &[BankTransactionId],
    ) -> StoreResult<HashSet<BankTransactionId>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(BATCH) {
            let got: Vec<Option<BankTransactionId>> = statement_matches::table
                .filter(statement_matches::bank_transaction_id.eq_any(chunk.iter().map(|i| Some(*i))))
                .select(statement_matches::bank_transaction_id)
                .load(conn)?;
            found.extend(got.into_iter().flatten());
        }
        Ok(found)
    }
}
