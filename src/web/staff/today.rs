//! 今日收款: today's receipts and totals of a village, with its cash on hand.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::frame::{self, failed, html, notes, Msg};
use super::receipts::{receipt_row, receipts_table};
use super::session::Staff;
use crate::domain::ReceiptStatus;
use crate::error::AppResult;
use crate::usecases::{cash, collections, registry};
use crate::web::AppState;

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
        receipts_table(&rows, "今天还没有开具收据。扫码到账、现金收款后开出的收据会列在这里。"),
        notes = notes(&m),
    );
    html(
        StatusCode::OK,
        frame::page(&format!("{} 今日收款", village.name), Some(&v), &staff, &body),
    )
}
