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
/// - **A growing delay**, never a lock: after a few failures the next try must wait 1 s, 2 s,
///   4 s… after the last failure (capped). Three counters, each with its own free failures and
///   cap: a client address over all usernames (20, then up to 5 minutes: one client guessing
///   across the county); a username *from that address* (5, then up to 30 s: guessing one
///   person's password); and a username from everywhere (50, then up to 30 s: many addresses
///   guessing one person). A try within a delay is refused at once, without hashing. One
///   address's failures never delay the owner at another address, so no stranger can keep an
///   owner out; only an attack from many addresses at once reaches the owner, and then by 30 s.
/// - **A bound on concurrent hashes**: at most `concurrent_hashes` at a time, on that many
///   threads of their own, holding no database connection; a login that cannot start hashing
///   within a few seconds is refused as "busy". Payments never wait for logins. Own threads, not
///   the blocking pool: each hash allocates ~19 MB, and the allocator keeps that much per thread
///   that ever hashed, so hashing on hundreds of pool threads grew memory without bound.
///
/// Behind a reverse proxy set `trust_forwarded_for`, or every client is the proxy's address.
pub struct LoginGate {
    failures: Budget,
    hashing: tokio::sync::Semaphore,
    hashers: Hashers,
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that hash passwords, fed through a channel; they end when the gate is
/// dropped.
struct Hashers {
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl Hashers {
    fn new(threads: usize) -> Hashers {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("qz-hash-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start a password hashing thread: {e}");
            }
        }
        Hashers {
            jobs: std::sync::Mutex::new(tx),
        }
    }

    async fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Result<R, AppError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.jobs
            .lock()
            .map_err(|_| AppError::Internal("hashing threads poisoned".into()))?
            .send(job)
            .map_err(|_| AppError::Unavailable("no password hashing thread".into()))?;
        rx.await
            .map_err(|_| AppError::Unavailable("a password hash did not finish".into()))
    }
}

/// Failures before a client address starts waiting, and its longest wait.
const CLIENT_FREE: usize = 20;
const CLIENT_CAP: Duration = Duration::from_secs(300);
/// Failures on one username from one address before it starts waiting, and its longest wait.
const USER_FREE: usize = 5;
const USER_CAP: Duration = Duration::from_secs(30);
/// Failures on one username from all addresses before everyone waits (a spread attack).
const USER_EVERYWHERE_FREE: usize = 50;
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
            hashers: Hashers::new(concurrent_hashes),
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

    fn keys(client: &str, username: &str) -> [String; 3] {
        [
            format!("client|{client}"),
            format!("user|{username}|{client}"),
            format!("user|{username}"),
        ]
    }

    fn check(&self, client: &str, username: &str) -> Result<(), AppError> {
        let [by_client, by_user_here, by_user] = Self::keys(client, username);
        let wait = self
            .wait(&by_client, CLIENT_FREE, CLIENT_CAP)
            .max(self.wait(&by_user_here, USER_FREE, USER_CAP))
            .max(self.wait(&by_user, USER_EVERYWHERE_FREE, USER_CAP));
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
        for key in Self::keys(client, username) {
            self.failures.allow(&key, usize::MAX);
        }
    }

    /// The owner got in: their address and their own run of failures are cleared. The count
    /// from everywhere stays: an attack from elsewhere is not over because the owner logged in.
    fn succeeded(&self, client: &str, username: &str) {
        let [by_client, by_user_here, _] = Self::keys(client, username);
        self.failures.forget(&by_client);
        self.failures.forget(&by_user_here);
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
    let (user, matches) = gate
        .hashers
        .run(move || {
            let ok = access::password_matches_user(user.as_ref(), &password);
            (user, ok)
        })
        .await?;
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
        let refused = g.check("10.0.0.1", "clerk").unwrap_err();
        assert!(
            refused.is(ErrorCode::TooManyRequests),
            "that address waits for that username"
        );
        assert!(g.wait("user|clerk|10.0.0.1", USER_FREE, USER_CAP) <= Duration::from_secs(1));
        assert!(g.check("10.0.0.9", "clerk").is_ok(), "the owner elsewhere does not");
        assert!(g.check("10.0.0.1", "accountant").is_ok(), "nor other usernames, yet");
        for _ in 0..40 {
            g.failed("10.0.0.1", "clerk");
        }
        assert!(g.wait("user|clerk|10.0.0.1", USER_FREE, USER_CAP) <= USER_CAP, "capped");
        assert!(
            g.check("10.0.0.1", "accountant").is_err(),
            "45 failures: the address waits for every username"
        );
        assert!(g.check("10.0.0.9", "clerk").is_ok(), "still not the owner elsewhere");
        g.succeeded("10.0.0.9", "clerk");
        assert!(
            g.check("10.0.0.1", "clerk").is_err(),
            "the owner's success does not free the attacker"
        );
    }

    #[test]
    fn a_username_guessed_from_many_addresses_slows_for_all_but_briefly() {
        let g = LoginGate::new(1);
        for i in 0..USER_EVERYWHERE_FREE {
            g.failed(&format!("10.1.{}.{}", i / 250, i % 250), "clerk");
        }
        assert!(g.check("10.9.9.9", "clerk").is_err(), "a spread attack slows everyone");
        for _ in 0..100 {
            g.failed("10.1.0.0", "clerk");
        }
        assert!(g.wait("user|clerk", USER_EVERYWHERE_FREE, USER_CAP) <= USER_CAP);
    }
}
