//! WeChat Pay API v3 as a merchant: Native orders (`code_url`) and order queries.
//!
//! Requests are signed with the merchant's API private key: the `Authorization` header is
//! `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`,
//! the signature SHA256withRSA over `"{METHOD}\n{canonical URL}\n{timestamp}\n{nonce}\n{body}\n"`
//! (the URL is the path with its query; the body is empty for GET). Answers are signed by the
//! platform key with the same `Wechatpay-*` headers as notifications and are verified the same
//! way before they are believed.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Asia::Shanghai;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;

use crate::order::{exchange, Evidence, GatewayError, OrderRequest, OrderStatus};
use crate::rsa2;
use crate::wechat::{transaction_notice, verify_signature, PlatformKey, Transaction};
use crate::{check_timestamp, Notice, ProviderError};

pub const PRODUCTION_BASE: &str = "https://api.mch.weixin.qq.com";

/// A merchant's credentials for calling WeChat Pay. The private key never prints.
pub struct Merchant {
    pub mch_id: String,
    /// The app id the merchant is bound to (公众号/小程序/移动应用).
    pub app_id: String,
    /// Serial number of the merchant API certificate whose key signs requests.
    pub serial_no: String,
    pub private_key: RsaPrivateKey,
    /// Keys that sign WeChat's answers.
    pub platform_keys: Vec<PlatformKey>,
    /// `https://api.mch.weixin.qq.com`, or the sandbox bank.
    pub api_base: String,
}

/// SHA256withRSA (PKCS#1 v1.5), base64: the signature of every v3 request.
pub fn sign_message(private_key: &RsaPrivateKey, message: &str) -> String {
    rsa2::sign(private_key, message.as_bytes())
}

fn request_message(method: &str, canonical_url: &str, timestamp: &str, nonce: &str, body: &str) -> String {
    format!("{method}\n{canonical_url}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The `Authorization` header of one request.
pub fn authorization(
    m: &Merchant,
    method: &str,
    canonical_url: &str,
    body: &str,
    timestamp: i64,
    nonce: &str,
) -> String {
    let ts = timestamp.to_string();
    let signature = sign_message(
        &m.private_key,
        &request_message(method, canonical_url, &ts, nonce, body),
    );
    format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{ts}\",serial_no=\"{}\"",
        m.mch_id, m.serial_no
    )
}

/// The fields of an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub mch_id: String,
    pub nonce: String,
    pub signature: String,
    pub timestamp: String,
    pub serial_no: String,
}

pub fn parse_authorization(header: &str) -> Result<Authorization, ProviderError> {
    let rest = header
        .trim()
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or_else(|| ProviderError::Malformed("authorization scheme is not WECHATPAY2-SHA256-RSA2048".into()))?;
    let field = |name: &'static str| -> Result<String, ProviderError> {
        rest.split(',')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"').to_string())
            .ok_or(ProviderError::MissingHeader(name))
    };
    Ok(Authorization {
        mch_id: field("mchid")?,
        nonce: field("nonce_str")?,
        signature: field("signature")?,
        timestamp: field("timestamp")?,
        serial_no: field("serial_no")?,
    })
}

/// The gateway's side (the sandbox bank): checks a merchant request against the merchant's key.
pub fn verify_request(
    header: &str,
    method: &str,
    canonical_url: &str,
    body: &str,
    merchant_key: &RsaPublicKey,
    now: DateTime<Utc>,
) -> Result<Authorization, ProviderError> {
    let a = parse_authorization(header)?;
    check_timestamp(&a.timestamp, now)?;
    rsa2::verify(
        merchant_key,
        request_message(method, canonical_url, &a.timestamp, &a.nonce, body).as_bytes(),
        &a.signature,
    )?;
    Ok(a)
}

fn nonce() -> String {
    format!("{:032X}", rand::random::<u128>())
}

#[derive(Deserialize)]
struct CodeUrl {
    code_url: String,
}

