//! Staff sessions for the pages: the API's login token carried in a cookie, and CSRF protection.
//!
//! - The cookie `qz_session` holds the same random token `/api/v1/auth/login` issues (only its
//!   hash is stored; it expires and is revoked at logout). It is `HttpOnly`, `SameSite=Strict`,
//!   and `Secure` when the service is served over HTTPS.
//! - Every form carries `csrf`, an HMAC of the session token under the server key. A POST without
//!   it, or with another session's, is refused before anything is done. `SameSite=Strict` already
//!   keeps other sites' forms from carrying the cookie; the token is the second lock.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::future::Future;
use std::pin::Pin;

use crate::domain::access::Actor;
use crate::usecases::access;
use crate::web::AppState;

pub const COOKIE: &str = "qz_session";

/// A logged-in member of staff on a page.
pub struct Staff {
    pub actor: Actor,
    pub token: String,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

pub fn csrf_for(server_key: &[u8], session_token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(server_key).expect("HMAC takes any key length");
    mac.update(b"qz-csrf-v1|");
    mac.update(session_token.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..16])
}

impl Staff {
    /// Checks a form's CSRF token: None when it is this session's, else the page to answer with.
    pub fn refuse_forged(&self, given: &str) -> Option<HttpResponse> {
        if bank_adapters::constant_time_eq(self.csrf.as_bytes(), given.trim().as_bytes()) {
            None
        } else {
            Some(crate::web::error::page(&crate::error::AppError::code(
                crate::error::ErrorCode::CsrfFailed,
            )))
        }
    }

    /// The hidden field forms carry.
    pub fn field(&self) -> String {
        format!(r#"<input type="hidden" name="csrf" value="{}">"#, self.csrf)
    }
}

fn to_login() -> actix_web::Error {
    actix_web::error::InternalError::from_response(
        "login required",
        HttpResponse::SeeOther()
            .insert_header(("Location", "/staff/login"))
            .finish(),
    )
    .into()
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(COOKIE).map(|c| c.value().to_string());
        Box::pin(async move {
            let (Some(state), Some(token)) = (state, token.filter(|t| !t.is_empty())) else {
                return Err(to_login());
            };
            let t = token.clone();
            let actor = state
                .db
                .run(move |db| access::authenticate(db, &t))
                .await
                .map_err(|_| to_login())?;
            let csrf = csrf_for(state.server_key.expose(), &token);
            Ok(Staff { actor, token, csrf })
        })
    }
}

/// The session cookie (`None` clears it).
pub fn cookie(token: Option<&str>, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, token.unwrap_or("").to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish();
    if token.is_none() {
        c.make_removal();
    }
    c
}
