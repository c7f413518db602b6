//! The one place where an error becomes an answer.
//!
//! - **API** (`/api/v1`): JSON `{"code": "...", "message": "...", "field": ...}` with the code's
//!   HTTP status ([`ResponseError`] for `AppError`).
//! - **Callbacks**: the provider's own failure format ([`callback_failure`]), 503 so the
//!   provider retries when the trouble is ours.
//! - **Pages** (staff and villagers): a Chinese page ([`page`]) or, after a form, the message
//!   on the form's own page ([`for_people`]).
//!
//! A refusal's message is written for people (Chinese, what was wrong and what to do). Our own
//! trouble (database unavailable, a conflict that outlived its retries, a bug) is logged here
//! with the request's id, and shown only as the code's message with that id, never its text.
//! 4xx stay 4xx: only `Unavailable` and `Internal` answer 5xx.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id;
use crate::error::{AppError, ErrorCode};
use bank_adapters::{Provider, ProviderError};

/// Every error response of the API has this shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code for programs, e.g. `bill_not_found`.
    pub code: String,
    /// What went wrong and what to do, for people (Chinese).
    pub message: String,
    /// The request field at fault, when there is one, e.g. `lines[1].account_code`.
    pub field: Option<String>,
}

/// The HTTP status of an error.
pub fn status(e: &AppError) -> StatusCode {
    StatusCode::from_u16(e.error_code().status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What a person is told. Our own trouble is logged first, under the request's id, which the
/// message quotes so that the administrator can find the cause.
pub fn for_people(e: &AppError) -> String {
    match e {
        AppError::Refused { message, code, .. } if message.is_empty() => code.zh().to_string(),
        AppError::Refused { message, .. } => message.clone(),
        AppError::Retry(cause) => {
            tracing::warn!(request_id = %request_id(), cause = %cause, "conflict outlived its retries");
            ErrorCode::ConcurrentChange.zh().to_string()
        }
        AppError::Unavailable(cause) => {
            let id = request_id();
            tracing::warn!(request_id = %id, cause = %cause, "database unavailable");
            format!(
                "{}（编号 {id}）",
                ErrorCode::ServiceUnavailable.zh().trim_end_matches('。')
            )
        }
        AppError::Internal(cause) => {
            let id = request_id();
            tracing::error!(request_id = %id, cause = %cause, "internal error");
            format!("{}（编号 {id}）", ErrorCode::Internal.zh().trim_end_matches('。'))
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        status(self)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(status(self));
        if self.error_code() == ErrorCode::Unauthenticated {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        let field = match self {
            AppError::Refused { field, .. } => field.clone(),
            _ => None,
        };
        res.json(ErrorBody {
            code: self.error_code().as_str().to_string(),
            message: for_people(self),
            field,
        })
    }
}

/// A whole page that says why nothing was done, in Chinese, with the error's status.
pub fn page(e: &AppError) -> HttpResponse {
    let message = for_people(e);
    let title = match e.error_code().status() {
        404 | 410 => "找不到",
        401 | 403 => "无法办理",
        429 => "请稍后再试",
        s if s >= 500 => "系统暂时无法办理",
        _ => "操作未执行",
    };
    HttpResponse::build(status(e))
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(super::pages::page(
            title,
            &format!(
                r#"<h1>{title}</h1><p class="notice error" id="message">{}</p><p><a href="javascript:history.back()">返回上一页</a></p>"#,
                super::pages::esc(&message)
            ),
        ))
}

/// Bad JSON, a bad path, query or form: 400 with what the parser said.
pub fn bad_request(code: ErrorCode, detail: String, field: &str) -> actix_web::Error {
    let e = AppError::new(code, format!("{}（{detail}）", code.zh().trim_end_matches('。'))).at(field);
    let res = e.error_response();
    actix_web::error::InternalError::from_response(e, res).into()
}

/// A callback we could not take: the provider's own failure answer, 503, so it retries.
/// A path that names no provider we speak gets a plain 404.
pub fn callback_failure(provider: Option<Provider>, e: &AppError) -> HttpResponse {
    let message = for_people(e);
    match provider {
        Some(p) => {
            let ack = bank_adapters::refusal(
                p,
                &ProviderError::Malformed("temporarily unavailable, retry".into()),
                true,
            );
            tracing::debug!(provider = p.as_str(), %message, "callback answered 503");
            HttpResponse::build(StatusCode::from_u16(ack.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE))
                .content_type(ack.content_type)
                .body(ack.body)
        }
        None => AppError::code(ErrorCode::RouteNotFound).error_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_answers_with_its_own_status_and_a_chinese_message() {
        for code in ErrorCode::ALL {
            let e = AppError::code(*code);
            assert_eq!(status(&e).as_u16(), code.status(), "{code:?}");
            assert_eq!(for_people(&e), code.zh());
        }
    }

    #[test]
    fn our_own_trouble_is_never_shown_as_its_text() {
        for e in [
            AppError::Internal("relation \"bills\" does not exist".into()),
            AppError::Unavailable("connection refused (os error 111)".into()),
            AppError::Retry("could not serialize access".into()),
        ] {
            let shown = for_people(&e);
            assert!(!shown.contains("bills") && !shown.contains("refused") && !shown.contains("serialize"));
            assert!(shown.starts_with("系统") || shown.starts_with("数据"), "{shown}");
        }
        assert_eq!(
            status(&AppError::Retry("x".into())),
            StatusCode::CONFLICT,
            "a 4xx stays a 4xx"
        );
        assert!(for_people(&AppError::Internal("x".into())).contains("编号"));
    }
}
