//! `/pay/{token}`: what a villager sees after scanning a code. The code's signature is checked
//! before anything is shown. The payer picks WeChat Pay or Alipay (the app they scanned with
//! comes first) and gets that gateway's own code, or transfers by bank with the bill number in
//! the remark. A "success" in the browser is never taken as payment: the order page waits for
//! the gateway's notification (or our query of the order), and the receipt follows from it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use bank_adapters::Provider;

use super::{esc, page};
use crate::domain::OrderStatus;
use crate::error::{AppError, ErrorCode};
use crate::usecases::{orders, qr_codes};
use crate::web::{error, AppState};

/// The provider the payer's app suggests, from the User-Agent.
pub fn suggested(user_agent: &str) -> Option<Provider> {
    if user_agent.contains("MicroMessenger") {
        Some(Provider::Wechat)
    } else if user_agent.contains("AlipayClient") {
        Some(Provider::Alipay)
    } else {
        None
    }
}

fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

pub async fn show(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    let key = state.server_key.clone();
    let ua = user_agent(&req);
    let view = state
        .db
        .run(move |db| {
            let v = qr_codes::pay_view(db, key.expose(), &token)?;
            let providers = orders::ordering_providers(db, key.expose(), &token)?;
            Ok::<_, AppError>((v, providers, token))
        })
        .await;
    let (v, mut providers, token) = match view {
        Ok(v) => v,
        Err(e) => return error::page(&e),
    };
    // The app the code was scanned with first.
    if let Some(first) = suggested(&ua) {
        providers.sort_by_key(|p| *p != first);
    }
    let mut rows = format!(
        "<dt>收款单位</dt><dd>{}</dd><dt>收款账户</dt><dd>{} {}<br>{}</dd>",
        esc(&v.village_name),
        esc(&v.account_name),
        esc(&v.account_no_masked),
        esc(&v.bank_name)
    );
    if let (Some(item), Some(period)) = (&v.fee_item, &v.period_label) {
        rows.push_str(&format!(
            "<dt>收费项目</dt><dd>{} （{}）</dd>",
            esc(item),
            esc(&crate::domain::schedule::shown_period(period))
        ));
    }
    if let Some(p) = &v.payer_masked {
        rows.push_str(&format!("<dt>缴费人</dt><dd>{}</dd>", esc(p)));
    }
    match (&v.amount, &v.amount_in_words) {
        (Some(a), Some(words)) => rows.push_str(&format!(
            r#"<dt>应缴金额</dt><dd class="amount">¥{}</dd><dd class="words">{}</dd>"#,
            esc(&a.to_string()),
            esc(words)
        )),
        _ => rows.push_str("<dt>金额</dt><dd>付款时输入</dd>"),
    }
    if let Some(r) = &v.bill_reference {
        rows.push_str(&format!("<dt>账单号</dt><dd>{}</dd>", esc(r)));
    }
    let action = if v.already_paid {
        r#"<p class="notice">这笔账单已经缴清，无需再付。</p>"#.to_string()
    } else {
        let mut buttons = String::new();
        for (i, p) in providers.iter().enumerate() {
            buttons.push_str(&format!(
                r#"<form method="post" action="/pay/{token}/order"><input type="hidden" name="provider" value="{value}"><button class="button{class}" id="pay-{value}">用{name}付款</button></form>"#,
                token = esc(&token),
                value = p.as_str(),
                class = if i == 0 { "" } else { " secondary" },
                name = p.label(),
            ));
        }
        // Scanned in WeChat or Alipay but that channel is not open for this account: say so.
        if let Some(p) = suggested(&ua).filter(|p| !providers.contains(p)) {
            buttons.push_str(&format!(
                r#"<p class="notice">本账户暂未开通{}收款，请用下面的银行转账。</p>"#,
                p.label()
            ));
        }
        let reference_hint = v
            .bill_reference
            .as_deref()
            .map(|r| format!("请在附言中填写账单号 <strong>{}</strong>。", esc(r)))
            .unwrap_or_default();
        format!(
            r#"{buttons}<p class="notice">也可以银行转账到上面的账户。{reference_hint}付款以银行到账为准，到账后自动开具电子收据。</p>"#
        )
    };
    html(
        StatusCode::OK,
        page(
            &format!("向{}付款", v.village_name),
            &format!("<h1>村集体收款</h1><dl>{rows}</dl>{action}"),
        ),
    )
}

