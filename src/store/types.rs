//! How the domain's vocabulary maps to columns, once for both databases.
//!
//! - `Money` is BIGINT fen and `Provider` TEXT (their mappings sit with the types, in
//!   `bank_adapters`, which this crate's rules cannot reach).
//! - Every vocabulary enum (statuses, channels, outcomes, roles, providers…) is TEXT holding its
//!   snake_case name: the names in the migrations' CHECK constraints are these and no others.
//!   Reading an unknown name is an error, never a silent default.
//!
//! - Ids (`VillageId`, `BillId`, …) are BIGINT.
//!
//! The domain types declare their SQL type with diesel's derives; the conversions are written
//! here, so nothing else in the code base spells a status as a string.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Text};

/// The TEXT mapping of vocabulary enums with `as_str` and `parse`.
macro_rules! text_enum {
    ($($t:ty),* $(,)?) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                <$t>::parse(&s).ok_or_else(|| format!("unknown {} '{s}' in the database", stringify!($t)).into())
            }
        }
        impl<DB: Backend> ToSql<Text, DB> for $t
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )*};
}

use crate::domain::schedule::Schedule;
use crate::domain::vocabulary::*;

text_enum!(
    RuleId,
    Severity,
    EvidenceKind,
    FindingStatus,
    FindingEventKind,
    BillStatus,
    Direction,
    StatementSource,
    MatchRule,
    Settlement,
    ReconOutcome,
    DisbursementStatus,
    ReceiptStatus,
    Channel,
    InboxStatus,
    InboxSource,
    Outcome,
    CashStatus,
    PayInStatus,
    OrderStatus,
    EntrySource,
    PayerKind,
    ContractKind,
    ScopeKind,
    Role,
    Schedule,
);

/// The BIGINT mapping of id newtypes.
macro_rules! bigint_id {
    ($($t:ty),* $(,)?) => {$(
        impl<DB: Backend> FromSql<BigInt, DB> for $t
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                Ok(Self(i64::from_sql(bytes)?))
            }
        }
        impl<DB: Backend> ToSql<BigInt, DB> for $t
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }
    )*};
}

use crate::domain::ids::*;

bigint_id!(
    VillageId,
    UserId,
    BillId,
    PayerId,
    FeeItemId,
    ReceiptId,
    BankTransactionId,
    CashRecordId,
    PayInId,
    EntryId,
    LedgerAccountId,
    CorporateAccountId,
);
