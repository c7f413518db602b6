//! QR code images: a corporate account's static code and a bill's dynamic code.

use actix_web::{web, HttpResponse};

use crate::domain::CorporateAccountId;
use crate::error::AppError;
use crate::usecases::qr_codes::{self, CodeOptions};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

/// The code's text goes in `X-QZ-Code-Text`, percent-encoded where it is not printable ASCII
/// (an EMVCo payload carries Chinese names; a pay URL is unchanged).
fn image(r: qr_codes::Rendered) -> HttpResponse {
    use percent_encoding::{utf8_percent_encode, CONTROLS};
    const UNSAFE: &percent_encoding::AsciiSet = &CONTROLS.add(b'%');
    HttpResponse::Ok()
        .content_type(r.content_type)
        .insert_header(("X-QZ-Code-Text", utf8_percent_encode(&r.url, UNSAFE).to_string()))
        .body(r.bytes)
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/accounts/{account}/qr", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), ("account" = i64, Path), CodeOptions),
    responses((status = 200, description = "SVG or PNG; the code's text is in X-QZ-Code-Text (percent-encoded where not ASCII)"), (status = 404, body = ErrorBody)))]
pub async fn account_code(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, CorporateAccountId)>,
    options: web::Query<CodeOptions>,
) -> Result<HttpResponse, AppError> {
    let (code, account) = path.into_inner();
    let (key, base) = (state.server_key.clone(), state.config.public_url.clone());
    let options = options.into_inner();
    let r = state
        .db
        .run(move |db| qr_codes::account_code(db, &who.actor, key.expose(), &base, &code, account, options))
        .await?;
    Ok(image(r))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/bills/{reference}/qr", tag = "payments", security(("bearer" = [])),
    params(("village" = String, Path), ("reference" = String, Path), CodeOptions),
    responses((status = 200, description = "SVG or PNG; the code's text is in X-QZ-Code-Text (percent-encoded where not ASCII)"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn bill_code(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
    options: web::Query<CodeOptions>,
) -> Result<HttpResponse, AppError> {
    let (code, reference) = path.into_inner();
    let (key, base) = (state.server_key.clone(), state.config.public_url.clone());
    let options = options.into_inner();
    let r = state
        .db
        .run(move |db| qr_codes::bill_code(db, &who.actor, key.expose(), &base, &code, &reference, options))
        .await?;
    Ok(image(r))
}
