//! WeChat Pay API v3 payment notifications.
//!
//! A notification is a JSON envelope whose `resource` is AES-GCM ciphertext under the merchant's
//! APIv3 key. WeChat signs `"{Wechatpay-Timestamp}\n{Wechatpay-Nonce}\n{body}\n"` with
//! SHA256withRSA (PKCS#1 v1.5); `Wechatpay-Serial` names the key: a platform certificate's
//! serial number, or a `PUB_KEY_ID_…` for the newer platform public keys. Both are accepted,
//! several at a time, so a key changeover needs no downtime. We answer 204 for received, and
//! 4xx/5xx with `{"code":"FAIL","message":…}` to be retried.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, Utc};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};

use crate::rsa2;
use crate::{amount, check_timestamp, headers, Acknowledgement, Adapter, BankCredit, Notice, Provider, ProviderError};
use crate::{Secret, SignedRequest};

/// A key WeChat signs with, named as `Wechatpay-Serial` names it.
#[derive(Clone, Debug)]
pub struct PlatformKey {
    pub serial: String,
    pub key: RsaPublicKey,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the key: {0}")]
pub struct KeyError(pub String);

impl PlatformKey {
    /// From a platform certificate (PEM); the serial is the certificate's serial number in hex.
    pub fn from_certificate_pem(pem: &str) -> Result<PlatformKey, KeyError> {
        use x509_cert::der::{DecodePem, Encode};
        let cert = x509_cert::Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| KeyError(e.to_string()))?;
        let serial_bytes = cert.tbs_certificate.serial_number.as_bytes();
        let serial = hex::encode_upper(serial_bytes).trim_start_matches("00").to_string();
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| KeyError(e.to_string()))?;
        let key = RsaPublicKey::from_public_key_der(&spki).map_err(|e| KeyError(e.to_string()))?;
        Ok(PlatformKey { serial, key })
    }

    /// From a platform public key (PEM) and its id, `PUB_KEY_ID_…`.
    pub fn from_public_key_pem(key_id: &str, pem: &str) -> Result<PlatformKey, KeyError> {
        let key = RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|e| KeyError(e.to_string()))?;
        Ok(PlatformKey {
            serial: key_id.trim().to_string(),
            key,
        })
    }
}

/// A merchant's WeChat Pay settings.
#[derive(Clone, Debug)]
pub struct WechatConfig {
    pub mch_id: String,
    /// The APIv3 key: 32 bytes. (16-byte keys decrypt too, as the official SDK allows.)
    pub api_v3_key: Secret<Vec<u8>>,
    pub platform_keys: Vec<PlatformKey>,
}

/// The bytes WeChat signs.
pub fn signed_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    crate::timestamped_message(timestamp, nonce, body)
}

/// Checks the four `Wechatpay-*` headers against the body.
pub fn verify_signature(
    headers: &[(String, String)],
    body: &[u8],
    now: DateTime<Utc>,
    keys: &[PlatformKey],
) -> Result<(), ProviderError> {
    let ts = headers::require(headers, "Wechatpay-Timestamp")?;
    let nonce = headers::require(headers, "Wechatpay-Nonce")?;
    let signature = headers::require(headers, "Wechatpay-Signature")?;
    let serial = headers::require(headers, "Wechatpay-Serial")?;
    check_timestamp(ts, now)?;
    let key = keys
        .iter()
        .find(|k| k.serial.eq_ignore_ascii_case(serial.trim()))
        .ok_or_else(|| ProviderError::UnknownKey(serial.trim().to_string()))?;
    rsa2::verify(&key.key, &signed_message(ts, nonce, body), signature)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: Option<String>,
    pub nonce: String,
    #[serde(default)]
    pub original_type: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    pub create_time: String,
    pub event_type: String,
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: Resource,
}

