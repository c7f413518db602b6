//! Bank statements of a corporate account (import a file downloaded from online banking, read
//! the lines kept, reconcile, report) and money out (disbursement requests and decisions).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::ids::CorporateAccountId;
use crate::error::AppError;
use crate::usecases::disbursements::{self, DecisionInput, DisbursementInput, DisbursementQuery, DisbursementView};
use crate::usecases::reconciliation::{self, DaysQuery, ReconciliationReport, RunSummary};
use crate::usecases::statements::{self, ImportReport, StatementLineView};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name as the accountant saved it (kept with the import).
    pub file_name: Option<String>,
}

/// The file is the request body as it was downloaded (CSV in UTF-8, GBK or GB18030, or XLSX).
#[utoipa::path(post, path = "/api/v1/villages/{village}/accounts/{account}/statements", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("account" = i64, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the statement file"),
    responses((status = 201, body = ImportReport, description = "imported, or already imported (lines_new = 0)"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "the file names the row and column at fault; nothing was imported")))]
pub async fn import(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let profiles = state.profiles.clone();
    let name = q.into_inner().file_name.unwrap_or_else(|| "statement".into());
    let v = state
        .db
        .run(move |db| {
            statements::import_file(
                db,
                &who.actor,
                &code,
                CorporateAccountId(account),
                &name,
                &body,
                &profiles,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinesQuery {
    /// First business day (YYYY-MM-DD).
    pub from: NaiveDate,
    /// Last business day (YYYY-MM-DD), at most a year after `from`.
    pub to: NaiveDate,
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/accounts/{account}/statements", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("account" = i64, Path), LinesQuery),
    responses((status = 200, body = Vec<StatementLineView>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_lines(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<LinesQuery>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let q = q.into_inner();
    let v = state
        .db
        .run(move |db| statements::lines(db, &who.actor, &code, CorporateAccountId(account), q.from, q.to))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Sets the statement's unmatched lines of the days against the books: pairs them, takes in
/// credits the books never heard of, posts unexplained debits to 211.9998; returns the report.
#[utoipa::path(post, path = "/api/v1/villages/{village}/accounts/{account}/reconcile", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("account" = i64, Path), DaysQuery),
    responses((status = 200, body = RunSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reconcile(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<DaysQuery>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let key = state.server_key.clone();
    let q = q.into_inner();
    let v = state
        .db
        .run(move |db| reconciliation::reconcile(db, &who.actor, &code, CorporateAccountId(account), q, key.expose()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Every outcome of the days: matched (by rule), amount mismatch, statement-only credit,
/// ledger-only credit, unexplained debit, broken statement, closing balance against the books.
#[utoipa::path(get, path = "/api/v1/villages/{village}/accounts/{account}/reconciliation", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("account" = i64, Path), DaysQuery),
    responses((status = 200, body = ReconciliationReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<DaysQuery>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let q = q.into_inner();
    let v = state
        .db
        .run(move |db| reconciliation::report(db, &who.actor, &code, CorporateAccountId(account), q))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/disbursements", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path)), request_body = DisbursementInput,
    responses((status = 201, body = DisbursementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request_disbursement(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<DisbursementInput>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let v = state
        .db
        .run(move |db| disbursements::request(db, &who.actor, &code, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/disbursements", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), DisbursementQuery),
    responses((status = 200, body = Vec<DisbursementView>), (status = 404, body = ErrorBody)))]
pub async fn list_disbursements(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    q: web::Query<DisbursementQuery>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    let status = q.into_inner().status;
    let v = state
        .db
        .run(move |db| disbursements::list(db, &who.actor, &code, status))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Another person than the requester, with the approving role, approves a request.
#[utoipa::path(post, path = "/api/v1/villages/{village}/disbursements/{id}/approve", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = DisbursementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "already decided, or the requester's own")))]
pub async fn approve_disbursement(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let (code, id) = path.into_inner();
    let v = state
        .db
        .run(move |db| disbursements::decide(db, &who.actor, &code, id, true, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/disbursements/{id}/reject", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = DisbursementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject_disbursement(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let (code, id) = path.into_inner();
    let v = state
        .db
        .run(move |db| disbursements::decide(db, &who.actor, &code, id, false, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Withdraws an approval the bank has not paid (another accountant than the requester, with a
/// reason): the request ends rejected; a refund's credit is free again.
#[utoipa::path(post, path = "/api/v1/villages/{village}/disbursements/{id}/withdraw", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = DisbursementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "not approved, already paid, or the requester's own"),
              (status = 422, body = ErrorBody)))]
pub async fn withdraw_disbursement(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<DecisionInput>,
) -> Result<HttpResponse, AppError> {
    let (code, id) = path.into_inner();
    let v = state
        .db
        .run(move |db| disbursements::withdraw(db, &who.actor, &code, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FetchQuery {
    /// The business day (YYYY-MM-DD); today's is the day so far.
    pub date: NaiveDate,
}

/// Fetches a day's statement from the bank's statement API (the account's bank binding must
/// name one) and keeps its new lines; fetching a day again adds only what is new.
#[utoipa::path(post, path = "/api/v1/villages/{village}/accounts/{account}/statements/fetch", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("account" = i64, Path), FetchQuery),
    responses((status = 201, body = ImportReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "the binding has no statement API"),
              (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "the bank's answer did not verify or did not come; nothing kept")))]
pub async fn fetch(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<FetchQuery>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let v = statements::fetch(
        &state.db,
        &state.sealing,
        &state.http,
        &state.profiles,
        Some(who.actor),
        code,
        CorporateAccountId(account),
        q.into_inner().date,
    )
    .await?;
    Ok(HttpResponse::Created().json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFileQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `xlsx` (default) or `csv` (UTF-8 with BOM).
    pub format: Option<crate::usecases::exports::ExportFormat>,
}

/// The reconciliation report as XLSX (numbers as numbers, serials as text) or CSV.
#[utoipa::path(get, path = "/api/v1/villages/{village}/accounts/{account}/reconciliation/export", tag = "reconciliation",
    security(("bearer" = [])), params(("village" = String, Path), ("account" = i64, Path), ReportFileQuery),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report_file(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<ReportFileQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::usecases::exports::{self, ExportFormat};
    let (code, account) = path.into_inner();
    let q = q.into_inner();
    let format = q.format.unwrap_or(ExportFormat::Xlsx);
    let name = format!("{code}-account{account}-{}-{}", q.from, q.to);
    let (bytes, kind) = state
        .db
        .run(move |db| -> Result<(Vec<u8>, &'static str), AppError> {
            let report = reconciliation::report(
                db,
                &who.actor,
                &code,
                CorporateAccountId(account),
                DaysQuery { from: q.from, to: q.to },
            )?;
            let table = reconciliation::report_table(&report);
            Ok(match format {
                ExportFormat::Xlsx => (
                    exports::to_xlsx(&table)?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                ExportFormat::Csv => (exports::to_csv(&table)?, "text/csv; charset=utf-8"),
            })
        })
        .await?;
    let ext = if format == ExportFormat::Xlsx { "xlsx" } else { "csv" };
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.{ext}\"")))
        .body(bytes))
}
