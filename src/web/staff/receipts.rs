//! 收据: a village's receipts, one receipt with its void and reissue, printing (A4, 241 mm
//! three-part), PDFs, and the Excel/CSV exports.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, notes, refused, see_other, Msg};
use super::print::{self, Layout};
use super::session::Staff;
use crate::domain::ReceiptStatus;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::usecases::collections;
use crate::usecases::receipts::{self, VoidInput};
use crate::web::pages::esc;
use crate::web::{error, AppState};

pub async fn receipts_list(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    match state
        .db
        .run(move |db| collections::list_receipts(db, &actor, &code, None, Some(500)))
        .await
    {
        Ok(list) => {
            let rows: String = list.iter().rev().map(|r| receipt_row(&v, r)).collect();
            let body = format!(
                r#"{}<p><a href="/staff/v/{v}/receipts.pdf" id="all-pdf">下载全部收据（PDF）</a> · 导出：<a href="/staff/v/{v}/exports/receipts.xlsx">收据 Excel</a> · <a href="/staff/v/{v}/exports/receipts.csv">收据 CSV</a> · <a href="/staff/v/{v}/exports/cash-book.xlsx">现金日记账 Excel</a> · <a href="/staff/v/{v}/exports/cash-book.csv">现金日记账 CSV</a></p>{}"#,
                notes(&m),
                receipts_table(
                    &rows,
                    "本村还没有收据。每笔到账和现金收款都会开出一张编号连续的收据，列在这里。"
                ),
                v = esc(&v),
            );
            html(StatusCode::OK, frame::page("收据", Some(&v), &staff, &body))
        }
        Err(e) => failed(e),
    }
}

pub async fn receipt(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let (v, number) = path.into_inner();
    let (actor, code, n) = (staff.actor.clone(), v.clone(), number.clone());
    let r = match state
        .db
        .run(move |db| receipts::get_receipt(db, &actor, &code, &n))
        .await
    {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let void_form = if r.status == ReceiptStatus::Voided {
        format!(
            r#"<p class="notice error" id="void-info">已作废：{}{}</p>"#,
            esc(r.void_reason.as_deref().unwrap_or("")),
            r.replaced_by
                .as_ref()
                .map(|n| format!(
                    r#"，重开为 <a href="/staff/v/{}/receipts/{n}">{n}</a>"#,
                    esc(&v),
                    n = esc(n)
                ))
                .unwrap_or_default()
        )
    } else {
        format!(
            r#"<section><h2>作废</h2><form method="post" action="/staff/v/{v}/receipts/{n}/void">{csrf}
<label for="reason">作废原因</label><input id="reason" name="reason" required size="40">
<label><input type="checkbox" name="reissue" value="1" id="reissue" checked> 同时重开一张新收据（款项不变）</label>
<button class="danger" id="void">作废</button></form></section>"#,
            v = esc(&v),
            n = esc(&r.number),
            csrf = staff.field()
        )
    };
    let body = format!(
        r#"{notes}<dl>
<dt>收据号</dt><dd id="number">{n}</dd><dt>状态</dt><dd id="status" class="status-{st}">{stn}</dd>
<dt>缴款人</dt><dd>{payer}</dd><dt>项目</dt><dd>{item} {period}</dd><dt>金额</dt><dd>¥{amount}（{words}）</dd>
<dt>方式</dt><dd>{channel}</dd><dt>款项依据</dt><dd>{evidence}</dd><dt>经办人</dt><dd>{clerk}</dd><dt>时间</dt><dd>{at}</dd>
<dt>校验码</dt><dd>{code}</dd>{replaces}</dl>
<p><a href="/staff/v/{v}/receipts/{n}/print?layout=a4" id="print-a4">打印（A4）</a> · <a href="/staff/v/{v}/receipts/{n}/print?layout=241" id="print-241">打印（241毫米三联）</a> · <a href="/staff/v/{v}/receipts/{n}/receipt.pdf" id="pdf">下载PDF</a></p>
{void_form}"#,
        notes = notes(&m),
        n = esc(&r.number),
        st = r.status.as_str(),
        stn = r.status.label(),
        payer = esc(&r.payer_name),
        item = esc(&r.fee_item),
        period = esc(&crate::domain::schedule::shown_period(&r.period_label)),
        amount = r.amount,
        words = esc(&r.amount_in_words),
        channel = esc(&r.channel_name),
        evidence = esc(if r.evidence.is_empty() {
            "待核实（银行尚未到账）"
        } else {
            &r.evidence
        }),
        clerk = esc(&r.clerk),
        at = esc(&r.issued_at),
        code = esc(&r.verification_code),
        replaces = r
            .replaces
            .as_ref()
            .map(|n| format!("<dt>重开自</dt><dd>{}</dd>", esc(n)))
            .unwrap_or_default(),
        v = esc(&v),
    );
    html(StatusCode::OK, frame::page("收据", Some(&v), &staff, &body))
}

#[derive(Deserialize)]
pub struct VoidForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reissue: Option<String>,
}

