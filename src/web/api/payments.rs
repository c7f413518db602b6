//! Provider bindings, bank transactions, receipts and the callback inbox.

use actix_web::{web, HttpResponse};

use crate::domain::CorporateAccountId;
use crate::error::AppError;
use crate::store::Page;
use crate::usecases::bindings::{self, BindingInput, BindingView};
use crate::usecases::collections::{self, BankTransactionQuery, BankTransactionView, InboxView, ReceiptView};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::{AppState, PageQuery};

#[utoipa::path(post, path = "/api/v1/villages/{village}/accounts/{account}/bindings", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), ("account" = i64, Path, description = "corporate account id")), request_body = BindingInput,
    responses((status = 201, body = BindingView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_binding(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, CorporateAccountId)>,
    body: web::Json<BindingInput>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let sealing = state.sealing.clone();
    let v = state
        .db
        .run(move |db| bindings::create_binding(db, &sealing, &who.actor, &code, account, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(put, path = "/api/v1/villages/{village}/bindings/{binding}", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), ("binding" = i64, Path)), request_body = BindingInput,
    responses((status = 200, body = BindingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_binding(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<BindingInput>,
) -> Result<HttpResponse, AppError> {
    let (code, binding) = path.into_inner();
    let sealing = state.sealing.clone();
    let v = state
        .db
        .run(move |db| bindings::replace_binding(db, &sealing, &who.actor, &code, binding, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/bindings", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = Vec<BindingView>)))]
pub async fn list_bindings(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| bindings::list_bindings(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/bank-transactions", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), BankTransactionQuery), responses((status = 200, body = Vec<BankTransactionView>)))]
pub async fn list_bank_transactions(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<BankTransactionQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| collections::list_bank_transactions(db, &who.actor, &code, q.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/receipts", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), PageQuery), responses((status = 200, body = Vec<ReceiptView>)))]
pub async fn list_receipts(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| collections::list_receipts(db, &who.actor, &code, q.after_id, q.limit))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// received, applied, duplicate, ignored or rejected.
    pub status: Option<crate::domain::InboxStatus>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/inbox", tag = "payments", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Vec<InboxView>)))]
pub async fn list_inbox(
    state: web::Data<AppState>,
    who: Authenticated,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let page = Page::new(q.after_id, q.limit);
    let v = state
        .db
        .run(move |db| collections::list_inbox(db, &who.actor, q.status, page))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/gateway-orders/query", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path)),
    responses((status = 200, description = "what the round found", body = Object), (status = 404, body = ErrorBody)))]
/// Asks the gateways now about every open order of the village (payments whose notification
/// never came are found and posted, with the signed answer kept as evidence).
pub async fn query_orders(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let round = crate::usecases::orders::query_village_now(
        &state.db,
        &state.sealing,
        &state.http,
        state.server_key.expose(),
        who.actor,
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(round))
}
