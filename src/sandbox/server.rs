//! The sandbox bank's HTTP face.
//!
//! - `GET  /sandbox/keys`: the public keys and shared secrets to bind the sandbox with.
//! - `POST /sandbox/pay`: make a payment and deliver its callback to `callback_url`, with faults
//!   (`{"drop_first": 2, "duplicates": 3, "delay_ms": 100}`) if asked.
//! - `GET  /sandbox/transactions`: every payment made and how its delivery went.
//! - `GET  /statements/{account_no}?date=YYYY-MM-DD`: the account's credits that day (Beijing).
//! - the gateways' order APIs and a scan page to pay an order: see [`super::gateway`].

use actix_web::dev::Server;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use bank_adapters::{rural_bank, Provider};
use chrono::{NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::deliver::{Faults, Payment};
use super::gateway;
use super::keys::SandboxKeys;
use super::state::{record_and_deliver, SandboxState};

#[derive(Debug, Deserialize)]
pub struct PayRequest {
    pub provider: Provider,
    pub callback_url: String,
    pub account_ref: String,
    /// Yuan, e.g. "1678.38".
    pub amount: String,
    pub reference: String,
    #[serde(default)]
    pub payer: Option<String>,
    #[serde(default)]
    pub faults: Faults,
}

fn bad(message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(serde_json::json!({ "code": "bad_request", "message": message.into() }))
}

async fn published_keys(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(state.keys.published())
}

async fn pay(state: web::Data<SandboxState>, body: web::Json<PayRequest>) -> HttpResponse {
    let r = body.into_inner();
    let amount = match bank_adapters::amount::positive_yuan("amount", &r.amount) {
        Ok(f) => f,
        Err(e) => return bad(e.to_string()),
    };
    if !state.may_call(&r.callback_url) {
        return bad(match &state.callbacks_to {
            Some(base) => format!("callback_url must be an address of {base}"),
            None => "callback_url must be an http(s) URL".into(),
        });
    }
    let prefix = match r.provider {
        Provider::Wechat => "4200",
        Provider::Alipay => "2026",
        Provider::RuralBank => "RCB",
    };
    let payment = Payment {
        provider: r.provider,
        account_ref: r.account_ref,
        txn_id: format!(
            "{prefix}{:020}",
            rand::random::<u64>() % 100_000_000_000_000_000_000u128 as u64
        ),
        amount,
        reference: r.reference,
        payer: r.payer.unwrap_or_else(|| "张*".into()),
        paid_at: Utc::now(),
    };
    let txn_id = payment.txn_id.clone();
    record_and_deliver(&state, payment, r.callback_url, r.faults);
    HttpResponse::Accepted().json(serde_json::json!({ "txn_id": txn_id }))
}

async fn transactions(state: web::Data<SandboxState>) -> HttpResponse {
    let ledger = state.ledger.lock().unwrap_or_else(|p| p.into_inner()).clone();
    HttpResponse::Ok().json(ledger)
}

#[derive(Debug, Deserialize)]
pub struct StatementQuery {
    pub date: Option<String>,
}

/// A statement request must carry the bank profile's signature (`qz-bank-v1`); the answer is
/// signed the same way, so qingzhang can keep it as the bank's own evidence.
async fn statement(
    state: web::Data<SandboxState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<StatementQuery>,
) -> HttpResponse {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    if let Err(e) = rural_bank::verify_statement_request(
        &headers,
        &path_and_query,
        Utc::now(),
        std::slice::from_ref(&state.keys.bank),
    ) {
        return HttpResponse::Unauthorized().json(serde_json::json!({ "code": "FAIL", "message": e.to_string() }));
    }
    let account = path.into_inner();
    let date = match q.date.as_deref().map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d")) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => return bad("date: YYYY-MM-DD"),
        None => None,
    };
    let lines: Vec<rural_bank::StatementLine> = {
        let ledger = state.ledger.lock().unwrap_or_else(|p| p.into_inner());
        ledger
            .iter()
            .map(|r| &r.payment)
            .filter(|p| p.provider == Provider::RuralBank && p.account_ref == account)
            .filter(|p| date.is_none_or(|d| p.paid_at.with_timezone(&Shanghai).date_naive() == d))
            .map(|p| rural_bank::StatementLine {
                txn_id: p.txn_id.clone(),
                value_time: p.paid_at.with_timezone(&Shanghai).to_rfc3339(),
                amount: bank_adapters::amount::to_yuan(p.amount),
                direction: "credit".into(),
                counterparty_name: Some(p.payer.clone()),
                remark: Some(p.reference.clone()),
            })
            .collect()
    };
    let body = serde_json::to_vec(&rural_bank::Statement {
        account_no: account,
        lines,
    })
    .unwrap_or_default();
    let mut res = HttpResponse::Ok();
    for (k, v) in rural_bank::sign_headers(
        &state.keys.bank,
        &body,
        Utc::now(),
        &format!("{:032x}", rand::random::<u128>()),
    ) {
        res.insert_header((k, v));
    }
    res.body(body)
}

/// Starts the sandbox bank on an already bound listener.
/// Starts the sandbox on `listener`; `callbacks_to` limits whom it calls back (see
/// [`SandboxState::callbacks_to`]).
pub fn start(
    listener: TcpListener,
    keys: SandboxKeys,
    speedup: u32,
    callbacks_to: Option<String>,
) -> std::io::Result<(Server, Arc<SandboxState>)> {
    let state = Arc::new(SandboxState {
        keys,
        client: reqwest::Client::new(),
        speedup,
        ledger: Mutex::new(Vec::new()),
        orders: Mutex::new(HashMap::new()),
        callbacks_to,
    });
    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/sandbox/keys", web::get().to(published_keys))
            .route("/sandbox/pay", web::post().to(pay))
            .route("/sandbox/transactions", web::get().to(transactions))
            .route("/statements/{account}", web::get().to(statement))
            .route(
                "/v3/pay/transactions/native",
                web::post().to(gateway::wechat_native_order),
            )
            .route(
                "/v3/pay/transactions/out-trade-no/{out_trade_no}",
                web::get().to(gateway::wechat_query),
            )
            .route("/gateway.do", web::post().to(gateway::alipay_gateway))
            .route("/sandbox/scan/{out_trade_no}", web::get().to(gateway::scan_page))
            .route("/sandbox/scan/{out_trade_no}", web::post().to(gateway::scan_pay))
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok((server, state))
}
