//! How concurrent writers are kept apart: one lock per village, taken first.
//!
//! Every use case that reads a village's state and then writes from it (a callback deciding how
//! much of a bill is still owed, cash against the same bill, a void, a pay-in choosing cash
//! records, a match, a month close, a reversal, an order, bill generation) starts its write
//! transaction with [`lock_village`], before it reads anything it will decide on. Two such use
//! cases of one village then run one after the other, as if sequential; use cases of different
//! villages never wait for each other (DESIGN.md §12: no transaction needs two villages).
//!
//! Why a village lock rather than a lock per bill or conditional updates: a payment changes the
//! bill, the village's receipt counter, its cash and suspense balances and its hash chain all at
//! once, and the chain head is taken by every posting anyway, so a finer lock would only be
//! taken after the coarse one. One rule, taken in one place, is also one rule to get right.
//!
//! - **PostgreSQL** runs at READ COMMITTED, on purpose. The lock is the row of the village in
//!   `ledger_heads`, taken with an UPDATE (a row lock held until commit). Under READ COMMITTED
//!   each statement sees everything committed before it started, so every read after the lock
//!   sees the effects of every earlier holder. At REPEATABLE READ or SERIALIZABLE the snapshot
//!   would be taken at the transaction's first statement and stay stale behind the lock.
//! - **SQLite** has one writer: `Db::write` begins with `BEGIN IMMEDIATE`, which takes the
//!   database's write lock before the first statement, so nothing more is needed here.
//!
//! A lock is always the first one a transaction takes (the audit head and counters come after
//! it), so two use cases cannot wait for each other in a circle.

use diesel::prelude::*;

use super::schema::ledger_heads;
use super::{DbConnection, StoreError, StoreResult};
use crate::domain::ids::VillageId;

/// Takes the village's write lock until the end of the caller's transaction.
pub fn lock_village(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<()> {
    if let DbConnection::Sqlite(_) = conn {
        return Ok(());
    }
    let locked = diesel::update(ledger_heads::table.find(village_id))
        .set(ledger_heads::last_seq.eq(ledger_heads::last_seq))
        .execute(conn)?;
    if locked != 1 {
        return Err(StoreError::Other(format!(
            "village {village_id} has no ledger head to lock"
        )));
    }
    Ok(())
}
