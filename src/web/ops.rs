//! Operations endpoints: liveness, readiness (database reachable), Prometheus metrics, and the
//! request metrics middleware's recorder.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

use super::AppState;
use crate::error::AppError;

/// The process-wide Prometheus recorder (metrics macros report to one global recorder).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only when another recorder was installed first; ours then just stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "the process is up")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, description = "the database answers"), (status = 503, body = crate::web::error::ErrorBody)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .db
        .run(|db| -> Result<(), AppError> {
            let mut conn = db.conn()?;
            conn.batch_execute("SELECT 1")
                .map_err(|e| AppError::Unavailable(e.to_string()))
        })
        .await?;
    // Which database answers is not a stranger's business.
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics_text() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(prometheus().render())
}
