//! Counties, townships, villages and corporate accounts.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::store::Page;
use crate::usecases::registry::{
    self, CashLimitHistory, CashLimitInput, CorporateAccountView, CountyView, NewCorporateAccountInput,
    NewTownshipInput, NewVillageInput, RenameVillageInput, TownshipView, VillageView,
};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

#[utoipa::path(get, path = "/api/v1/counties", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<CountyView>)))]
pub async fn list_counties(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, AppError> {
    let v = state.db.run(move |db| registry::list_counties(db, &who.actor)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/townships", tag = "registry", security(("bearer" = [])), request_body = NewTownshipInput,
    responses((status = 201, body = TownshipView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_township(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewTownshipInput>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| registry::create_township(db, &who.actor, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/townships", tag = "registry", security(("bearer" = [])),
    responses((status = 200, body = Vec<TownshipView>)))]
pub async fn list_townships(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, AppError> {
    let v = state.db.run(move |db| registry::list_townships(db, &who.actor)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages", tag = "registry", security(("bearer" = [])), request_body = NewVillageInput,
    responses((status = 201, body = VillageView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_village(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewVillageInput>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| registry::create_village(db, &who.actor, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VillageQuery {
    /// Only villages of this township (12-digit code).
    pub township: Option<String>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/villages", tag = "registry", security(("bearer" = [])), params(VillageQuery),
    responses((status = 200, body = Vec<VillageView>)))]
pub async fn list_villages(
    state: web::Data<AppState>,
    who: Authenticated,
    q: web::Query<VillageQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let page = Page::new(q.after_id, q.limit);
    let v = state
        .db
        .run(move |db| registry::list_villages(db, &who.actor, q.township.as_deref(), page))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}", tag = "registry", security(("bearer" = [])),
    params(("village" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = VillageView), (status = 404, body = ErrorBody)))]
pub async fn get_village(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| registry::get_village(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/name", tag = "registry", security(("bearer" = [])),
    params(("village" = String, Path, description = "12-digit village code")), request_body = RenameVillageInput,
    responses((status = 200, body = VillageView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
/// Renames the village (the admin); its code and books stay, the audit log keeps both names.
pub async fn rename_village(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<RenameVillageInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| registry::rename_village(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/cash-limit", tag = "registry", security(("bearer" = [])),
    params(("village" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = CashLimitHistory), (status = 404, body = ErrorBody)))]
/// The village's cash limit as registered, in force today, and every change since.
pub async fn get_cash_limit(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| registry::cash_limit_history(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/cash-limit", tag = "registry", security(("bearer" = [])),
    params(("village" = String, Path, description = "12-digit village code")), request_body = CashLimitInput,
    responses((status = 201, body = CashLimitHistory), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Changes the village's cash limit from a day on (the admin): today or later, never a past day,
/// so the days already checked keep the limit they were checked against.
pub async fn set_cash_limit(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<CashLimitInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| registry::set_cash_limit(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/accounts", tag = "registry", security(("bearer" = [])),
    params(("village" = String, Path, description = "12-digit village code")), request_body = NewCorporateAccountInput,
    responses((status = 201, body = CorporateAccountView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_account(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<NewCorporateAccountInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| registry::add_corporate_account(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/accounts", tag = "registry", security(("bearer" = [])),
    params(("village" = String, Path, description = "12-digit village code")),
    responses((status = 200, body = Vec<CorporateAccountView>), (status = 404, body = ErrorBody)))]
pub async fn list_accounts(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| registry::list_corporate_accounts(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}