/// Decrypts a notification's resource with the APIv3 key.
pub fn decrypt_resource(api_v3_key: &[u8], r: &Resource) -> Result<Vec<u8>, ProviderError> {
    if r.algorithm != "AEAD_AES_256_GCM" {
        return Err(ProviderError::Malformed(format!("unknown algorithm {}", r.algorithm)));
    }
    let data = B64
        .decode(r.ciphertext.trim())
        .map_err(|_| ProviderError::Undecryptable)?;
    if r.nonce.len() != 12 {
        return Err(ProviderError::Undecryptable);
    }
    let nonce = Nonce::from_slice(r.nonce.as_bytes());
    let aad = r.associated_data.as_deref().unwrap_or("").as_bytes();
    let payload = Payload { msg: &data, aad };
    let plain = match api_v3_key.len() {
        32 => Aes256Gcm::new_from_slice(api_v3_key)
            .map_err(|_| ProviderError::Undecryptable)?
            .decrypt(nonce, payload),
        16 => Aes128Gcm::new_from_slice(api_v3_key)
            .map_err(|_| ProviderError::Undecryptable)?
            .decrypt(nonce, payload),
        _ => return Err(ProviderError::Undecryptable),
    };
    plain.map_err(|_| ProviderError::Undecryptable)
}

/// The decrypted `transaction` of a `TRANSACTION.SUCCESS` notification (the fields we use).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub mchid: String,
    #[serde(default)]
    pub appid: String,
    pub out_trade_no: String,
    /// Empty until paid (an order query answers NOTPAY without it).
    #[serde(default)]
    pub transaction_id: String,
    pub trade_state: String,
    #[serde(default)]
    pub success_time: String,
    #[serde(default)]
    pub attach: Option<String>,
    pub amount: TransactionAmount,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransactionAmount {
    pub total: i64,
    #[serde(default)]
    pub payer_total: Option<i64>,
    #[serde(default = "cny")]
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

fn cny() -> String {
    "CNY".into()
}

pub struct Wechat {
    pub config: WechatConfig,
}

impl Adapter for Wechat {
    fn provider(&self) -> Provider {
        Provider::Wechat
    }

    fn verify(&self, headers: &[(String, String)], body: &[u8], now: DateTime<Utc>) -> Result<(), ProviderError> {
        verify_signature(headers, body, now, &self.config.platform_keys)
    }

    fn parse(&self, _headers: &[(String, String)], body: &[u8], _now: DateTime<Utc>) -> Result<Notice, ProviderError> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| ProviderError::Malformed(e.to_string()))?;
        let plain = decrypt_resource(self.config.api_v3_key.expose(), &envelope.resource)?;
        if envelope.event_type != "TRANSACTION.SUCCESS" {
            return Ok(Notice::Other {
                kind: envelope.event_type,
                provider_txn_id: None,
            });
        }
        let t: Transaction =
            serde_json::from_slice(&plain).map_err(|e| ProviderError::Malformed(format!("transaction: {e}")))?;
        transaction_notice(t, &self.config.mch_id)
    }
}

/// A transaction, from a notification or an order query, as a credit (SUCCESS) or another notice.
pub fn transaction_notice(t: Transaction, mch_id: &str) -> Result<Notice, ProviderError> {
    if t.mchid != mch_id {
        return Err(ProviderError::UnknownAccount(t.mchid));
    }
    if t.trade_state != "SUCCESS" {
        return Ok(Notice::Other {
            kind: format!("trade_state {}", t.trade_state),
            provider_txn_id: Some(t.transaction_id),
        });
    }
    // Every amount is checked, and they must agree. What is credited is `total`, the order's
    // amount in fen: WeChat Pay settles the order amount to the merchant (its fee is booked when
    // the settlement arrives); `payer_total`, what the payer's own balance or card paid, may be
    // less when WeChat funded a discount, never more.
    for currency in std::iter::once(&t.amount.currency).chain(t.amount.payer_currency.as_ref()) {
        if currency != "CNY" {
            return Err(ProviderError::InvalidAmount(format!("currency {currency}")));
        }
    }
    let total = amount::positive("amount.total", amount::fen_amount("amount.total", t.amount.total)?)?;
    if let Some(payer) = t.amount.payer_total {
        let payer = amount::fen_amount("amount.payer_total", payer)?;
        amount::at_most("amount.payer_total", payer, "amount.total", total)?;
    }
    if t.transaction_id.is_empty() {
        return Err(ProviderError::Malformed(
            "a paid transaction without transaction_id".into(),
        ));
    }
    let paid_at = DateTime::parse_from_rfc3339(&t.success_time)
        .map_err(|_| ProviderError::Malformed(format!("success_time '{}'", t.success_time)))?
        .with_timezone(&Utc);
    Ok(Notice::Credit(BankCredit {
        provider: Provider::Wechat,
        provider_txn_id: t.transaction_id,
        account_ref: t.mchid,
        amount: total,
        paid_at,
        payer_masked: None,
        reference: Some(t.out_trade_no),
    }))
}

