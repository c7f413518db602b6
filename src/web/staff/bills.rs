//! 账单: a village's bills, generated from its contracts, with the QR sheet to print.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, notes, refused, see_other, Msg};
use super::session::Staff;
use crate::domain::{FeeItemId, PayerId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::Page;
use crate::usecases::billing::{self, BillQuery, GenerateBillsInput};
use crate::usecases::qr_codes;
use crate::web::pages::esc;
use crate::web::AppState;

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
                per = esc(&crate::domain::schedule::shown_period(&b.period_label)),
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
{table}"#,
        table = frame::table(
            "bills",
            r#"<th>账单号</th><th>缴款人</th><th>项目</th><th class="num">应缴</th><th class="num">尚欠</th><th>状态</th><th></th>"#,
            &rows,
            "本村还没有账单。登记合同后按年度生成，或在接口中逐笔开具；开出的账单和尚欠金额会列在这里。",
        ),
        v = esc(&v),
        csrf = staff.field(),
        notes = notes(&m),
    );
    html(StatusCode::OK, frame::page("账单", Some(&v), &staff, &body))
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
