//! The normalised bank credit and the shapes every provider shares.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Money;

/// The providers qingzhang can take money through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)
)]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
pub enum Provider {
    Wechat,
    Alipay,
    RuralBank,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Wechat => "wechat",
            Provider::Alipay => "alipay",
            Provider::RuralBank => "rural_bank",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        match s {
            "wechat" => Some(Provider::Wechat),
            "alipay" => Some(Provider::Alipay),
            "rural_bank" => Some(Provider::RuralBank),
            _ => None,
        }
    }

    /// The provider's name as a payer knows it.
    pub fn label(self) -> &'static str {
        match self {
            Provider::Wechat => "微信支付",
            Provider::Alipay => "支付宝",
            Provider::RuralBank => "银行转账",
        }
    }

    pub const ALL: &'static [Provider] = &[Provider::Wechat, Provider::Alipay, Provider::RuralBank];
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// TEXT holding the stored name, on any database diesel speaks.
#[cfg(feature = "diesel")]
mod sql {
    use super::Provider;
    use diesel::backend::Backend;
    use diesel::deserialize::{self, FromSql};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types::Text;

    impl<DB: Backend> FromSql<Text, DB> for Provider
    where
        String: FromSql<Text, DB>,
    {
        fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
            let s = String::from_sql(bytes)?;
            Provider::parse(&s).ok_or_else(|| format!("unknown provider '{s}' in the database").into())
        }
    }

    impl<DB: Backend> ToSql<Text, DB> for Provider
    where
        str: ToSql<Text, DB>,
    {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
            self.as_str().to_sql(out)
        }
    }
}

/// One credit to a corporate account, as every provider's callback is normalised to.
/// The amount is [`Money`]: each adapter converts from its provider's format (fen for WeChat,
/// yuan strings for Alipay and the bank) at its own edge and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankCredit {
    pub provider: Provider,
    /// The provider's own id of the transaction; unique per provider.
    pub provider_txn_id: String,
    /// The corporate account or merchant the money landed in, as the provider names it
    /// (WeChat merchant id, Alipay app id, bank account number).
    pub account_ref: String,
    /// What reached the account (each adapter's doc says which of the provider's amounts).
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// The payer as the provider shows them, already masked.
    pub payer_masked: Option<String>,
    /// The order or bill reference the payment carried, if any.
    pub reference: Option<String>,
}

/// What a verified callback says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Money arrived.
    Credit(BankCredit),
    /// A genuine notification that is not a credit (a refund, a closed order, another event):
    /// acknowledged and kept, nothing posted.
    Other {
        kind: String,
        provider_txn_id: Option<String>,
    },
}

/// What to answer the provider: status code, content type and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acknowledgement {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

/// Why a callback was refused. The message is stored with the rejected inbox row.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("signature does not verify")]
    BadSignature,
    #[error("no key is registered for serial or key id '{0}'")]
    UnknownKey(String),
    #[error("timestamp outside the accepted window of 300 s")]
    StaleTimestamp,
    #[error("payload could not be decrypted")]
    Undecryptable,
    #[error("malformed payload: {0}")]
    Malformed(String),
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("unknown merchant or account '{0}'")]
    UnknownAccount(String),
    /// A genuine credit the receiving books cannot hold (its date, its text): refused for good.
    #[error("the books cannot take this credit: {0}")]
    NotBookable(String),
}

impl ProviderError {
    /// A stable code for the rejected inbox row.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderError::MissingHeader(_) => "missing_header",
            ProviderError::BadSignature => "bad_signature",
            ProviderError::UnknownKey(_) => "unknown_key",
            ProviderError::StaleTimestamp => "stale_timestamp",
            ProviderError::Undecryptable => "undecryptable",
            ProviderError::Malformed(_) => "malformed",
            ProviderError::InvalidAmount(_) => "invalid_amount",
            ProviderError::UnknownAccount(_) => "unknown_account",
            ProviderError::NotBookable(_) => "not_bookable",
        }
    }
}