pub async fn void(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<VoidForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, number) = path.into_inner();
    let back = format!("/staff/v/{v}/receipts/{number}");
    let form = form.into_inner();
    let input = VoidInput {
        reason: form.reason,
        reissue: form.reissue.is_some(),
    };
    let (key, actor, code) = (state.server_key.clone(), staff.actor, v.clone());
    match state
        .db
        .run(move |db| receipts::void_receipt(db, key.expose(), &actor, &code, &number, input))
        .await
    {
        Ok(o) => match o.reissued {
            Some(n) => see_other(
                &format!("/staff/v/{v}/receipts/{}", n.number),
                &format!("原收据 {} 已作废（号码保留），已重开本收据。", o.voided.number),
            ),
            None => see_other(&back, "收据已作废，号码保留。"),
        },
        Err(e) => refused(&back, &e),
    }
}

#[derive(Deserialize)]
pub struct PrintQuery {
    layout: Option<Layout>,
}

pub async fn print(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    q: web::Query<PrintQuery>,
) -> HttpResponse {
    let (v, number) = path.into_inner();
    let actor = staff.actor;
    match state
        .db
        .run(move |db| receipts::get_receipt(db, &actor, &v, &number))
        .await
    {
        Ok(r) => html(
            StatusCode::OK,
            print::render(&r, &state.config.public_url, q.layout.unwrap_or(Layout::A4)),
        ),
        Err(e) => failed(e),
    }
}

fn pdf_response(state: &AppState, receipts: &[crate::usecases::receipts::ReceiptDetail], name: &str) -> HttpResponse {
    // Read once per process: the font is megabytes and does not change while we run.
    static FONT: std::sync::OnceLock<Result<Vec<u8>, String>> = std::sync::OnceLock::new();
    let font = match FONT.get_or_init(|| std::fs::read(&state.config.pdf_font).map_err(|e| e.to_string())) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(path = %state.config.pdf_font.display(), error = %e, "receipt PDF font missing");
            return error::page(&AppError::new(
                ErrorCode::ServiceUnavailable,
                "服务器缺少收据PDF所需的中文字体，请联系管理员（配置项 pdf_font）。",
            ));
        }
    };
    let base = state.config.public_url.clone();
    match crate::usecases::receipt_pdf::render(receipts, font, |r| print::verify_url(&base, r)) {
        Ok(pdf) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
            .insert_header(("Cache-Control", "no-store"))
            .body(pdf),
        Err(e) => failed(AppError::Internal(e)),
    }
}

/// One receipt as PDF.
pub async fn receipt_pdf(state: web::Data<AppState>, staff: Staff, path: web::Path<(String, String)>) -> HttpResponse {
    let (v, number) = path.into_inner();
    let (actor, n) = (staff.actor, number.clone());
    match state.db.run(move |db| receipts::get_receipt(db, &actor, &v, &n)).await {
        Ok(r) => pdf_response(&state, std::slice::from_ref(&r), &format!("receipt-{number}.pdf")),
        Err(e) => failed(e),
    }
}

/// Every receipt of the village (oldest first) in one PDF, for the archive.
pub async fn receipts_pdf(state: web::Data<AppState>, staff: Staff, path: web::Path<String>) -> HttpResponse {
    let v = path.into_inner();
    let (actor, code) = (staff.actor, v.clone());
    let all = state
        .db
        .run(move |db| -> AppResult<Vec<crate::usecases::receipts::ReceiptDetail>> {
            let list = collections::list_receipts(db, &actor, &code, None, Some(2000))?;
            list.iter()
                .map(|r| receipts::get_receipt(db, &actor, &code, &r.number))
                .collect()
        })
        .await;
    match all {
        Ok(list) => pdf_response(&state, &list, &format!("receipts-{v}.pdf")),
        Err(e) => failed(e),
    }
}

/// The accountant's exports, from the pages (same as the API's).
pub async fn export(state: web::Data<AppState>, staff: Staff, path: web::Path<(String, String)>) -> HttpResponse {
    let (code, file) = path.into_inner();
    let actor = staff.actor;
    let result = state
        .db
        .run(move |db| {
            let (what, format) = crate::usecases::exports::parse_file(&file)?;
            crate::usecases::exports::export(db, &actor, &code, &what, format)
        })
        .await;
    match result {
        Ok((bytes, content_type, name)) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
            .body(bytes),
        Err(e) => failed(e),
    }
}

/// The receipts list (today's page and the receipts page); `empty` says what will appear.
pub(super) fn receipts_table(rows: &str, empty: &str) -> String {
    frame::table(
        "receipts",
        r#"<th>收据号</th><th>缴款人</th><th>项目</th><th class="num">金额</th><th>方式</th><th>状态</th><th></th>"#,
        rows,
        empty,
    )
}

pub(super) fn receipt_row(village: &str, r: &collections::ReceiptView) -> String {
    let channel = r.channel.label();
    format!(
        r#"<tr><td>{n}</td><td>{payer}</td><td>{item} {period}</td><td class="num">¥{amount}</td><td>{channel}</td><td class="status-{st}">{stn}</td><td><a href="/staff/v/{v}/receipts/{n}">查看</a></td></tr>"#,
        n = esc(&r.number),
        payer = esc(r.payer_name.as_deref().unwrap_or("")),
        item = esc(r.fee_item.as_deref().unwrap_or("")),
        period = esc(&crate::domain::schedule::shown_period(
            r.period_label.as_deref().unwrap_or("")
        )),
        amount = r.amount,
        st = r.status.as_str(),
        stn = r.status.label(),
        v = esc(village),
    )
}
