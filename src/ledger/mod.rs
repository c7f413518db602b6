//! The ledger: charts of accounts, entry rules, the hash chain and the trial balance.
//!
//! Pure: no I/O, no database. The store resolves accounts and periods and calls in here to
//! decide; use cases put the two together inside one transaction. Must not import from `store`
//! or `web`.

pub mod beancount;
pub mod chain;
pub mod chart;
pub mod entry;
pub mod trial_balance;

pub use chart::Side;
pub use entry::{EntryError, Line, ProposedEntry};
