//! SHA256withRSA (PKCS#1 v1.5), base64-encoded: the signature WeChat Pay v3 and Alipay ("RSA2")
//! both use, for notifications, requests and answers. One place signs and verifies it.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

use crate::ProviderError;

/// The base64 signature of `message`.
pub fn sign(key: &RsaPrivateKey, message: &[u8]) -> String {
    B64.encode(SigningKey::<Sha256>::new(key.clone()).sign(message).to_bytes())
}

/// A decoded signature, to check against one message or several (Alipay's two signed texts).
pub struct Checked(Signature);

/// Decodes a base64 signature; garbage is a bad signature, not a malformed payload.
pub fn decode(signature: &str) -> Result<Checked, ProviderError> {
    let raw = B64.decode(signature.trim()).map_err(|_| ProviderError::BadSignature)?;
    Signature::try_from(raw.as_slice())
        .map(Checked)
        .map_err(|_| ProviderError::BadSignature)
}

impl Checked {
    /// Whether this signature is `key`'s over `message`.
    pub fn over(&self, key: &RsaPublicKey, message: &[u8]) -> bool {
        VerifyingKey::<Sha256>::new(key.clone())
            .verify(message, &self.0)
            .is_ok()
    }
}

/// Checks a base64 signature over `message` with `key`.
pub fn verify(key: &RsaPublicKey, message: &[u8], signature: &str) -> Result<(), ProviderError> {
    if decode(signature)?.over(key, message) {
        Ok(())
    } else {
        Err(ProviderError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_refuses_anything_else() {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let public = RsaPublicKey::from(&key);
        let sig = sign(&key, b"message");
        assert_eq!(verify(&public, b"message", &sig), Ok(()));
        assert_eq!(verify(&public, b"messagf", &sig), Err(ProviderError::BadSignature));
        assert_eq!(
            verify(&public, b"message", "not base64!"),
            Err(ProviderError::BadSignature)
        );
        let other = RsaPublicKey::from(&RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap());
        assert_eq!(verify(&other, b"message", &sig), Err(ProviderError::BadSignature));
    }
}
