//! Alipay as a merchant app: `alipay.trade.precreate` (a QR order, `qr_code`) and
//! `alipay.trade.query`.
//!
//! A request is a form POSTed to the gateway: the common parameters (`app_id`, `method`,
//! `charset`, `sign_type=RSA2`, `timestamp` in Beijing time, `version=1.0`, `biz_content` as JSON)
//! signed with the app's private key over the sorted `k=v` text, `sign_type` included. The answer
//! is JSON, `{"alipay_trade_precreate_response":{…},"sign":"…"}`, and Alipay signs the exact text
//! of the response node with its own key: the node is kept as raw text (never re-serialised)
//! and verified before anything in it is believed.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

use crate::alipay::sign_content;
use crate::order::{exchange, Evidence, GatewayError, OrderRequest, OrderStatus};
use crate::rsa2;
use crate::{amount, BankCredit, Provider, ProviderError};

pub const PRODUCTION_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

/// An app's credentials for calling Alipay. The private key never prints.
pub struct App {
    pub app_id: String,
    pub private_key: RsaPrivateKey,
    pub alipay_public_key: RsaPublicKey,
    /// `https://openapi.alipay.com/gateway.do`, or the sandbox bank.
    pub gateway_url: String,
}

fn beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The signed form of one request.
pub fn request_params(
    app: &App,
    method: &str,
    biz_content: &serde_json::Value,
    notify_url: Option<&str>,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("app_id".into(), app.app_id.clone()),
        ("method".into(), method.into()),
        ("format".into(), "JSON".into()),
        ("charset".into(), "utf-8".into()),
        ("sign_type".into(), "RSA2".into()),
        ("timestamp".into(), beijing(now)),
        ("version".into(), "1.0".into()),
        ("biz_content".into(), biz_content.to_string()),
    ];
    if let Some(url) = notify_url {
        params.push(("notify_url".into(), url.into()));
    }
    let signature = rsa2::sign(&app.private_key, sign_content(&params, true).as_bytes());
    params.push(("sign".into(), signature));
    params
}

/// The name of a method's response node: `alipay.trade.query` → `alipay_trade_query_response`.
pub fn response_node_name(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// Reads an answer and verifies `sign` over the node's exact text; returns the node's text.
pub fn verified_node(body: &[u8], method: &str, key: &RsaPublicKey) -> Result<String, ProviderError> {
    let answer: BTreeMap<String, Box<RawValue>> =
        serde_json::from_slice(body).map_err(|e| ProviderError::Malformed(format!("gateway answer: {e}")))?;
    let name = response_node_name(method);
    let node = answer
        .get(&name)
        .or_else(|| answer.get("error_response"))
        .ok_or_else(|| ProviderError::Malformed(format!("gateway answer has no {name}")))?
        .get();
    let sign: String = answer
        .get("sign")
        .and_then(|s| serde_json::from_str(s.get()).ok())
        .ok_or(ProviderError::MissingHeader("sign"))?;
    rsa2::verify(key, node.as_bytes(), &sign)?;
    Ok(node.to_string())
}

/// The gateway's side (the sandbox bank): an answer signed as Alipay signs it.
pub fn signed_answer(private_key: &RsaPrivateKey, method: &str, node: &serde_json::Value) -> String {
    let text = node.to_string();
    format!(
        "{{\"{}\":{text},\"sign\":\"{}\"}}",
        response_node_name(method),
        rsa2::sign(private_key, text.as_bytes())
    )
}

#[derive(Deserialize)]
struct Node {
    code: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    sub_code: Option<String>,
    #[serde(default)]
    sub_msg: Option<String>,
    #[serde(default)]
    qr_code: Option<String>,
    #[serde(default)]
    trade_no: Option<String>,
    #[serde(default)]
    out_trade_no: Option<String>,
    #[serde(default)]
    trade_status: Option<String>,
    #[serde(default)]
    total_amount: Option<String>,
    #[serde(default)]
    receipt_amount: Option<String>,
    #[serde(default)]
    buyer_pay_amount: Option<String>,
    #[serde(default)]
    send_pay_date: Option<String>,
    #[serde(default)]
    buyer_logon_id: Option<String>,
}

impl Node {
    fn refused(self) -> GatewayError {
        GatewayError::Refused {
            code: self.sub_code.unwrap_or(self.code),
            message: self.sub_msg.unwrap_or(self.msg),
        }
    }
}

async fn call(
    client: &reqwest::Client,
    app: &App,
    method: &str,
    biz: serde_json::Value,
    notify_url: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(Node, Evidence), GatewayError> {
    let params = request_params(app, method, &biz, notify_url, now);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    let (status, evidence) = exchange(
        client
            .post(&app.gateway_url)
            .header("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
            .body(form),
    )
    .await?;
    if status != 200 {
        return Err(GatewayError::Refused {
            code: format!("HTTP_{status}"),
            message: String::from_utf8_lossy(&evidence.body).chars().take(200).collect(),
        });
    }
    let node = verified_node(&evidence.body, method, &app.alipay_public_key)?;
    let node: Node =
        serde_json::from_str(&node).map_err(|e| ProviderError::Malformed(format!("response node: {e}")))?;
    Ok((node, evidence))
}

/// `alipay.trade.precreate`: an order paid by scanning `qr_code`.
pub async fn create_order(
    client: &reqwest::Client,
    app: &App,
    order: &OrderRequest,
    now: DateTime<Utc>,
) -> Result<(String, Evidence), GatewayError> {
    let biz = serde_json::json!({
        "out_trade_no": order.out_trade_no,
        "total_amount": amount::to_yuan(order.amount),
        "subject": order.description.chars().take(60).collect::<String>(),
        "time_expire": beijing(order.expires_at),
    });
    let (node, evidence) = call(client, app, "alipay.trade.precreate", biz, Some(&order.notify_url), now).await?;
    if node.code != "10000" {
        return Err(node.refused());
    }
    let qr = node
        .qr_code
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ProviderError::Malformed("precreate answer without qr_code".into()))?;
    Ok((qr, evidence))
}

fn beijing_time(text: &str) -> Result<DateTime<Utc>, ProviderError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|n| Shanghai.from_local_datetime(&n).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| ProviderError::Malformed(format!("time '{text}'")))
}

