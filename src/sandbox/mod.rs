//! The sandbox bank: a simulator that plays the rural bank and both gateways with real keys and
//! real signatures, so demos, end-to-end tests and benchmarks exercise exactly the verification
//! path production uses. It is a separate server (`qingzhang sandbox-bank`); nothing in the
//! service knows it is talking to a simulator.
//!
//! - [`keys`]: the sandbox's own keys (a WeChat platform key, an Alipay key, a bank HMAC key), and
//!   what it publishes for a county admin to bind it with.
//! - [`deliver`]: signed callbacks in each provider's format, delivered with the provider's retry
//!   schedule (compressed in time) and with faults on demand: drop, duplicate, delay.
//! - [`gateway`]: WeChat Pay Native and Alipay precreate order APIs, and the page a payer's
//!   phone shows after scanning.
//! - [`state`]: what it remembers while it runs, and how a payment's callback is sent.
//! - [`server`]: the HTTP face: pay, list transactions, keys, account statements.
//!
//! It imports nothing of the service but `bank_adapters`: it plays the providers' side only.

pub mod deliver;
pub mod gateway;
pub mod keys;
pub mod server;
pub mod state;
