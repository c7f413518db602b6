//! What the sandbox bank remembers while it runs: its keys, the payments it made and how their
//! callbacks went, the orders placed with its gateways; and how a payment's callback is sent.

use actix_web::web;
use bank_adapters::{Money, Provider};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

use super::deliver::{deliver, Delivery, Faults, Payment};
use super::keys::SandboxKeys;

pub struct SandboxState {
    pub keys: SandboxKeys,
    pub client: reqwest::Client,
    /// How many times faster than real time the retry schedule runs.
    pub speedup: u32,
    pub ledger: Mutex<Vec<Record>>,
    /// Money the bank paid out of its accounts on demand (approved or not: the bank does not
    /// know), in booking order.
    pub withdrawals: Mutex<Vec<Withdrawal>>,
    /// Gateway settlements the bank booked: a provider paying a merchant's day out to the
    /// merchant's corporate account, in booking order.
    pub settlements: Mutex<Vec<SettlementCredit>>,
    /// Orders placed through the gateway APIs, by out_trade_no.
    pub orders: Mutex<HashMap<String, SandboxOrder>>,
    /// Where callbacks may go: the service that runs this sandbox in-process (the demo) lets it
    /// call itself only; a standalone sandbox calls whatever it is told (None).
    pub callbacks_to: Option<String>,
}

impl SandboxState {
    /// Whether a callback or notify URL may be called.
    pub fn may_call(&self, url: &str) -> bool {
        let web = url.starts_with("http://") || url.starts_with("https://");
        web && self.callbacks_to.as_deref().is_none_or(|base| {
            url.strip_prefix(base.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub payment: Payment,
    pub callback_url: String,
    pub delivery: Option<Delivery>,
}

/// A debit the sandbox bank booked.
#[derive(Debug, Clone, Serialize)]
pub struct Withdrawal {
    pub account_ref: String,
    pub txn_id: String,
    pub amount: Money,
    pub payee_name: String,
    pub payee_account: String,
    pub remark: String,
    pub at: DateTime<Utc>,
}

/// A gateway's settlement credit on a corporate account: one day's payments of a merchant,
/// less the provider's fee.
#[derive(Debug, Clone, Serialize)]
pub struct SettlementCredit {
    pub provider: Provider,
    /// The merchant (WeChat mch_id, Alipay app id) whose day it pays out.
    pub merchant: String,
    /// The Beijing day of the payments.
    pub day: chrono::NaiveDate,
    /// The corporate account it is paid into.
    pub account_ref: String,
    pub txn_id: String,
    pub amount: Money,
    pub payer_name: String,
    pub remark: String,
    pub at: DateTime<Utc>,
}

/// Records a payment in the sandbox's books and delivers its notification in the background.
pub fn record_and_deliver(state: &web::Data<SandboxState>, payment: Payment, callback_url: String, faults: Faults) {
    let index = {
        let mut ledger = state.ledger.lock().unwrap_or_else(|p| p.into_inner());
        ledger.push(Record {
            payment: payment.clone(),
            callback_url: callback_url.clone(),
            delivery: None,
        });
        ledger.len() - 1
    };
    let st = state.clone();
    actix_web::rt::spawn(async move {
        let d = deliver(&st.client, &st.keys, &callback_url, &payment, faults, st.speedup).await;
        st.ledger.lock().unwrap_or_else(|p| p.into_inner())[index].delivery = Some(d);
    });
}

/// An order as the sandbox gateway holds it.
#[derive(Debug, Clone)]
pub struct SandboxOrder {
    pub provider: Provider,
    /// Merchant id or app id.
    pub account_ref: String,
    pub amount: Money,
    pub description: String,
    pub notify_url: String,
    /// (transaction id, paid at) once paid.
    pub paid: Option<(String, DateTime<Utc>)>,
}
