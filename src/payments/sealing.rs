//! Sealing of provider secrets at rest (APIv3 keys, bank HMAC keys).
//!
//! Secrets are stored as `v1:{key_id}:{nonce}:{ciphertext}` (base64) under AES-256-GCM with a
//! secrets key from the environment. Several keys may be configured: the first seals, all open,
//! so the secrets key can be rotated by re-sealing while old rows still open.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use bank_adapters::Secret;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

#[derive(Clone)]
pub struct SealingKeys {
    /// (key id, 32-byte key); the first seals.
    keys: Vec<(String, Secret<[u8; 32]>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("no secrets key is configured")]
    NoKey,
    #[error("sealed with key '{0}', which is not configured")]
    UnknownKey(String),
    #[error("the sealed value is damaged or was sealed under another key")]
    Damaged,
}

impl SealingKeys {
    pub fn new(keys: Vec<(String, [u8; 32])>) -> SealingKeys {
        SealingKeys {
            keys: keys.into_iter().map(|(id, k)| (id, Secret::new(k))).collect(),
        }
    }

    pub fn seal(&self, plaintext: &[u8]) -> Result<String, SealError> {
        let (id, key) = self.keys.first().ok_or(SealError::NoKey)?;
        let nonce: [u8; 12] = rand::random();
        let cipher = Aes256Gcm::new_from_slice(key.expose()).map_err(|_| SealError::Damaged)?;
        let ct = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext)
            .map_err(|_| SealError::Damaged)?;
        Ok(format!("v1:{id}:{}:{}", B64.encode(nonce), B64.encode(ct)))
    }

    pub fn open(&self, sealed: &str) -> Result<Secret<Vec<u8>>, SealError> {
        let mut parts = sealed.splitn(4, ':');
        let (Some("v1"), Some(id), Some(nonce), Some(ct)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Damaged);
        };
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
        let nonce = B64.decode(nonce).map_err(|_| SealError::Damaged)?;
        let ct = B64.decode(ct).map_err(|_| SealError::Damaged)?;
        if nonce.len() != 12 {
            return Err(SealError::Damaged);
        }
        let cipher = Aes256Gcm::new_from_slice(key.expose()).map_err(|_| SealError::Damaged)?;
        cipher
            .decrypt(Nonce::from_slice(&nonce), ct.as_slice())
            .map(Secret::new)
            .map_err(|_| SealError::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_under_their_key_and_rotate() {
        let old = SealingKeys::new(vec![("k1".into(), [1; 32])]);
        let sealed = old.seal(b"apiv3-key").unwrap();
        assert!(!sealed.contains("apiv3"));
        assert_eq!(old.open(&sealed).unwrap().expose(), b"apiv3-key");
        // After rotation the new key seals and the old one still opens old rows.
        let rotated = SealingKeys::new(vec![("k2".into(), [2; 32]), ("k1".into(), [1; 32])]);
        assert_eq!(rotated.open(&sealed).unwrap().expose(), b"apiv3-key");
        assert!(rotated.seal(b"x").unwrap().starts_with("v1:k2:"));
        let forgotten = SealingKeys::new(vec![("k2".into(), [2; 32])]);
        assert_eq!(forgotten.open(&sealed).err(), Some(SealError::UnknownKey("k1".into())));
        let mut damaged = sealed.clone();
        damaged.pop();
        damaged.push('A');
        assert!(old.open(&damaged).is_err());
    }
}
