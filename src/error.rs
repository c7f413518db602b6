//! Errors, layer by layer.
//!
//! - `domain` and `ledger` return their own small error enums (`MoneyError`, `EntryError`, …):
//!   pure values that say which rule failed.
//! - `store` returns [`crate::store::StoreError`]: diesel's error classified (unique
//!   violation, immutable journal, database unavailable, retry).
//! - use cases return [`AppError`], defined here: what the user did wrong or why it could not
//!   be done, with a stable snake_case code, a message that says what to do, and the field.
//! - `web` maps `AppError` to HTTP in exactly one place (`web::error`). Anything a client sent
//!   is a 4xx; a 500 means a bug, and is logged without the request body.

use crate::domain::access::Denied;
use crate::ledger::EntryError;
use crate::store::db::Retryable;
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or breaks a rule (400/422).
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// Not found, or outside the caller's scope (404).
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// Already exists or conflicts with the current state (409).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// No valid credentials (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// Known and in scope, but the role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The database is unreachable or busy; try again (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Transient conflict between concurrent transactions; retried by `Db::write`.
    #[error("retry: {0}")]
    Retry(String),
    /// A bug (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(code: &'static str, message: impl Into<String>, field: &str) -> AppError {
        AppError::Invalid {
            code,
            message: message.into(),
            field: Some(field.to_string()),
        }
    }
    pub fn not_found(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::NotFound {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>, field: Option<&str>) -> AppError {
        AppError::Conflict {
            code,
            message: message.into(),
            field: field.map(str::to_string),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::NotFound => AppError::not_found("not_found", "not found"),
            StoreError::Unique(c) => AppError::conflict("already_exists", format!("already exists ({c})"), None),
            StoreError::Immutable(m) => AppError::conflict("journal_immutable", m, None),
            StoreError::Retry(m) => AppError::Retry(m),
            StoreError::ForeignKey(m) | StoreError::Migration(m) | StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<EntryError> for AppError {
    fn from(e: EntryError) -> Self {
        let field = e.field();
        let code = e.code();
        let message = e.to_string();
        if code == "period_closed" {
            AppError::Conflict { code, message, field }
        } else {
            AppError::Invalid { code, message, field }
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::OutOfScope => AppError::not_found("not_found", "not found"),
            Denied::Role { role, action } => {
                AppError::Forbidden(format!("a user with role {} may not {:?}", role.as_str(), action))
            }
        }
    }
}

impl Retryable for AppError {
    fn is_retryable(&self) -> bool {
        matches!(self, AppError::Retry(_))
    }
}

pub type AppResult<T> = Result<T, AppError>;
