//! Authentication for the API: `Authorization: Bearer <token>` → the acting user; and the
//! login rate limit.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::AppState;
use crate::budget::Budget;
use crate::domain::access::Actor;
use crate::error::{AppError, ErrorCode};
use crate::usecases::access::{self, LoginResult};

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

/// Who may try a password, and when. Hashing a password (argon2id) costs ~20 MB and tens of
/// milliseconds of a core, so what a stranger can make us hash is bounded twice:
///
/// - **A growing delay**, never a lock: after a few failures a client address, and separately a
///   username, must wait 1 s, 2 s, 4 s… after its last failure before the next try (capped: 5
///   minutes for an address, 30 seconds for a username, so the owner of a username under attack
///   still gets in). A try within the delay is refused at once, without hashing.
/// - **A bound on concurrent hashes**: at most `concurrent_hashes` at a time, on the blocking
///   pool and holding no database connection; a login that cannot start hashing within a few
///   seconds is refused as "busy". Payments never wait for logins.
///
/// Behind a reverse proxy set `trust_forwarded_for`, or every client is the proxy's address.
pub struct LoginGate {
    failures: Budget,
    hashing: tokio::sync::Semaphore,
}

/// Failures before a client address starts waiting, and its longest wait.
const CLIENT_FREE: usize = 20;
const CLIENT_CAP: Duration = Duration::from_secs(300);
/// Failures before a username starts waiting, and its longest wait.
const USER_FREE: usize = 5;
const USER_CAP: Duration = Duration::from_secs(30);
/// Failures are remembered this long.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a login waits for its turn to hash.
const HASH_WAIT: Duration = Duration::from_secs(3);

impl Default for LoginGate {
    fn default() -> Self {
        // One hash at a time per two cores: logins never take the cores payments need.
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        LoginGate::new((cores / 2).max(1))
    }
}

impl LoginGate {
    pub fn new(concurrent_hashes: usize) -> LoginGate {
        LoginGate {
            failures: Budget::new(WINDOW),
            hashing: tokio::sync::Semaphore::new(concurrent_hashes),
        }
    }

    /// How long `key` must still wait before its next try.
    fn wait(&self, key: &str, free: usize, cap: Duration) -> Duration {
        let n = self.failures.count(key);
        if n < free {
            return Duration::ZERO;
        }
        let delay = Duration::from_secs(1u64 << (n - free).min(20)).min(cap);
        let since = self.failures.last(key).map(|t| t.elapsed()).unwrap_or(delay);
        delay.saturating_sub(since)
    }

    fn check(&self, client: &str, username: &str) -> Result<(), AppError> {
        let wait = self
            .wait(&format!("client|{client}"), CLIENT_FREE, CLIENT_CAP)
            .max(self.wait(&format!("user|{username}"), USER_FREE, USER_CAP));
        if wait.is_zero() {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::TooManyRequests,
                format!("登录失败次数较多，请 {} 秒后再试。", wait.as_secs().max(1)),
            ))
        }
    }

    fn failed(&self, client: &str, username: &str) {
        // Counted without a limit: the delay, not the count, slows the next try.
        self.failures.allow(&format!("client|{client}"), usize::MAX);
        self.failures.allow(&format!("user|{username}"), usize::MAX);
    }

    fn succeeded(&self, client: &str, username: &str) {
        self.failures.forget(&format!("client|{client}"));
        self.failures.forget(&format!("user|{username}"));
    }
}

/// Logging in, the one flow of the API and the staff pages: the gate, the user, the password
/// hash through the bound, the session.
pub async fn log_in(
    state: &AppState,
    client: &str,
    username: &str,
    password: bank_adapters::Secret<String>,
) -> Result<LoginResult, AppError> {
    let name = username.trim().to_lowercase();
    let gate = &state.login_gate;
    gate.check(client, &name)?;
    let lookup = name.clone();
    let user = state.db.run(move |db| access::login_candidate(db, &lookup)).await?;
    let permit = tokio::time::timeout(HASH_WAIT, gate.hashing.acquire())
        .await
        .map_err(|_| AppError::new(ErrorCode::TooManyRequests, "登录的人太多，请稍后再试。"))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (user, matches) = web::block(move || {
        let ok = access::password_matches_user(user.as_ref(), &password);
        (user, ok)
    })
    .await
    .map_err(|e| AppError::Unavailable(format!("blocking pool: {e}")))?;
    drop(permit);
    let Some(user) = user.filter(|_| matches) else {
        gate.failed(client, &name);
        return Err(AppError::code(ErrorCode::WrongPassword));
    };
    gate.succeeded(client, &name);
    let ttl = chrono::Duration::hours(state.config.token_ttl_hours);
    state.db.run(move |db| access::start_session(db, &user, ttl)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_grow_a_delay_never_a_lock() {
        let g = LoginGate::new(1);
        for _ in 0..USER_FREE {
            assert!(g.check("10.0.0.1", "clerk").is_ok());
            g.failed("10.0.0.1", "clerk");
        }
        let refused = g.check("10.0.0.9", "clerk").unwrap_err();
        assert!(
            refused.is(ErrorCode::TooManyRequests),
            "the username waits, from any address"
        );
        assert!(g.wait("user|clerk", USER_FREE, USER_CAP) <= Duration::from_secs(1));
        assert!(g.check("10.0.0.9", "accountant").is_ok(), "other usernames do not");
        for _ in 0..40 {
            g.failed("10.0.0.1", "clerk");
        }
        assert!(
            g.wait("user|clerk", USER_FREE, USER_CAP) <= USER_CAP,
            "capped: the owner gets in within half a minute"
        );
        g.succeeded("10.0.0.1", "clerk");
        assert!(g.check("10.0.0.1", "clerk").is_ok(), "a success clears the delay");
    }
}
