//! Payers, fee items, contracts and bills of a village.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::store::Page;
use crate::usecases::billing::{
    self, BillQuery, BillView, CancelBillInput, ContractView, FeeItemView, GenerateBillsInput, GenerateBillsResult,
    NewBillInput, NewContractInput, NewFeeItemInput, NewPayerInput, PayerView,
};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::{AppState, PageQuery};

#[utoipa::path(post, path = "/api/v1/villages/{village}/payers", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = NewPayerInput,
    responses((status = 201, body = PayerView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_payer(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<NewPayerInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::create_payer(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/payers", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path), PageQuery), responses((status = 200, body = Vec<PayerView>), (status = 404, body = ErrorBody)))]
pub async fn list_payers(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let page = Page::new(q.after_id, q.limit);
    let v = state
        .db
        .run(move |db| billing::list_payers(db, &who.actor, &code, page))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/fee-items", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = NewFeeItemInput,
    responses((status = 201, body = FeeItemView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_fee_item(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<NewFeeItemInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::create_fee_item(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/fee-items", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = Vec<FeeItemView>), (status = 404, body = ErrorBody)))]
pub async fn list_fee_items(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::list_fee_items(db, &who.actor, &code))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/contracts", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = NewContractInput,
    responses((status = 201, body = ContractView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<NewContractInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::create_contract(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/contracts", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path), PageQuery), responses((status = 200, body = Vec<ContractView>), (status = 404, body = ErrorBody)))]
pub async fn list_contracts(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let page = Page::new(q.after_id, q.limit);
    let v = state
        .db
        .run(move |db| billing::list_contracts(db, &who.actor, &code, page))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/bills", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = NewBillInput,
    responses((status = 201, body = BillView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_bill(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<NewBillInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::create_bill(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/bills/generate", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = GenerateBillsInput,
    responses((status = 200, body = GenerateBillsResult), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn generate_bills(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<GenerateBillsInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::generate_bills(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/bills", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path), BillQuery), responses((status = 200, body = Vec<BillView>), (status = 404, body = ErrorBody)))]
pub async fn list_bills(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<BillQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::list_bills(db, &who.actor, &code, q.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/bills/{reference}", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path), ("reference" = String, Path, description = "bill reference, with or without dashes")),
    responses((status = 200, body = BillView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_bill(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, reference) = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::get_bill(db, &who.actor, &code, &reference))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/bills/{reference}/cancel", tag = "billing", security(("bearer" = [])),
    params(("village" = String, Path), ("reference" = String, Path)), request_body = CancelBillInput,
    responses((status = 200, body = BillView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_bill(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
    body: web::Json<CancelBillInput>,
) -> Result<HttpResponse, AppError> {
    let (code, reference) = path.into_inner();
    let v = state
        .db
        .run(move |db| billing::cancel_bill(db, &who.actor, &code, &reference, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}
