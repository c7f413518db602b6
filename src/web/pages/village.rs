//! The public village page `/v/{village}` (村务公开), no login: this year's collections by month,
//! fee item and channel, each payment out by its purpose, the cash share, the chain head signed
//! today and a form to check a head noted down earlier, and the receipt check. No payer or
//! payee is named. `/v/{village}/poster` is the A4 poster for the noticeboard: the page's code
//! and the village's own pay code.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{esc, html, page, percent, table};
use crate::domain::schedule::shown_period;
use crate::error::{AppError, ErrorCode};
use crate::payments::qr;
use crate::usecases::qr_codes;
use crate::usecases::transparency::{check_head, public_village, HeadCheck, PublicVillage};
use crate::web::charts::{self, yuan, Chart, Kind};
use crate::web::limits::{client, Purpose};
use crate::web::{error, AppState};

#[derive(Deserialize, Default)]
pub struct VillageQuery {
    pub year: Option<String>,
    /// A chain head to check: the entry number and its hash, as noted down.
    pub seq: Option<String>,
    pub hash: Option<String>,
}

fn refused(e: &AppError) -> HttpResponse {
    html(
        error::status(e),
        page(
            "村务公开",
            &format!(
                r#"<h1>村务公开</h1><p class="notice error" id="message">{}</p>"#,
                esc(&error::for_people(e))
            ),
        ),
    )
}

pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<VillageQuery>,
) -> HttpResponse {
    if !state.public_limiter.allow(Purpose::VillagePage, &client(&req)) {
        return refused(&AppError::new(
            ErrorCode::TooManyRequests,
            "查看过于频繁，请一分钟后再试。",
        ));
    }
    let code = path.into_inner();
    let q = q.into_inner();
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => {
                return refused(&AppError::new(ErrorCode::PeriodInvalid, "年份请填四位数字，如 2026。").at("year"))
            }
        },
    };
    let key = state.server_key.clone();
    let c = code.clone();
    let village = match state.db.run(move |db| public_village(db, key.expose(), &c, year)).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    // A head to check, when the form was sent: its answer (or its refusal) shows on the page.
    let check = match (q.seq.as_deref(), q.hash.as_deref()) {
        (Some(seq), Some(hash)) if !seq.trim().is_empty() || !hash.trim().is_empty() => {
            let Ok(seq) = seq.trim().parse::<i64>() else {
                return html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    render(&village, Some(Err("凭证号请填数字，如 128。".into())), (seq, hash)),
                );
            };
            let h = hash.to_string();
            let c = code.clone();
            match state.db.run(move |db| check_head(db, &c, seq, &h)).await {
                Ok(r) => Some(Ok(r)),
                Err(e) => {
                    return html(
                        error::status(&e),
                        render(&village, Some(Err(error::for_people(&e))), (&seq.to_string(), hash)),
                    )
                }
            }
        }
        _ => None,
    };
    let typed = (q.seq.as_deref().unwrap_or(""), q.hash.as_deref().unwrap_or(""));
    html(StatusCode::OK, render(&village, check, typed))
}

