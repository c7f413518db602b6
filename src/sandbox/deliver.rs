//! Signed callbacks in each provider's format, and their delivery with retries and faults.

use bank_adapters::{alipay, rural_bank, wechat, Money, Provider, SignedRequest};
use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::keys::{SandboxKeys, WECHAT_KEY_ID};

/// One payment as the sandbox makes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payment {
    pub provider: Provider,
    /// WeChat merchant id, Alipay app id, or the credited account number.
    pub account_ref: String,
    pub txn_id: String,
    pub amount: Money,
    /// The order number or the transfer's remark (a bill reference).
    pub reference: String,
    pub payer: String,
    pub paid_at: DateTime<Utc>,
}

/// The callback for a payment, signed as the provider signs it, at `now`.
pub fn signed_callback(keys: &SandboxKeys, p: &Payment, now: DateTime<Utc>) -> Result<SignedRequest, String> {
    match p.provider {
        Provider::Wechat => {
            let t = wechat::Transaction {
                mchid: p.account_ref.clone(),
                appid: "wx0sandbox0000001".into(),
                out_trade_no: p.reference.clone(),
                transaction_id: p.txn_id.clone(),
                trade_state: "SUCCESS".into(),
                success_time: p.paid_at.with_timezone(&Shanghai).to_rfc3339(),
                attach: None,
                amount: wechat::TransactionAmount {
                    total: p.amount.fen(),
                    payer_total: Some(p.amount.fen()),
                    currency: "CNY".into(),
                    payer_currency: None,
                },
            };
            wechat::payment_notification(
                &keys.wechat_platform,
                WECHAT_KEY_ID,
                keys.wechat_api_v3_key.expose().as_bytes(),
                &t,
                now,
            )
            .map_err(|e| e.to_string())
        }
        Provider::Alipay => {
            let params: Vec<(String, String)> = [
                ("app_id", p.account_ref.clone()),
                ("trade_no", p.txn_id.clone()),
                ("out_trade_no", p.reference.clone()),
                ("trade_status", "TRADE_SUCCESS".to_string()),
                ("total_amount", bank_adapters::amount::to_yuan(p.amount)),
                (
                    "gmt_payment",
                    p.paid_at
                        .with_timezone(&Shanghai)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                ),
                (
                    "notify_time",
                    now.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M:%S").to_string(),
                ),
                ("buyer_logon_id", p.payer.clone()),
                ("charset", "utf-8".to_string()),
                ("version", "1.0".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let body = alipay::signed_form(&keys.alipay, &params);
            Ok(SignedRequest {
                headers: vec![("Content-Type".into(), "application/x-www-form-urlencoded".into())],
                body,
            })
        }
        Provider::RuralBank => {
            let body = serde_json::json!({
                "event": "account.credit", "txn_id": p.txn_id, "account_no": p.account_ref,
                "amount": bank_adapters::amount::to_yuan(p.amount), "currency": "CNY",
                "value_time": p.paid_at.with_timezone(&Shanghai).to_rfc3339(), "counterparty_name": p.payer, "remark": p.reference,
            })
            .to_string()
            .into_bytes();
            let nonce = format!("{:032x}", rand::random::<u128>());
            Ok(SignedRequest {
                headers: rural_bank::sign_headers(&keys.bank, &body, now, &nonce),
                body,
            })
        }
    }
}

/// Faults to play, as real networks and providers do.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Faults {
    /// Attempts lost before one gets through.
    #[serde(default)]
    pub drop_first: u32,
    /// Extra copies sent after the first success.
    #[serde(default)]
    pub duplicates: u32,
    /// Delay before the first attempt, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
}

/// The providers' retry schedules (WeChat: 15 s, 15 s, 30 s, 3 min, 10 min, 20 min, …), compressed
/// by `speedup` so a sandbox day passes in seconds.
pub fn retry_schedule(speedup: u32) -> Vec<Duration> {
    [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600]
        .iter()
        .map(|s| Duration::from_millis(s * 1000 / speedup.max(1) as u64))
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub attempts: u32,
    pub delivered: bool,
    pub last_status: Option<u16>,
}

/// Delivers one payment's callback to `url`, re-signing each attempt as providers do, following
/// the retry schedule until the service acknowledges; then sends the duplicates asked for.
pub async fn deliver(
    client: &reqwest::Client,
    keys: &SandboxKeys,
    url: &str,
    p: &Payment,
    faults: Faults,
    speedup: u32,
) -> Delivery {
    tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
    let mut d = Delivery {
        attempts: 0,
        delivered: false,
        last_status: None,
    };
    let schedule = retry_schedule(speedup);
    for wait in std::iter::once(Duration::ZERO).chain(schedule) {
        tokio::time::sleep(wait).await;
        d.attempts += 1;
        if d.attempts <= faults.drop_first {
            continue; // lost on the way
        }
        match send(client, keys, url, p).await {
            Some(status) => {
                d.last_status = Some(status);
                if (200..300).contains(&status) {
                    d.delivered = true;
                    break;
                }
            }
            None => d.last_status = None,
        }
    }
    for _ in 0..faults.duplicates {
        let _ = send(client, keys, url, p).await;
    }
    d
}

async fn send(client: &reqwest::Client, keys: &SandboxKeys, url: &str, p: &Payment) -> Option<u16> {
    let req = signed_callback(keys, p, Utc::now()).ok()?;
    let mut r = client.post(url).body(req.body);
    for (k, v) in req.headers {
        r = r.header(k, v);
    }
    r.send().await.ok().map(|res| res.status().as_u16())
}
