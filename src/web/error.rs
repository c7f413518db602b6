//! The one place where errors become HTTP: `{"code": "...", "message": "...", "field": ...}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

/// Every error response has this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code for programs, e.g. `bill_not_found`.
    pub code: String,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// The request field at fault, when there is one, e.g. `lines[1].account_code`.
    pub field: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Retry(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (code, message, field) = match self {
            AppError::Invalid { code, message, field } | AppError::Conflict { code, message, field } => {
                (*code, message.clone(), field.clone())
            }
            AppError::NotFound { code, message } => (*code, message.clone(), None),
            AppError::Unauthenticated(m) => ("unauthenticated", m.clone(), None),
            AppError::Forbidden(m) => ("forbidden", m.clone(), None),
            AppError::TooManyRequests(m) => ("too_many_requests", m.clone(), None),
            AppError::Unavailable(m) | AppError::Retry(m) => {
                tracing::warn!(error = %m, "database unavailable");
                (
                    "service_unavailable",
                    "the database is unavailable; try again shortly".to_string(),
                    None,
                )
            }
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                (
                    "internal_error",
                    "an internal error occurred; it has been logged".to_string(),
                    None,
                )
            }
        };
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unauthenticated(_)) {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        res.json(ErrorBody {
            code: code.to_string(),
            message,
            field,
        })
    }
}

/// Bad JSON, a bad path or query parameter: 400 with what the parser said.
pub fn bad_request(code: &'static str, detail: String, field: &str) -> actix_web::Error {
    let e = AppError::Invalid {
        code,
        message: detail,
        field: Some(field.to_string()),
    };
    let body = ErrorBody {
        code: code.to_string(),
        message: e.to_string(),
        field: Some(field.to_string()),
    };
    actix_web::error::InternalError::from_response(e, HttpResponse::BadRequest().json(body)).into()
}
