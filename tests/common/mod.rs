//! Test harness: every test gets its own database (a SQLite file in a temporary directory, or a
//! fresh schema in PostgreSQL's `test` database), so tests run in parallel on both backends.
//!
//! PostgreSQL is taken from `QZ_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it is unreachable the PostgreSQL half of each test prints SKIPPED and passes, except
//! under CI (`CI` set), where it fails: CI must test both backends.
#![allow(dead_code)]

pub mod invariants;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;
use std::net::TcpListener;
use std::sync::Arc;

use bank_adapters::Secret;
use qingzhang::config::Config;
use qingzhang::domain::access::Role;
use qingzhang::store::Db;
use qingzhang::usecases::access::{self, NewUserInput, ScopeRef};
use qingzhang::web::{self, AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, migrated database; dropped with the value.
pub struct TestDb {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<String>,
}

/// The tests' PostgreSQL. On loopback without TLS: libpq's TLS (OpenSSL) is torn down by the
/// process's exit handlers while pool threads still hold connections, and a test binary whose
/// tests all passed was seen to die of SIGSEGV at exit in CI; TLS to 127.0.0.1 protects nothing.
fn pg_base() -> String {
    std::env::var("QZ_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".into())
}

fn unique_name() -> String {
    format!("qz_t_{}_{:08x}", std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

impl TestDb {
    /// None (after saying so) when PostgreSQL is wanted but unreachable outside CI.
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = dir.path().join("test.db").to_string_lossy().into_owned();
                Some(TestDb {
                    url,
                    backend,
                    _dir: Some(dir),
                    pg_schema: None,
                })
            }
            Backend::Postgres => {
                let base = pg_base();
                let mut admin = match PgConnection::establish(&base) {
                    Ok(c) => c,
                    Err(e) => {
                        if std::env::var_os("CI").is_some() {
                            panic!("PostgreSQL is required in CI but {base} is unreachable: {e}");
                        }
                        // Written to the stderr handle, not with eprintln!, which the test
                        // harness would capture and hide for a passing test.
                        use std::io::Write;
                        let test = std::thread::current().name().unwrap_or("a test").to_string();
                        let _ = writeln!(
                            std::io::stderr(),
                            "SKIPPED {test}: PostgreSQL not reachable at {base}: {e}"
                        );
                        return None;
                    }
                };
                let schema = unique_name();
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("create schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                Some(TestDb {
                    url,
                    backend,
                    _dir: None,
                    pg_schema: Some(schema),
                })
            }
        }
    }

    pub fn connect(&self) -> Db {
        let db = Db::connect(&self.url, 8).expect("connect");
        db.migrate().expect("migrate");
        db
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = &self.pg_schema {
            if let Ok(mut c) = PgConnection::establish(&pg_base()) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// Today in Beijing, worked out here rather than by the code under test: China keeps UTC+8 all
/// year, so a fixed offset is the whole rule.
pub fn beijing_today() -> chrono::NaiveDate {
    let east8 = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    chrono::Utc::now().with_timezone(&east8).date_naive()
}

/// The current accounting period ("2026-11") in Beijing.
pub fn beijing_period() -> String {
    beijing_today().format("%Y-%m").to_string()
}

pub const PASSWORD: &str = "correct-horse-battery";
pub const COUNTY: &str = "370725000000";
pub const TOWNSHIP: &str = "370725102000";
pub const VILLAGE_A: &str = "370725102201";
pub const VILLAGE_B: &str = "370725102202";

/// The county 昌乐县 and its first admin (password [`PASSWORD`]), as `qingzhang user add` makes them.
pub fn bootstrap_admin(db: &Db) -> access::UserView {
    access::bootstrap_user(
        db,
        NewUserInput {
            username: "admin".into(),
            display_name: "县管理员".into(),
            password: Secret::new(PASSWORD.into()),
            role: Role::Admin,
            scope: ScopeRef {
                kind: qingzhang::domain::ScopeKind::County,
                code: COUNTY.into(),
            },
        },
        Some("昌乐县"),
    )
    .expect("bootstrap admin")
}

/// The real app on a random port, with its own database.
pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub client: reqwest::Client,
    pub backend: Backend,
    _test_db: TestDb,
}

pub struct Response {
    pub status: u16,
    pub body: Value,
}

/// Asserts a refusal: its status, its error code, and that its message says `says`.
#[track_caller]
pub fn assert_refused(r: &Response, status: u16, code: &str, says: impl AsRef<str>) {
    assert_eq!((r.status, r.code()), (status, code), "{:?}", r.body);
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(says.as_ref()),
        "says {:?}: {:?}",
        says.as_ref(),
        r.body
    );
}

