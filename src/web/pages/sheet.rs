//! The printable QR sheet of a village's open bills (A4, three codes a row), for the clerk.

use actix_web::{web, HttpResponse};

use super::esc;
use crate::error::AppError;
use crate::usecases::qr_codes::{self, Sheet};
use crate::web::auth::Authenticated;
use crate::web::AppState;

/// Renders the sheet; the SVGs are our own output and go in unescaped.
pub fn render(sheet: &Sheet) -> String {
    let mut cells = String::new();
    for i in &sheet.items {
        cells.push_str(&format!(
            r#"<figure>{svg}<figcaption><b>{payer}</b> {item} {period}<br><b>¥{amount}</b><br>账单号 {reference}<br><a class="open" href="{url}">在本机打开付款页</a></figcaption></figure>"#,
            url = esc(&i.path),
            svg = i.svg.trim_start_matches(|c| c != '<').split_once("?>").map(|(_, rest)| rest).unwrap_or(&i.svg),
            payer = esc(&i.payer),
            item = esc(&i.fee_item),
            period = esc(&crate::domain::schedule::shown_period(&i.period_label)),
            amount = esc(&i.amount.to_string()),
            reference = esc(&i.reference),
        ));
    }
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{name} 收款码</title>
<style>
  @page {{ size: A4; margin: 12mm; }}
  body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; }}
  h1 {{ font-size: 16pt; margin: 0 0 4mm; }}
  main {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 4mm; }}
  figure {{ margin: 0; padding: 2mm; border: 0.3mm solid #888; break-inside: avoid; text-align: center; }}
  figure svg {{ width: 45mm; height: 45mm; }}
  figcaption {{ font-size: 10pt; line-height: 1.4; }}
  a.open {{ font-size: 9pt; }}
  @media print {{ a.open {{ display: none; }} }}
</style></head>
<body><h1>{name} 村集体收款码（共 {n} 张）</h1><main>{cells}</main></body></html>"#,
        name = esc(&sheet.village_name),
        n = sheet.items.len(),
        cells = cells
    )
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let (key, base) = (state.server_key.clone(), state.config.public_url.clone());
    let sheet = state
        .db
        .run(move |db| qr_codes::bill_sheet(db, &who.actor, key.expose(), &base, &code))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(render(&sheet)))
}
