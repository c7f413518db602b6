//! Bank and payment-gateway adapters.
//!
//! This crate owns everything that speaks a provider's protocol: verifying a callback's
//! signature, decrypting it, normalising it into one [`BankCredit`], and answering in the
//! provider's own acknowledgement format. It knows nothing of the ledger, receipts or villages'
//! books; the service maps a `BankCredit` onto those.
//!
//! One module per provider, each tested on the provider's published vectors:
//! - [`wechat`]: WeChat Pay API v3 (SHA256withRSA over `ts\nnonce\nbody\n`, AES-GCM resource);
//! - [`alipay`]: Alipay async notify (RSA2 over the sorted form parameters);
//! - [`rural_bank`]: the generic JSON profile for the rural commercial bank (HMAC-SHA256 or
//!   HMAC-SM3), documented in `bank-adapters/README.md`;
//! - [`emvco`]: EMVCo merchant-presented QR payloads (TLV with CRC-16/CCITT-FALSE).
//!
//! Ordering through the gateways ([`gateway`]): WeChat Pay Native orders ([`wechat_native`]) and
//! Alipay precreate ([`alipay_precreate`]), each with its order query, requests signed with the
//! merchant's key and answers verified with the gateway's.
//!
//! Each provider module also has the provider's side (signing, encrypting), which the sandbox
//! bank uses to play the provider with real keys and real signatures.

pub mod alipay;
pub mod alipay_precreate;
pub mod amount;
pub mod credit;
pub mod emvco;
pub mod gateway;
pub mod headers;
pub mod money;
pub mod order;
pub mod rsa2;
pub mod rural_bank;
pub mod secret;
pub mod wechat;
pub mod wechat_native;

/// The RSA crate the adapters use, so callers hold keys of the same version.
pub use rsa;

pub use credit::{Acknowledgement, BankCredit, Notice, Provider, ProviderError};
pub use money::{Money, MoneyError};
pub use secret::{constant_time_eq, Secret};

use chrono::{DateTime, Utc};

/// A request as a provider sends it (the sandbox bank's output).
#[derive(Debug, Clone)]
pub struct SignedRequest {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The accepted distance between a callback's timestamp and our clock.
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// One provider's callback handling.
pub trait Adapter: Send + Sync {
    fn provider(&self) -> Provider;

    /// Checks that a request is the provider's: its signature under one of the binding's keys,
    /// within the timestamp window. Nothing in the request is believed before this passes, so a
    /// request refused here is a stranger's: the service keeps only a digest of it.
    fn verify(&self, headers: &[(String, String)], body: &[u8], now: DateTime<Utc>) -> Result<(), ProviderError>;

    /// Reads a verified request (decrypting what the provider encrypts) into a notice.
    fn parse(&self, headers: &[(String, String)], body: &[u8], now: DateTime<Utc>) -> Result<Notice, ProviderError>;

    /// Verify, then parse (`now` is injectable for tests).
    fn verify_and_parse(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Notice, ProviderError> {
        self.verify(headers, body, now)?;
        self.parse(headers, body, now)
    }
}

/// The provider's failure answer, without needing its configuration (e.g. the database is down
/// and the binding cannot be loaded). `retry_later` is for our own trouble (5xx).
pub fn refusal(provider: Provider, error: &ProviderError, retry_later: bool) -> Acknowledgement {
    match provider {
        Provider::Wechat => wechat::refusal(error, retry_later),
        Provider::Alipay => alipay::refusal(retry_later),
        Provider::RuralBank => rural_bank::refusal(error, retry_later),
    }
}

/// The provider's "received" answer.
pub fn acknowledgement(provider: Provider) -> Acknowledgement {
    match provider {
        Provider::Wechat => Acknowledgement {
            status: 204,
            content_type: "application/json",
            body: String::new(),
        },
        Provider::Alipay => Acknowledgement {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: "success".into(),
        },
        Provider::RuralBank => Acknowledgement {
            status: 200,
            content_type: "application/json",
            body: r#"{"code":"OK"}"#.into(),
        },
    }
}

/// `{"code":"FAIL","message":…}`, the failure body WeChat Pay and the bank profile share: 401 for
/// authentication failures, 400 for bad payloads, 503 for our own trouble.
pub(crate) fn json_failure(error: &ProviderError, retry_later: bool) -> Acknowledgement {
    let status = if retry_later {
        503
    } else if matches!(
        error,
        ProviderError::BadSignature | ProviderError::UnknownKey(_) | ProviderError::StaleTimestamp
    ) {
        401
    } else {
        400
    };
    let body = serde_json::json!({ "code": "FAIL", "message": error.to_string() }).to_string();
    Acknowledgement {
        status,
        content_type: "application/json",
        body,
    }
}

/// `timestamp\nnonce\nbody\n`: the signed text of WeChat Pay v3 notifications and of the bank
/// profile's pushes.
pub fn timestamped_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(body.len() + 64);
    m.extend_from_slice(timestamp.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// Checks a provider's Unix timestamp against our clock.
pub(crate) fn check_timestamp(ts: &str, now: DateTime<Utc>) -> Result<(), ProviderError> {
    let ts: i64 = ts
        .trim()
        .parse()
        .map_err(|_| ProviderError::Malformed(format!("timestamp '{ts}' is not a number")))?;
    if (now.timestamp() - ts).abs() > TIMESTAMP_WINDOW_SECS {
        return Err(ProviderError::StaleTimestamp);
    }
    Ok(())
}
