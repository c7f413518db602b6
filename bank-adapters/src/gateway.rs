//! Ordering through a payment gateway: create a QR order (WeChat Pay Native, Alipay precreate)
//! and ask the gateway how an order stands.
//!
//! The gateway's answers are signed (WeChat: `Wechatpay-*` headers over the body; Alipay: `sign`
//! over the response node). Every answer is verified before it is believed, and handed back with
//! the raw response as [`Evidence`], so a payment learnt by querying is kept with the same proof
//! as one learnt from a notification.

use chrono::{DateTime, Utc};

pub use crate::order::{Evidence, GatewayError, OrderRequest, OrderStatus};
use crate::{alipay_precreate, wechat_native};

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