#[derive(serde::Deserialize)]
pub struct OrderForm {
    provider: String,
}

/// Places the gateway order and sends the payer to its page.
pub async fn place_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    form: web::Form<OrderForm>,
) -> HttpResponse {
    // Each order is a call to the gateway: a client gets a budget of them.
    if !state
        .public_limiter
        .allow(crate::web::limits::Purpose::Order, &crate::web::limits::client(&req))
    {
        return error::page(&AppError::new(
            ErrorCode::TooManyRequests,
            "下单过于频繁，请一分钟后再试。已经生成的付款码仍可使用。",
        ));
    }
    let token = path.into_inner();
    let provider = match Provider::parse(&form.provider) {
        Some(p @ (Provider::Wechat | Provider::Alipay)) => p,
        _ => return error::page(&AppError::code(ErrorCode::ProviderInvalid).at("provider")),
    };
    let result = orders::order_for_pay_code(
        &state.db,
        &state.sealing,
        &state.http,
        state.server_key.expose(),
        &state.config.public_url,
        &token,
        provider,
    )
    .await;
    match result {
        Ok(o) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/pay/{token}/order/{}", o.out_trade_no)))
            .finish(),
        Err(e) => error::page(&e),
    }
}

/// The order's page: the gateway's code while it waits, the receipt once the money is in. It
/// reloads itself every few seconds; only our own records say "paid".
pub async fn show_order(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (token, no) = path.into_inner();
    let o = match orders::order_status(&state.db, state.server_key.expose(), &token, &no).await {
        Ok(o) => o,
        Err(e) => return error::page(&e),
    };
    let name = o.provider.label();
    let amount = format!(
        r#"<dl><dt>金额</dt><dd class="amount">¥{}</dd><dt>订单号</dt><dd>{}</dd></dl>"#,
        o.amount,
        esc(&o.out_trade_no)
    );
    let body = match (o.status, &o.code_url) {
        (OrderStatus::Paid, _) => format!(
            r#"<h1>已到账</h1>{amount}<p class="notice" id="paid">款项已到村集体账户。电子收据号 <strong id="receipt">{}</strong>。</p>{}"#,
            esc(o.receipt.as_deref().unwrap_or("开具中")),
            o.receipt_path
                .as_deref()
                .map(|p| format!(r#"<a class="button" id="e-receipt" href="{}">查看电子收据</a>"#, esc(p)))
                .unwrap_or_default()
        ),
        (OrderStatus::Pending, Some(code)) => {
            let open = if suggested(&user_agent(&req)) == Some(Provider::Alipay) || code.starts_with("http") {
                format!(r#"<a class="button" href="{}">打开{name}付款</a>"#, esc(code))
            } else {
                String::new()
            };
            format!(
                r#"<h1>请用{name}扫码付款</h1>{amount}<img class="qr" alt="{name}付款码" src="/pay/{token}/order/{no}/qr.png">{open}<p class="notice" id="waiting">付款后请稍候，本页会自动刷新。到账以银行通知为准，不以手机上的"支付成功"为准。</p>"#,
                token = esc(&token),
                no = esc(&o.out_trade_no),
            )
        }
        (OrderStatus::Creating, _) => {
            format!(r#"<h1>正在向{name}下单</h1>{amount}<p class="notice" id="waiting">请稍候，本页会自动刷新。</p>"#)
        }
        _ => format!(
            r#"<h1>订单已关闭</h1>{amount}<p class="notice error">这个订单没有付款并已关闭。如需付款，请返回重新扫码。</p>"#
        ),
    };
    let mut page_html = page("付款", &body);
    if matches!(o.status, OrderStatus::Pending | OrderStatus::Creating) {
        page_html = page_html.replacen("<head>", r#"<head><meta http-equiv="refresh" content="3">"#, 1);
    }
    html(StatusCode::OK, page_html)
}

/// The gateway's code as PNG (a WeChat user long-presses it to pay).
pub async fn order_qr(state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (token, no) = path.into_inner();
    let o = match orders::order_status(&state.db, state.server_key.expose(), &token, &no).await {
        Ok(o) => o,
        Err(e) => return error::page(&e),
    };
    match o.code_url.as_deref().map(|c| crate::payments::qr::png(c, 8)) {
        Some(Ok(png)) => HttpResponse::Ok()
            .content_type("image/png")
            .insert_header(("Cache-Control", "no-store"))
            .body(png),
        _ => HttpResponse::NotFound().finish(),
    }
}
