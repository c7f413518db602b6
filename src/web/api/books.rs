//! A village's books: accounts, entries, reversals, month close, trial balance, chain head.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::ledger::trial_balance::TrialBalance;
use crate::usecases::bookkeeping::{
    self, AccountBalanceView, ChainHeadView, ClosedPeriodView, EntryQuery, EntryView, NewEntryInput, ReverseInput,
};
use crate::usecases::verify::{self, VillageReport};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

#[utoipa::path(get, path = "/api/v1/villages/{village}/ledger/accounts", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = Vec<AccountBalanceView>), (status = 404, body = ErrorBody)))]
pub async fn list_ledger_accounts(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::list_accounts(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/entries", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = NewEntryInput,
    responses((status = 201, body = EntryView), (status = 409, body = ErrorBody, description = "period closed"), (status = 422, body = ErrorBody)))]
pub async fn post_entry(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<NewEntryInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::post_entry(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/entries", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path), EntryQuery), responses((status = 200, body = Vec<EntryView>), (status = 404, body = ErrorBody)))]
pub async fn list_entries(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<EntryQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::list_entries(db, &who.actor, &code, q.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/entries/{seq}", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path), ("seq" = i64, Path)), responses((status = 200, body = EntryView), (status = 404, body = ErrorBody)))]
pub async fn get_entry(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (code, seq) = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::get_entry(db, &who.actor, &code, seq))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/entries/{seq}/reverse", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path), ("seq" = i64, Path)), request_body = ReverseInput,
    responses((status = 201, body = EntryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reverse_entry(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<ReverseInput>,
) -> Result<HttpResponse, AppError> {
    let (code, seq) = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::reverse_entry(db, &who.actor, &code, seq, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/periods/{period}/close", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path), ("period" = String, Path, description = "YYYY-MM")),
    responses((status = 201, body = ClosedPeriodView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn close_period(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, period) = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::close_period(db, &who.actor, &code, &period))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/periods/closed", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = Vec<ClosedPeriodView>)))]
pub async fn closed_periods(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| bookkeeping::list_closed_periods(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The month, YYYY-MM.
    pub period: String,
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/trial-balance", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path), PeriodQuery), responses((status = 200, body = TrialBalance), (status = 422, body = ErrorBody)))]
pub async fn trial_balance(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let period = q.into_inner().period;
    let v = state
        .db
        .run(move |db| bookkeeping::trial_balance(db, &who.actor, &code, &period))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/chain-head", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = ChainHeadView), (status = 404, body = ErrorBody)))]
pub async fn chain_head(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let key = state.server_key.clone();
    let v = state
        .db
        .run(move |db| bookkeeping::chain_head(db, &who.actor, &code, key.expose()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/verify", tag = "ledger", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = VillageReport), (status = 404, body = ErrorBody)))]
pub async fn verify_village(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| verify::verify_in_scope(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    pub year: i32,
}

/// The village's journal of a year as a Beancount file for outside auditors: every entry with
/// its journal number and hash, the year's opening balances, and closing balance assertions
/// from the books' own trial balance (`bean-check` verifies the file against them).
#[utoipa::path(get, path = "/api/v1/villages/{village}/journal.beancount", tag = "ledger",
    security(("bearer" = [])), params(("village" = String, Path), YearQuery),
    responses((status = 200, description = "the Beancount file", content_type = "text/plain"),
              (status = 404, body = crate::web::error::ErrorBody), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn beancount(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<YearQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let year = q.year;
    let name: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    let text = state
        .db
        .run(move |db| crate::usecases::exports::beancount(db, Some(&who.actor), &code, year))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}-{year}.beancount\""),
        ))
        .body(text))
}
