//! The sandbox playing the gateways' order APIs, with real signatures both ways:
//!
//! - `POST /v3/pay/transactions/native` and `GET /v3/pay/transactions/out-trade-no/{no}`: WeChat
//!   Pay v3. The merchant's `Authorization` is verified with the merchant key; answers carry
//!   `Wechatpay-*` headers signed with the platform key.
//! - `POST /gateway.do`: Alipay `alipay.trade.precreate` and `alipay.trade.query`. The form's
//!   `sign` is verified with the app key; answers are signed over the response node.
//! - `GET /sandbox/scan/{out_trade_no}`: what a payer's phone shows after scanning the code;
//!   `POST` to it pays (faults as query parameters: `?drop_first=99` loses every notification,
//!   so only a query can find the payment).

use actix_web::{web, HttpRequest, HttpResponse};
use bank_adapters::{alipay, alipay_precreate, amount, wechat, wechat_native, Provider};
use chrono::Utc;
use chrono_tz::Asia::Shanghai;
use rsa::RsaPublicKey;
use serde::Deserialize;

use super::deliver::{Faults, Payment};
use super::keys::WECHAT_KEY_ID;
use super::state::{record_and_deliver, SandboxOrder, SandboxState};
use bank_adapters::rsa;

fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// A WeChat answer: the body with `Wechatpay-*` headers signed by the platform key.
fn wechat_answer(state: &SandboxState, status: u16, body: serde_json::Value) -> HttpResponse {
    let body = body.to_string();
    let now = Utc::now();
    let ts = now.timestamp().to_string();
    let nonce = format!("{:032x}", rand::random::<u128>());
    let signature = wechat::sign(&state.keys.wechat_platform, &ts, &nonce, body.as_bytes());
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default())
        .insert_header(("Wechatpay-Timestamp", ts))
        .insert_header(("Wechatpay-Nonce", nonce))
        .insert_header(("Wechatpay-Signature", signature))
        .insert_header(("Wechatpay-Serial", WECHAT_KEY_ID))
        .content_type("application/json")
        .body(body)
}

fn wechat_failure(state: &SandboxState, status: u16, code: &str, message: &str) -> HttpResponse {
    wechat_answer(state, status, serde_json::json!({ "code": code, "message": message }))
}

