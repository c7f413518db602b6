//! The sandbox's keys, and the bindings that make the service accept its callbacks.

use bank_adapters::rsa::{self, RsaPrivateKey};
use bank_adapters::rural_bank::{Algorithm, BankKey};
use bank_adapters::{wechat, Secret};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const WECHAT_KEY_ID: &str = "PUB_KEY_ID_SANDBOX0000000000000000000001";
pub const BANK_KEY_ID: &str = "sandbox-1";
/// The serial the sandbox's WeChat merchant certificate would have.
pub const WECHAT_MERCHANT_SERIAL: &str = "5A4D5E3C2B1A09F8E7D6C5B4A3928170";
pub const WECHAT_APP_ID: &str = "wx0sandbox0000001";

/// Generated at start: a sandbox never reuses production keys, and tests need no fixtures.
#[derive(Clone)]
pub struct SandboxKeys {
    pub wechat_platform: RsaPrivateKey,
    pub alipay: RsaPrivateKey,
    pub bank: BankKey,
    /// The APIv3 key the sandbox encrypts WeChat resources with (the merchant's, in real life).
    pub wechat_api_v3_key: Secret<String>,
    /// The merchant's API key and the Alipay app's key: in real life the merchant makes these and
    /// registers the public halves; the sandbox makes them and hands them out, to play both sides.
    pub wechat_merchant: RsaPrivateKey,
    pub alipay_app: RsaPrivateKey,
}

/// What `GET /sandbox/keys` publishes: everything an admin needs to bind the sandbox.
#[derive(Debug, Serialize)]
pub struct PublishedKeys {
    pub wechat_public_key_id: String,
    pub wechat_public_key_pem: String,
    pub wechat_api_v3_key: String,
    pub alipay_public_key_pem: String,
    pub bank_key_id: String,
    pub bank_secret: String,
    pub wechat_app_id: String,
    pub wechat_merchant_serial_no: String,
    pub wechat_merchant_private_key_pem: String,
    pub alipay_app_private_key_pem: String,
}

impl SandboxKeys {
    pub fn generate() -> Result<SandboxKeys, rsa::Error> {
        use rand::distributions::{Alphanumeric, DistString};
        let mut rng = rand::thread_rng();
        Ok(SandboxKeys {
            wechat_platform: RsaPrivateKey::new(&mut rng, 2048)?,
            alipay: RsaPrivateKey::new(&mut rng, 2048)?,
            bank: BankKey {
                key_id: BANK_KEY_ID.into(),
                algorithm: Algorithm::HmacSha256,
                secret: Secret::new(Alphanumeric.sample_string(&mut rng, 40).into_bytes()),
            },
            wechat_api_v3_key: Secret::new(Alphanumeric.sample_string(&mut rng, 32)),
            wechat_merchant: RsaPrivateKey::new(&mut rng, 2048)?,
            alipay_app: RsaPrivateKey::new(&mut rng, 2048)?,
        })
    }

    pub fn published(&self) -> PublishedKeys {
        PublishedKeys {
            wechat_public_key_id: WECHAT_KEY_ID.into(),
            wechat_public_key_pem: wechat::public_key_pem(&self.wechat_platform),
            wechat_api_v3_key: self.wechat_api_v3_key.expose().clone(),
            alipay_public_key_pem: wechat::public_key_pem(&self.alipay),
            bank_key_id: BANK_KEY_ID.into(),
            bank_secret: String::from_utf8_lossy(self.bank.secret.expose()).into_owned(),
            wechat_app_id: WECHAT_APP_ID.into(),
            wechat_merchant_serial_no: WECHAT_MERCHANT_SERIAL.into(),
            wechat_merchant_private_key_pem: private_pem(&self.wechat_merchant),
            alipay_app_private_key_pem: private_pem(&self.alipay_app),
        }
    }

    /// The keys kept in `path` (created, readable by the owner only, when missing): a demo that
    /// restarts keeps playing the same bank, so what was bound to it stays valid.
    pub fn load_or_create(path: &Path) -> Result<SandboxKeys, String> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let s: Stored = serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                s.keys().map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = SandboxKeys::generate().map_err(|e| e.to_string())?;
                bank_adapters::secret::create_private(
                    path,
                    &serde_json::to_vec_pretty(&Stored::of(&keys)).map_err(|e| e.to_string())?,
                )
                .map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(keys)
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// The keys as kept on disk.
#[derive(Serialize, Deserialize)]
struct Stored {
    wechat_platform: String,
    alipay: String,
    bank_secret: String,
    wechat_api_v3_key: String,
    wechat_merchant: String,
    alipay_app: String,
}

impl Stored {
    fn of(k: &SandboxKeys) -> Stored {
        Stored {
            wechat_platform: private_pem(&k.wechat_platform),
            alipay: private_pem(&k.alipay),
            bank_secret: String::from_utf8_lossy(k.bank.secret.expose()).into_owned(),
            wechat_api_v3_key: k.wechat_api_v3_key.expose().clone(),
            wechat_merchant: private_pem(&k.wechat_merchant),
            alipay_app: private_pem(&k.alipay_app),
        }
    }

    fn keys(self) -> Result<SandboxKeys, String> {
        use bank_adapters::rsa::pkcs8::DecodePrivateKey;
        let key = |pem: &str| RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| e.to_string());
        Ok(SandboxKeys {
            wechat_platform: key(&self.wechat_platform)?,
            alipay: key(&self.alipay)?,
            bank: BankKey {
                key_id: BANK_KEY_ID.into(),
                algorithm: Algorithm::HmacSha256,
                secret: Secret::new(self.bank_secret.into_bytes()),
            },
            wechat_api_v3_key: Secret::new(self.wechat_api_v3_key),
            wechat_merchant: key(&self.wechat_merchant)?,
            alipay_app: key(&self.alipay_app)?,
        })
    }
}

fn private_pem(key: &RsaPrivateKey) -> String {
    use bank_adapters::rsa::pkcs8::EncodePrivateKey;
    key.to_pkcs8_pem(bank_adapters::rsa::pkcs8::LineEnding::LF)
        .map(|p| p.to_string())
        .unwrap_or_default()
}