/// `alipay.trade.query`. A precreated order that nobody has scanned does not exist at Alipay
/// yet (`ACQ.TRADE_NOT_EXIST`): that is still pending.
pub async fn query_order(
    client: &reqwest::Client,
    app: &App,
    out_trade_no: &str,
    now: DateTime<Utc>,
) -> Result<(OrderStatus, Evidence), GatewayError> {
    let biz = serde_json::json!({ "out_trade_no": out_trade_no });
    let (node, evidence) = call(client, app, "alipay.trade.query", biz, None, now).await?;
    if node.code != "10000" {
        if node.sub_code.as_deref() == Some("ACQ.TRADE_NOT_EXIST") {
            return Ok((OrderStatus::Pending, evidence));
        }
        return Err(node.refused());
    }
    if node.out_trade_no.as_deref() != Some(out_trade_no) {
        return Err(ProviderError::Malformed("answer is about another order".into()).into());
    }
    let status = match node.trade_status.as_deref().unwrap_or("") {
        "TRADE_SUCCESS" | "TRADE_FINISHED" => {
            let trade_no = node
                .trade_no
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ProviderError::Malformed("paid trade without trade_no".into()))?;
            let credited = crate::alipay::credited_amount(&[
                ("total_amount", node.total_amount.as_deref()),
                ("receipt_amount", node.receipt_amount.as_deref()),
                ("buyer_pay_amount", node.buyer_pay_amount.as_deref()),
            ])?;
            let paid_at = match node.send_pay_date.as_deref() {
                Some(t) => beijing_time(t)?,
                None => now,
            };
            OrderStatus::Paid(BankCredit {
                provider: Provider::Alipay,
                provider_txn_id: trade_no,
                account_ref: app.app_id.clone(),
                amount: credited,
                paid_at,
                payer_masked: node.buyer_logon_id,
                reference: Some(out_trade_no.to_string()),
            })
        }
        "WAIT_BUYER_PAY" => OrderStatus::Pending,
        other => OrderStatus::Closed(other.to_string()),
    };
    Ok((status, evidence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> (App, RsaPrivateKey) {
        let mut rng = rand::thread_rng();
        let app_key = RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let alipay_key = RsaPrivateKey::new(&mut rng, 1024).unwrap();
        (
            App {
                app_id: "2021000000000001".into(),
                private_key: app_key,
                alipay_public_key: RsaPublicKey::from(&alipay_key),
                gateway_url: PRODUCTION_GATEWAY.into(),
            },
            alipay_key,
        )
    }

    #[test]
    fn requests_verify_as_notifications_do() {
        let (app, _) = app();
        let params = request_params(
            &app,
            "alipay.trade.precreate",
            &serde_json::json!({"out_trade_no": "QZ1"}),
            Some("https://example.org/n"),
            Utc::now(),
        );
        let public = RsaPublicKey::from(&app.private_key);
        crate::alipay::verify(&params, &public).unwrap();
        let mut edited = params.clone();
        edited.iter_mut().find(|(k, _)| k == "biz_content").unwrap().1 = r#"{"out_trade_no":"QZ2"}"#.into();
        assert_eq!(
            crate::alipay::verify(&edited, &public).unwrap_err(),
            ProviderError::BadSignature
        );
    }

    #[test]
    fn the_signed_node_is_read_as_raw_text() {
        let (app, alipay_key) = app();
        let node = serde_json::json!({"code": "10000", "msg": "Success", "out_trade_no": "QZ1", "qr_code": "https://qr.alipay.com/bax1"});
        let answer = signed_answer(&alipay_key, "alipay.trade.precreate", &node);
        let text = verified_node(answer.as_bytes(), "alipay.trade.precreate", &app.alipay_public_key).unwrap();
        assert_eq!(text, node.to_string());
        // Whitespace inside the node changes the signed text: Alipay signs bytes, not meaning.
        let spaced = answer.replacen("\"code\":", "\"code\": ", 1);
        assert_eq!(
            verified_node(spaced.as_bytes(), "alipay.trade.precreate", &app.alipay_public_key).unwrap_err(),
            ProviderError::BadSignature
        );
        // The wrong method's node is not there.
        assert!(verified_node(answer.as_bytes(), "alipay.trade.query", &app.alipay_public_key).is_err());
        // A forger's key.
        let forged = signed_answer(&app.private_key, "alipay.trade.precreate", &node);
        assert_eq!(
            verified_node(forged.as_bytes(), "alipay.trade.precreate", &app.alipay_public_key).unwrap_err(),
            ProviderError::BadSignature
        );
    }
}
