//! `POST /callbacks/{provider}/{binding}`: a provider's notification. The body is taken raw
//! (signatures cover the exact bytes) and answered in the provider's own format.

use actix_web::{web, HttpRequest, HttpResponse};

use super::AppState;
use crate::usecases::callbacks::{self, Answer, Inbound};

/// Callbacks are small; anything larger is refused before it is read.
pub const MAX_BODY: usize = 64 * 1024;

pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (provider, binding) = path.into_inner();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect();
    let inbound = Inbound {
        provider,
        binding,
        headers,
        body: body.to_vec(),
    };
    let sealing = state.sealing.clone();
    let key = state.server_key.clone();
    let answer = state
        .db
        .run(move |db| {
            Ok::<_, crate::error::AppError>(callbacks::receive(
                db,
                &sealing,
                key.expose(),
                inbound,
                chrono::Utc::now(),
            ))
        })
        .await;
    match answer {
        Ok(Answer::Provider(ack)) => HttpResponse::build(actix_web::http::StatusCode::from_u16(ack.status).unwrap_or(actix_web::http::StatusCode::OK))
            .content_type(ack.content_type)
            .body(ack.body),
        Ok(Answer::UnknownProvider) => HttpResponse::NotFound().json(serde_json::json!({"code": "unknown_provider", "message": "no such provider: use wechat, alipay or rural_bank"})),
        Err(e) => HttpResponse::ServiceUnavailable().json(serde_json::json!({"code": "FAIL", "message": e.to_string()})),
    }
}
