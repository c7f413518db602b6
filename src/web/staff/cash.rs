//! 现金收款 and 库存现金与代交: cash taken for a bill, cash on hand per clerk, pay-ins (代交) and
//! their matching to the bank's credit.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, notes, refused, see_other, Msg};
use super::session::Staff;
use crate::domain::{BankTransactionId, CashRecordId, CorporateAccountId, PayInId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::usecases::cash::{self, CashInput, MatchInput, PayInInput};
use crate::usecases::registry;
use crate::web::pages::esc;
use crate::web::AppState;

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
    html(StatusCode::OK, frame::page("现金收款", Some(&v), &staff, &body))
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
            // What still waits in suspense: not matched to a pay-in, not placed on a bill.
            let credits = crate::usecases::suspense::list_waiting(db, &actor, &code)?;
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
            r#"<h3>{} ：库存 <span class="on-hand">¥{}</span>，代交在途 ¥{}</h3>{}"#,
            esc(&k.clerk),
            k.on_hand,
            k.in_transit,
            frame::table(
                "",
                r#"<th></th><th>现金记录</th><th>账单号</th><th class="num">金额</th>"#,
                &records,
                "手上没有未交存的现金。收了现金而未代交的记录会列在这里。",
            )
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
                at = esc(&crate::domain::period::shown_text(&p.paid_at)),
                v = esc(&v),
                csrf = staff.field(),
            )
        })
        .collect();
    let credit_rows: String = credits
        .iter()
        .map(|t| {
            format!(
                r#"<tr><td>{}</td><td class="num">¥{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                t.bank_transaction_id,
                t.amount,
                esc(&crate::domain::period::shown(t.paid_at)),
                esc(t.payer.as_deref().unwrap_or("")),
                esc(&t.note)
            )
        })
        .collect();
    let body = format!(
        r#"{notes}<p class="notice">本村库存现金 <strong id="on-hand">¥{on_hand}</strong>，代交在途 <strong id="in-transit">¥{transit}</strong>；账上库存现金（101）<strong id="ledger-101">¥{ledger}</strong>。</p>{differ}
<section><h2>各报账员库存现金</h2>{clerks}</section>
<section><h2>代交（存入对公账户）</h2><form id="pay-in-form" method="post" action="/staff/v/{v}/pay-ins">{csrf}
<label for="account_id">存入账户</label><select id="account_id" name="account_id">{options}</select>
<label for="amount">代交金额（元）</label><input id="amount" name="amount" inputmode="decimal" required>
<p>勾选上表中本次交存的现金记录；不勾选则按收款先后自动选取。</p>
<button class="primary" id="pay-in">登记代交</button></form>
{pay_ins_table}</section>
<section><h2>待确认的匹配</h2>{proposals_html}</section>
<section><h2>未匹配的银行入账</h2>{credits_table}</section>"#,
        pay_ins_table = frame::table(
            "pay-ins",
            r#"<th>代交</th><th>报账员</th><th class="num">金额</th><th>状态</th><th>现金记录</th>"#,
            &pay_ins,
            "还没有代交。把现金存入对公账户后在上面登记，代交和它的到账情况会列在这里。",
        ),
        credits_table = frame::table(
            "credits",
            r#"<th>编号</th><th class="num">金额</th><th>时间</th><th>付款人</th><th>说明</th>"#,
            &credit_rows,
            "没有未匹配的银行入账。银行到账而尚未对应到代交或账单的款项会列在这里。",
        ),
        proposals_html = if proposal_rows.is_empty() {
            r#"<p class="empty">暂无：银行到账后，与代交金额相符的入账会出现在这里。</p>"#.to_string()
        } else {
            frame::table(
                "proposals",
                r#"<th>代交</th><th>银行入账</th><th class="num">金额</th><th>到账时间</th><th></th>"#,
                &proposal_rows,
                "",
            )
        },
        notes = notes(&m),
        differ = match c.books_differ_by() {
            d if d.is_zero() => String::new(),
            d => format!(
                r#"<p class="notice error" id="books-differ"><strong>账实不符：</strong>账上库存现金比现金记录（库存加代交在途）{} <strong>¥{}</strong>。请核对本村的现金收款记录和涉及库存现金的凭证，并告知乡镇会计。</p>"#,
                if d.is_negative() { "少" } else { "多" },
                if d.is_negative() { -d } else { d },
            ),
        },
        on_hand = c.on_hand,
        transit = c.in_transit,
        ledger = c.ledger_101,
        v = esc(&v),
        csrf = staff.field(),
    );
    html(StatusCode::OK, frame::page("库存现金与代交", Some(&v), &staff, &body))
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
