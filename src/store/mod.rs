//! Storage: diesel over PostgreSQL and SQLite through one `MultiConnection`.
//!
//! Owns the schema, the row types (`Village` rows, `NewVillage` inserts, separate types), the
//! queries (associated functions usable on any connection, inside the caller's transaction),
//! the pool and the migrations. Knows nothing of HTTP or of who is asking; the use cases decide
//! what may be done and call in here inside one transaction.

pub mod access;
pub mod audit;
pub mod billing;
pub mod books;
pub mod cash;
pub mod db;
pub mod disbursements;
pub mod inspection;
pub mod journal;
pub mod lock;
pub mod orders;
pub mod payments;
pub mod public;
pub mod refunds;
pub mod registry;
pub mod schema;
pub mod settlements;
pub mod statements;
pub mod suspense;
pub mod types;

pub use db::{with_large_cache, Backend, Db, DbConnection};

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// The store layer's error: diesel's, classified so use cases can answer precisely.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("row not found")]
    NotFound,
    #[error("unique constraint violated: {0}")]
    Unique(String),
    #[error("foreign key violated: {0}")]
    ForeignKey(String),
    #[error("the journal is append-only: {0}")]
    Immutable(String),
    #[error("serialization failure, retry: {0}")]
    Retry(String),
    /// Text a database cannot hold (PostgreSQL refuses NUL in TEXT): it came from a client.
    #[error("text the database cannot hold: {0}")]
    InvalidText(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let msg = info.message().to_string();
                let detail = info
                    .constraint_name()
                    .map(str::to_string)
                    .unwrap_or_else(|| msg.clone());
                if msg.contains("qz_immutable") {
                    return StoreError::Immutable(msg);
                }
                if msg.contains("0x00") || msg.contains("null character not permitted") {
                    return StoreError::InvalidText(msg);
                }
                match kind {
                    DatabaseErrorKind::UniqueViolation => StoreError::Unique(detail),
                    DatabaseErrorKind::ForeignKeyViolation => StoreError::ForeignKey(detail),
                    DatabaseErrorKind::SerializationFailure => StoreError::Retry(msg),
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                        StoreError::Unavailable(msg)
                    }
                    _ if msg.contains("database is locked") || msg.contains("database is busy") => {
                        StoreError::Unavailable(msg)
                    }
                    // PostgreSQL: a lock wait past lock_timeout, or a deadlock it broke.
                    _ if msg.contains("lock timeout") || msg.contains("deadlock detected") => StoreError::Retry(msg),
                    _ => StoreError::Other(msg),
                }
            }
            DieselError::BrokenTransactionManager => StoreError::Unavailable("broken transaction".into()),
            other => StoreError::Other(other.to_string()),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Keyset paging: rows after `after` (an id or sequence), at most `limit` (1..=500, default 50).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: i64,
    pub limit: i64,
}

impl Page {
    pub const MAX: i64 = 500;
    pub fn new(after: Option<i64>, limit: Option<i64>) -> Page {
        Page {
            after: after.unwrap_or(0).max(0),
            limit: limit.unwrap_or(50).clamp(1, Page::MAX),
        }
    }
}
