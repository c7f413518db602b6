//! Login, logout, who am I, users and the audit log.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::store::Page;
use crate::usecases::access::{self, AssignmentInput, AuditView, LoginInput, LoginResult, NewUserInput, UserView};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::{AppState, PageQuery};

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "access", request_body = LoginInput,
    responses((status = 200, body = LoginResult), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginInput>,
) -> Result<HttpResponse, AppError> {
    let input = body.into_inner();
    let client = crate::web::limits::client(&req);
    let result = crate::web::auth::log_in(&state, &client, &input.username, input.password).await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "access", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, AppError> {
    state
        .db
        .run(move |db| access::logout(db, &who.actor, &who.token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/me", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(state: web::Data<AppState>, who: Authenticated) -> Result<HttpResponse, AppError> {
    let v = state.db.run(move |db| access::me(db, &who.actor)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "access", security(("bearer" = [])), request_body = NewUserInput,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<NewUserInput>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| access::create_user(db, &who.actor, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/assignment", tag = "access", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AssignmentInput,
    responses((status = 200, body = UserView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Gives a clerk or accountant another post or place (the admin); their sessions end.
pub async fn reassign_user(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: web::Json<AssignmentInput>,
) -> Result<HttpResponse, AppError> {
    let id = crate::domain::ids::UserId(path.into_inner());
    let v = state
        .db
        .run(move |db| access::reassign_user(db, &who.actor, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "access", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    state: web::Data<AppState>,
    who: Authenticated,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page::new(q.after_id, q.limit);
    let v = state.db.run(move |db| access::list_users(db, &who.actor, page)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "access", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Vec<AuditView>), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    state: web::Data<AppState>,
    who: Authenticated,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page::new(q.after_id, q.limit);
    let v = state.db.run(move |db| access::list_audit(db, &who.actor, page)).await?;
    Ok(HttpResponse::Ok().json(v))
}