impl Response {
    /// The error code of an error response.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_via(backend, |url| url).await
    }

    /// The app on a database URL rewritten by `via` (e.g. through a proxy); migrations run on the
    /// direct URL first.
    pub async fn spawn_via(backend: Backend, via: impl FnOnce(String) -> String) -> Option<TestApp> {
        TestApp::spawn_with(backend, via, |c| c).await
    }

    /// The app with its configuration changed by `configure`.
    pub async fn spawn_configured(backend: Backend, configure: impl FnOnce(Config) -> Config) -> Option<TestApp> {
        TestApp::spawn_with(backend, |url| url, configure).await
    }

    async fn spawn_with(
        backend: Backend,
        via: impl FnOnce(String) -> String,
        configure: impl FnOnce(Config) -> Config,
    ) -> Option<TestApp> {
        let test_db = TestDb::new(backend)?;
        test_db.connect();
        let db = Db::connect(&via(test_db.url.clone()), 8).expect("connect");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        // Codes and gateway notify URLs point at this server; the tests query orders
        // themselves rather than on a timer.
        let config = configure(Config {
            public_url: base.clone(),
            order_query_secs: 0,
            ..Config::default()
        });
        let profiles = Arc::new(config.statement_profiles().expect("statement profiles"));
        let state = AppState {
            db: db.clone(),
            config: Arc::new(config),
            server_key: Arc::new(Secret::new(b"test-server-key-0123456789abcdef".to_vec())),
            login_gate: Default::default(),
            public_limiter: Default::default(),
            refusals: Default::default(),
            sealing: Arc::new(qingzhang::payments::sealing::SealingKeys::new(vec![(
                "test".into(),
                [7; 32],
            )])),
            http: reqwest::Client::new(),
            profiles,
        };
        let server = web::start(listener, state).expect("start");
        actix_web::rt::spawn(server);
        let client = reqwest::Client::builder().build().unwrap();
        Some(TestApp {
            base,
            db,
            client,
            backend,
            _test_db: test_db,
        })
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Response { status, body }
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.send(reqwest::Method::GET, Some(token), path, None).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Response {
        self.send(reqwest::Method::POST, Some(token), path, Some(body)).await
    }

    /// A staff page as a browser gets it, with the session cookie: (status, HTML).
    pub async fn staff_get(&self, token: &str, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("qz_session={token}"))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A form posted from a staff page as a browser sends it (redirects followed).
    pub async fn staff_post(&self, token: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("qz_session={token}"))
            .form(fields)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.send(
            reqwest::Method::POST,
            None,
            "/api/v1/auth/login",
            Some(serde_json::json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn token(&self, username: &str) -> String {
        let r = self.login(username, PASSWORD).await;
        assert_eq!(r.status, 200, "login {username}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    /// A county with one township and two villages, each with a corporate account, and users:
    /// admin (county), accountant (township), clerk_a and clerk_b (villages), inspector (county).
    pub async fn seed(&self) -> Tokens {
        let db = self.db.clone();
        actix_web::rt::task::spawn_blocking(move || bootstrap_admin(&db))
            .await
            .unwrap();
        let admin = self.token("admin").await;
        let r = self
            .post(
                &admin,
                "/api/v1/townships",
                serde_json::json!({"code": TOWNSHIP, "name": "乔官镇", "county_code": COUNTY}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        for (code, name, acct) in [
            (VILLAGE_A, "北岩村", "9150010100001234567"),
            (VILLAGE_B, "南岩村", "9150010100002345678"),
        ] {
            let r = self
                .post(
                    &admin,
                    "/api/v1/villages",
                    serde_json::json!({"code": code, "name": name, "township_code": TOWNSHIP}),
                )
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            let r = self
                .post(&admin, &format!("/api/v1/villages/{code}/accounts"), serde_json::json!({"bank_name": "昌乐农商银行", "account_name": format!("{name}股份经济合作社"), "account_no": acct}))
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        for (username, role, kind, code) in [
            ("accountant", "accountant", "township", TOWNSHIP),
            ("clerk_a", "clerk", "village", VILLAGE_A),
            ("clerk_b", "clerk", "village", VILLAGE_B),
            ("inspector", "inspector", "county", COUNTY),
        ] {
            let r = self
                .post(&admin, "/api/v1/users", serde_json::json!({"username": username, "display_name": username, "password": PASSWORD, "role": role, "scope": {"kind": kind, "code": code}}))
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
        }
        Tokens {
            admin,
            accountant: self.token("accountant").await,
            clerk_a: self.token("clerk_a").await,
            clerk_b: self.token("clerk_b").await,
            inspector: self.token("inspector").await,
        }
    }
}

pub struct Tokens {
    pub admin: String,
    pub accountant: String,
    pub clerk_a: String,
    pub clerk_b: String,
    pub inspector: String,
}

/// Runs one test body on SQLite and on PostgreSQL: `both!(name, |app| { ... });`
#[macro_export]
macro_rules! both {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let Some($app) = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await else {
                    return;
                };
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let Some($app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await else {
                    return;
                };
                $body
            }
        }
    };
}

/// Village A's payer 张建国 and its land-contract fee item, with one bill per amount (due at the
/// end of 2026); returns the bills' references and ids.
pub async fn bills_in_village_a(app: &TestApp, t: &Tokens, amounts: &[&str]) -> Vec<(String, i64)> {
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let payer = app
        .post(
            &t.clerk_a,
            &format!("{v}/payers"),
            serde_json::json!({"kind": "member", "name": "张建国"}),
        )
        .await;
    assert_eq!(payer.status, 201, "{:?}", payer.body);
    let item = app
        .post(
            &t.clerk_a,
            &format!("{v}/fee-items"),
            serde_json::json!({"code": "land", "name": "土地承包费", "income_account_code": "501"}),
        )
        .await;
    assert_eq!(item.status, 201, "{:?}", item.body);
    let mut bills = Vec::new();
    for amount in amounts {
        let b = app
            .post(&t.clerk_a, &format!("{v}/bills"), serde_json::json!({"payer_id": payer.body["id"], "fee_item_id": item.body["id"], "amount": amount, "period_label": "2026", "due_date": "2026-12-31"}))
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        bills.push((
            b.body["reference"].as_str().unwrap().to_string(),
            b.body["id"].as_i64().unwrap(),
        ));
    }
    bills
}

/// A sandbox bank on its own port (retry schedule 1000 times faster); its address and the keys
/// it publishes for binding.
pub async fn sandbox_bank(app: &TestApp) -> (String, Value) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let keys = qingzhang::sandbox::keys::SandboxKeys::generate().unwrap();
    let (server, _) = qingzhang::sandbox::server::start(listener, keys, 1000, None).unwrap();
    actix_web::rt::spawn(server);
    let published: Value = app
        .client
        .get(format!("{base}/sandbox/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (base, published)
}

/// A WeChat binding to the sandbox's keys, ordering through it.
pub fn wechat_ordering(k: &Value, sandbox: &str) -> Value {
    serde_json::json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": k["wechat_api_v3_key"],
        "platform_public_keys": [{"key_id": k["wechat_public_key_id"], "pem": k["wechat_public_key_pem"]}],
        "ordering": {"app_id": k["wechat_app_id"], "merchant_serial_no": k["wechat_merchant_serial_no"],
                     "merchant_private_key": k["wechat_merchant_private_key_pem"], "api_base": sandbox}})
}

/// The CSRF token of the first form on a staff page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a form with its CSRF token") + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().unwrap().to_string()
}

/// A hand entry Dr 211.9999 / Cr 211.0001, as one could be made before hand entries on
/// 211.9999 were refused: written straight through the journal (the chain stays whole).
/// Returns the entry's number.
pub fn legacy_hand_entry(db: &qingzhang::store::Db, village: &str, day: chrono::NaiveDate, amount: &str) -> i64 {
    hand_entry_behind_the_guards(
        db,
        village,
        day,
        ("211.9999", "211.0001"),
        amount,
        "早先的手工凭证：转为暂收款",
    )
}

/// A hand entry Dr `accounts.0` / Cr `accounts.1` written straight through the journal (the
/// chain stays whole), past the checks the use case makes: one made before a check existed.
pub fn hand_entry_behind_the_guards(
    db: &qingzhang::store::Db,
    village: &str,
    day: chrono::NaiveDate,
    accounts: (&str, &str),
    amount: &str,
    memo: &str,
) -> i64 {
    use qingzhang::domain::vocabulary::EntrySource;
    use qingzhang::domain::Money;
    use qingzhang::ledger::entry::Line;
    use qingzhang::store::journal::{self, LedgerAccount, PostingRequest};
    let amount = Money::parse(amount).unwrap();
    db.write(|conn| -> Result<i64, qingzhang::error::AppError> {
        let v = qingzhang::store::registry::Village::by_code(conn, village)?.unwrap();
        let account = |conn: &mut _, code: &str| {
            LedgerAccount::by_code(conn, v.id, "2023", code)
                .unwrap()
                .unwrap()
                .view()
        };
        let lines = [
            Line {
                account: account(conn, accounts.0),
                debit: amount,
                credit: Money::ZERO,
                memo: String::new(),
            },
            Line {
                account: account(conn, accounts.1),
                debit: Money::ZERO,
                credit: amount,
                memo: String::new(),
            },
        ];
        let entry = journal::append(
            conn,
            &PostingRequest {
                village_id: v.id,
                village_code: &v.code,
                entry_date: day,
                memo,
                source: EntrySource::Manual,
                reverses: None,
                created_by: None,
                lines: &lines,
            },
            chrono::Utc::now(),
        )?;
        Ok(entry.seq)
    })
    .unwrap()
}
