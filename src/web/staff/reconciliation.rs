//! The accountant's reconciliation page (对账): choose an account and days, import the bank's
//! statement file (or fetch it from the bank's API), reconcile, and read every outcome with the
//! closing balances; the report downloads as XLSX or CSV. Inspectors read the same page without
//! the forms that change anything.

use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate};
use futures_util::StreamExt;
use serde::Deserialize;

use super::frame::{failed, html, message, page, refused, see_other};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::ids::CorporateAccountId;
use crate::domain::period;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::reconcile::statement::MAX_FILE_BYTES;
use crate::usecases::exports::{self, ExportFormat};
use crate::usecases::reconciliation::{self, DaysQuery, ReconciliationReport};
use crate::usecases::{registry, statements};
use crate::web::charts::{self, yuan, Chart, Kind};
use crate::web::pages::esc;
use crate::web::AppState;

#[derive(Deserialize, Default)]
pub struct View {
    pub account: Option<i64>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub msg: Option<String>,
    pub err: Option<String>,
}

fn days(v: &View) -> (NaiveDate, NaiveDate) {
    let today = period::business_date(period::now());
    let to = v.to.unwrap_or(today);
    (v.from.unwrap_or(to - Duration::days(6)), to)
}

fn back(village: &str, account: i64, from: NaiveDate, to: NaiveDate) -> String {
    format!("/staff/v/{village}/reconciliation?account={account}&from={from}&to={to}")
}

pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    q: web::Query<View>,
) -> HttpResponse {
    let village = path.into_inner();
    let q = q.into_inner();
    let (from, to) = days(&q);
    let (actor, code) = (staff.actor.clone(), village.clone());
    let data = state
        .db
        .run(move |db| -> AppResult<_> {
            let accounts = registry::list_corporate_accounts(db, &actor, &code)?;
            let account = q.account.or(accounts.first().map(|a| a.id.0));
            let report = match account {
                Some(a) => Some(reconciliation::report(
                    db,
                    &actor,
                    &code,
                    CorporateAccountId(a),
                    DaysQuery { from, to },
                )?),
                None => None,
            };
            Ok((accounts, account, report))
        })
        .await;
    let (accounts, account, report) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let v = esc(&village);
    let options: String = accounts
        .iter()
        .map(|a| {
            format!(
                r#"<option value="{}"{}>{} {}</option>"#,
                a.id.0,
                if Some(a.id.0) == account { " selected" } else { "" },
                esc(&a.bank_name),
                esc(&a.account_no)
            )
        })
        .collect();
    let chooser = format!(
        r#"<form method="get" action="/staff/v/{v}/reconciliation"><label>对公账户 <select name="account">{options}</select></label>
<label>从 <input type="date" name="from" value="{from}"></label><label>到 <input type="date" name="to" value="{to}"></label>
<button class="primary">查看</button></form>"#
    );
    let csrf = staff.field();
    let actions = match (staff.actor.role, account) {
        (Role::Accountant, Some(a)) => format!(
            r#"<section><h2>导入和对账</h2>
<form method="post" action="/staff/v/{v}/reconciliation/upload" enctype="multipart/form-data">{csrf}
<input type="hidden" name="account" value="{a}"><input type="hidden" name="from" value="{from}"><input type="hidden" name="to" value="{to}">
<label>网银下载的对账单（CSV：UTF-8 或 GBK；或 XLSX） <input type="file" name="file" required></label>
<button class="primary">导入对账单</button></form>
<form method="post" action="/staff/v/{v}/reconciliation/fetch">{csrf}
<input type="hidden" name="account" value="{a}"><input type="hidden" name="from" value="{from}"><input type="hidden" name="to" value="{to}">
<label>从银行对账接口获取 <input type="date" name="date" value="{to}"></label><button class="primary">获取</button></form>
<form method="post" action="/staff/v/{v}/reconciliation/run">{csrf}
<input type="hidden" name="account" value="{a}"><input type="hidden" name="from" value="{from}"><input type="hidden" name="to" value="{to}">
<button class="primary">对账（{from} 至 {to}）</button></form></section>"#
        ),
        _ => String::new(),
    };
    let body = match (&report, account) {
        (Some(r), Some(a)) => render(r, &village, a, from, to),
        _ => r#"<p class="empty">本村还没有对公账户。</p>"#.to_string(),
    };
    let msg = format!(
        "{}{}",
        message(q.msg.as_deref(), false),
        message(q.err.as_deref(), true)
    );
    html(
        actix_web::http::StatusCode::OK,
        page(
            "银行对账",
            Some(&village),
            &staff,
            &format!("{msg}{chooser}{actions}{body}"),
        ),
    )
}