/// 401 for authentication failures, 400 for bad payloads, 503 for our trouble; WeChat retries all.
pub fn refusal(error: &ProviderError, retry_later: bool) -> Acknowledgement {
    crate::json_failure(error, retry_later)
}

// ---------- the provider's side, for the sandbox bank and tests ----------

/// Signs a notification as WeChat does, with the platform private key.
pub fn sign(private_key: &RsaPrivateKey, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    rsa2::sign(private_key, &signed_message(timestamp, nonce, body))
}

/// Encrypts a resource as WeChat does, with the merchant's APIv3 key (32 bytes).
pub fn encrypt_resource(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    plaintext: &[u8],
) -> Result<Resource, ProviderError> {
    if nonce.len() != 12 {
        return Err(ProviderError::Malformed("a resource nonce is 12 bytes".into()));
    }
    let cipher = Aes256Gcm::new_from_slice(api_v3_key).map_err(|_| ProviderError::Undecryptable)?;
    let data = cipher
        .encrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| ProviderError::Undecryptable)?;
    Ok(Resource {
        algorithm: "AEAD_AES_256_GCM".into(),
        ciphertext: B64.encode(data),
        associated_data: Some(associated_data.into()),
        nonce: nonce.into(),
        original_type: Some("transaction".into()),
    })
}