/// The merchant's signature on a request; the failure message when it does not verify.
fn check_merchant(req: &HttpRequest, state: &SandboxState, body: &str) -> Result<(), String> {
    let header = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let url = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("");
    let key = RsaPublicKey::from(&state.keys.wechat_merchant);
    wechat_native::verify_request(header, req.method().as_str(), url, body, &key, Utc::now())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct NativeOrder {
    mchid: String,
    description: String,
    out_trade_no: String,
    notify_url: String,
    amount: NativeAmount,
}

#[derive(Deserialize)]
struct NativeAmount {
    total: i64,
}

pub async fn wechat_native_order(state: web::Data<SandboxState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let text = String::from_utf8_lossy(&body).into_owned();
    if let Err(e) = check_merchant(&req, &state, &text) {
        return wechat_failure(&state, 401, "SIGN_ERROR", &e);
    }
    let order: NativeOrder = match serde_json::from_str(&text) {
        Ok(o) => o,
        Err(e) => return wechat_failure(&state, 400, "PARAM_ERROR", &e.to_string()),
    };
    let total = match amount::fen_amount("amount.total", order.amount.total)
        .and_then(|m| amount::positive("amount.total", m))
    {
        Ok(m) if order.out_trade_no.len() >= 6 && order.out_trade_no.len() <= 32 => m,
        _ => return wechat_failure(&state, 400, "PARAM_ERROR", "amount or out_trade_no out of range"),
    };
    if !state.may_call(&order.notify_url) {
        return wechat_failure(&state, 400, "PARAM_ERROR", "notify_url is not allowed");
    }
    let code_url = format!("{}/sandbox/scan/{}", base_url(&req), order.out_trade_no);
    let mut orders = state.orders.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(existing) = orders.get(&order.out_trade_no) {
        if existing.amount != total || existing.account_ref != order.mchid {
            return wechat_failure(&state, 400, "INVALID_REQUEST", "订单号重复");
        }
    } else {
        orders.insert(
            order.out_trade_no.clone(),
            SandboxOrder {
                provider: Provider::Wechat,
                account_ref: order.mchid,
                amount: total,
                description: order.description,
                notify_url: order.notify_url,
                paid: None,
            },
        );
    }
    drop(orders);
    wechat_answer(&state, 200, serde_json::json!({ "code_url": code_url }))
}

#[derive(Deserialize)]
pub struct MchQuery {
    mchid: String,
}

pub async fn wechat_query(
    state: web::Data<SandboxState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<MchQuery>,
) -> HttpResponse {
    if let Err(e) = check_merchant(&req, &state, "") {
        return wechat_failure(&state, 401, "SIGN_ERROR", &e);
    }
    let no = path.into_inner();
    let order = state.orders.lock().unwrap_or_else(|p| p.into_inner()).get(&no).cloned();
    let Some(o) = order.filter(|o| o.provider == Provider::Wechat && o.account_ref == q.mchid) else {
        return wechat_failure(&state, 404, "ORDER_NOT_EXIST", "订单不存在");
    };
    let t = wechat::Transaction {
        mchid: o.account_ref.clone(),
        appid: super::keys::WECHAT_APP_ID.into(),
        out_trade_no: no,
        transaction_id: o.paid.as_ref().map(|p| p.0.clone()).unwrap_or_default(),
        trade_state: if o.paid.is_some() { "SUCCESS" } else { "NOTPAY" }.into(),
        success_time: o
            .paid
            .as_ref()
            .map(|p| p.1.with_timezone(&Shanghai).to_rfc3339())
            .unwrap_or_default(),
        attach: None,
        amount: wechat::TransactionAmount {
            total: o.amount.fen(),
            payer_total: o.paid.as_ref().map(|_| o.amount.fen()),
            currency: "CNY".into(),
            payer_currency: None,
        },
    };
    wechat_answer(&state, 200, serde_json::to_value(t).unwrap_or_default())
}

pub async fn alipay_gateway(state: web::Data<SandboxState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let params = alipay::parse_form(&body);
    let method = params
        .iter()
        .find(|(k, _)| k == "method")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let answer = |node: serde_json::Value| {
        HttpResponse::Ok()
            .content_type("application/json;charset=utf-8")
            .body(alipay_precreate::signed_answer(&state.keys.alipay, &method, &node))
    };
    let failure = |code: &str, msg: &str, sub_code: &str, sub_msg: &str| {
        answer(serde_json::json!({ "code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg }))
    };
    if alipay::verify(&params, &RsaPublicKey::from(&state.keys.alipay_app)).is_err() {
        return failure("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错");
    }
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let app_id = param("app_id").unwrap_or_default();
    let biz: serde_json::Value = match param("biz_content").map(|b| serde_json::from_str(&b)) {
        Some(Ok(v)) => v,
        _ => {
            return failure(
                "40002",
                "Invalid Arguments",
                "isv.invalid-biz-content",
                "biz_content 无效",
            )
        }
    };
    let out_trade_no = biz["out_trade_no"].as_str().unwrap_or_default().to_string();
    match method.as_str() {
        "alipay.trade.precreate" => {
            let total = match biz["total_amount"]
                .as_str()
                .map(|t| amount::positive_yuan("total_amount", t))
            {
                Some(Ok(f)) => f,
                _ => return failure("40002", "Invalid Arguments", "isv.invalid-total-amount", "金额无效"),
            };
            let Some(notify_url) = param("notify_url") else {
                return failure(
                    "40002",
                    "Invalid Arguments",
                    "isv.missing-notify-url",
                    "缺少 notify_url",
                );
            };
            if !state.may_call(&notify_url) {
                return failure(
                    "40002",
                    "Invalid Arguments",
                    "isv.invalid-notify-url",
                    "notify_url 不被允许",
                );
            }
            let mut orders = state.orders.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(existing) = orders.get(&out_trade_no) {
                if existing.amount != total || existing.account_ref != app_id {
                    return failure("40004", "Business Failed", "ACQ.TRADE_HAS_SUCCESS", "订单号重复");
                }
            } else {
                orders.insert(
                    out_trade_no.clone(),
                    SandboxOrder {
                        provider: Provider::Alipay,
                        account_ref: app_id,
                        amount: total,
                        description: biz["subject"].as_str().unwrap_or_default().to_string(),
                        notify_url,
                        paid: None,
                    },
                );
            }
            drop(orders);
            answer(serde_json::json!({
                "code": "10000", "msg": "Success", "out_trade_no": out_trade_no,
                "qr_code": format!("{}/sandbox/scan/{out_trade_no}", base_url(&req)),
            }))
        }
        "alipay.trade.query" => {
            let order = state
                .orders
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&out_trade_no)
                .cloned();
            // A precreated order exists at Alipay only once someone scanned it.
            match order.filter(|o| o.provider == Provider::Alipay && o.account_ref == app_id) {
                Some(SandboxOrder {
                    paid: Some((trade_no, paid_at)),
                    amount: total,
                    ..
                }) => answer(serde_json::json!({
                    "code": "10000", "msg": "Success", "trade_no": trade_no, "out_trade_no": out_trade_no,
                    "trade_status": "TRADE_SUCCESS", "total_amount": amount::to_yuan(total),
                    "send_pay_date": paid_at.with_timezone(&Shanghai).format("%Y-%m-%d %H:%M:%S").to_string(),
                    "buyer_logon_id": "159****1234",
                })),
                _ => failure("40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在"),
            }
        }
        other => failure(
            "40004",
            "Business Failed",
            "isv.invalid-method",
            &format!("{other} 未开通"),
        ),
    }
}

/// What the payer's phone shows after scanning.
pub async fn scan_page(state: web::Data<SandboxState>, path: web::Path<String>) -> HttpResponse {
    let no = path.into_inner();
    let order = state.orders.lock().unwrap_or_else(|p| p.into_inner()).get(&no).cloned();
    let Some(o) = order else {
        return HttpResponse::NotFound().body("no such order");
    };
    let body = format!(
        r#"<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>沙箱收银台</title><body style="font-size:20px;font-family:sans-serif;padding:1em">
<h1>沙箱收银台（{provider}）</h1><p>{desc}</p><p>金额 <strong>¥{amount}</strong></p><p>订单 {no}</p>
{state}</body></html>"#,
        provider = if o.provider == Provider::Wechat {
            "微信支付"
        } else {
            "支付宝"
        },
        desc = esc(&o.description),
        amount = amount::to_yuan(o.amount),
        no = esc(&no),
        state = if o.paid.is_some() {
            "<p id=\"paid\">已支付</p>".to_string()
        } else {
            format!(
                r#"<form method="post" action="/sandbox/scan/{}"><button id="pay" style="font-size:22px;min-height:56px;padding:0 2em">确认支付</button></form>"#,
                esc(&no)
            )
        },
    );
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

/// Pays a scanned order and sends the gateway's notification (with faults, if asked).
pub async fn scan_pay(
    state: web::Data<SandboxState>,
    path: web::Path<String>,
    faults: web::Query<Faults>,
) -> HttpResponse {
    let no = path.into_inner();
    let payment = {
        let mut orders = state.orders.lock().unwrap_or_else(|p| p.into_inner());
        let Some(o) = orders.get_mut(&no) else {
            return HttpResponse::NotFound().body("no such order");
        };
        if o.paid.is_some() {
            return HttpResponse::Conflict().body("already paid");
        }
        let txn_id = match o.provider {
            Provider::Wechat => format!("4200{:024}", rand::random::<u64>() as u128 * 1000 + 7),
            _ => format!("2026{:024}", rand::random::<u64>() as u128 * 1000 + 3),
        };
        let paid_at = Utc::now();
        o.paid = Some((txn_id.clone(), paid_at));
        (
            Payment {
                provider: o.provider,
                account_ref: o.account_ref.clone(),
                txn_id,
                amount: o.amount,
                reference: no.clone(),
                payer: "李*".into(),
                paid_at,
            },
            o.notify_url.clone(),
        )
    };
    let (payment, notify_url) = payment;
    let txn_id = payment.txn_id.clone();
    record_and_deliver(&state, payment, notify_url, faults.into_inner());
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><meta charset=\"utf-8\"><p id=\"paid\">已支付，交易号 {txn_id}</p>"
        ))
}

/// Text for HTML: the scan page shows a description a merchant wrote.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
