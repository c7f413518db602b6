//! `POST /callbacks/{provider}/{binding}`: a provider's notification. The body is taken raw
//! (signatures cover the exact bytes) and answered in the provider's own format.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{error, AppState};
use crate::error::{AppError, ErrorCode};
use crate::usecases::callbacks::{self, Answer, Inbound};

/// Callbacks are small; anything larger is refused before it is read.
pub const MAX_BODY: usize = 64 * 1024;

pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (provider_name, binding) = path.into_inner();
    let provider = bank_adapters::Provider::parse(&provider_name);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect();
    let inbound = Inbound {
        provider: provider_name,
        binding,
        headers,
        body: body.to_vec(),
        client: super::limits::client(&req),
    };
    let (sealing, key, budget) = (state.sealing.clone(), state.server_key.clone(), state.refusals.clone());
    let answer = state
        .db
        .run(move |db| {
            Ok::<_, crate::error::AppError>(callbacks::receive(
                db,
                &sealing,
                key.expose(),
                &budget,
                inbound,
                chrono::Utc::now(),
            ))
        })
        .await;
    match answer {
        Ok(Answer::Provider(ack)) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(ack.status).unwrap_or(actix_web::http::StatusCode::OK),
        )
        .content_type(ack.content_type)
        .body(ack.body),
        Ok(Answer::UnknownProvider) => error::callback_failure(None, &AppError::code(ErrorCode::RouteNotFound)),
        Err(e) => error::callback_failure(provider, &e),
    }
}
