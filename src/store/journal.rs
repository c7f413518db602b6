//! Ledger storage: each village's accounts, the journal, cached balances, closed months.
//!
//! Posting takes the village's chain head with `UPDATE … RETURNING`, which row-locks it until
//! commit: entries of one village are numbered and chained strictly one after another, while
//! different villages never wait for each other.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::schema::{
    account_balances, closed_periods, journal_entries, journal_postings, ledger_accounts, ledger_heads,
};
use super::{DbConnection, Page, StoreResult};
use crate::domain::ids::{EntryId, LedgerAccountId, UserId, VillageId};
use crate::domain::EntrySource;
use crate::domain::Money;
use crate::domain::Period;
use crate::ledger::chain::{self, ChainedEntry, ChainedPosting};
use crate::ledger::entry::{AccountView, Line};
use crate::ledger::trial_balance::Sums;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_accounts)]
pub struct LedgerAccount {
    pub id: LedgerAccountId,
    pub village_id: VillageId,
    pub chart_version: String,
    pub code: String,
    pub name: String,
    pub category: String,
    pub normal_side: String,
    pub parent_code: Option<String>,
    pub postable: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = ledger_accounts)]
pub struct NewLedgerAccount<'a> {
    pub village_id: VillageId,
    pub chart_version: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub normal_side: &'a str,
    pub parent_code: Option<&'a str>,
    pub postable: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl LedgerAccount {
    pub fn view(&self) -> AccountView {
        AccountView {
            id: self.id,
            village_id: self.village_id,
            code: self.code.clone(),
            chart_version: self.chart_version.clone(),
            active: self.active,
            postable: self.postable,
        }
    }

    pub fn by_id(conn: &mut DbConnection, id: LedgerAccountId) -> StoreResult<LedgerAccount> {
        Ok(ledger_accounts::table
            .find(id)
            .select(LedgerAccount::as_select())
            .first(conn)?)
    }

    /// Creates an account with a zero cached balance.
    pub fn insert(conn: &mut DbConnection, new: &NewLedgerAccount) -> StoreResult<LedgerAccount> {
        let account: LedgerAccount = diesel::insert_into(ledger_accounts::table)
            .values(new)
            .returning(ledger_accounts::all_columns)
            .get_result(conn)?;
        diesel::insert_into(account_balances::table)
            .values((
                account_balances::account_id.eq(account.id),
                account_balances::village_id.eq(account.village_id),
                account_balances::debit_fen.eq(Money::ZERO),
                account_balances::credit_fen.eq(Money::ZERO),
            ))
            .execute(conn)?;
        Ok(account)
    }

    pub fn by_code(
        conn: &mut DbConnection,
        village_id: VillageId,
        chart_version: &str,
        code: &str,
    ) -> StoreResult<Option<LedgerAccount>> {
        Ok(ledger_accounts::table
            .filter(ledger_accounts::village_id.eq(village_id))
            .filter(ledger_accounts::chart_version.eq(chart_version))
            .filter(ledger_accounts::code.eq(code))
            .select(LedgerAccount::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn of_village(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<Vec<LedgerAccount>> {
        Ok(ledger_accounts::table
            .filter(ledger_accounts::village_id.eq(village_id))
            .order((ledger_accounts::chart_version, ledger_accounts::code))
            .select(LedgerAccount::as_select())
            .load(conn)?)
    }

    /// Accounts of a village with their cached balances.
    pub fn with_balances(
        conn: &mut DbConnection,
        village_id: VillageId,
    ) -> StoreResult<Vec<(LedgerAccount, Money, Money)>> {
        Ok(ledger_accounts::table
            .inner_join(account_balances::table.on(account_balances::account_id.eq(ledger_accounts::id)))
            .filter(ledger_accounts::village_id.eq(village_id))
            .order((ledger_accounts::chart_version, ledger_accounts::code))
            .select((
                LedgerAccount::as_select(),
                account_balances::debit_fen,
                account_balances::credit_fen,
            ))
            .load(conn)?)
    }
}

pub fn create_head(conn: &mut DbConnection, village_id: VillageId, genesis: &str) -> StoreResult<()> {
    diesel::insert_into(ledger_heads::table)
        .values((
            ledger_heads::village_id.eq(village_id),
            ledger_heads::last_seq.eq(0i64),
            ledger_heads::last_hash.eq(genesis),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn head(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<(i64, String)> {
    Ok(ledger_heads::table
        .find(village_id)
        .select((ledger_heads::last_seq, ledger_heads::last_hash))
        .first(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_entries)]
pub struct Entry {
    pub id: EntryId,
    pub village_id: VillageId,
    pub seq: i64,
    pub entry_date: NaiveDate,
    pub period: String,
    pub memo: String,
    pub source: EntrySource,
    pub reverses_entry_id: Option<EntryId>,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = journal_entries)]
struct NewEntry<'a> {
    village_id: VillageId,
    seq: i64,
    entry_date: NaiveDate,
    period: &'a str,
    memo: &'a str,
    source: EntrySource,
    reverses_entry_id: Option<EntryId>,
    created_by: Option<UserId>,
    created_at: NaiveDateTime,
    prev_hash: &'a str,
    hash: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = journal_postings)]
pub struct Posting {
    pub id: i64,
    pub entry_id: EntryId,
    pub village_id: VillageId,
    pub line_no: i32,
    pub account_id: LedgerAccountId,
    #[diesel(column_name = debit_fen)]
    pub debit: Money,
    #[diesel(column_name = credit_fen)]
    pub credit: Money,
    pub memo: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = journal_postings)]
struct NewPosting<'a> {
    entry_id: EntryId,
    village_id: VillageId,
    line_no: i32,
    account_id: LedgerAccountId,
    #[diesel(column_name = debit_fen)]
    debit: Money,
    #[diesel(column_name = credit_fen)]
    credit: Money,
    memo: &'a str,
}

/// What the caller has already checked with `ledger::entry::check` and wants written.
pub struct PostingRequest<'a> {
    pub village_id: VillageId,
    pub village_code: &'a str,
    pub entry_date: NaiveDate,
    pub memo: &'a str,
    pub source: EntrySource,
    /// The entry reversed: its id and its number in the village's journal.
    pub reverses: Option<(EntryId, i64)>,
    pub created_by: Option<UserId>,
    pub lines: &'a [Line],
}

/// Appends one checked entry to its village's chain and updates the cached balances.
/// Must run inside the caller's write transaction.
pub fn append(conn: &mut DbConnection, p: &PostingRequest, created_at: DateTime<Utc>) -> StoreResult<Entry> {
    let (seq, prev_hash): (i64, String) = diesel::update(ledger_heads::table.find(p.village_id))
        .set(ledger_heads::last_seq.eq(ledger_heads::last_seq + 1))
        .returning((ledger_heads::last_seq, ledger_heads::last_hash))
        .get_result(conn)?;
    let chained = ChainedEntry {
        village_code: p.village_code,
        seq,
        entry_date: p.entry_date,
        memo: p.memo,
        // The chain hashes the stored name, as it always has.
        source: p.source.as_str(),
        reverses_seq: p.reverses.map(|(_, s)| s),
        created_by: p.created_by.map(UserId::get),
        created_at,
        postings: p
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| ChainedPosting {
                line_no: i as i32 + 1,
                account_code: &l.account.code,
                debit: l.debit,
                credit: l.credit,
                memo: &l.memo,
            })
            .collect(),
    };
    let hash = chain::link_hash(&prev_hash, &chained);
    let period = Period::of(p.entry_date).to_string();
    let entry: Entry = diesel::insert_into(journal_entries::table)
        .values(&NewEntry {
            village_id: p.village_id,
            seq,
            entry_date: p.entry_date,
            period: &period,
            memo: p.memo,
            source: p.source,
            reverses_entry_id: p.reverses.map(|(id, _)| id),
            created_by: p.created_by,
            created_at: created_at.naive_utc(),
            prev_hash: &prev_hash,
            hash: &hash,
        })
        .returning(journal_entries::all_columns)
        .get_result(conn)?;
    let rows: Vec<NewPosting> = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| NewPosting {
            entry_id: entry.id,
            village_id: p.village_id,
            line_no: i as i32 + 1,
            account_id: l.account.id,
            debit: l.debit,
            credit: l.credit,
            memo: &l.memo,
        })
        .collect();
    // One INSERT per line: MultiConnection has no multi-row VALUES for SQLite, and an entry has
    // only a few lines.
    for row in &rows {
        diesel::insert_into(journal_postings::table).values(row).execute(conn)?;
    }
    for l in p.lines {
        diesel::update(account_balances::table.find(l.account.id))
            .set((
                account_balances::debit_fen.eq(account_balances::debit_fen + l.debit.fen()),
                account_balances::credit_fen.eq(account_balances::credit_fen + l.credit.fen()),
            ))
            .execute(conn)?;
    }
    diesel::update(ledger_heads::table.find(p.village_id))
        .set(ledger_heads::last_hash.eq(&hash))
        .execute(conn)?;
    Ok(entry)
}

impl Entry {
    pub fn by_seq(conn: &mut DbConnection, village_id: VillageId, seq: i64) -> StoreResult<Option<Entry>> {
        Ok(journal_entries::table
            .filter(journal_entries::village_id.eq(village_id))
            .filter(journal_entries::seq.eq(seq))
            .select(Entry::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn by_id(conn: &mut DbConnection, id: EntryId) -> StoreResult<Entry> {
        Ok(journal_entries::table.find(id).select(Entry::as_select()).first(conn)?)
    }
    /// The entries among `ids` that a later entry reverses, with that entry's number.
    pub fn reversals_of(conn: &mut DbConnection, ids: &[EntryId]) -> StoreResult<Vec<(EntryId, i64)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(
                journal_entries::table
                    .filter(journal_entries::reverses_entry_id.eq_any(chunk.to_vec()))
                    .select((
                        journal_entries::reverses_entry_id.assume_not_null(),
                        journal_entries::seq,
                    ))
                    .load::<(EntryId, i64)>(conn)?,
            );
        }
        Ok(out)
    }
    pub fn reversal_of(conn: &mut DbConnection, entry_id: EntryId) -> StoreResult<Option<Entry>> {
        Ok(journal_entries::table
            .filter(journal_entries::reverses_entry_id.eq(entry_id))
            .select(Entry::as_select())
            .first(conn)
            .optional()?)
    }
    /// Entries of a village by sequence, optionally of one period.
    pub fn list(
        conn: &mut DbConnection,
        village_id: VillageId,
        period: Option<&str>,
        page: Page,
    ) -> StoreResult<Vec<Entry>> {
        let mut q = journal_entries::table
            .filter(journal_entries::village_id.eq(village_id))
            .filter(journal_entries::seq.gt(page.after))
            .order(journal_entries::seq)
            .limit(page.limit)
            .select(Entry::as_select())
            .into_boxed();
        if let Some(p) = period {
            q = q.filter(journal_entries::period.eq(p.to_string()));
        }
        Ok(q.load(conn)?)
    }
    /// The postings of some entries, in entry and line order (`verify` knows the accounts).
    pub fn lines_of(conn: &mut DbConnection, entry_ids: &[EntryId]) -> StoreResult<Vec<Posting>> {
        Ok(journal_postings::table
            .filter(journal_postings::entry_id.eq_any(entry_ids.to_vec()))
            .order((journal_postings::entry_id, journal_postings::line_no))
            .select(Posting::as_select())
            .load(conn)?)
    }

    /// The postings of some entries, each with its account's code, in entry and line order.
    pub fn postings_of(conn: &mut DbConnection, entry_ids: &[EntryId]) -> StoreResult<Vec<(Posting, String, String)>> {
        Ok(journal_postings::table
            .inner_join(ledger_accounts::table)
            .filter(journal_postings::entry_id.eq_any(entry_ids.to_vec()))
            .order((journal_postings::entry_id, journal_postings::line_no))
            .select((Posting::as_select(), ledger_accounts::code, ledger_accounts::name))
            .load(conn)?)
    }
}

pub fn is_closed(conn: &mut DbConnection, village_id: VillageId, period: Period) -> StoreResult<bool> {
    let n: i64 = closed_periods::table
        .filter(closed_periods::village_id.eq(village_id))
        .filter(closed_periods::period.eq(period.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn close_period(
    conn: &mut DbConnection,
    village_id: VillageId,
    period: Period,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(closed_periods::table)
        .values((
            closed_periods::village_id.eq(village_id),
            closed_periods::period.eq(period.to_string()),
            closed_periods::closed_by.eq(by),
            closed_periods::closed_at.eq(at.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn closed_periods(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<Vec<String>> {
    Ok(closed_periods::table
        .filter(closed_periods::village_id.eq(village_id))
        .order(closed_periods::period)
        .select(closed_periods::period)
        .load(conn)?)
}

/// Debit and credit sums per account of a village over entries dated in [from, to).
/// SUM over BIGINT is NUMERIC on PostgreSQL, so it is cast back to BIGINT.
pub fn sums_by_account(
    conn: &mut DbConnection,
    village_id: VillageId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> StoreResult<Vec<(LedgerAccountId, Sums)>> {
    let mut q = journal_postings::table
        .inner_join(journal_entries::table)
        .filter(journal_entries::village_id.eq(village_id))
        .group_by(journal_postings::account_id)
        .select((
            journal_postings::account_id,
            sql::<BigInt>("CAST(COALESCE(SUM(journal_postings.debit_fen), 0) AS BIGINT)"),
            sql::<BigInt>("CAST(COALESCE(SUM(journal_postings.credit_fen), 0) AS BIGINT)"),
        ))
        .into_boxed();
    if let Some(f) = from {
        q = q.filter(journal_entries::entry_date.ge(f));
    }
    if let Some(t) = to {
        q = q.filter(journal_entries::entry_date.lt(t));
    }
    let rows: Vec<(LedgerAccountId, Money, Money)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(a, d, c)| (a, Sums { debit: d, credit: c }))
        .collect())
}

/// Entries of a village in sequence order from `after_seq`, at most `limit`, for verify.
pub fn entries_after(
    conn: &mut DbConnection,
    village_id: VillageId,
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    Ok(journal_entries::table
        .filter(journal_entries::village_id.eq(village_id))
        .filter(journal_entries::seq.gt(after_seq))
        .order(journal_entries::seq)
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?)
}

/// Entries of a village dated from `from` up to (not including) `to`, in sequence order after
/// `after_seq`, at most `limit` (exports read a year page by page).
pub fn entries_dated(
    conn: &mut DbConnection,
    village_id: VillageId,
    (from, to): (NaiveDate, NaiveDate),
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<Entry>> {
    Ok(journal_entries::table
        .filter(journal_entries::village_id.eq(village_id))
        .filter(journal_entries::entry_date.ge(from))
        .filter(journal_entries::entry_date.lt(to))
        .filter(journal_entries::seq.gt(after_seq))
        .order(journal_entries::seq)
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?)
}

/// Cached balances of a village's accounts: (account id, debit, credit).
pub fn cached_balances(
    conn: &mut DbConnection,
    village_id: VillageId,
) -> StoreResult<Vec<(LedgerAccountId, Money, Money)>> {
    Ok(account_balances::table
        .filter(account_balances::village_id.eq(village_id))
        .select((
            account_balances::account_id,
            account_balances::debit_fen,
            account_balances::credit_fen,
        ))
        .load(conn)?)
}

/// One account's postings summed per entry date, up to and including `to`, oldest first: the
/// running balance at the end of each day follows (reconciliation's check against the bank).
pub fn daily_sums_of_account(
    conn: &mut DbConnection,
    account_id: LedgerAccountId,
    to: NaiveDate,
) -> StoreResult<Vec<(NaiveDate, Sums)>> {
    let rows: Vec<(NaiveDate, Money, Money)> = journal_postings::table
        .inner_join(journal_entries::table)
        .filter(journal_postings::account_id.eq(account_id))
        .filter(journal_entries::entry_date.le(to))
        .group_by(journal_entries::entry_date)
        .select((
            journal_entries::entry_date,
            sql::<BigInt>("CAST(COALESCE(SUM(journal_postings.debit_fen), 0) AS BIGINT)"),
            sql::<BigInt>("CAST(COALESCE(SUM(journal_postings.credit_fen), 0) AS BIGINT)"),
        ))
        .order(journal_entries::entry_date)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(d, debit, credit)| (d, Sums { debit, credit }))
        .collect())
}

/// The journal numbers (seq) of some entries, looked up in chunks.
pub fn seqs_of(conn: &mut DbConnection, ids: &[EntryId]) -> StoreResult<std::collections::HashMap<EntryId, i64>> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let rows: Vec<(EntryId, i64)> = journal_entries::table
            .filter(journal_entries::id.eq_any(chunk))
            .select((journal_entries::id, journal_entries::seq))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}