/// The report: counts, then each day with its balances and its items.
fn render(r: &ReconciliationReport, village: &str, account: i64, from: NaiveDate, to: NaiveDate) -> String {
    let counts: String = r
        .counts
        .iter()
        .map(|(k, n)| {
            let label = crate::domain::vocabulary::ReconOutcome::parse(k).map_or(k.as_str(), |o| o.label());
            format!("<li>{}：{n}</li>", esc(label))
        })
        .collect();
    let mut out = format!(
        r#"<section><h2>对账结果（账户 {}）</h2><p>需重点关注：<strong id="critical">{}</strong> 项。
<a href="/staff/v/{v}/reconciliation.xlsx?account={account}&amp;from={from}&amp;to={to}">下载 Excel</a> ·
<a href="/staff/v/{v}/reconciliation.csv?account={account}&amp;from={from}&amp;to={to}">下载 CSV</a></p><ul>{counts}</ul></section>"#,
        esc(&r.account_no),
        r.critical,
        v = esc(village)
    );
    out.push_str(&balances(r));
    for d in &r.days {
        let balance = match (d.statement_closing, d.difference) {
            (Some(s), Some(diff)) => format!(
                "银行余额 ¥{s}，账面余额 ¥{}，<strong>相差 ¥{diff}</strong>",
                d.books_closing
            ),
            (Some(s), None) => format!("银行余额 ¥{s}，账面余额 ¥{}，一致", d.books_closing),
            (None, _) if !d.statement_imported => format!("尚未导入对账单；账面余额 ¥{}", d.books_closing),
            (None, _) => format!("账面余额 ¥{}", d.books_closing),
        };
        let rows: String = d
            .items
            .iter()
            .map(|i| {
                format!(
                    r#"<tr class="{}"><td>{}{}</td><td>{}</td><td>{}</td><td class="num">¥{}</td><td class="num">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                    if i.critical { "status-voided" } else { "" },
                    if i.critical { "⚠ " } else { "" },
                    esc(&i.label),
                    esc(i.rule.map_or("", |r| r.label())),
                    i.direction.label(),
                    i.amount,
                    i.books_amount.map(|m| format!("¥{m}")).unwrap_or_default(),
                    esc(i.serial.as_deref().unwrap_or("")),
                    esc(i.counterparty.as_deref().unwrap_or("")),
                    esc(i.remark.as_deref().unwrap_or("")),
                    i.entry_seq.map(|s| s.to_string()).unwrap_or_default(),
                )
            })
            .collect();
        if d.items.is_empty() && !d.statement_imported {
            continue;
        }
        out.push_str(&format!(
            r#"<section><h3>{}</h3><p>{balance}</p>{}</section>"#,
            d.date,
            super::frame::table(
                "",
                r#"<th>结果</th><th>规则</th><th>收支</th><th class="num">金额</th><th class="num">账面金额</th><th>流水号</th><th>对方户名</th><th>附言</th><th>凭证号</th>"#,
                &rows,
                "这一天的对账单没有流水，账上也没有待对的收付。",
            )
        ));
    }
    out
}

