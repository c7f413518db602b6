//! The clerk's pages: today's collections, bills, cash, pay-ins and their matching, receipts with
//! reprint and void. Every action goes through the same use cases as the API, so the rules (and
//! their refusals, in Chinese where a clerk reads them) are the same.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::frame::{self, html, message, see_other};
use super::print::{self, Layout};
use super::session::{cookie, Staff};
use crate::domain::access::Scope;
use crate::domain::{
    BankTransactionId, CashRecordId, CorporateAccountId, FeeItemId, Outcome, PayInId, PayerId, ReceiptStatus,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::Page;
use crate::usecases::access::{self, LoginInput};
use crate::usecases::billing::{self, BillQuery, GenerateBillsInput};
use crate::usecases::cash::{self, CashInput, MatchInput, PayInInput};
use crate::usecases::receipts::{self, VoidInput};
use crate::usecases::{collections, qr_codes, registry};
use crate::web::pages::esc;
use crate::web::{error, AppState};

#[derive(Deserialize, Default)]
pub struct Msg {
    msg: Option<String>,
    err: Option<String>,
}

fn notes(m: &Msg) -> String {
    format!(
        "{}{}",
        message(m.msg.as_deref(), false),
        message(m.err.as_deref(), true)
    )
}

/// A use case's refusal, as a clerk reads it, sent back to the form's page.
fn refused(back: &str, e: &AppError) -> HttpResponse {
    let sep = if back.contains('?') { '&' } else { '?' };
    let encoded: String = form_urlencoded::byte_serialize(error::for_people(e).as_bytes()).collect();
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("{back}{sep}err={encoded}")))
        .finish()
}

fn failed(e: AppError) -> HttpResponse {
    error::page(&e)
}

fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

// ---------- login ----------

