//! 待查明款项: the credits of a village that named no bill, and the accountant's form to place
//! each onto the bill it paid; below, the latest placements, each of which the accountant may
//! undo when it went onto the wrong bill. A refused placement or undo comes back on this page
//! with what was typed. Thin handlers over `usecases::suspense`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, message, notes, see_other, table, Msg};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::ids::BankTransactionId;
use crate::domain::period;
use crate::error::AppError;
use crate::usecases::suspense::{self, PlaceInput, UndoInput};
use crate::web::error::{for_people, status};
use crate::web::pages::esc;
use crate::web::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bill_reference: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct UndoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// What a refused form had typed, to show it again in its row.
enum Typed<'a> {
    Place(i64, &'a PlaceForm),
    Undo(i64, &'a UndoForm),
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    render(&state, &staff, &v, StatusCode::OK, &notes(&m), None).await
}

async fn render(
    state: &web::Data<AppState>,
    staff: &Staff,
    v: &str,
    code: StatusCode,
    top: &str,
    typed: Option<Typed<'_>>,
) -> HttpResponse {
    let (actor, village) = (staff.actor.clone(), v.to_string());
    let (credits, placed) = match state.db.run(move |db| suspense::overview(db, &actor, &village)).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let accountant = staff.actor.role == Role::Accountant;
    let csrf = staff.field();
    let rows: String = credits
        .iter()
        .map(|c| {
            let id = c.bank_transaction_id.get();
            let (bill, note) = match typed {
                Some(Typed::Place(t, f)) if t == id => (f.bill_reference.as_str(), f.note.as_str()),
                _ => ("", ""),
            };
            let form = if accountant {
                format!(
                    r#"<form class="inline" method="post" action="/staff/v/{v}/suspense/{id}/place">{csrf}<input name="bill_reference" placeholder="账单号" aria-label="入账 {id} 付的账单号" value="{bill}" required> <input name="note" placeholder="依据（如：村民来电确认）" aria-label="入账 {id} 认领的依据" value="{note}" required maxlength="150"> <button class="primary" id="place-{id}">认领</button></form>"#,
                    v = esc(v),
                    bill = esc(bill),
                    note = esc(note),
                )
            } else {
                "由乡镇会计认领".to_string()
            };
            format!(
                r#"<tr id="credit-{id}"><td>{id}</td><td>{when}</td><td>{channel}</td><td class="num">¥{amount}</td><td>{payer}</td><td class="text">{reference}</td><td class="text">{why}</td><td>{form}</td></tr>"#,
                when = esc(&period::shown(c.paid_at)),
                channel = esc(&c.channel_name),
                amount = c.amount,
                payer = esc(c.payer.as_deref().unwrap_or("")),
                reference = esc(c.reference.as_deref().unwrap_or("")),
                why = esc(&c.note),
            )
        })
        .collect();
    let placed_rows: String = placed
        .iter()
        .map(|p| {
            let id = p.bank_transaction_id.get();
            let note = match typed {
                Some(Typed::Undo(t, f)) if t == id => f.note.as_str(),
                _ => "",
            };
            let form = if accountant {
                format!(
                    r#"<form class="inline" method="post" action="/staff/v/{v}/suspense/{id}/undo">{csrf}<input name="note" placeholder="撤销原因（如：认错了账单）" aria-label="撤销入账 {id} 认领的原因" value="{note}" required maxlength="100"> <button id="undo-{id}">撤销认领</button></form>"#,
                    v = esc(v),
                    note = esc(note),
                )
            } else {
                String::new()
            };
            format!(
                r#"<tr id="placed-{id}"><td>{id}</td><td>{when}</td><td>{channel}</td><td class="num">¥{amount}</td><td>{payer}</td><td>{bill}</td><td class="text">{why}</td><td>{by}</td><td>{at}</td><td>{form}</td></tr>"#,
                when = esc(&period::shown(p.paid_at)),
                channel = esc(&p.channel_name),
                amount = p.amount,
                payer = esc(p.payer.as_deref().unwrap_or("")),
                bill = esc(&p.bill_reference),
                why = esc(&p.note),
                by = esc(&p.placed_by),
                at = esc(&period::shown(p.placed_at)),
            )
        })
        .collect();
    let body = format!(
        r#"{top}<p>没有写明账单号的到账先记在“待查明款项”（211.9999）。查明是哪张账单的钱后（村民来电、报账员认出付款人），在这里认领：账单记为已缴，收据依据这笔到账开出；报账员先开的待核实收据随之生效。一笔到账只能整笔认领到一张账单。</p>{}<h2>已认领</h2><p>认错了账单时撤销认领：认领凭证被冲销，账单重新欠款，依据这笔到账的收据作废，到账回到上面的待查明列表，再认领到正确的账单。撤销和原因都记入审计日志。</p>{}"#,
        table(
            "suspense",
            r#"<th>编号</th><th>到账时间</th><th>方式</th><th class="num">金额</th><th>付款人</th><th>附言</th><th>原因</th><th></th>"#,
            &rows,
            "没有待查明的款项。写明账单号的到账会自动入账；没写明的会列在这里。"
        ),
        table(
            "placed",
            r#"<th>编号</th><th>到账时间</th><th>方式</th><th class="num">金额</th><th>付款人</th><th>认领到账单</th><th>依据</th><th>认领人</th><th>认领时间</th><th></th>"#,
            &placed_rows,
            "还没有认领过的到账。认领后列在这里（最近 50 笔），认错时可以撤销。"
        )
    );
    html(code, frame::page("待查明款项", Some(v), staff, &body))
}

pub async fn place(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<PlaceForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let typed = form.into_inner();
    let input = PlaceInput {
        bill_reference: typed.bill_reference.clone(),
        note: typed.note.clone(),
    };
    let (actor, code, key) = (staff.actor.clone(), v.clone(), state.server_key.clone());
    match state
        .db
        .run(move |db| suspense::place(db, key.expose(), &actor, &code, BankTransactionId(id), input))
        .await
    {
        Ok(r) => see_other(
            &format!("/staff/v/{v}/suspense"),
            &format!(
                "已认领：¥{} 记入账单 {}，收据 {}。",
                r.amount,
                r.bill_reference.as_deref().unwrap_or(""),
                r.number
            ),
        ),
        Err(e) => {
            let e: AppError = e;
            render(
                &state,
                &staff,
                &v,
                status(&e),
                &message(Some(&for_people(&e)), true),
                Some(Typed::Place(id, &typed)),
            )
            .await
        }
    }
}

pub async fn undo(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<UndoForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let typed = form.into_inner();
    let input = UndoInput {
        note: typed.note.clone(),
    };
    let (actor, code, key) = (staff.actor.clone(), v.clone(), state.server_key.clone());
    match state
        .db
        .run(move |db| suspense::undo(db, key.expose(), &actor, &code, BankTransactionId(id), input))
        .await
    {
        Ok(u) => see_other(
            &format!("/staff/v/{v}/suspense"),
            &format!(
                "已撤销认领：账单 {} 重新欠 ¥{}，第 {} 号冲销凭证，收据 {} 已作废{}；这笔到账回到待查明款项。",
                u.bill_reference,
                u.amount,
                u.reversal_seq,
                u.voided_receipt,
                u.claim_again
                    .map(|n| format!("；报账员原先开的待核实收据改为 {n}，继续等待到账"))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => {
            let e: AppError = e;
            render(
                &state,
                &staff,
                &v,
                status(&e),
                &message(Some(&for_people(&e)), true),
                Some(Typed::Undo(id, &typed)),
            )
            .await
        }
    }
}
