//! Domain types: pure values with their parsing and rules, no I/O.
//!
//! Constructors are the only way in ("parse, don't validate"): a `Money`, `BillReference` or
//! `AdminCode` that exists is valid. Storage keeps their plain forms (fen, digits) and converts
//! at the store's edge.

pub mod access;
pub mod admin_code;
pub mod masking;
pub mod money;
pub mod period;
pub mod reference;
pub mod schedule;

pub use admin_code::{AdminCode, Level};
pub use money::Money;
pub use period::Period;
pub use reference::BillReference;
