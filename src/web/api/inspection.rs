//! Inspection for the discipline inspection committee: run the rules over a scope and period,
//! list and read the findings, move them through the workflow, download the report.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::period;
use crate::error::AppError;
use crate::usecases::inspection::findings::{self, FindingDetail, FindingPage, FindingQuery, MoveInput};
use crate::usecases::inspection::report::{self, InspectionReport};
use crate::usecases::inspection::{self, RunInput, RunSummary};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

/// Runs the rules (all the county has switched on, or those named) over every village of a
/// county, township or village and the months given; keeps the findings and returns the run.
#[utoipa::path(post, path = "/api/v1/inspection/runs", tag = "inspection",
    security(("bearer" = [])), request_body = RunInput,
    responses((status = 200, body = RunSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run_inspection(
    state: web::Data<AppState>,
    who: Authenticated,
    body: web::Json<RunInput>,
) -> Result<HttpResponse, AppError> {
    let config = state.config.clone();
    let v = state
        .db
        .run(move |db| inspection::run(db, Some(&who.actor), &body, &config.inspection, period::now()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// The findings of a scope and period, filtered, 500 a page.
#[utoipa::path(get, path = "/api/v1/findings", tag = "inspection",
    security(("bearer" = [])), params(FindingQuery),
    responses((status = 200, body = FindingPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_findings(
    state: web::Data<AppState>,
    who: Authenticated,
    q: web::Query<FindingQuery>,
) -> Result<HttpResponse, AppError> {
    let v = state.db.run(move |db| findings::list(db, &who.actor, &q)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// One finding: its evidence, what the rule means, its history and the next steps.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "inspection",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = FindingDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_finding(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let v = state.db.run(move |db| findings::get(db, &who.actor, id)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Moves a finding one step (acknowledge; then explain, confirm or dismiss, with a note).
#[utoipa::path(post, path = "/api/v1/findings/{id}/status", tag = "inspection",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = MoveInput,
    responses((status = 200, body = FindingDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn move_finding(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<i64>,
    body: web::Json<MoveInput>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let v = state
        .db
        .run(move |db| findings::move_to(db, &who.actor, id, &body))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Json,
    Xlsx,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFormatQuery {
    /// json (default), xlsx (a summary sheet and one per rule) or csv (UTF-8 with BOM).
    pub format: Option<ReportFormat>,
}

/// The report of a scope and period: a summary by rule and every finding the filters select.
#[utoipa::path(get, path = "/api/v1/inspection/report", tag = "inspection",
    security(("bearer" = [])), params(FindingQuery, ReportFormatQuery),
    responses((status = 200, body = InspectionReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn inspection_report(
    state: web::Data<AppState>,
    who: Authenticated,
    q: web::Query<FindingQuery>,
    f: web::Query<ReportFormatQuery>,
) -> Result<HttpResponse, AppError> {
    use crate::usecases::exports::ExportFormat;
    let format = f.format.unwrap_or(ReportFormat::Json);
    let r = state.db.run(move |db| report::report(db, Some(&who.actor), &q)).await?;
    let format = match format {
        ReportFormat::Json => return Ok(HttpResponse::Ok().json(r)),
        ReportFormat::Xlsx => ExportFormat::Xlsx,
        ReportFormat::Csv => ExportFormat::Csv,
    };
    let (bytes, kind, name) = report::file(&r, format)?;
    Ok(HttpResponse::Ok()
        .content_type(kind)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(bytes))
}
