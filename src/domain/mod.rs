//! Domain types: pure values with their parsing and rules, no I/O.
//!
//! Constructors are the only way in ("parse, don't validate"): a `Money`, `BillReference` or
//! `AdminCode` that exists is valid. Storage keeps their plain forms (fen, digits) and converts
//! at the store's edge.

pub mod access;
pub mod admin_code;
pub mod cash_limits;
pub mod ids;
pub mod masking;
pub mod period;
pub mod reference;
pub mod schedule;
pub mod vocabulary;

pub use admin_code::{AdminCode, Level};
/// Money lives in the lowest crate, `bank_adapters`, because the adapters' `BankCredit` carries
/// it too: one amount type from the provider's edge to the books.
pub use bank_adapters::money::{self, Money};
pub use ids::{
    BankTransactionId, BillId, CashRecordId, CorporateAccountId, EntryId, FeeItemId, LedgerAccountId, PayInId, PayerId,
    ReceiptId, UserId, VillageId,
};
pub use period::Period;
pub use reference::BillReference;
pub use vocabulary::{
    BillStatus, CashStatus, Channel, ContractKind, EntrySource, InboxSource, InboxStatus, OrderStatus, Outcome,
    PayInStatus, PayerKind, ReceiptStatus, Role, ScopeKind,
};
