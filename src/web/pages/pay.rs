//! `/pay/{token}`: what a villager sees after scanning a code. The code's signature is checked
//! before anything is shown. A "success" in the browser is never taken as payment: only the
//! bank's or gateway's callback makes money real, and the receipt follows from it.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{esc, page};
use crate::error::AppError;
use crate::usecases::qr_codes;
use crate::web::AppState;

/// The channel the payer's app suggests, from the User-Agent.
pub fn channel(user_agent: &str) -> &'static str {
    if user_agent.contains("MicroMessenger") {
        "微信支付"
    } else if user_agent.contains("AlipayClient") {
        "支付宝"
    } else {
        "银行转账"
    }
}

pub async fn show(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let token = path.into_inner();
    let key = state.server_key.clone();
    let ua = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let view = state
        .db
        .run(move |db| qr_codes::pay_view(db, key.expose(), &token))
        .await;
    let html = |status: actix_web::http::StatusCode, body: String| {
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(body)
    };
    let v = match view {
        Ok(v) => v,
        Err(e) => {
            let (status, message) = match &e {
                AppError::NotFound { .. } => (
                    actix_web::http::StatusCode::NOT_FOUND,
                    "这个收款码无效或被改动过，请不要付款，并联系村报账员。",
                ),
                AppError::Conflict { .. } => (
                    actix_web::http::StatusCode::GONE,
                    "这个收款码已过期，请向村里索取新的收款码。",
                ),
                _ => (
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "系统暂时无法使用，请稍后再试。",
                ),
            };
            return html(
                status,
                page(
                    "收款码无效",
                    &format!(r#"<h1>无法付款</h1><p class="notice error">{}</p>"#, esc(message)),
                ),
            );
        }
    };
    let mut rows = format!(
        "<dt>收款单位</dt><dd>{}</dd><dt>收款账户</dt><dd>{} {}<br>{}</dd>",
        esc(&v.village_name),
        esc(&v.account_name),
        esc(&v.account_no_masked),
        esc(&v.bank_name)
    );
    if let (Some(item), Some(period)) = (&v.fee_item, &v.period_label) {
        rows.push_str(&format!("<dt>收费项目</dt><dd>{} （{}）</dd>", esc(item), esc(period)));
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
        let reference_hint = v
            .bill_reference
            .as_deref()
            .map(|r| format!("转账时请在附言中填写账单号 <strong>{}</strong>。", esc(r)))
            .unwrap_or_default();
        format!(
            r#"<p class="notice">付款方式：{}。{}付款以银行到账为准，到账后自动开具电子收据。</p>"#,
            esc(channel(&ua)),
            reference_hint
        )
    };
    html(
        actix_web::http::StatusCode::OK,
        page(
            &format!("向{}付款", v.village_name),
            &format!("<h1>村集体收款</h1><dl>{rows}</dl>{action}"),
        ),
    )
}