#[derive(Deserialize)]
struct Failure {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

fn refused(status: u16, body: &[u8]) -> GatewayError {
    let f: Failure = serde_json::from_slice(body).unwrap_or(Failure {
        code: format!("HTTP_{status}"),
        message: String::from_utf8_lossy(body).chars().take(200).collect(),
    });
    GatewayError::Refused {
        code: f.code,
        message: f.message,
    }
}

/// `POST /v3/pay/transactions/native`: a Native order, paid by scanning its `code_url`.
pub async fn create_order(
    client: &reqwest::Client,
    m: &Merchant,
    order: &OrderRequest,
    now: DateTime<Utc>,
) -> Result<(String, Evidence), GatewayError> {
    let path = "/v3/pay/transactions/native";
    let body = serde_json::json!({
        "appid": m.app_id,
        "mchid": m.mch_id,
        "description": order.description.chars().take(40).collect::<String>(),
        "out_trade_no": order.out_trade_no,
        "time_expire": order.expires_at.with_timezone(&Shanghai).to_rfc3339_opts(SecondsFormat::Secs, false),
        "notify_url": order.notify_url,
        "amount": { "total": order.amount.fen(), "currency": "CNY" },
    })
    .to_string();
    let auth = authorization(m, "POST", path, &body, now.timestamp(), &nonce());
    let (status, evidence) = exchange(
        client
            .post(format!("{}{path}", m.api_base.trim_end_matches('/')))
            .header("Authorization", auth)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body),
    )
    .await?;
    if status != 200 {
        return Err(refused(status, &evidence.body));
    }
    verify_signature(&evidence.headers, &evidence.body, now, &m.platform_keys)?;
    let answer: CodeUrl = serde_json::from_slice(&evidence.body)
        .map_err(|e| ProviderError::Malformed(format!("native order answer: {e}")))?;
    Ok((answer.code_url, evidence))
}

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=…`.
pub async fn query_order(
    client: &reqwest::Client,
    m: &Merchant,
    out_trade_no: &str,
    now: DateTime<Utc>,
) -> Result<(OrderStatus, Evidence), GatewayError> {
    let encoded: String = form_urlencoded::byte_serialize(out_trade_no.as_bytes()).collect();
    let url = format!("/v3/pay/transactions/out-trade-no/{encoded}?mchid={}", m.mch_id);
    let auth = authorization(m, "GET", &url, "", now.timestamp(), &nonce());
    let (status, evidence) = exchange(
        client
            .get(format!("{}{url}", m.api_base.trim_end_matches('/')))
            .header("Authorization", auth)
            .header("Accept", "application/json"),
    )
    .await?;
    if status == 404 {
        return Ok((OrderStatus::Closed("ORDER_NOT_EXIST".into()), evidence));
    }
    if status != 200 {
        return Err(refused(status, &evidence.body));
    }
    verify_signature(&evidence.headers, &evidence.body, now, &m.platform_keys)?;
    let t: Transaction = serde_json::from_slice(&evidence.body)
        .map_err(|e| ProviderError::Malformed(format!("order query answer: {e}")))?;
    if t.out_trade_no != out_trade_no {
        return Err(ProviderError::Malformed(format!("answer is about order '{}'", t.out_trade_no)).into());
    }
    let status = match t.trade_state.as_str() {
        "SUCCESS" => match transaction_notice(t, &m.mch_id)? {
            Notice::Credit(c) => OrderStatus::Paid(c),
            Notice::Other { kind, .. } => OrderStatus::Closed(kind),
        },
        "NOTPAY" | "USERPAYING" | "ACCEPT" => OrderStatus::Pending,
        // REFUND means it was paid and then refunded: the statement shows both movements, and
        // reconciliation, not this order, accounts for them.
        other => OrderStatus::Closed(other.to_string()),
    };
    Ok((status, evidence))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs8::DecodePrivateKey;

    // Published vector: the official Go SDK's signer test
    // (wechatpay-apiv3/wechatpay-go, core/auth/signers/sha256withrsa_signer_test.go): its test
    // private key signs the message "source" to this signature (PKCS#1 v1.5 is deterministic).
    const SDK_TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
BDa+8mDLkWu5nHEhOxy2JJZl
-----END PRIVATE KEY-----";
    const SDK_EXPECTED: &str = "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==";

    fn merchant() -> Merchant {
        Merchant {
            mch_id: "1234567890".into(),
            app_id: "wxd678efh567hg6787".into(),
            serial_no: "F5765756002FDD77".into(),
            private_key: RsaPrivateKey::from_pkcs8_pem(SDK_TEST_KEY).unwrap(),
            platform_keys: vec![],
            api_base: PRODUCTION_BASE.into(),
        }
    }

    #[test]
    fn signs_the_sdk_vector() {
        assert_eq!(sign_message(&merchant().private_key, "source"), SDK_EXPECTED);
    }

    #[test]
    fn authorization_round_trips_and_binds_method_url_and_body() {
        let m = merchant();
        let public = RsaPublicKey::from(&m.private_key);
        let now = Utc::now();
        let body = r#"{"mchid":"1234567890"}"#;
        let url = "/v3/pay/transactions/native";
        let header = authorization(
            &m,
            "POST",
            url,
            body,
            now.timestamp(),
            "593BEC0C930BF1AFEB40B4A08C8FB242",
        );
        assert!(header.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1234567890\",nonce_str=\"593BEC0C"));
        let a = verify_request(&header, "POST", url, body, &public, now).unwrap();
        assert_eq!(a.serial_no, "F5765756002FDD77");
        // Another method, URL, body or a stale clock: refused.
        assert_eq!(
            verify_request(&header, "GET", url, body, &public, now).unwrap_err(),
            ProviderError::BadSignature
        );
        assert!(verify_request(&header, "POST", "/v3/other", body, &public, now).is_err());
        assert!(verify_request(&header, "POST", url, "{}", &public, now).is_err());
        assert_eq!(
            verify_request(
                &header,
                "POST",
                url,
                body,
                &public,
                now + chrono::Duration::seconds(301)
            )
            .unwrap_err(),
            ProviderError::StaleTimestamp
        );
        assert!(matches!(
            parse_authorization("Bearer x").unwrap_err(),
            ProviderError::Malformed(_)
        ));
        assert_eq!(
            parse_authorization("WECHATPAY2-SHA256-RSA2048 mchid=\"1\"").unwrap_err(),
            ProviderError::MissingHeader("nonce_str")
        );
    }
}
