//! What ordering through a payment gateway is made of, whichever the gateway: the order asked
//! for, the gateway's verified answer kept as evidence, what it says about an order, and how a
//! request is exchanged. `wechat_native` and `alipay_precreate` speak it; `gateway` chooses.

use chrono::{DateTime, Utc};

use crate::{BankCredit, Money, ProviderError};
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
