//! The sandbox's keys, and the bindings that make the service accept its callbacks.

use bank_adapters::rsa::{self, RsaPrivateKey};
use bank_adapters::rural_bank::{Algorithm, BankKey};
use bank_adapters::{wechat, Secret};
use serde::Serialize;

use crate::usecases::bindings::{BankKeyInput, BindingInput, PublicKeyInput};

pub const WECHAT_KEY_ID: &str = "PUB_KEY_ID_SANDBOX0000000000000000000001";
pub const BANK_KEY_ID: &str = "sandbox-1";

/// Generated at start: a sandbox never reuses production keys, and tests need no fixtures.
#[derive(Clone)]
pub struct SandboxKeys {
    pub wechat_platform: RsaPrivateKey,
    pub alipay: RsaPrivateKey,
    pub bank: BankKey,
    /// The APIv3 key the sandbox encrypts WeChat resources with (the merchant's, in real life).
    pub wechat_api_v3_key: Secret<String>,
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
        }
    }

    /// The binding for a bank account that accepts this sandbox's bank pushes.
    pub fn bank_binding(&self) -> BindingInput {
        BindingInput::RuralBank {
            keys: vec![BankKeyInput {
                key_id: BANK_KEY_ID.into(),
                algorithm: "hmac-sha256".into(),
                secret: Secret::new(String::from_utf8_lossy(self.bank.secret.expose()).into_owned()),
            }],
        }
    }

    pub fn wechat_binding(&self, mch_id: &str) -> BindingInput {
        BindingInput::Wechat {
            mch_id: mch_id.into(),
            api_v3_key: self.wechat_api_v3_key.clone(),
            platform_certificates: vec![],
            platform_public_keys: vec![PublicKeyInput {
                key_id: WECHAT_KEY_ID.into(),
                pem: wechat::public_key_pem(&self.wechat_platform),
            }],
        }
    }

    pub fn alipay_binding(&self, app_id: &str) -> BindingInput {
        BindingInput::Alipay {
            app_id: app_id.into(),
            alipay_public_key: wechat::public_key_pem(&self.alipay),
        }
    }
}
