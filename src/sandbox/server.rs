//! The sandbox bank's HTTP face.
//!
//! - `GET  /sandbox/keys`: the public keys and shared secrets to bind the sandbox with.
//! - `POST /sandbox/pay`: make a payment and deliver its callback to `callback_url`, with faults
//!   (`{"drop_first": 2, "duplicates": 3, "delay_ms": 100}`) if asked.
//! - `GET  /sandbox/transactions`: every payment made and how its delivery went.
//! - `POST /sandbox/withdraw`: book a debit on an account (approved or not: the bank cannot know).
//! - `POST /sandbox/settle`: a gateway pays a merchant's day out to its corporate account (the
//!   day's payments less the fee, per payment rounded half up; `short_by` holds some back).
//! - `GET  /statements/{account_no}?date=YYYY-MM-DD`: the account's signed statement that day
//!   (Beijing): every credit it booked, delivered or dropped, and every debit, with balances.
//! - `GET  /statements/{account_no}/download?date=…&format=csv|csv-gbk|xlsx`: the same as online
//!   banking's file download, in the `qz-sandbox` layout.
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
    let lines = statement_lines(&state, &account, date);
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

/// An account's statement: the rural bank's credits to it (delivered or not: the bank booked
/// them) and the withdrawals it made, in booking order, each with the running balance (the
/// account opens at zero in the sandbox); only the day's lines when `date` is given.
pub fn statement_lines(state: &SandboxState, account: &str, date: Option<NaiveDate>) -> Vec<rural_bank::StatementLine> {
    let mut booked: Vec<(chrono::DateTime<Utc>, rural_bank::StatementLine, i64)> = Vec::new();
    for p in state
        .ledger
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|r| &r.payment)
        .filter(|p| p.provider == Provider::RuralBank && p.account_ref == account)
    {
        booked.push((
            p.paid_at,
            rural_bank::StatementLine {
                txn_id: p.txn_id.clone(),
                value_time: p.paid_at.with_timezone(&Shanghai).to_rfc3339(),
                amount: bank_adapters::amount::to_yuan(p.amount),
                direction: "credit".into(),
                counterparty_name: Some(p.payer.clone()),
                remark: Some(p.reference.clone()),
                counterparty_account: None,
                balance: None,
            },
            p.amount.fen(),
        ));
    }
    for w in state
        .withdrawals
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|w| w.account_ref == account)
    {
        booked.push((
            w.at,
            rural_bank::StatementLine {
                txn_id: w.txn_id.clone(),
                value_time: w.at.with_timezone(&Shanghai).to_rfc3339(),
                amount: bank_adapters::amount::to_yuan(w.amount),
                direction: "debit".into(),
                counterparty_name: Some(w.payee_name.clone()),
                remark: Some(w.remark.clone()),
                counterparty_account: Some(w.payee_account.clone()),
                balance: None,
            },
            -w.amount.fen(),
        ));
    }
    for c in state
        .settlements
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|c| c.account_ref == account)
    {
        booked.push((
            c.at,
            rural_bank::StatementLine {
                txn_id: c.txn_id.clone(),
                value_time: c.at.with_timezone(&Shanghai).to_rfc3339(),
                amount: bank_adapters::amount::to_yuan(c.amount),
                direction: "credit".into(),
                counterparty_name: Some(c.payer_name.clone()),
                remark: Some(c.remark.clone()),
                counterparty_account: None,
                balance: None,
            },
            c.amount.fen(),
        ));
    }
    booked.sort_by(|a, b| (a.0, &a.1.txn_id).cmp(&(b.0, &b.1.txn_id)));
    let mut balance = 0i64;
    booked
        .into_iter()
        .filter_map(|(at, mut line, signed)| {
            balance += signed;
            line.balance = Some(bank_adapters::amount::to_yuan(bank_adapters::Money::from_fen(balance)));
            date.is_none_or(|d| at.with_timezone(&Shanghai).date_naive() == d)
                .then_some(line)
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct WithdrawRequest {
    pub account_ref: String,
    /// Yuan.
    pub amount: String,
    pub payee_name: String,
    pub payee_account: String,
    #[serde(default)]
    pub remark: String,
}

/// Books a debit on an account, as a withdrawal at the counter or an online transfer would:
/// the bank does not ask whether the village approved it.
async fn withdraw(state: web::Data<SandboxState>, body: web::Json<WithdrawRequest>) -> HttpResponse {
    let r = body.into_inner();
    let amount = match bank_adapters::amount::positive_yuan("amount", &r.amount) {
        Ok(a) => a,
        Err(e) => return bad(e.to_string()),
    };
    let txn_id = format!("RCBD{:016}", rand::random::<u64>() % 10_000_000_000_000_000);
    state
        .withdrawals
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(super::state::Withdrawal {
            account_ref: r.account_ref,
            txn_id: txn_id.clone(),
            amount,
            payee_name: r.payee_name,
            payee_account: r.payee_account,
            remark: r.remark,
            at: Utc::now(),
        });
    HttpResponse::Created().json(serde_json::json!({ "txn_id": txn_id }))
}

#[derive(Debug, Deserialize)]
pub struct SettleRequest {
    /// `wechat` or `alipay`.
    pub provider: Provider,
    /// The merchant (mch_id, app id) whose payments are paid out.
    pub merchant: String,
    /// The corporate account they are paid into.
    pub account_ref: String,
    /// The Beijing day of the payments (YYYY-MM-DD).
    pub date: NaiveDate,
    /// The provider's fee in percent of each payment ("0.6").
    pub fee_percent: String,
    /// Yuan the provider holds back beyond its fee (a short settlement), default none.
    #[serde(default)]
    pub short_by: Option<String>,
}

/// A gateway pays a merchant's day out: the day's payments less the fee on each (rounded half
/// up to the fen, as the providers charge it), as one credit from the provider's payout
/// company, booked now. A day is settled once; a day without payments has nothing to settle.
async fn settle(state: web::Data<SandboxState>, body: web::Json<SettleRequest>) -> HttpResponse {
    use rust_decimal::{Decimal, RoundingStrategy};
    let r = body.into_inner();
    let (payer, name) = match r.provider {
        Provider::Wechat => ("财付通支付科技有限公司", "微信支付"),
        Provider::Alipay => ("支付宝（中国）网络技术有限公司", "支付宝"),
        _ => return bad("only wechat and alipay settle daily"),
    };
    let Ok(percent) = r.fee_percent.trim().parse::<Decimal>() else {
        return bad("fee_percent: a percent such as 0.6");
    };
    let short = match r.short_by.as_deref().map(bank_adapters::Money::parse) {
        None => bank_adapters::Money::ZERO,
        Some(Ok(m)) => m,
        Some(Err(e)) => return bad(format!("short_by: {e}")),
    };
    let day_payments: Vec<bank_adapters::Money> = state
        .ledger
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|rec| &rec.payment)
        .filter(|p| {
            p.provider == r.provider
                && p.account_ref == r.merchant
                && p.paid_at.with_timezone(&Shanghai).date_naive() == r.date
        })
        .map(|p| p.amount)
        .collect();
    if day_payments.is_empty() {
        return HttpResponse::Conflict().json(serde_json::json!({"error": "no payments that day"}));
    }
    let fee_fen: i64 = day_payments
        .iter()
        .map(|a| {
            let fee = (a.as_decimal() * percent / Decimal::from(100))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            (fee * Decimal::from(100)).trunc().try_into().unwrap_or(0i64)
        })
        .sum();
    let gross: i64 = day_payments.iter().map(|a| a.fen()).sum();
    let amount = bank_adapters::Money::from_fen(gross - fee_fen) - short;
    let mut settlements = state.settlements.lock().unwrap_or_else(|p| p.into_inner());
    if settlements
        .iter()
        .any(|c| c.provider == r.provider && c.merchant == r.merchant && c.day == r.date)
    {
        return HttpResponse::Conflict().json(serde_json::json!({"error": "that day is settled"}));
    }
    let txn_id = format!("STL{:016}", rand::random::<u64>() % 10_000_000_000_000_000);
    settlements.push(super::state::SettlementCredit {
        provider: r.provider,
        merchant: r.merchant.clone(),
        day: r.date,
        account_ref: r.account_ref,
        txn_id: txn_id.clone(),
        amount,
        payer_name: payer.into(),
        remark: format!("{name}结算 {} {}", r.merchant, r.date.format("%Y%m%d")),
        at: Utc::now(),
    });
    HttpResponse::Created().json(serde_json::json!({
        "txn_id": txn_id,
        "payments": day_payments.len(),
        "gross": bank_adapters::amount::to_yuan(bank_adapters::Money::from_fen(gross)),
        "fee": bank_adapters::amount::to_yuan(bank_adapters::Money::from_fen(fee_fen)),
        "amount": bank_adapters::amount::to_yuan(amount),
    }))
}

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    pub date: Option<String>,
    /// `csv` (UTF-8 with BOM), `csv-gbk` or `xlsx`.
    pub format: Option<String>,
}

