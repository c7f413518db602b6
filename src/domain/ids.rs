//! Ids as types: a `BillId` cannot be passed where a `ReceiptId` is expected, nor a village's
//! ledger account where its corporate (bank) account is. Each is the table's BIGINT primary key,
//! a plain number in JSON and in paths.

macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl $name {
            /// The number, for keyset paging and logs.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                s.parse().map($name)
            }
        }
    )+};
}

ids! {
    /// A village (its books, receipts and numbers are its own).
    VillageId;
    /// A staff user.
    UserId;
    /// A bill a payer owes.
    BillId;
    /// A payer of the village's register.
    PayerId;
    /// A fee item (承包费, 租赁费…).
    FeeItemId;
    /// A receipt (numbered per village and year; this is its row).
    ReceiptId;
    /// A credit applied from a provider.
    BankTransactionId;
    /// Cash a clerk took.
    CashRecordId;
    /// A pay-in (代交).
    PayInId;
    /// A journal entry (numbered per village by `seq`; this is its row).
    EntryId;
    /// An account of a village's chart (101, 102.0001, …).
    LedgerAccountId;
    /// A village's corporate account at the bank.
    CorporateAccountId;
}
