//! The inspector's page of one village (`/staff/inspect/v/{village}`): its books in brief, cash
//! on hand at each month's end against its limit, what it collected and how fast its cash
//! reached the bank, whether its chain verifies, and its findings. Read-only; a thin handler
//! over `usecases::inspection::village`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{failed, html, page_nav, table};
use super::inspection::NAV;
use super::session::Staff;
use crate::domain::schedule::shown_period;
use crate::domain::{period, Money};
use crate::inspect::overview::days_text;
use crate::usecases::inspection::village::{village_brief, VillageBrief};
use crate::usecases::inspection::{self};
use crate::web::charts::{self, yuan, Chart, Kind};
use crate::web::pages::{esc, percent, signed};
use crate::web::AppState;

#[derive(Deserialize, Default)]
pub struct Span {
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn village(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    q: web::Query<Span>,
) -> HttpResponse {
    let code = path.into_inner();
    let (default_from, default_to) = inspection::last_twelve_months(period::now());
    let pick = |s: &Option<String>, d: String| s.clone().filter(|s| !s.trim().is_empty()).unwrap_or(d);
    let (from, to) = (pick(&q.from, default_from), pick(&q.to, default_to));
    let actor = staff.actor.clone();
    let (f, t) = (from.clone(), to.clone());
    let brief = match state.db.run(move |db| village_brief(db, &actor, &code, &f, &t)).await {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let body = render(&brief, &from, &to);
    html(
        StatusCode::OK,
        page_nav(&format!("村情况：{}", brief.name), NAV, &staff.field(), &body),
    )
}

fn render(b: &VillageBrief, from: &str, to: &str) -> String {
    let code = esc(&b.code);
    let mut out = format!(
        r#"<p>{township} · 村代码 {code} · {from_words} 至 {to_words}</p>
<form method="get" action="/staff/inspect/v/{code}"><label>从 <input type="month" name="from" value="{from}"></label><label>到 <input type="month" name="to" value="{to}"></label><button class="primary">查看</button></form>"#,
        township = esc(&b.township),
        from_words = esc(&shown_period(from)),
        to_words = esc(&shown_period(to)),
        from = esc(from),
        to = esc(to),
    );

    // The chain first: if it is broken, nothing below can be taken at its word.
    out.push_str(&if b.chain.problems.is_empty() {
        format!(
            r#"<section><h2>账链校验</h2><p class="notice" id="chain">账链完整：共 {} 条凭证，逐条校验通过；每张账单的收据、记账和状态相符。</p></section>"#,
            b.chain.entries
        )
    } else {
        let problems: String = b
            .chain
            .problems
            .iter()
            .map(|p| format!("<li>{}</li>", esc(&p.what)))
            .collect();
        format!(
            r#"<section><h2>账链校验</h2><div class="notice error" id="chain"><p><strong>账链校验未通过</strong>{}{}：以下数据可能被改动过，请先核查。</p><ul>{problems}</ul></div></section>"#,
            b.chain
                .first_bad_seq
                .map(|s| format!("，第一条不符的凭证是第 {s} 号"))
                .unwrap_or_default(),
            b.chain
                .first_bad_bill
                .as_deref()
                .map(|r| format!("，第一张不符的账单是 {}", esc(r)))
                .unwrap_or_default(),
        )
    });

    // Collections and deposits.
    let share = percent(b.cash_share);
    out.push_str(&format!(
        r#"<section><h2>收款与现金交存</h2><dl id="collections">
<dt>收据</dt><dd>{} 张（其中现金 {} 张）</dd><dt>收款合计</dt><dd>¥{}</dd><dt>其中现金</dt><dd>¥{}（{share}）</dd>
<dt>现金平均交存</dt><dd>{}</dd><dt>最长一笔</dt><dd>{}</dd><dt>尚未交存</dt><dd>¥{}</dd></dl></section>"#,
        b.receipts,
        b.cash_receipts,
        b.collected,
        b.cash,
        days_text(b.deposit.average_days),
        days_text(b.deposit.longest_days),
        b.deposit.waiting,
    ));

    // Cash on hand at month ends, against the limit.
    let months: Vec<String> = b.cash_month_ends.iter().map(|m| shown_period(&m.month)).collect();
    let cash = Chart::new("chart-cash-on-hand", Kind::Bars, months.clone())
        .series(
            "月末库存现金（元）",
            b.cash_month_ends.iter().map(|m| yuan(m.balance)).collect(),
            false,
        )
        .line(
            "库存现金限额（元）",
            b.cash_month_ends.iter().map(|m| yuan(m.limit)).collect(),
        );
    let rows: String = b
        .cash_month_ends
        .iter()
        .zip(&months)
        .map(|(m, label)| {
            let over = m.limit > Money::ZERO && m.balance > m.limit;
            format!(
                r#"<tr><td>{}</td><td class="num">¥{}</td><td class="num">¥{}</td><td>{}</td></tr>"#,
                esc(label),
                m.balance,
                m.limit,
                if over {
                    r#"<strong class="status-voided">超过限额</strong>"#
                } else {
                    ""
                }
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>月末库存现金（期末限额 ¥{}）</h2>{}{}</section>"#,
        b.cash_limit,
        cash.place("每月月末的库存现金和限额", "所选期间库存现金一直是零。"),
        table(
            "cash-month-ends",
            r#"<th>月份</th><th class="num">月末库存现金</th><th class="num">当时的限额</th><th></th>"#,
            &rows,
            "所选期间没有月份。"
        )
    ));

    // Books in brief.
    let rows: String = b
        .books
        .iter()
        .map(|r| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">¥{}</td><td class="num">¥{}</td><td class="num">{}</td></tr>"#,
                esc(&r.code),
                esc(&r.name),
                signed(r.opening),
                r.debit,
                r.credit,
                signed(r.closing)
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>账目概况（一级科目）</h2><p>{}余额以借方为正、贷方为负。</p>{}</section>"#,
        if b.books_balanced {
            "借贷平衡。"
        } else {
            r#"<strong class="status-voided">借贷不平衡，请核查。</strong>"#
        },
        table(
            "books",
            r#"<th>科目</th><th>名称</th><th class="num">期初</th><th class="num">借方</th><th class="num">贷方</th><th class="num">期末</th>"#,
            &rows,
            "所选期间没有记账。"
        )
    ));

    // Findings.
    out.push_str(&format!(
        r#"<section><h2>发现（{}）</h2>{}<p><a href="/staff/inspect?scope={code}&amp;from={from}&amp;to={to}">在检查发现中只看本村</a></p></section>"#,
        b.findings.findings.len(),
        super::inspection::findings_table(
            "village-findings",
            &b.findings.findings,
            false,
            "本村在所选期间没有发现。运行检查后，规则发现的问题会列在这里。"
        ),
        from = esc(from),
        to = esc(to),
    ));
    out.push_str(charts::STYLE);
    out.push_str(&charts::script(&[cash]));
    out
}
