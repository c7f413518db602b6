//! The township accountant's books of a village (村账乡管): the journal of a month with each
//! entry's lines and a reversal with its reason, and the trial balance of a month with the
//! month's close. Others in scope read them; only the accountant's forms change anything.
//! Thin handlers over `usecases::bookkeeping`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, notes, refused, see_other, table, Msg};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::period::{self, Period};
use crate::domain::schedule::shown_period;
use crate::usecases::bookkeeping::{self, EntryQuery, ReverseInput};
use crate::web::pages::{esc, signed};
use crate::web::AppState;

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    pub period: Option<String>,
    #[serde(flatten)]
    pub msg: Msg,
}

/// The month asked for, or this month.
fn month(q: &MonthQuery) -> String {
    q.period
        .clone()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| Period::of(period::business_date(period::now())).to_string())
}

fn month_form(v: &str, path: &str, month: &str) -> String {
    format!(
        r#"<form method="get" action="/staff/v/{v}/{path}"><label>月份 <input type="month" name="period" value="{m}"></label> <button class="primary">查看</button></form>"#,
        v = esc(v),
        m = esc(month)
    )
}

pub async fn journal(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    q: web::Query<MonthQuery>,
) -> HttpResponse {
    let v = path.into_inner();
    let month = month(&q);
    let (actor, code, m) = (staff.actor.clone(), v.clone(), month.clone());
    let entries = state
        .db
        .run(move |db| {
            bookkeeping::list_entries(
                db,
                &actor,
                &code,
                EntryQuery {
                    period: Some(m),
                    after_seq: None,
                    limit: Some(1000),
                },
            )
        })
        .await;
    let entries = match entries {
        Ok(e) => e,
        Err(e) => return failed(e),
    };
    let accountant = staff.actor.role == Role::Accountant;
    let rows: String = entries
        .iter()
        .map(|e| {
            let lines: String = e
                .lines
                .iter()
                .map(|l| {
                    format!(
                        r#"<div>{} {}：{}{}</div>"#,
                        esc(&l.account_code),
                        esc(&l.account_name),
                        if l.debit.is_zero() { "" } else { "借 " },
                        if l.debit.is_zero() {
                            format!("贷 ¥{}", l.credit)
                        } else {
                            format!("¥{}", l.debit)
                        }
                    )
                })
                .collect();
            let state = if let Some(by) = e.reversed_by_seq {
                format!(r#"<span class="status-voided">已冲销（第 {by} 号）</span>"#)
            } else if let Some(r) = e.reverses_seq {
                format!("冲销第 {r} 号")
            } else if accountant && e.source.reversible_by_hand() {
                format!(
                    r#"<form class="inline" method="post" action="/staff/v/{v}/journal/{seq}/reverse">{csrf}<input type="hidden" name="period" value="{m}"><input name="reason" placeholder="冲销原因" required aria-label="第 {seq} 号凭证的冲销原因" maxlength="150"> <button class="danger" id="reverse-{seq}">冲销</button></form>"#,
                    v = esc(&v),
                    seq = e.seq,
                    csrf = staff.field(),
                    m = esc(&month),
                )
            } else {
                String::new()
            };
            format!(
                r#"<tr id="entry-{seq}"><td>{seq}</td><td>{date}</td><td class="text">{memo}</td><td>{source}</td><td>{lines}</td><td>{state}</td></tr>"#,
                seq = e.seq,
                date = e.entry_date,
                memo = esc(&e.memo),
                source = e.source.label(),
            )
        })
        .collect();
    let body = format!(
        r#"{notes}{form}<p>{words}共 {n} 条凭证{cap}。凭证号连续，冲销不删除原凭证，而是另记一条方向相反的凭证；收款、现金和对账生成的凭证随收据、现金记录更正，不在这里冲销。</p>{table}"#,
        cap = if entries.len() >= 1000 {
            "（只列出前 1000 条，请按月份查看）"
        } else {
            ""
        },
        notes = notes(&q.msg),
        form = month_form(&v, "journal", &month),
        words = esc(&shown_period(&month)),
        n = entries.len(),
        table = table(
            "journal",
            "<th>凭证号</th><th>日期</th><th>摘要</th><th>来源</th><th>分录</th><th></th>",
            &rows,
            "这个月还没有凭证。收款、现金、代交、对账和手工记账都会在这里留下凭证。"
        ),
    );
    html(StatusCode::OK, frame::page("凭证", Some(&v), &staff, &body))
}

#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    period: Option<String>,
}

