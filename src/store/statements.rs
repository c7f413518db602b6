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

/// A line without the raw row it was read from: what matching and reports read (the raw row is
/// evidence, opened one line at a time).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = statement_lines)]
pub struct StatementLineBrief {
    pub id: i64,
    pub line_key: String,
    pub business_date: NaiveDate,
    pub booked_at: NaiveDateTime,
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
}

impl StatementLineBrief {
    /// An account's lines of some days, in booking order (without their raw rows).
    pub fn of_days(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<StatementLineBrief>> {
        Ok(statement_lines::table
            .filter(statement_lines::corporate_account_id.eq(account))
            .filter(statement_lines::business_date.between(from, to))
            .order((
                statement_lines::business_date,
                statement_lines::booked_at,
                statement_lines::import_id,
                statement_lines::position,
            ))
            .select(StatementLineBrief::as_select())
            .load(conn)?)
    }
}

impl StatementLineBrief {
    /// Some lines by id, whole (what a posting writes down as evidence).
    pub fn by_ids(conn: &mut DbConnection, ids: &[i64]) -> StoreResult<Vec<StatementLineBrief>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH) {
            out.extend(
                statement_lines::table
                    .filter(statement_lines::id.eq_any(chunk))
                    .select(StatementLineBrief::as_select())
                    .load::<StatementLineBrief>(conn)?,
            );
        }
        Ok(out)
    }
}

/// A statement line as the matcher reads it: only what the rules compare. Reconciliation reads
/// a year of an account at this width and opens the whole line only for the few it posts.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = statement_lines)]
pub struct LineToMatch {
    pub id: i64,
    pub business_date: NaiveDate,
    pub serial: Option<String>,
    pub direction: Direction,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub remark: Option<String>,
}

