//! qingzhang (清账): village collective funds kept honest.
//!
//! Layers, top to bottom (nothing below imports from above):
//! - [`web`]: actix handlers, thin: parse, authenticate, call one use case, render.
//! - [`usecases`]: one function per user action, one transaction each.
//! - [`ledger`], [`domain`], [`payments`], [`reconcile`] and [`inspect`]: pure rules and values, no I/O.
//! - [`store`]: diesel over PostgreSQL and SQLite.
//!
//! `bank_adapters` (its own crate) speaks the banks' and gateways' protocols.

pub mod budget;
pub mod config;
pub mod domain;
pub mod error;
pub mod inspect;
pub mod ledger;
pub mod logging;
pub mod payments;
pub mod reconcile;
pub mod sandbox;
pub mod store;
pub mod usecases;
pub mod web;

pub use error::{AppError, AppResult};
