//! The JSON API under `/api/v1`, one file per area.

pub mod auth;
pub mod billing;
pub mod books;
pub mod cash;
pub mod inspection;
pub mod payments;
pub mod qr;
pub mod registry;
pub mod statements;
