//! Ordering through a payment gateway: create a QR order (WeChat Pay Native, Alipay precreate)
//! and ask the gateway how an order stands.
//!
//! The gateway's answers are signed (WeChat: `Wechatpay-*` headers over the body; Alipay: `sign`
//! over the response node). Every answer is verified before it is believed, and handed back with
//! the raw response as [`Evidence`], so a payment learnt by querying is kept with the same proof
//! as one learnt from a notification.

use crate::Money;
use chrono::{DateTime, Utc};

use crate::{alipay_precreate, wechat_native, BankCredit, ProviderError};

/// What to order: one bill's amount, named by an order number that carries the bill reference.
#[derive(Debug, Clone)]
pub struct OrderRequest {
    /// 6-32 characters of `[0-9A-Za-z_-]`, unique per merchant.
    pub out_trade_no: String,
    /// What the payer sees ("村集体 土地承包费 2026").
    pub description: String,
    pub amount: Money,
    /// Where the gateway sends its notification.
    pub notify_url: String,
    /// After this the gateway refuses to take the payment.
    pub expires_at: DateTime<Utc>,
}

/// The raw, verified answer of a gateway.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a gateway says about an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderStatus {
    /// Not paid yet (or, for Alipay, not scanned yet).
    Pending,
    Paid(BankCredit),
    /// Closed, revoked or failed: it will not be paid.
    Closed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway could not be reached, or answered 5xx: try again later.
    #[error("gateway unreachable: {0}")]
    Unavailable(String),
    /// The gateway refused the request (its own code and message).
    #[error("gateway refused: {code}: {message}")]
    Refused { code: String, message: String },
    /// The answer did not verify or could not be read.
    #[error("gateway answer not accepted: {0}")]
    Invalid(#[from] ProviderError),
}

/// A merchant's ordering credentials at one gateway.
pub enum Gateway {
    Wechat(wechat_native::Merchant),
    Alipay(alipay_precreate::App),
}

impl Gateway {
    /// Creates a QR order and returns the code's text (`weixin://…` or `https://qr.alipay.com/…`).
    pub async fn create_order(
        &self,
        client: &reqwest::Client,
        order: &OrderRequest,
        now: DateTime<Utc>,
    ) -> Result<(String, Evidence), GatewayError> {
        match self {
            Gateway::Wechat(m) => wechat_native::create_order(client, m, order, now).await,
            Gateway::Alipay(a) => alipay_precreate::create_order(client, a, order, now).await,
        }
    }

    pub async fn query_order(
        &self,
        client: &reqwest::Client,
        out_trade_no: &str,
        now: DateTime<Utc>,
    ) -> Result<(OrderStatus, Evidence), GatewayError> {
        match self {
            Gateway::Wechat(m) => wechat_native::query_order(client, m, out_trade_no, now).await,
            Gateway::Alipay(a) => alipay_precreate::query_order(client, a, out_trade_no, now).await,
        }
    }
}

/// Sends a request and reads the whole answer; transport failures and 5xx are `Unavailable`.
pub(crate) async fn exchange(request: reqwest::RequestBuilder) -> Result<(u16, Evidence), GatewayError> {
    let response = request
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect();
    let body = response
        .bytes()
        .await
        .map_err(|e| GatewayError::Unavailable(e.to_string()))?
        .to_vec();
    if status >= 500 {
        return Err(GatewayError::Unavailable(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body).chars().take(200).collect::<String>()
        )));
    }
    Ok((status, Evidence { headers, body }))
}