/// A complete signed `TRANSACTION.SUCCESS` notification: headers and body.
pub fn payment_notification(
    private_key: &RsaPrivateKey,
    serial: &str,
    api_v3_key: &[u8],
    transaction: &Transaction,
    now: DateTime<Utc>,
) -> Result<SignedRequest, ProviderError> {
    let plain = serde_json::to_vec(transaction).map_err(|e| ProviderError::Malformed(e.to_string()))?;
    let resource = encrypt_resource(api_v3_key, &random_token(12), "transaction", &plain)?;
    let envelope = Envelope {
        id: format!("{:x}", rand::random::<u128>()),
        create_time: now.to_rfc3339(),
        event_type: "TRANSACTION.SUCCESS".into(),
        resource_type: "encrypt-resource".into(),
        summary: "支付成功".into(),
        resource,
    };
    let body = serde_json::to_vec(&envelope).map_err(|e| ProviderError::Malformed(e.to_string()))?;
    let ts = now.timestamp().to_string();
    let nonce = random_token(32);
    let signature = sign(private_key, &ts, &nonce, &body);
    let headers = vec![
        ("Wechatpay-Timestamp".to_string(), ts),
        ("Wechatpay-Nonce".to_string(), nonce),
        ("Wechatpay-Signature".to_string(), signature),
        ("Wechatpay-Serial".to_string(), serial.to_string()),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    Ok(SignedRequest { headers, body })
}

/// The public half of a key pair as PEM (for registering a sandbox platform key).
pub fn public_key_pem(private_key: &RsaPrivateKey) -> String {
    RsaPublicKey::from(private_key)
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap_or_default()
}

fn random_token(len: usize) -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    // Published vector: the notification test of the official Go SDK (wechatpay-apiv3/
    // wechatpay-go, core/notify/notify_test.go): its platform certificate, headers, body, APIv3
    // key and clock, and the plaintext the resource decrypts to.
    const SDK_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIDVzCCAj+gAwIBAgIJANfOWdH1ItcBMA0GCSqGSIb3DQEBCwUAMEIxCzAJBgNV
BAYTAlhYMRUwEwYDVQQHDAxEZWZhdWx0IENpdHkxHDAaBgNVBAoME0RlZmF1bHQg
Q29tcGFueSBMdGQwHhcNMjEwNDI3MDg1NTIzWhcNMzEwNDI1MDg1NTIzWjBCMQsw
CQYDVQQGEwJYWDEVMBMGA1UEBwwMRGVmYXVsdCBDaXR5MRwwGgYDVQQKDBNEZWZh
dWx0IENvbXBhbnkgTHRkMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA
2VCTd91fnUn73Xy9DLvt/V62TVxRTEEstVdeRaZ3B3leO0pldE806mXO4RwdHXag
HQ4vGeZN0yqm++rDsGK+U3AH7kejyD2pXshNP9Cq5YwbptiLGtjcquw4HNxJQUOm
DeJf2vg6byms9RUipiq4SzbJKqJFlUpbuIPDpSpWz10PYmyCNeDGUUK65E5h2B83
4uxl1zNLYQCrkdBzb8oUxwYeP5a2DNxmjL5lsJML7DGr5znsevnoqGRwTm9fxCGf
y8wus7hwKz6clt3Whmmda7UAdb1c08hEQFVRbF14AR73xbnd8N0obCWJPCbzMCtk
aSef4FdEEgEXJiw0VAJT8wIDAQABo1AwTjAdBgNVHQ4EFgQUT1c7nd/SUO76HSoZ
umNUJv1R5PwwHwYDVR0jBBgwFoAUT1c7nd/SUO76HSoZumNUJv1R5PwwDAYDVR0T
BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAfTjxKRQMzNB/U6ZoCUS+BSNfa2Oh
0plMN6ZuzwiVVZwg1jywvv5yv04koS7Pd4i9E4gt9ZBUQXlpq+A3oOCEEHNRR6b2
kyazGRM7s0OP5X21WrbpSmKmU6K7hkfx30yYs08LVs/Q8DIhvaj1FCFeJzUCzYn/
fHMq4tsbKO0dKAeydPM/nrUZBmaYQVKMVOORGLFjFKVO7JV6Kq/R86ouhjEPgJOe
2xulNBUcjicqtZlBdEh/PWCYP2SpGVDclKm8jeo175T3EVAkdKzzmfpxtMmnMlmq
cTJOU9TxuGvNASMtjj7pYIerTx+xgZDXEVBWFW9PjJ0TV06tCRsgSHItgg==
-----END CERTIFICATE-----";
    const SDK_API_V3_KEY: &str = "testMchAPIv3Key0";
    const SDK_NOW: i64 = 1624523846;
    const SDK_SIGNATURE: &str = "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q==";
    const SDK_BODY: &str = r#"{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}"#;
    const SDK_PLAINTEXT: &str = r#"{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c","create_time":"2020-06-30T12:12:00+08:00","out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}"#;

    fn sdk_headers() -> Vec<(String, String)> {
        vec![
            ("Wechatpay-Nonce".into(), "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz".into()),
            ("Wechatpay-Timestamp".into(), SDK_NOW.to_string()),
            ("Wechatpay-Serial".into(), "D7CE59D1F522D701".into()),
            ("Wechatpay-Signature".into(), SDK_SIGNATURE.into()),
        ]
    }

    fn sdk_adapter() -> Wechat {
        Wechat {
            config: WechatConfig {
                mch_id: "1234567890".into(),
                api_v3_key: Secret::new(SDK_API_V3_KEY.as_bytes().to_vec()),
                platform_keys: vec![PlatformKey::from_certificate_pem(SDK_CERT).unwrap()],
            },
        }
    }

    fn at(ts: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(ts, 0).unwrap()
    }

    #[test]
    fn the_sdk_vector_verifies_and_decrypts() {
        let key = PlatformKey::from_certificate_pem(SDK_CERT).unwrap();
        assert_eq!(key.serial, "D7CE59D1F522D701", "the serial as WeChat sends it");
        verify_signature(&sdk_headers(), SDK_BODY.as_bytes(), at(SDK_NOW), &[key]).unwrap();
        let envelope: Envelope = serde_json::from_str(SDK_BODY).unwrap();
        let plain = decrypt_resource(SDK_API_V3_KEY.as_bytes(), &envelope.resource).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), SDK_PLAINTEXT);
        // A genuine notification that is not a payment is acknowledged, never posted.
        let notice = sdk_adapter()
            .verify_and_parse(&sdk_headers(), SDK_BODY.as_bytes(), at(SDK_NOW))
            .unwrap();
        assert_eq!(
            notice,
            Notice::Other {
                kind: "PAYSCORE.USER_OPEN_SERVICE".into(),
                provider_txn_id: None
            }
        );
    }

    #[test]
    fn tampering_is_refused_with_the_reason() {
        let a = sdk_adapter();
        let mut flipped = SDK_BODY.as_bytes().to_vec();
        flipped[10] ^= 1;
        assert_eq!(
            a.verify_and_parse(&sdk_headers(), &flipped, at(SDK_NOW)),
            Err(ProviderError::BadSignature)
        );
        assert_eq!(
            a.verify_and_parse(&sdk_headers(), SDK_BODY.as_bytes(), at(SDK_NOW + 301)),
            Err(ProviderError::StaleTimestamp)
        );
        assert_eq!(
            a.verify_and_parse(&sdk_headers(), SDK_BODY.as_bytes(), at(SDK_NOW - 301)),
            Err(ProviderError::StaleTimestamp)
        );
        assert!(a
            .verify_and_parse(&sdk_headers(), SDK_BODY.as_bytes(), at(SDK_NOW + 299))
            .is_ok());
        for missing in [
            "Wechatpay-Nonce",
            "Wechatpay-Timestamp",
            "Wechatpay-Serial",
            "Wechatpay-Signature",
        ] {
            let h: Vec<_> = sdk_headers().into_iter().filter(|(k, _)| k != missing).collect();
            assert_eq!(
                a.verify_and_parse(&h, SDK_BODY.as_bytes(), at(SDK_NOW)),
                Err(ProviderError::MissingHeader(missing))
            );
        }
        let mut wrong_serial = sdk_headers();
        wrong_serial[2].1 = "5157F09EFDC096DE15EBE81A47057A72".into();
        assert!(matches!(
            a.verify_and_parse(&wrong_serial, SDK_BODY.as_bytes(), at(SDK_NOW)),
            Err(ProviderError::UnknownKey(_))
        ));
        // The right serial but another key (a forger's certificate under WeChat's serial).
        let forger = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let keys = [PlatformKey {
            serial: "D7CE59D1F522D701".into(),
            key: RsaPublicKey::from(&forger),
        }];
        assert_eq!(
            verify_signature(&sdk_headers(), SDK_BODY.as_bytes(), at(SDK_NOW), &keys),
            Err(ProviderError::BadSignature)
        );
        // A wrong APIv3 key cannot decrypt.
        let envelope: Envelope = serde_json::from_str(SDK_BODY).unwrap();
        assert_eq!(
            decrypt_resource(b"testMchAPIv3Key1", &envelope.resource),
            Err(ProviderError::Undecryptable)
        );
        let refused = refusal(&ProviderError::BadSignature, false);
        assert_eq!(refused.status, 401);
        assert!(refused.body.contains("\"code\":\"FAIL\""));
        assert_eq!(refusal(&ProviderError::BadSignature, true).status, 503);
    }

    #[test]
    fn a_signed_payment_becomes_one_credit_with_a_public_key_id() {
        let platform = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let key_id = "PUB_KEY_ID_0114232000000000000000000000000000";
        let api_v3_key = b"0123456789abcdef0123456789abcdef";
        let adapter = Wechat {
            config: WechatConfig {
                mch_id: "1900000109".into(),
                api_v3_key: Secret::new(api_v3_key.to_vec()),
                platform_keys: vec![PlatformKey::from_public_key_pem(key_id, &public_key_pem(&platform)).unwrap()],
            },
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap();
        let t = Transaction {
            mchid: "1900000109".into(),
            appid: "wxd678efh567hg6787".into(),
            out_trade_no: "0000120000345".into(),
            transaction_id: "4200000001202611280000000001".into(),
            trade_state: "SUCCESS".into(),
            success_time: "2026-11-28T10:00:00+08:00".into(),
            attach: None,
            amount: TransactionAmount {
                total: 167838,
                payer_total: Some(167838),
                currency: "CNY".into(),
                payer_currency: None,
            },
        };
        let req = payment_notification(&platform, key_id, api_v3_key, &t, now).unwrap();
        let Notice::Credit(credit) = adapter.verify_and_parse(&req.headers, &req.body, now).unwrap() else {
            panic!("a credit")
        };
        assert_eq!(credit.amount.fen(), 167838);
        assert_eq!(credit.provider_txn_id, "4200000001202611280000000001");
        assert_eq!(credit.paid_at, Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap());
        assert_eq!(credit.reference.as_deref(), Some("0000120000345"));
        // Another merchant's payment is not ours.
        let other = Transaction {
            mchid: "1900000999".into(),
            ..t.clone()
        };
        let SignedRequest { headers: h, body: b } =
            payment_notification(&platform, key_id, api_v3_key, &other, now).unwrap();
        assert!(matches!(
            adapter.verify_and_parse(&h, &b, now),
            Err(ProviderError::UnknownAccount(_))
        ));
        // Zero is not a payment.
        let zero = Transaction {
            amount: TransactionAmount {
                total: 0,
                payer_total: None,
                currency: "CNY".into(),
                payer_currency: None,
            },
            ..t
        };
        let SignedRequest { headers: h, body: b } =
            payment_notification(&platform, key_id, api_v3_key, &zero, now).unwrap();
        assert!(matches!(
            adapter.verify_and_parse(&h, &b, now),
            Err(ProviderError::InvalidAmount(_))
        ));
    }

    #[test]
    fn every_amount_is_checked_and_the_payer_never_pays_more_than_the_order() {
        let t = |total: i64, payer_total: Option<i64>, payer_currency: Option<&str>| Transaction {
            mchid: "1900000109".into(),
            appid: "wxd678efh567hg6787".into(),
            out_trade_no: "0000120000345".into(),
            transaction_id: "4200000001202611280000000009".into(),
            trade_state: "SUCCESS".into(),
            success_time: "2026-11-28T10:00:00+08:00".into(),
            attach: None,
            amount: TransactionAmount {
                total,
                payer_total,
                currency: "CNY".into(),
                payer_currency: payer_currency.map(str::to_string),
            },
        };
        let credit = |t: Transaction| transaction_notice(t, "1900000109");
        // A discount WeChat funded: the order amount is credited.
        let Ok(Notice::Credit(c)) = credit(t(8000, Some(7770), Some("CNY"))) else {
            panic!("a discounted payment is a credit")
        };
        assert_eq!(c.amount.fen(), 8000);
        for (why, bad) in [
            ("the payer paid more than the order", t(7770, Some(7771), None)),
            ("a negative payer_total", t(7770, Some(-1), None)),
            ("an order beyond the bound", t(crate::money::MAX_FEN + 1, None, None)),
            ("the payer paid in another currency", t(7770, Some(7770), Some("USD"))),
            ("a negative order", t(-7770, None, None)),
        ] {
            assert!(matches!(credit(bad), Err(ProviderError::InvalidAmount(_))), "{why}");
        }
    }
}
