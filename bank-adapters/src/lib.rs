//! Bank and payment-gateway adapters.
//!
//! This crate owns everything that speaks a provider's protocol: verifying a callback's signature,
//! parsing and normalising it into one [`BankCredit`], and answering in the provider's own
//! acknowledgement format. It knows nothing of the ledger, receipts or villages' books; the
//! service maps a `BankCredit` onto those.
//!
//! Providers (WeChat Pay v3, Alipay, the rural commercial bank's JSON profile, EMVCo) plug in as
//! one module each behind [`Adapter`]; issue #3 adds them. What lives here now is what every
//! provider shares: the secret type, the normalised credit, constant-time tag comparison.

pub mod credit;
pub mod secret;

pub use credit::{Acknowledgement, BankCredit, Provider, ProviderError};
pub use secret::{constant_time_eq, Secret};

/// One provider's callback handling. A provider overrides only what differs (which header holds
/// the signature, what the signed message is, which key); verification composes those pieces.
pub trait Adapter: Send + Sync {
    /// Which provider this adapter speaks for.
    fn provider(&self) -> Provider;

    /// Verify and normalise one callback. The caller has already stored the raw request: an
    /// error here is kept as a rejected inbox row, never dropped.
    fn verify_and_parse(
        &self,
        headers: &[(String, String)],
        body: &[u8],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<BankCredit, ProviderError>;

    /// The provider's "received" answer for a verified (or duplicate) callback.
    fn acknowledge(&self) -> Acknowledgement;

    /// The provider's failure answer; the provider retries on it.
    fn refuse(&self, error: &ProviderError) -> Acknowledgement;
}
