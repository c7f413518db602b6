//! QR code images: a corporate account's static code and a bill's dynamic code.

use actix_web::{web, HttpResponse};

use crate::error::AppError;
use crate::usecases::qr_codes::{self, Format};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// svg (default) or png.
    pub format: Option<Format>,
}

fn image(r: qr_codes::Rendered) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(r.content_type)
        .insert_header(("X-QZ-Code-Text", r.url))
        .body(r.bytes)
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/accounts/{account}/qr", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), ("account" = i64, Path), FormatQuery),
    responses((status = 200, description = "SVG or PNG; the code's text is in X-QZ-Code-Text"), (status = 404, body = ErrorBody)))]
pub async fn account_code(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let (key, base) = (state.server_key.clone(), state.config.public_url.clone());
    let format = q.format.unwrap_or(Format::Svg);
    let r = state
        .db
        .run(move |db| qr_codes::account_code(db, &who.actor, key.expose(), &base, &code, account, format))
        .await?;
    Ok(image(r))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/bills/{reference}/qr", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), ("reference" = String, Path), FormatQuery),
    responses((status = 200, description = "SVG or PNG; the code's text is in X-QZ-Code-Text"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bill_code(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, AppError> {
    let (code, reference) = path.into_inner();
    let (key, base) = (state.server_key.clone(), state.config.public_url.clone());
    let format = q.format.unwrap_or(Format::Svg);
    let r = state
        .db
        .run(move |db| qr_codes::bill_code(db, &who.actor, key.expose(), &base, &code, &reference, format))
        .await?;
    Ok(image(r))
}