/// The days' closing balances, the bank's beside the books', and the items to look into: a
/// chart (the two balances as bars side by side, so the day they part shows at a glance) above
/// the table of the same numbers.
fn balances(r: &ReconciliationReport) -> String {
    let critical = |d: &reconciliation::DayReport| d.items.iter().filter(|i| i.critical).count();
    let chart = Chart::new(
        "chart-balances",
        Kind::Bars,
        r.days.iter().map(|d| d.date.format("%m-%d").to_string()).collect(),
    )
    .series(
        "账面余额（元）",
        r.days.iter().map(|d| yuan(d.books_closing)).collect(),
        false,
    )
    // A day without a statement balance has no bar for the bank (a gap, not zero).
    .series(
        "银行余额（元）",
        r.days
            .iter()
            .map(|d| d.statement_closing.map_or(f64::NAN, yuan))
            .collect(),
        false,
    )
    .series(
        "需重点关注（项）",
        r.days.iter().map(|d| critical(d) as f64).collect(),
        true,
    );
    let rows: String = r
        .days
        .iter()
        .map(|d| {
            format!(
                r#"<tr{}><td>{}</td><td class="num">{}</td><td class="num">¥{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
                if d.difference.is_some() { r#" class="status-voided""# } else { "" },
                d.date,
                d.statement_closing.map_or_else(
                    || if d.statement_imported { "无余额".to_string() } else { "未导入".to_string() },
                    |m| format!("¥{m}")
                ),
                d.books_closing,
                d.difference.map_or_else(
                    || if d.statement_closing.is_some() { "一致".to_string() } else { String::new() },
                    |m| format!("¥{m}")
                ),
                critical(d),
            )
        })
        .collect();
    format!(
        r#"<section><h2>每日余额</h2>{}{}{}{}</section>"#,
        chart.place(
            "每日账面余额、银行余额和需重点关注的项数",
            "所选日期内账面和对账单都没有余额。"
        ),
        super::frame::table(
            "balances",
            r#"<th>日期</th><th class="num">银行余额</th><th class="num">账面余额</th><th class="num">相差</th><th class="num">需重点关注</th>"#,
            &rows,
            "所选日期内没有对账的日子。",
        ),
        charts::STYLE,
        charts::script(&[chart]),
    )
}

#[derive(Deserialize)]
pub struct RunForm {
    pub csrf: String,
    pub account: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

pub async fn run(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<RunForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let village = path.into_inner();
    let f = form.into_inner();
    let to_page = back(&village, f.account, f.from, f.to);
    let (actor, key) = (staff.actor, state.server_key.clone());
    let q = DaysQuery { from: f.from, to: f.to };
    match state
        .db
        .run(move |db| reconciliation::reconcile(db, &actor, &village, CorporateAccountId(f.account), q, key.expose()))
        .await
    {
        Ok(r) => see_other(
            &to_page,
            &format!(
                "对账完成：新核对 {} 笔，补记银行有、账上无的收入 {} 笔，未经审批的支出 {} 笔。",
                r.matched, r.taken_in, r.unexplained_debits
            ),
        ),
        Err(e) => refused(&to_page, &e),
    }
}

#[derive(Deserialize)]
pub struct FetchForm {
    pub csrf: String,
    pub account: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub date: NaiveDate,
}

pub async fn fetch(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<FetchForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let village = path.into_inner();
    let f = form.into_inner();
    let to_page = back(&village, f.account, f.from, f.to);
    match statements::fetch(
        &state.db,
        &state.sealing,
        &state.http,
        &state.profiles,
        Some(staff.actor),
        village,
        CorporateAccountId(f.account),
        f.date,
    )
    .await
    {
        Ok(r) => see_other(&to_page, &r.message),
        Err(e) => refused(&to_page, &e),
    }
}

/// The upload: a multipart form with the CSRF token, the account, the days to come back to and
/// the file (at most `MAX_FILE_BYTES`; a larger one is refused while it arrives).
pub async fn upload(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    mut parts: Multipart,
) -> HttpResponse {
    let village = path.into_inner();
    let mut fields: std::collections::HashMap<String, String> = Default::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    let too_large = || {
        AppError::new(
            ErrorCode::StatementInvalid,
            format!("文件太大（超过 {} MB），没有导入。", MAX_FILE_BYTES / 1024 / 1024),
        )
    };
    while let Some(part) = parts.next().await {
        let Ok(mut part) = part else {
            return failed(AppError::code(ErrorCode::InvalidForm));
        };
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let Ok(chunk) = chunk else {
                return failed(AppError::code(ErrorCode::InvalidForm));
            };
            let limit = if name == "file" { MAX_FILE_BYTES } else { 1024 };
            if bytes.len() + chunk.len() > limit {
                return failed(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some((file_name.unwrap_or_else(|| "statement".into()), bytes));
        } else {
            fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    if let Some(r) = staff.refuse_forged(fields.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    let (Some(account), Some(from), Some(to)) = (
        fields.get("account").and_then(|a| a.parse::<i64>().ok()),
        fields.get("from").and_then(|d| d.parse::<NaiveDate>().ok()),
        fields.get("to").and_then(|d| d.parse::<NaiveDate>().ok()),
    ) else {
        return failed(AppError::code(ErrorCode::InvalidForm));
    };
    let to_page = back(&village, account, from, to);
    let Some((name, bytes)) = file else {
        return refused(
            &to_page,
            &AppError::new(ErrorCode::StatementInvalid, "请选择要导入的对账单文件。"),
        );
    };
    let (actor, profiles) = (staff.actor, state.profiles.clone());
    match state
        .db
        .run(move |db| {
            statements::import_file(
                db,
                &actor,
                &village,
                CorporateAccountId(account),
                &name,
                &bytes,
                &profiles,
            )
        })
        .await
    {
        Ok(r) => see_other(
            &to_page,
            &format!("{}（{}，{}）", r.message, r.profile_label, r.encoding),
        ),
        Err(e) => refused(&to_page, &e),
    }
}

/// The report as a file, for the session (the API has the same for tokens).
pub async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    q: web::Query<View>,
) -> HttpResponse {
    let (village, ext) = path.into_inner();
    let format = match ext.as_str() {
        "xlsx" => ExportFormat::Xlsx,
        "csv" => ExportFormat::Csv,
        _ => return failed(AppError::code(ErrorCode::ExportNotFound)),
    };
    let q = q.into_inner();
    let (from, to) = days(&q);
    let Some(account) = q.account else {
        return failed(AppError::code(ErrorCode::AccountNotFound));
    };
    let (actor, code) = (staff.actor, village.clone());
    let made = state
        .db
        .run(move |db| -> AppResult<Vec<u8>> {
            let report =
                reconciliation::report(db, &actor, &code, CorporateAccountId(account), DaysQuery { from, to })?;
            let table = reconciliation::report_table(&report);
            match format {
                ExportFormat::Xlsx => exports::to_xlsx(&table),
                ExportFormat::Csv => exports::to_csv(&table),
            }
        })
        .await;
    match made {
        Ok(bytes) => HttpResponse::Ok()
            .content_type(match format {
                ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ExportFormat::Csv => "text/csv; charset=utf-8",
            })
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{village}-{account}-{from}-{to}.{ext}\""),
            ))
            .body(bytes),
        Err(e) => failed(e),
    }
}