/// The statement as online banking offers it for download, in the sandbox's layout (the
/// `qz-sandbox` profile): CSV in UTF-8 with BOM or in GBK, or XLSX. Unsigned, like a web
/// download; qingzhang imports it as a file.
async fn download(
    state: web::Data<SandboxState>,
    path: web::Path<String>,
    q: web::Query<DownloadQuery>,
) -> HttpResponse {
    let account = path.into_inner();
    let date = match q.date.as_deref().map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d")) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => return bad("date: YYYY-MM-DD"),
        None => None,
    };
    let header = [
        "交易日期",
        "交易时间",
        "交易流水号",
        "借方发生额",
        "贷方发生额",
        "余额",
        "对方户名",
        "对方账号",
        "摘要",
        "附言",
    ];
    let rows: Vec<[String; 10]> = statement_lines(&state, &account, date)
        .into_iter()
        .map(|l| {
            let at = chrono::DateTime::parse_from_rfc3339(&l.value_time).ok();
            let (debit, credit) = if l.direction == "debit" {
                (l.amount.clone(), String::new())
            } else {
                (String::new(), l.amount.clone())
            };
            [
                at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                at.map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default(),
                l.txn_id,
                debit,
                credit,
                l.balance.unwrap_or_default(),
                l.counterparty_name.unwrap_or_default(),
                l.counterparty_account.unwrap_or_default(),
                if l.direction == "debit" {
                    "转账支出".into()
                } else {
                    "转账收入".into()
                },
                l.remark.unwrap_or_default(),
            ]
        })
        .collect();
    match q.format.as_deref().unwrap_or("csv") {
        "xlsx" => {
            let write = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                sheet.write_string(0, 0, format!("账户明细 账号：{account}"))?;
                for (c, h) in header.iter().enumerate() {
                    sheet.write_string(1, c as u16, *h)?;
                }
                for (r, row) in rows.iter().enumerate() {
                    for (c, v) in row.iter().enumerate() {
                        let (r, c) = ((r + 2) as u32, c as u16);
                        match (c, v.parse::<f64>()) {
                            (3..=5, Ok(n)) => sheet.write_number(r, c, n)?,
                            _ => sheet.write_string(r, c, v)?,
                        };
                    }
                }
                book.save_to_buffer()
            };
            match write() {
                Ok(bytes) => HttpResponse::Ok()
                    .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                    .body(bytes),
                Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
            }
        }
        format @ ("csv" | "csv-gbk") => {
            let mut text = format!("账户明细\r\n账号：{account}\r\n{}\r\n", header.join(","));
            for row in &rows {
                let cells: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
                text.push_str(&cells.join(","));
                text.push_str("\r\n");
            }
            let bytes = if format == "csv-gbk" {
                encoding_rs::GBK.encode(&text).0.into_owned()
            } else {
                [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()
            };
            HttpResponse::Ok().content_type("text/csv").body(bytes)
        }
        _ => bad("format: csv, csv-gbk or xlsx"),
    }
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
        withdrawals: Mutex::new(Vec::new()),
        settlements: Mutex::new(Vec::new()),
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
            .route("/statements/{account}/download", web::get().to(download))
            .route("/sandbox/withdraw", web::post().to(withdraw))
            .route("/sandbox/settle", web::post().to(settle))
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