fn login_form(error: Option<&str>) -> String {
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>登录 · 清账</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;font-size:18px;max-width:26rem;margin:3rem auto;padding:1rem}}input,button{{font-size:1rem;min-height:2.6rem;width:100%;box-sizing:border-box}}label{{display:block;margin-top:1rem}}button{{margin-top:1.5rem;background:#0b5394;color:#fff;border:0;border-radius:.3rem}}.error{{color:#a61b1b}}</style></head>
<body><h1>清账 · 工作人员登录</h1>{}<form method="post" action="/staff/login">
<label for="username">用户名</label><input id="username" name="username" autocomplete="username" required>
<label for="password">密码</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login">登录</button></form></body></html>"#,
        error
            .map(|e| format!(r#"<p class="error" id="message">{}</p>"#, esc(e)))
            .unwrap_or_default()
    )
}

pub async fn login_page() -> HttpResponse {
    html(StatusCode::OK, login_form(None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn login(state: web::Data<AppState>, req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    let form = form.into_inner();
    let peer = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    let key = format!("{}|{peer}", form.username.trim().to_lowercase());
    let refused = |e: &AppError| html(error::status(e), login_form(Some(&error::for_people(e))));
    if let Err(e) = state.login_limiter.check(&key) {
        return refused(&e);
    }
    let ttl = chrono::Duration::hours(state.config.token_ttl_hours);
    let input = LoginInput {
        username: form.username,
        password: bank_adapters::Secret::new(form.password),
    };
    match state.db.run(move |db| access::login(db, input, ttl)).await {
        Ok(r) => {
            state.login_limiter.succeeded(&key);
            HttpResponse::SeeOther()
                .cookie(cookie(Some(&r.token), secure(&state)))
                .insert_header(("Location", "/staff"))
                .finish()
        }
        Err(e) => {
            if e.is(ErrorCode::WrongPassword) {
                state.login_limiter.failed(&key);
            }
            refused(&e)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(state: web::Data<AppState>, staff: Staff, form: web::Form<CsrfOnly>) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (actor, token) = (staff.actor, staff.token);
    let _ = state.db.run(move |db| access::logout(db, &actor, &token)).await;
    HttpResponse::SeeOther()
        .cookie(cookie(None, secure(&state)))
        .insert_header(("Location", "/staff/login"))
        .finish()
}

/// A clerk goes straight to their village; others choose one in their scope.
pub async fn home(state: web::Data<AppState>, staff: Staff) -> HttpResponse {
    let actor = staff.actor.clone();
    let villages = state
        .db
        .run(move |db| registry::list_villages(db, &actor, None, Page { after: 0, limit: 500 }))
        .await;
    let villages = match villages {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    if let (Scope::Village(_), [only]) = (staff.actor.scope, villages.as_slice()) {
        return HttpResponse::SeeOther()
            .insert_header(("Location", format!("/staff/v/{}", only.code)))
            .finish();
    }
    let rows: String = villages
        .iter()
        .map(|v| {
            format!(
                r#"<li><a href="/staff/v/{c}">{n}（{c}）</a></li>"#,
                c = esc(&v.code),
                n = esc(&v.name)
            )
        })
        .collect();
    html(
        StatusCode::OK,
        frame::page("选择村", None, &staff.field(), &format!("<ul>{rows}</ul>")),
    )
}

// ---------- today ----------

pub async fn today(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let data = state
        .db
        .run(move |db| -> AppResult<_> {
            let receipts = collections::list_receipts(db, &actor, &code, None, Some(500))?;
            let cash = cash::cash_on_hand(db, &actor, &code)?;
            let village = registry::get_village(db, &actor, &code)?;
            Ok((receipts, cash, village))
        })
        .await;
    let (receipts, cash, village) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let today = crate::domain::period::business_date(crate::domain::period::now());
    let todays: Vec<_> = receipts
        .iter()
        .filter(|r| r.issued_at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive() == today)
        .collect();
    let total: i64 = todays
        .iter()
        .filter(|r| r.status != ReceiptStatus::Voided)
        .map(|r| r.amount.fen())
        .sum();
    let rows: String = todays.iter().map(|r| receipt_row(&v, r)).collect();
    let body = format!(
        r#"{notes}<p class="notice">今天（{today}）开具收据 <strong id="today-count">{}</strong> 张，有效金额 <strong id="today-total">¥{}</strong>。库存现金 ¥{}，代交在途 ¥{}。</p>
<section><h2>今日收据</h2>{}</section>"#,
        todays.len(),
        crate::domain::Money::from_fen(total),
        cash.on_hand,
        cash.in_transit,
        receipts_table(&rows),
        notes = notes(&m),
    );
    html(
        StatusCode::OK,
        frame::page(&format!("{} 今日收款", village.name), Some(&v), &staff.field(), &body),
    )
}

fn receipts_table(rows: &str) -> String {
    if rows.is_empty() {
        return "<p>暂无。</p>".into();
    }
    format!(
        r#"<table id="receipts"><tr><th>收据号</th><th>缴款人</th><th>项目</th><th class="num">金额</th><th>方式</th><th>状态</th><th></th></tr>{rows}</table>"#
    )
}

fn receipt_row(village: &str, r: &collections::ReceiptView) -> String {
    let channel = r.channel.label();
    format!(
        r#"<tr><td>{n}</td><td>{payer}</td><td>{item} {period}</td><td class="num">¥{amount}</td><td>{channel}</td><td class="status-{st}">{stn}</td><td><a href="/staff/v/{v}/receipts/{n}">查看</a></td></tr>"#,
        n = esc(&r.number),
        payer = esc(r.payer_name.as_deref().unwrap_or("")),
        item = esc(r.fee_item.as_deref().unwrap_or("")),
        period = esc(r.period_label.as_deref().unwrap_or("")),
        amount = r.amount,
        st = r.status.as_str(),
        stn = r.status.label(),
        v = esc(village),
    )
}

// ---------- bills ----------

pub async fn bills(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let data = state
        .db
        .run(move |db| -> AppResult<_> {
            let bills = billing::list_bills(
                db,
                &actor,
                &code,
                BillQuery {
                    status: None,
                    payer_id: None,
                    contract_id: None,
                    after_id: None,
                    limit: Some(500),
                },
            )?;
            let payers = billing::list_payers(db, &actor, &code, Page { after: 0, limit: 500 })?;
            let items = billing::list_fee_items(db, &actor, &code)?;
            Ok((bills, payers, items))
        })
        .await;
    let (bills, payers, items) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let name = |id: PayerId| {
        payers
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let item = |id: FeeItemId| {
        items
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.name.clone())
            .unwrap_or_default()
    };
    let rows: String = bills
        .iter()
        .map(|b| {
            let open = b.status.takes_payment();
            format!(
                r#"<tr><td>{r}</td><td>{p}</td><td>{i} {per}</td><td class="num">¥{a}</td><td class="num">¥{o}</td><td>{s}</td><td>{act}</td></tr>"#,
                r = esc(&b.reference),
                p = esc(&name(b.payer_id)),
                i = esc(&item(b.fee_item_id)),
                per = esc(&b.period_label),
                a = b.amount,
                o = b.outstanding,
                s = b.status.label(),
                act = if open {
                    format!(r#"<a href="/staff/v/{}/cash?bill={}">收现金</a>"#, esc(&v), esc(&b.reference))
                } else {
                    String::new()
                },
            )
        })
        .collect();
    let year = chrono::Datelike::year(&crate::domain::period::business_date(crate::domain::period::now()));
    let body = format!(
        r#"{notes}<section><form method="post" action="/staff/v/{v}/bills/generate">{csrf}<label for="year">按合同生成账单（年度）</label><input id="year" name="year" value="{year}" size="6"> <button class="primary" id="generate">生成账单</button></form>
<p><a href="/staff/v/{v}/qr-sheet" id="qr-sheet">打印本村未缴账单的收款码</a></p></section>
<table id="bills"><tr><th>账单号</th><th>缴款人</th><th>项目</th><th class="num">应缴</th><th class="num">尚欠</th><th>状态</th><th></th></tr>{rows}</table>"#,
        v = esc(&v),
        csrf = staff.field(),
        notes = notes(&m),
    );
    html(StatusCode::OK, frame::page("账单", Some(&v), &staff.field(), &body))
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    csrf: String,
    year: String,
}

pub async fn generate(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<GenerateForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let back = format!("/staff/v/{v}/bills");
    let Ok(year) = form.year.trim().parse::<i32>() else {
        return refused(
            &back,
            &AppError::new(ErrorCode::YearInvalid, "年度请填写四位数字").at("year"),
        );
    };
    let (actor, code) = (staff.actor, v.clone());
    match state
        .db
        .run(move |db| billing::generate_bills(db, &actor, &code, GenerateBillsInput { year }))
        .await
    {
        Ok(r) => see_other(
            &back,
            &format!("已生成 {} 张账单，跳过已有的 {} 张。", r.created.len(), r.skipped),
        ),
        Err(e) => refused(&back, &e),
    }
}

pub async fn qr_sheet(state: web::Data<AppState>, staff: Staff, path: web::Path<String>) -> HttpResponse {
    let code = path.into_inner();
    let (key, base, actor) = (state.server_key.clone(), state.config.public_url.clone(), staff.actor);
    match state
        .db
        .run(move |db| qr_codes::bill_sheet(db, &actor, key.expose(), &base, &code))
        .await
    {
        Ok(sheet) => html(StatusCode::OK, crate::web::pages::sheet::render(&sheet)),
        Err(e) => failed(e),
    }
}

// ---------- cash ----------

#[derive(Deserialize)]
pub struct CashQuery {
    bill: Option<String>,
    msg: Option<String>,
    err: Option<String>,
}

pub async fn cash_form(staff: Staff, path: web::Path<String>, q: web::Query<CashQuery>) -> HttpResponse {
    let v = path.into_inner();
    let m = Msg {
        msg: q.msg.clone(),
        err: q.err.clone(),
    };
    let body = format!(
        r#"{notes}<form method="post" action="/staff/v/{v}/cash">{csrf}
<label for="bill_reference">账单号</label><input id="bill_reference" name="bill_reference" value="{bill}" required>
<label for="amount">收到现金（元）</label><input id="amount" name="amount" inputmode="decimal" required>
<button class="primary" id="record-cash">收款并开具收据</button></form>"#,
        v = esc(&v),
        csrf = staff.field(),
        bill = esc(q.bill.as_deref().unwrap_or("")),
        notes = notes(&m),
    );
    html(StatusCode::OK, frame::page("现金收款", Some(&v), &staff.field(), &body))
}

#[derive(Deserialize)]
pub struct CashForm {
    #[serde(default)]
    csrf: String,
    bill_reference: String,
    amount: String,
}

pub async fn record_cash(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<CashForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let form = form.into_inner();
    let back = format!(
        "/staff/v/{v}/cash?bill={}",
        form_urlencoded::byte_serialize(form.bill_reference.as_bytes()).collect::<String>()
    );
    let (key, actor, code) = (state.server_key.clone(), staff.actor, v.clone());
    let input = CashInput {
        bill_reference: form.bill_reference,
        amount: form.amount,
    };
    match state
        .db
        .run(move |db| cash::record_cash(db, key.expose(), &actor, &code, input))
        .await
    {
        Ok(r) => see_other(&format!("/staff/v/{v}/receipts/{}", r.number), "已收款并开具收据。"),
        Err(e) => refused(&back, &e),
    }
}

// ---------- cash on hand, pay-ins, matching ----------

pub async fn cash_on_hand(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let data = state
        .db
        .run(move |db| -> AppResult<_> {
            let c = cash::cash_on_hand(db, &actor, &code)?;
            let proposals = cash::propose_matches(db, &actor, &code)?;
            let credits = collections::list_bank_transactions(
                db,
                &actor,
                &code,
                collections::BankTransactionQuery {
                    outcome: Some(Outcome::Suspense),
                    after_id: None,
                    limit: Some(200),
                },
            )?;
            let accounts = registry::list_corporate_accounts(db, &actor, &code)?;
            Ok((c, proposals, credits, accounts))
        })
        .await;
    let (c, proposals, credits, accounts) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let me = staff.actor.user_id;
    let mut clerks = String::new();
    for k in &c.clerks {
        let records: String = k
            .records
            .iter()
            .map(|r| {
                let check = if k.clerk_id == me {
                    format!(
                        r#"<input type="checkbox" name="cash_record_ids" value="{}" form="pay-in-form">"#,
                        r.id
                    )
                } else {
                    String::new()
                };
                format!(
                    r#"<tr><td>{check}</td><td>{}</td><td>{}</td><td class="num">¥{}</td></tr>"#,
                    r.id,
                    esc(&r.bill_reference),
                    r.amount
                )
            })
            .collect();
        clerks.push_str(&format!(
            r#"<h3>{} ：库存 <span class="on-hand">¥{}</span>，代交在途 ¥{}</h3><table><tr><th></th><th>现金记录</th><th>账单号</th><th class="num">金额</th></tr>{records}</table>"#,
            esc(&k.clerk),
            k.on_hand,
            k.in_transit
        ));
    }
    let options: String = accounts
        .iter()
        .map(|a| {
            format!(
                r#"<option value="{}">{} {}</option>"#,
                a.id,
                esc(&a.bank_name),
                esc(&a.account_no)
            )
        })
        .collect();
    let pay_ins: String = c
        .pay_ins
        .iter()
        .map(|p| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="num">¥{}</td><td>{}</td><td>{}</td></tr>"#,
                p.id,
                esc(&p.clerk),
                p.amount,
                p.status.label(),
                p.cash_record_ids
                    .iter()
                    .map(|id| format!("#{id}"))
                    .collect::<Vec<_>>()
                    .join("、")
            )
        })
        .collect();
    let proposal_rows: String = proposals
        .iter()
        .map(|p| {
            format!(
                r#"<tr><td>代交 {pid}</td><td>银行入账 {tid}</td><td class="num">¥{amt}</td><td>{at}</td><td><form class="inline" method="post" action="/staff/v/{v}/pay-ins/{pid}/match">{csrf}<input type="hidden" name="bank_transaction_id" value="{tid}"><button class="primary" id="match-{pid}-{tid}">确认匹配</button></form></td></tr>"#,
                pid = p.pay_in_id,
                tid = p.bank_transaction_id,
                amt = p.amount,
                at = esc(&p.paid_at),
                v = esc(&v),
                csrf = staff.field(),
            )
        })
        .collect();
    let matched: Vec<BankTransactionId> = c.pay_ins.iter().filter_map(|p| p.bank_transaction_id).collect();
    let credit_rows: String = credits
        .iter()
        .filter(|t| !matched.contains(&t.id))
        .map(|t| {
            format!(
                r#"<tr><td>{}</td><td class="num">¥{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                t.id,
                t.amount,
                esc(&t.paid_at.to_rfc3339()),
                esc(t.payer.as_deref().unwrap_or("")),
                esc(&t.note)
            )
        })
        .collect();
    let body = format!(
        r#"{notes}<p class="notice">本村库存现金 <strong id="on-hand">¥{on_hand}</strong>，代交在途 <strong id="in-transit">¥{transit}</strong>；账上库存现金（101）<strong id="ledger-101">¥{ledger}</strong>。</p>
<section><h2>各报账员库存现金</h2>{clerks}</section>
<section><h2>代交（存入对公账户）</h2><form id="pay-in-form" method="post" action="/staff/v/{v}/pay-ins">{csrf}
<label for="account_id">存入账户</label><select id="account_id" name="account_id">{options}</select>
<label for="amount">代交金额（元）</label><input id="amount" name="amount" inputmode="decimal" required>
<p>勾选上表中本次交存的现金记录；不勾选则按收款先后自动选取。</p>
<button class="primary" id="pay-in">登记代交</button></form>
<table id="pay-ins"><tr><th>代交</th><th>报账员</th><th class="num">金额</th><th>状态</th><th>现金记录</th></tr>{pay_ins}</table></section>
<section><h2>待确认的匹配</h2>{proposals_html}</section>
<section><h2>未匹配的银行入账</h2><table id="credits"><tr><th>编号</th><th class="num">金额</th><th>时间</th><th>付款人</th><th>说明</th></tr>{credit_rows}</table></section>"#,
        proposals_html = if proposal_rows.is_empty() {
            r#"<p class="empty">暂无：银行到账后，与代交金额相符的入账会出现在这里。</p>"#.to_string()
        } else {
            format!(r#"<table id="proposals">{proposal_rows}</table>"#)
        },
        notes = notes(&m),
        on_hand = c.on_hand,
        transit = c.in_transit,
        ledger = c.ledger_101,
        v = esc(&v),
        csrf = staff.field(),
    );
    html(
        StatusCode::OK,
        frame::page("库存现金与代交", Some(&v), &staff.field(), &body),
    )
}

pub async fn declare_pay_in(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    // Repeated `cash_record_ids` fields: read the form by hand.
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Some(r) = staff.refuse_forged(&get("csrf")) {
        return r;
    }
    let v = path.into_inner();
    let back = format!("/staff/v/{v}/cash-on-hand");
    let ids: Vec<CashRecordId> = pairs
        .iter()
        .filter(|(k, _)| k == "cash_record_ids")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let Ok(account_id) = get("account_id").parse::<i64>() else {
        return refused(
            &back,
            &AppError::new(ErrorCode::AccountInvalid, "请选择存入账户").at("account_id"),
        );
    };
    let input = PayInInput {
        account_id: CorporateAccountId(account_id),
        amount: get("amount"),
        cash_record_ids: if ids.is_empty() { None } else { Some(ids) },
    };
    let (actor, code) = (staff.actor, v.clone());
    match state
        .db
        .run(move |db| cash::declare_pay_in(db, &actor, &code, input))
        .await
    {
        Ok(p) => see_other(
            &back,
            &format!(
                "已登记代交 ¥{}（代交编号 {}）。银行到账后在下方确认匹配。",
                p.amount, p.id
            ),
        ),
        Err(e) => refused(&back, &e),
    }
}

#[derive(Deserialize)]
pub struct MatchForm {
    #[serde(default)]
    csrf: String,
    bank_transaction_id: BankTransactionId,
}

pub async fn match_pay_in(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, PayInId)>,
    form: web::Form<MatchForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let back = format!("/staff/v/{v}/cash-on-hand");
    let (actor, code, txn) = (staff.actor, v.clone(), form.bank_transaction_id);
    match state
        .db
        .run(move |db| {
            cash::match_pay_in(
                db,
                &actor,
                &code,
                id,
                MatchInput {
                    bank_transaction_id: txn,
                },
            )
        })
        .await
    {
        Ok(_) => see_other(&back, "已匹配：代交现金已到账。"),
        Err(e) => refused(&back, &e),
    }
}

// ---------- receipts ----------

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
                receipts_table(&rows),
                v = esc(&v),
            );
            html(StatusCode::OK, frame::page("收据", Some(&v), &staff.field(), &body))
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
        period = esc(&r.period_label),
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
    html(StatusCode::OK, frame::page("收据", Some(&v), &staff.field(), &body))
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
