//! What every request passes before it reaches a handler, and every answer carries.
//!
//! - A path or query with control characters (a NUL, a CR LF) is refused with 400 before
//!   routing: nothing downstream has to wonder whether a database or a header can hold it.
//! - A request body must arrive within a deadline (`body_deadline_secs`, 15 s by default): a
//!   client trickling bytes cannot hold a connection and a worker for ever.
//! - Answers forbid framing (clickjacking), sniffing and referrers (pay pages carry tokens in
//!   their paths).

use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::ErrorCode;

/// The code to refuse a request with, if its path or query carries control characters.
pub fn control_characters(req: &ServiceRequest) -> Option<ErrorCode> {
    let decoded = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    if decoded(req.path()).chars().any(char::is_control) {
        return Some(ErrorCode::InvalidPath);
    }
    let query = req.query_string().replace('+', " ");
    if decoded(&query).chars().any(char::is_control) {
        return Some(ErrorCode::InvalidQuery);
    }
    None
}

/// Gives the request's body `limit` to arrive in full.
pub fn body_deadline(req: &mut ServiceRequest, limit: Duration) {
    let inner = req.take_payload();
    let deadline = Box::pin(tokio::time::sleep(limit));
    req.set_payload(Payload::Stream {
        payload: Box::pin(Deadline { inner, deadline, limit }),
    });
}

struct Deadline {
    inner: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the request body did not arrive within {} s", self.limit.as_secs()),
            )))));
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// Headers every answer carries.
pub fn secure_headers<B>(res: &mut ServiceResponse<B>) {
    let headers = res.headers_mut();
    for (name, value) in [
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
}