fn render(v: &PublicVillage, check: Option<Result<HeadCheck, String>>, typed: (&str, &str)) -> String {
    let code = esc(&v.code);
    let mut out = format!(
        r#"<h1>{name}村务公开</h1><p>{township} · {year}年 · 村代码 {code}</p>
<p class="notice" id="totals">{year}年至今收款 <strong>¥{collected}</strong>，其中现金 <strong>¥{cash}</strong>（{share}）；支出 <strong>¥{out}</strong>。</p>"#,
        name = esc(&v.name),
        township = esc(&v.township),
        year = v.year,
        collected = v.collected,
        cash = v.cash,
        share = percent(v.cash_share),
        out = v.paid_out_total,
    );
    if !v.refunded.is_zero() {
        out.push_str(&format!(
            r#"<p class="notice" id="refunded">另退还误付、多付的款项 <strong>¥{}</strong>（这些钱不属于村集体，退回付款人，不算支出）。</p>"#,
            v.refunded
        ));
    }
    if !v.unexplained_out.is_zero() {
        out.push_str(&format!(
            r#"<p class="notice error" id="unexplained">另有 <strong>¥{}</strong> 从村集体账户转出，没有经过审批的支出申请，至今尚未查明。</p>"#,
            v.unexplained_out
        ));
    }

    // Collections by month and fee item (chart and table), then by channel.
    let months: Vec<String> = v.months.iter().map(|m| shown_period(&m.month)).collect();
    let mut chart = Chart::new("chart-collections", Kind::Bars, months.clone());
    for (i, item) in v.items.iter().enumerate() {
        chart = chart.series(item, v.months.iter().map(|m| yuan(m.by_item[i])).collect(), false);
    }
    let head: String = std::iter::once("<th>月份</th>".to_string())
        .chain(v.items.iter().map(|i| format!(r#"<th class="num">{}</th>"#, esc(i))))
        .chain(std::iter::once(r#"<th class="num">合计</th>"#.to_string()))
        .collect();
    let rows: String = v
        .months
        .iter()
        .zip(&months)
        .map(|(m, label)| {
            let cells: String = m
                .by_item
                .iter()
                .map(|x| format!(r#"<td class="num">¥{x}</td>"#))
                .collect();
            format!(
                r#"<tr><td>{}</td>{cells}<td class="num">¥{}</td></tr>"#,
                esc(label),
                m.total
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>每月收款（按收费项目）</h2>{}{}</section>"#,
        chart.place("每月各收费项目的收款", "今年还没有收款。"),
        table("by-item", &head, &rows, "今年还没有月份。")
    ));
    let head: String = std::iter::once("<th>月份</th>".to_string())
        .chain(v.channels.iter().map(|c| format!(r#"<th class="num">{}</th>"#, esc(c))))
        .collect();
    let rows: String = v
        .months
        .iter()
        .zip(&months)
        .map(|(m, label)| {
            let cells: String = m
                .by_channel
                .iter()
                .map(|x| format!(r#"<td class="num">¥{x}</td>"#))
                .collect();
            format!(r#"<tr><td>{}</td>{cells}</tr>"#, esc(label))
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>每月收款（按收款方式）</h2>{}</section>"#,
        table("by-channel", &head, &rows, "今年还没有月份。")
    ));

    // Money out.
    let rows: String = v
        .paid_out
        .iter()
        .map(|p| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="num">¥{}</td></tr>"#,
                p.date,
                esc(&p.purpose),
                esc(&p.account),
                p.amount
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>支出（经审批、已从银行付出）</h2>{}</section>"#,
        table(
            "paid-out",
            "<th>日期</th><th>用途</th><th>科目</th><th class=\"num\">金额</th>",
            &rows,
            "今年还没有支出。每笔经审批并由银行付出的支出会列在这里。"
        )
    ));

    // The chain head, and checking one noted down earlier.
    let result = match &check {
        Some(Ok(r)) => format!(
            r#"<p class="notice{}" id="head-result">{}</p>"#,
            if r.intact { "" } else { " error" },
            esc(&r.message)
        ),
        Some(Err(msg)) => format!(r#"<p class="notice error" id="head-result">{}</p>"#, esc(msg)),
        None => String::new(),
    };
    out.push_str(&format!(
        r#"<section><h2>账目校验值</h2>
<p>本村的每笔账都连成一条链：每条凭证的校验值都由它之前的全部账目算出，改动任何一笔，之后的校验值都会变。今天（{signed}）本村共 <strong>{seq}</strong> 条凭证，最后一条的校验值是：</p>
<p class="hash" id="head-hash">{hash}</p>
<p>请把凭证号和这串校验值抄在村务公开栏上或拍照留存。以后任何时候都可以在下面核对：若仍相符，说明这条凭证和它之前的账目都没有被改动过。</p>
<form method="get" action="/v/{code}#head-result" id="head-check">
<label for="seq">凭证号</label><input id="seq" name="seq" inputmode="numeric" value="{typed_seq}">
<label for="hash">校验值</label><input id="hash" name="hash" value="{typed_hash}" autocomplete="off">
<button class="button" id="check-head">核对</button></form>{result}
<p class="small">服务器签名（乡镇核对用）：{signature}</p></section>"#,
        signed = v.head.signed_on,
        seq = v.head.seq,
        hash = esc(&v.head.hash),
        signature = esc(&v.head.signature),
        typed_seq = esc(typed.0),
        typed_hash = esc(typed.1),
    ));
    out.push_str(&format!(
        r#"<section><h2>核对收据</h2><p>收到的收据是否真实，可以在这里用收据号和校验码查验。</p><a class="button secondary" href="/r">查验收据</a>
<a class="button secondary" href="/v/{code}/poster">打印村务公开二维码（A4）</a></section>"#
    ));
    out.push_str(PUBLIC_STYLE);
    out.push_str(charts::STYLE);
    out.push_str(&charts::script(&[chart]));
    page(&format!("{}村务公开", v.name), &out)
}

/// What the villager frame lacks for this page: tables, the hash, inputs.
const PUBLIC_STYLE: &str = r#"<style>
main { max-width: 52rem; }
h2 { font-size: 1.2rem; margin-top: 1.5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #999; padding: 0.5rem; text-align: left; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.empty { white-space: normal; }
.hash { font-family: ui-monospace, monospace; font-size: 1rem; word-break: break-all; background: #f3f3f3; padding: 0.5rem; }
.small { font-size: 0.8rem; color: #444; word-break: break-all; }
label { display: block; margin-top: 0.75rem; }
input { font-size: 1.1rem; min-height: 2.8rem; width: 100%; box-sizing: border-box; font-family: inherit; }
</style>"#;

/// The A4 poster for the noticeboard: the village's public page and its pay code.
pub async fn poster(state: web::Data<AppState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if !state.public_limiter.allow(Purpose::VillagePage, &client(&req)) {
        return refused(&AppError::new(
            ErrorCode::TooManyRequests,
            "查看过于频繁，请一分钟后再试。",
        ));
    }
    let code = path.into_inner();
    let (key, base) = (state.server_key.clone(), state.config.public_url.clone());
    let p = match state
        .db
        .run(move |db| qr_codes::poster(db, key.expose(), &base, &code))
        .await
    {
        Ok(p) => p,
        Err(e) => return refused(&e),
    };
    let svg = |text: &str| qr::svg(text, 240).unwrap_or_default();
    let strip = |s: String| s.split_once("?>").map(|(_, rest)| rest.to_string()).unwrap_or(s);
    let pay = match &p.pay_url {
        Some(u) => format!(
            r#"<figure id="pay-code">{}<figcaption><b>村集体收款码</b><br>交村里的款项请扫这个码，钱直接进村集体对公账户。</figcaption></figure>"#,
            strip(svg(u))
        ),
        None => String::new(),
    };
    html(
        StatusCode::OK,
        format!(
            r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{name}村务公开</title><style>
@page {{ size: A4; margin: 15mm; }}
body {{ margin: 0; font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", sans-serif; text-align: center; color: #000; }}
h1 {{ font-size: 30pt; margin: 10mm 0 4mm; }}
p {{ font-size: 15pt; margin: 2mm 0; }}
.codes {{ display: flex; justify-content: center; gap: 14mm; margin-top: 10mm; }}
figure {{ margin: 0; width: 75mm; }}
figure svg {{ width: 75mm; height: 75mm; }}
figcaption {{ font-size: 14pt; line-height: 1.5; }}
.url {{ font-size: 11pt; word-break: break-all; }}
</style></head><body>
<h1>{name}村务公开</h1><p>{township}</p>
<p>村里每月收了多少钱、花在哪里，用手机扫码就能看，不用登录。</p>
<div class="codes"><figure id="page-code">{page_svg}<figcaption><b>扫码看村务公开</b><br>收款、支出和账目校验值</figcaption></figure>{pay}</div>
<p class="url">{url}</p>
<p>收据真假可在村务公开页上查验。对账目有疑问，请向乡镇纪委反映。</p>
</body></html>"#,
            name = esc(&p.village_name),
            township = esc(&p.township),
            page_svg = strip(svg(&p.page_url)),
            url = esc(&p.page_url),
        ),
    )
}
