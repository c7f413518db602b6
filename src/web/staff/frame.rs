//! The staff pages' frame: navigation, messages, refusals. Simplified Chinese; plain HTML that
//! works without JavaScript and prints cleanly.

use actix_web::HttpResponse;

use super::session::Staff;
use crate::domain::access::Role;
use crate::error::AppError;
use crate::web::pages::esc;
use crate::web::{error, AppState};

const STYLE: &str = r#"
  html { font-size: 112.5%; }
  body { margin: 0; font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #111; line-height: 1.5; }
  header { background: #0b5394; color: #fff; padding: 0.5rem 1rem; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: center; }
  header a, header button { color: #fff; text-decoration: none; font-size: 1rem; background: none; border: 0; cursor: pointer; padding: 0.5rem 0; }
  header strong { margin-right: 1rem; }
  main { padding: 1rem; max-width: 70rem; }
  table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
  th, td { border-bottom: 1px solid #ccc; padding: 0.4rem 0.5rem; text-align: left; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .notice { border: 2px solid #0b5394; background: #eef4fb; padding: 0.6rem 0.8rem; border-radius: 0.4rem; }
  .error { border-color: #a61b1b; background: #fbeeee; }
  form.inline { display: inline; }
  label { display: block; margin-top: 0.6rem; }
  input, select, button { font-size: 1rem; min-height: 2.5rem; font-family: inherit; }
  input[type=checkbox] { min-height: auto; width: 1.2rem; height: 1.2rem; }
  button.primary { background: #0b5394; color: #fff; border: 0; border-radius: 0.3rem; padding: 0 1.2rem; margin-top: 0.8rem; cursor: pointer; }
  button.danger { background: #a61b1b; color: #fff; border: 0; border-radius: 0.3rem; padding: 0 1rem; cursor: pointer; }
  .status-voided { color: #a61b1b; } .status-pending { color: #8a5a00; }
  section { margin-bottom: 1.5rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1.2rem; }
  dt { color: #444; } dd { margin: 0; font-weight: 600; }
  .empty { color: #555; }
  .scroll { overflow-x: auto; }
  .scroll table { min-width: 40rem; }
  .scroll td, .scroll th { white-space: nowrap; }
  .scroll td.text { white-space: normal; min-width: 16rem; }
  .scroll td.empty { white-space: normal; }
  select, input { max-width: 100%; }
  form.step { border-top: 1px solid #ccc; padding-top: 0.5rem; margin-top: 0.5rem; }
  textarea { font-size: 1rem; font-family: inherit; max-width: 100%; }
"#;

/// A village's menu for a role: the clerk's day (collections, cash, receipts, payment requests),
/// the township accountant's books (journal, trial balance and close, approvals,
/// reconciliation), and what each may read of the other's.
pub fn village_nav(village: &str, role: Role) -> String {
    let v = esc(village);
    let link = |path: &str, label: &str| format!(r#"<a href="/staff/v/{v}{path}">{label}</a>"#);
    let items: &[(&str, &str)] = match role {
        Role::Accountant => &[
            ("/journal", "凭证"),
            ("/trial-balance", "科目余额表与月结"),
            ("/disbursements", "支出审批"),
            ("/suspense", "待查明款项"),
            ("/reconciliation", "银行对账"),
            ("", "今日收款"),
            ("/bills", "账单"),
            ("/cash-on-hand", "库存现金与代交"),
            ("/receipts", "收据"),
        ],
        _ => &[
            ("", "今日收款"),
            ("/bills", "账单"),
            ("/cash", "现金收款"),
            ("/cash-on-hand", "库存现金与代交"),
            ("/receipts", "收据"),
            ("/disbursements", "支出申请"),
            ("/reconciliation", "银行对账"),
        ],
    };
    items.iter().map(|(p, l)| link(p, l)).collect()
}

/// A staff page: the village's menu for the user's role when there is a village, then the body.
pub fn page(title: &str, village: Option<&str>, staff: &Staff, body: &str) -> String {
    let nav = village.map(|v| village_nav(v, staff.actor.role)).unwrap_or_default();
    page_nav(title, &nav, &staff.field(), body)
}

/// A staff page with its own navigation (trusted HTML: links the pages make).
pub fn page_nav(title: &str, nav: &str, csrf_field: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · 清账</title><style>{STYLE}</style></head>
<body><header><strong>清账 村级收款</strong>{nav}<form class="inline" method="post" action="/staff/logout">{csrf_field}<button>退出</button></form></header>
<main><h1>{title}</h1>{body}</main></body></html>"#,
        title = esc(title),
    )
}

pub use crate::web::pages::{html, table};

/// A message shown at the top of a page (after a redirect, `?msg=`; errors in red).
pub fn message(text: Option<&str>, error: bool) -> String {
    match text.filter(|t| !t.is_empty()) {
        Some(t) => format!(
            r#"<p class="notice{}" id="message">{}</p>"#,
            if error { " error" } else { "" },
            esc(t)
        ),
        None => String::new(),
    }
}

/// The `?msg=` / `?err=` a page shows at its top after a redirect.
#[derive(serde::Deserialize, Default)]
pub struct Msg {
    pub msg: Option<String>,
    pub err: Option<String>,
}

/// The messages a page was redirected with.
pub fn notes(m: &Msg) -> String {
    format!(
        "{}{}",
        message(m.msg.as_deref(), false),
        message(m.err.as_deref(), true)
    )
}

/// Bytes a `Location` header may not carry as they are: a path segment typed by a client can hold
/// anything (a CR LF would split the header), so it goes out percent-encoded.
const LOCATION_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'\\')
    .add(b'^')
    .add(b'{')
    .add(b'}')
    .add(b'|');

/// Redirect after a POST (so a reload does not repeat it), with `text` under `key` (`msg` for a
/// message, `err` for a refusal).
fn back_to(location: &str, key: &str, text: &str) -> HttpResponse {
    let sep = if location.contains('?') { '&' } else { '?' };
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    let safe = percent_encoding::utf8_percent_encode(location, LOCATION_ESCAPES);
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("{safe}{sep}{key}={encoded}")))
        .finish()
}

/// Back to a page with a message.
pub fn see_other(location: &str, msg: &str) -> HttpResponse {
    back_to(location, "msg", msg)
}

/// A use case's refusal, as a clerk reads it, sent back to the form's page.
pub fn refused(back: &str, e: &AppError) -> HttpResponse {
    back_to(back, "err", &error::for_people(e))
}

/// A page that could not be shown.
pub fn failed(e: AppError) -> HttpResponse {
    error::page(&e)
}

/// Whether cookies must be `Secure` (the service is reached over https).
pub fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}
