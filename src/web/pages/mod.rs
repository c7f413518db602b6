//! Server-rendered pages, Simplified Chinese first (DESIGN.md §13). Villager pages are
//! elderly-friendly: sizes in rem so they follow the browser's font size, body text 20 px at the
//! default size, tap targets at least 56 px high, high-contrast colours, no fixed heights.

pub mod pay;
pub mod receipt;
pub mod sheet;
pub mod village;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An HTML answer, never cached (every page shows the moment's data).
pub fn html(status: actix_web::http::StatusCode, body: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// A table as every page shows one: in a box that scrolls sideways on a phone (cells keep
/// their words on one line instead of one character per line), and, with no rows, one row that
/// says 暂无 and what will appear there. `head` is the header cells (trusted HTML), `rows` the
/// rows; `empty` is plain text.
pub fn table(id: &str, head: &str, rows: &str, empty: &str) -> String {
    let body = if rows.is_empty() {
        format!(
            r#"<tr><td class="empty" colspan="{}">暂无：{}</td></tr>"#,
            head.matches("<th").count().max(1),
            esc(empty)
        )
    } else {
        rows.to_string()
    };
    let id = if id.is_empty() {
        String::new()
    } else {
        format!(r#" id="{}""#, esc(id))
    };
    format!(r#"<div class="scroll"><table{id}><tr>{head}</tr>{body}</table></div>"#)
}

/// A balance, debit positive, as a person reads it: a credit balance is −¥1878.38 (not
/// ¥-1878.38).
pub fn signed(m: crate::domain::Money) -> String {
    if m.is_negative() {
        format!("−¥{}", -m)
    } else {
        format!("¥{m}")
    }
}

/// A share of 0–1 as a percentage to one decimal; "—" when there is none.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |s| format!("{:.1}%", s * 100.0))
}

/// The page frame shared by villager pages.
pub fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  html {{ font-size: 125%; }}
  body {{ margin: 0; font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
         color: #111; background: #fff; line-height: 1.6; }}
  main {{ max-width: 34rem; margin: 0 auto; padding: 1rem; }}
  h1 {{ font-size: 1.4rem; margin: 0.5rem 0 1rem; }}
  dl {{ margin: 0; }}
  dt {{ color: #444; font-size: 0.9rem; margin-top: 0.75rem; }}
  dd {{ margin: 0; font-size: 1.1rem; font-weight: 600; }}
  .amount {{ font-size: 2rem; color: #000; }}
  .words {{ font-size: 1rem; color: #333; }}
  .notice {{ border: 2px solid #0b5394; border-radius: 0.5rem; padding: 0.75rem; margin-top: 1.25rem; background: #eef4fb; }}
  .error {{ border-color: #a61b1b; background: #fbeeee; }}
  .button {{ display: block; min-height: 2.8rem; padding: 0.6rem 1rem; margin-top: 1rem; border-radius: 0.5rem;
             background: #0b5394; color: #fff; font-size: 1.2rem; text-align: center; text-decoration: none; }}
  button.button {{ width: 100%; border: 0; cursor: pointer; font-family: inherit; }}
  .button.secondary {{ background: #fff; color: #0b5394; border: 2px solid #0b5394; }}
  .qr {{ display: block; width: 100%; max-width: 18rem; height: auto; margin: 1rem auto; }}
</style>
</head>
<body><main>
{body}
</main></body>
</html>"#,
        title = esc(title),
        body = body
    )
}
