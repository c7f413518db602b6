//! Reconciliation: pure rules for reading the bank's statement and setting it against the books.
//!
//! - [`profile`]: statement layouts as data (which header names which field), detected from a
//!   file's header row.
//! - [`statement`]: a statement file (GBK, GB18030, UTF-8, XLSX) into lines, or one error that
//!   names the row and the column.
//! - [`matcher`]: statement lines against the books' credits, rule by rule, deterministic.
//! - [`settlement`]: a payment's fee, a provider's settlement credit, and the days of payments
//!   it pays for (N:1).
//!
//! No I/O: `usecases::statements` stores what these return, in one transaction per file.

pub mod matcher;
pub mod profile;
pub mod settlement;
pub mod statement;
