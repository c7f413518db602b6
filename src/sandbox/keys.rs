//! The sandbox's keys, and the bindings that make the service accept its callbacks.

use bank_adapters::rsa::{self, RsaPrivateKey};
use bank_adapters::rural_bank::{Algorithm, BankKey};
use bank_adapters::{wechat, Secret};
use serde::Serialize;

use crate::usecases::bindings::{AlipayOrderingInput, BankKeyInput, BindingInput, PublicKeyInput, WechatOrderingInput};

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

    /// `gateway` is the sandbox's own address, to place orders with it; None binds callbacks only.
    pub fn wechat_binding(&self, mch_id: &str, gateway: Option<&str>) -> BindingInput {
        BindingInput::Wechat {
            mch_id: mch_id.into(),
            api_v3_key: self.wechat_api_v3_key.clone(),
            platform_certificates: vec![],
            platform_public_keys: vec![PublicKeyInput {
                key_id: WECHAT_KEY_ID.into(),
                pem: wechat::public_key_pem(&self.wechat_platform),
            }],
            ordering: gateway.map(|base| WechatOrderingInput {
                app_id: WECHAT_APP_ID.into(),
                merchant_serial_no: WECHAT_MERCHANT_SERIAL.into(),
                merchant_private_key: Secret::new(private_pem(&self.wechat_merchant)),
                api_base: Some(base.into()),
            }),
        }
    }

    pub fn alipay_binding(&self, app_id: &str, gateway: Option<&str>) -> BindingInput {
        BindingInput::Alipay {
            app_id: app_id.into(),
            alipay_public_key: wechat::public_key_pem(&self.alipay),
            ordering: gateway.map(|base| AlipayOrderingInput {
                app_private_key: Secret::new(private_pem(&self.alipay_app)),
                gateway_url: Some(format!("{}/gateway.do", base.trim_end_matches('/'))),
            }),
        }
    }
}

fn private_pem(key: &RsaPrivateKey) -> String {
    use bank_adapters::rsa::pkcs8::EncodePrivateKey;
    key.to_pkcs8_pem(bank_adapters::rsa::pkcs8::LineEnding::LF)
        .map(|p| p.to_string())
        .unwrap_or_default()
}
