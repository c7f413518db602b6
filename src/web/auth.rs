//! Authentication for the API: `Authorization: Bearer <token>` → the acting user; and the
//! login rate limit.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::AppState;
use crate::domain::access::Actor;
use crate::error::{AppError, ErrorCode};
use crate::usecases::access;

/// The authenticated caller of a handler.
pub struct Authenticated {
    pub actor: Actor,
    pub token: String,
}

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("app state missing".into()))?;
            let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
                AppError::new(
                    ErrorCode::Unauthenticated,
                    "请在请求头中带上 Authorization: Bearer <令牌>；令牌由 POST /api/v1/auth/login 取得。",
                )
            })?;
            let t = token.clone();
            let actor = state.db.run(move |db| access::authenticate(db, &t)).await?;
            tracing::Span::current().record("user", actor.user_id.get());
            Ok(Authenticated { actor, token })
        })
    }
}

/// At most `MAX_FAILURES` failed logins per username and client address in `WINDOW`; the
/// next attempt is answered 429 until the window has passed.
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

const MAX_FAILURES: usize = 10;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_KEYS: usize = 10_000;

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            failures: Mutex::new(HashMap::new()),
        }
    }
}

impl LoginLimiter {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Vec<Instant>>) -> T) -> T {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }

    pub fn check(&self, key: &str) -> Result<(), AppError> {
        self.with(|m| {
            let now = Instant::now();
            let list = m.entry(key.to_string()).or_default();
            list.retain(|t| now.duration_since(*t) < WINDOW);
            if list.len() >= MAX_FAILURES {
                Err(AppError::new(
                    ErrorCode::TooManyRequests,
                    "登录失败次数过多，请 15 分钟后再试。",
                ))
            } else {
                Ok(())
            }
        })
    }

    pub fn failed(&self, key: &str) {
        self.with(|m| {
            // Keys are chosen by whoever calls: forget stale ones before the map can grow large.
            if m.len() >= MAX_KEYS {
                let now = Instant::now();
                m.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
            }
            m.entry(key.to_string()).or_default().push(Instant::now())
        });
    }

    pub fn succeeded(&self, key: &str) {
        self.with(|m| m.remove(key));
    }
}