impl LineToMatch {
    /// An account's lines of some days that no match has decided yet, in booking order.
    pub fn undecided_of_days(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<LineToMatch>> {
        // A match copies its line's account and day (the database checks it), so only the
        // matches of these days are read, by their day index, rather than an account's year.
        Ok(statement_lines::table
            .left_join(
                statement_matches::table.on(statement_matches::statement_line_id
                    .eq(statement_lines::id)
                    .and(statement_matches::corporate_account_id.eq(account))
                    .and(statement_matches::business_date.between(from, to))),
            )
            .filter(statement_lines::corporate_account_id.eq(account))
            .filter(statement_lines::business_date.between(from, to))
            .filter(statement_matches::statement_line_id.nullable().is_null())
            .order((
                statement_lines::business_date,
                statement_lines::booked_at,
                statement_lines::import_id,
                statement_lines::position,
            ))
            .select(LineToMatch::as_select())
            .load(conn)?)
    }
}

/// One of the books' credits as the matcher reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = super::schema::bank_transactions)]
pub struct CreditToMatch {
    pub id: BankTransactionId,
    pub provider_txn_id: String,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub paid_at: NaiveDateTime,
    pub payer_masked: Option<String>,
    pub reference: Option<String>,
}

/// The books' credits to an account paid in `[from, to)` that no line is matched to and that
/// do not wait in a provider's clearing account (those come only inside a settlement), in the
/// order they were paid: one query by the account's time index.
pub fn unmatched_credits_in_window(
    conn: &mut DbConnection,
    account: CorporateAccountId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<Vec<CreditToMatch>> {
    use super::schema::{bank_transactions, clearing_items};
    Ok(bank_transactions::table
        .left_join(
            statement_matches::table.on(statement_matches::bank_transaction_id.eq(bank_transactions::id.nullable())),
        )
        .left_join(clearing_items::table.on(clearing_items::bank_transaction_id.eq(bank_transactions::id)))
        .filter(bank_transactions::corporate_account_id.eq(account))
        .filter(bank_transactions::paid_at.ge(from))
        .filter(bank_transactions::paid_at.lt(to))
        .filter(statement_matches::statement_line_id.nullable().is_null())
        .filter(clearing_items::bank_transaction_id.nullable().is_null())
        .order((bank_transactions::paid_at, bank_transactions::id))
        .select(CreditToMatch::as_select())
        .load(conn)?)
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
    /// The keys already kept for an account's lines of some days: one range scan of the day
    /// index (a line's key includes its date, and a bank's serial names a line of one day), so a
    /// file costs one query, not one per thousand lines.
    pub fn known_keys(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<HashSet<String>> {
        Ok(statement_lines::table
            .filter(statement_lines::corporate_account_id.eq(account))
            .filter(statement_lines::business_date.between(from, to))
            .select(statement_lines::line_key)
            .load::<String>(conn)?
            .into_iter()
            .collect())
    }

    /// Inserts new lines: by COPY on PostgreSQL (a multi-row INSERT there spends its time on
    /// 21,000 bind parameters per statement), in multi-row INSERTs on SQLite. diesel's
    /// MultiConnection has neither, so each backend runs its own.
    pub fn insert_all(conn: &mut DbConnection, lines: &[NewStatementLine]) -> StoreResult<usize> {
        if lines.is_empty() {
            return Ok(0);
        }
        match conn {
            DbConnection::Pg(c) => Ok(diesel::copy_from(statement_lines::table)
                .from_insertable(lines)
                .execute(c)?),
            DbConnection::Sqlite(c) => {
                let mut n = 0;
                for chunk in lines.chunks(BATCH) {
                    n += diesel::insert_into(statement_lines::table).values(chunk).execute(c)?;
                }
                Ok(n)
            }
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = statement_matches)]
pub struct StatementMatch {
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

/// After a write that added many rows to the statement tables, PostgreSQL's planner gets fresh
/// statistics at once instead of waiting for autovacuum: the lookups above are index scans only
/// while the planner knows the tables are large (a first import of a year's statement would
/// otherwise be read by sequential scans until autovacuum comes by). SQLite needs nothing.
pub fn refresh_statistics(conn: &mut DbConnection, grown: Grown, rows_added: usize) -> StoreResult<()> {
    if rows_added >= 10_000 {
        if let DbConnection::Pg(c) = conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute(match grown {
                Grown::Lines => "ANALYZE statement_lines",
                Grown::Matches => "ANALYZE statement_matches",
                Grown::Credits => "ANALYZE bank_transactions",
            })?;
        }
    }
    Ok(())
}

/// Which statement table a write grew.
#[derive(Debug, Clone, Copy)]
pub enum Grown {
    /// An import added lines.
    Lines,
    /// A reconciliation added matches.
    Matches,
    /// A reconciliation took in credits the books never heard of.
    Credits,
}

impl StatementMatch {
    /// Inserts matches in multi-row statements (a month of an account in a few round trips).
    pub fn insert_all(conn: &mut DbConnection, new: &[NewStatementMatch]) -> StoreResult<()> {
        if new.is_empty() {
            return Ok(());
        }
        match conn {
            DbConnection::Pg(c) => {
                diesel::copy_from(statement_matches::table)
                    .from_insertable(new)
                    .execute(c)?;
            }
            DbConnection::Sqlite(c) => {
                for chunk in new.chunks(BATCH) {
                    diesel::insert_into(statement_matches::table).values(chunk).execute(c)?;
                }
            }
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
}

/// One of the books' credits to an account, with what reconciliation already knows of it.
#[derive(Debug, Clone)]
pub struct WindowCredit {
    pub txn: crate::store::payments::BankTransaction,
    /// The journal number of its entry.
    pub entry_seq: i64,
    /// A statement line is already matched to it.
    pub matched: bool,
    /// It went to a provider's clearing account: it comes on the statement only inside a
    /// settlement, never singly.
    pub held: bool,
}

/// The books' credits to an account paid in `[from, to)`, each with its entry's number, whether
/// a line is matched to it and whether it waits in clearing: one query, by the account's time
/// index and the unique keys, however many credits the window holds.
pub fn credits_in_window(
    conn: &mut DbConnection,
    account: CorporateAccountId,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> StoreResult<Vec<WindowCredit>> {
    use super::payments::BankTransaction;
    use super::schema::{bank_transactions, clearing_items, journal_entries};
    let rows: Vec<(BankTransaction, i64, Option<i64>, Option<BankTransactionId>)> = bank_transactions::table
        .inner_join(journal_entries::table.on(journal_entries::id.eq(bank_transactions::entry_id)))
        .left_join(
            statement_matches::table.on(statement_matches::bank_transaction_id.eq(bank_transactions::id.nullable())),
        )
        .left_join(clearing_items::table.on(clearing_items::bank_transaction_id.eq(bank_transactions::id)))
        .filter(bank_transactions::corporate_account_id.eq(account))
        .filter(bank_transactions::paid_at.ge(from))
        .filter(bank_transactions::paid_at.lt(to))
        .order((bank_transactions::paid_at, bank_transactions::id))
        .select((
            BankTransaction::as_select(),
            journal_entries::seq,
            statement_matches::statement_line_id.nullable(),
            clearing_items::bank_transaction_id.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(txn, entry_seq, m, h)| WindowCredit {
            txn,
            entry_seq,
            matched: m.is_some(),
            held: h.is_some(),
        })
        .collect())
}

/// Debits on an account's statement from `from` on, of this amount, that reconciliation has not
/// decided yet (their line ids): what a payment the bank already made looks like before the day
/// is reconciled.
pub fn undecided_debits(
    conn: &mut DbConnection,
    account: CorporateAccountId,
    amount: Money,
    from: NaiveDate,
) -> StoreResult<Vec<i64>> {
    Ok(statement_lines::table
        .filter(statement_lines::corporate_account_id.eq(account))
        .filter(statement_lines::direction.eq(Direction::Debit))
        .filter(statement_lines::amount_fen.eq(amount.fen()))
        .filter(statement_lines::business_date.ge(from))
        .filter(statement_lines::id.ne_all(statement_matches::table.select(statement_matches::statement_line_id)))
        .order(statement_lines::id)
        .select(statement_lines::id)
        .load(conn)?)
}
