//! 待查明款项: the credits of a village that named no bill, and the accountant's form to place
//! each onto the bill it paid. A refused placement comes back on this page with what was typed.
//! Thin handlers over `usecases::suspense`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, message, notes, see_other, table, Msg};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::ids::BankTransactionId;
use crate::domain::period;
use crate::error::AppError;
use crate::usecases::suspense::{self, PlaceInput};
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
    typed: Option<(i64, &PlaceForm)>,
) -> HttpResponse {
    let (actor, village) = (staff.actor.clone(), v.to_string());
    let credits = match state
        .db
        .run(move |db| suspense::list_waiting(db, &actor, &village))
        .await
    {
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
                Some((t, f)) if t == id => (f.bill_reference.as_str(), f.note.as_str()),
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
    let body = format!(
        r#"{top}<p>没有写明账单号的到账先记在“待查明款项”（211.9999）。查明是哪张账单的钱后（村民来电、报账员认出付款人），在这里认领：账单记为已缴，收据依据这笔到账开出；报账员先开的待核实收据随之生效。一笔到账只能整笔认领到一张账单。</p>{}"#,
        table(
            "suspense",
            r#"<th>编号</th><th>到账时间</th><th>方式</th><th class="num">金额</th><th>付款人</th><th>附言</th><th>原因</th><th></th>"#,
            &rows,
            "没有待查明的款项。写明账单号的到账会自动入账；没写明的会列在这里。"
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
                Some((id, &typed)),
            )
            .await
        }
    }
}