pub async fn reverse(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<ReverseForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, seq) = path.into_inner();
    let form = form.into_inner();
    let back = match form.period.as_deref() {
        Some(p) => format!("/staff/v/{v}/journal?period={p}"),
        None => format!("/staff/v/{v}/journal"),
    };
    let (actor, code) = (staff.actor, v.clone());
    let input = ReverseInput {
        reason: form.reason,
        entry_date: None,
    };
    match state
        .db
        .run(move |db| bookkeeping::reverse_entry(db, &actor, &code, seq, input))
        .await
    {
        Ok(e) => see_other(
            &format!("/staff/v/{v}/journal?period={}", e.period),
            &format!("第 {seq} 号凭证已冲销，冲销凭证为第 {} 号。", e.seq),
        ),
        Err(e) => refused(&back, &e),
    }
}

pub async fn trial_balance(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    q: web::Query<MonthQuery>,
) -> HttpResponse {
    let v = path.into_inner();
    let month = month(&q);
    let (actor, code, m) = (staff.actor.clone(), v.clone(), month.clone());
    let data = state
        .db
        .run(move |db| {
            let tb = bookkeeping::trial_balance(db, &actor, &code, &m)?;
            let closed = bookkeeping::list_closed_periods(db, &actor, &code)?;
            Ok::<_, crate::error::AppError>((tb, closed))
        })
        .await;
    let (tb, closed) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let rows: String = tb
        .rows
        .iter()
        .filter(|r| r.has_activity())
        .map(|r| {
            format!(
                r#"<tr{}><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">¥{}</td><td class="num">¥{}</td><td class="num">{}</td></tr>"#,
                if r.is_parent { r#" class="parent""# } else { "" },
                esc(&r.code),
                esc(&r.name),
                signed(r.opening),
                r.debit,
                r.credit,
                signed(r.closing)
            )
        })
        .collect();
    let is_closed = closed.iter().any(|c| c.period == month);
    let close = if is_closed {
        format!(
            r#"<p class="notice" id="closed">{} 已结账：这个月不能再记账，迟到的款项记在下一个未结账的月份，并注明原日期。</p>"#,
            esc(&shown_period(&month))
        )
    } else if let Some(from) = Period::parse(&month)
        .ok()
        .map(|p| p.next().first_day())
        .filter(|d| *d > period::business_date(period::now()))
    {
        format!(r#"<p id="not-ended">这个月还没有结束，{from} 起可以结账。</p>"#)
    } else if staff.actor.role == Role::Accountant {
        format!(
            r#"<form method="post" action="/staff/v/{v}/periods/{m}/close">{csrf}<p>月结后这个月不能再记账。请先核对余额表借贷平衡、银行对账已完成。</p><button class="primary" id="close-month">{words}结账</button></form>"#,
            v = esc(&v),
            m = esc(&month),
            csrf = staff.field(),
            words = esc(&shown_period(&month)),
        )
    } else {
        String::new()
    };
    let closed_list = if closed.is_empty() {
        "还没有结账的月份。".to_string()
    } else {
        closed
            .iter()
            .map(|c| shown_period(&c.period))
            .collect::<Vec<_>>()
            .join("、")
    };
    let body = format!(
        r#"{notes}{form}<p id="balanced" class="notice{err}">{words}：借方合计 ¥{debit}，贷方合计 ¥{credit}，{state}。余额以借方为正、贷方为负。</p>{table}{close}<p>已结账的月份：{closed_list}</p>"#,
        notes = notes(&q.msg),
        form = month_form(&v, "trial-balance", &month),
        words = esc(&shown_period(&month)),
        err = if tb.balanced { "" } else { " error" },
        debit = tb.total_debit,
        credit = tb.total_credit,
        state = if tb.balanced {
            "借贷平衡"
        } else {
            "借贷不平衡，请立即核查"
        },
        table = table(
            "trial-balance",
            r#"<th>科目</th><th>名称</th><th class="num">期初</th><th class="num">本月借方</th><th class="num">本月贷方</th><th class="num">期末</th>"#,
            &rows,
            "这个月及以前没有记账。"
        ),
        closed_list = esc(&closed_list),
    );
    html(StatusCode::OK, frame::page("科目余额表与月结", Some(&v), &staff, &body))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn close(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, month) = path.into_inner();
    let back = format!("/staff/v/{v}/trial-balance?period={month}");
    let (actor, code, m) = (staff.actor, v.clone(), month.clone());
    match state
        .db
        .run(move |db| bookkeeping::close_period(db, &actor, &code, &m))
        .await
    {
        Ok(c) => see_other(&back, &format!("{} 已结账。", shown_period(&c.period))),
        Err(e) => refused(&back, &e),
    }
}
