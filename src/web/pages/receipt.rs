//! `/r/{number}?c={code}`: anyone holding a receipt checks that it is genuine. The page says
//! whether the receipt is valid, awaiting the bank (待核实) or voided, and shows no personal data
//! beyond the masked payer name. A wrong number and a wrong code get the same answer.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::{esc, page};
use crate::domain::ReceiptStatus;
use crate::error::{AppError, ErrorCode};
use crate::usecases::receipts;
use crate::web::{error, AppState};

#[derive(serde::Deserialize)]
pub struct CodeQuery {
    c: Option<String>,
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

fn form(number: &str, message: Option<&str>) -> String {
    let notice = message
        .map(|m| format!(r#"<p class="notice error" id="result">{}</p>"#, esc(m)))
        .unwrap_or_default();
    page(
        "收据查验",
        &format!(
            r#"<h1>收据查验</h1>{notice}
<form method="get" action="/r/check">
<p><label for="number">收据号</label><br><input id="number" name="number" value="{}" placeholder="370725102201-2026-000042" style="font-size:1.1rem;width:100%;min-height:2.8rem"></p>
<p><label for="c">校验码（收据右下角16位）</label><br><input id="c" name="c" placeholder="ABCD 1234 EF56 7890" style="font-size:1.1rem;width:100%;min-height:2.8rem"></p>
<button class="button" id="check">查验</button></form>"#,
            esc(number)
        ),
    )
}

pub async fn blank() -> HttpResponse {
    html(StatusCode::OK, form("", None))
}

#[derive(serde::Deserialize)]
pub struct CheckForm {
    number: String,
    c: String,
}

/// The form's submission: to the receipt's own address.
pub async fn from_form(q: web::Query<CheckForm>) -> HttpResponse {
    let number: String = q.number.chars().filter(|c| !c.is_whitespace()).collect();
    let code: String = q.c.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/r/{}?c={}", enc(&number), enc(&code))))
        .finish()
}

pub async fn check(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    q: web::Query<CodeQuery>,
) -> HttpResponse {
    let number = path.into_inner();
    let Some(code) = q.c.clone().filter(|c| !c.trim().is_empty()) else {
        return html(StatusCode::OK, form(&number, None));
    };
    let client = crate::web::limits::client(&req);
    if !state
        .public_limiter
        .allow(crate::web::limits::Purpose::ReceiptCheck, &client)
    {
        let e = AppError::new(ErrorCode::TooManyRequests, "查验过于频繁，请一分钟后再试。");
        return html(error::status(&e), form(&number, Some(&error::for_people(&e))));
    }
    let key = state.server_key.clone();
    let n = number.clone();
    let result = state
        .db
        .run(move |db| receipts::check_public(db, key.expose(), &n, &code))
        .await;
    let c = match result {
        Ok(c) => c,
        Err(e) => return html(error::status(&e), form(&number, Some(&error::for_people(&e)))),
    };
    let (title, class, text) = match c.status {
        ReceiptStatus::Issued => (
            "收据真实有效",
            "notice",
            "这张收据由本系统开具，款项已入村集体账户。".to_string(),
        ),
        ReceiptStatus::Pending => (
            "收据待核实",
            "notice error",
            "这张收据登记的款项尚未到账（待核实）。到账前不能作为已缴费凭证。".to_string(),
        ),
        ReceiptStatus::Voided => (
            "收据已作废",
            "notice error",
            match &c.replaced_by {
                Some(n) => format!("这张收据已作废，已重开为 {n}。"),
                None => "这张收据已作废。".to_string(),
            },
        ),
    };
    let body = format!(
        r#"<h1>{title}</h1><p class="{class}" id="result">{}</p><dl>
<dt>收据号</dt><dd>{}</dd><dt>收款单位</dt><dd>{}</dd><dt>收费项目</dt><dd>{}</dd><dt>缴费人</dt><dd>{}</dd>
<dt>金额</dt><dd class="amount">¥{}</dd><dt>方式</dt><dd>{}</dd><dt>开具日期</dt><dd>{}</dd></dl>"#,
        esc(&text),
        esc(&c.number),
        esc(&c.village_name),
        esc(&c.fee_item),
        esc(&c.payer_masked),
        c.amount,
        esc(&c.channel_name),
        esc(&c.issued_on),
    );
    html(StatusCode::OK, page(title, &body))
}
