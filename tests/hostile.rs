//! Hostile traffic, on SQLite and PostgreSQL: what a stranger can make the service store or
//! compute is bounded, and no input reaches a 5xx or a retry loop. Each test reproduces one
//! defect found by probing (issue "Hostile traffic") and shows it fixed.

mod common;

use bank_adapters::rural_bank::{sign_headers, Algorithm, BankKey};
use bank_adapters::Secret;
use chrono::Utc;
use common::*;
use futures::StreamExt;
use serde_json::{json, Value};

const ACCOUNT_NO: &str = "9150010100001234567";
const BANK_SECRET: &str = "a-shared-secret-0001";

async fn bind_bank(app: &TestApp, admin: &str) -> i64 {
    let r = app
        .post(admin, &format!("/api/v1/villages/{VILLAGE_A}/accounts/1/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": "k1", "algorithm": "hmac-sha256", "secret": BANK_SECRET}]}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn bank_key() -> BankKey {
    BankKey {
        key_id: "k1".into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(BANK_SECRET.as_bytes().to_vec()),
    }
}

/// A bank push, signed, with the given JSON fields over a valid default.
fn push(fields: Value) -> Vec<u8> {
    let mut body = json!({"event": "account.credit", "txn_id": "RCB-1", "account_no": ACCOUNT_NO, "amount": "10.00",
        "currency": "CNY", "value_time": Utc::now().to_rfc3339(), "counterparty_name": "张*国", "remark": "交费"});
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    body.to_string().into_bytes()
}

async fn send_signed(app: &TestApp, binding: i64, body: Vec<u8>) -> (u16, String) {
    let headers = sign_headers(&bank_key(), &body, Utc::now(), &format!("n{}", rand::random::<u64>()));
    raw_post(app, &format!("/callbacks/rural_bank/{binding}"), &headers, body).await
}

async fn raw_post(app: &TestApp, path: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    let mut req = app.client.post(format!("{}{path}", app.base)).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn inbox_size(app: &TestApp) -> (i64, i64) {
    let db = app.db.clone();
    actix_web::rt::task::spawn_blocking(move || {
        db.read(|c| -> Result<(i64, i64), qingzhang::error::AppError> {
            Ok(qingzhang::store::payments::inbox_size(c)?)
        })
        .unwrap()
    })
    .await
    .unwrap()
}

async fn entries(app: &TestApp, token: &str) -> usize {
    app.get(token, &format!("/api/v1/villages/{VILLAGE_A}/entries?limit=500"))
        .await
        .body
        .as_array()
        .unwrap()
        .len()
}

both!(junk_callbacks_cannot_fill_the_disk, |app| {
    let t = app.seed().await;
    let binding = bind_bank(&app, &t.admin).await;
    // 600 junk bodies of 63 KB, all different, from one client, to a known binding, an unknown
    // binding and a provider's path with a nonsense binding: each is refused.
    let paths = [
        format!("/callbacks/rural_bank/{binding}"),
        "/callbacks/wechat/999999".to_string(),
        "/callbacks/alipay/abc".to_string(),
    ];
    let statuses: Vec<u16> = futures::stream::iter(0..600)
        .map(|i| {
            let path = paths[i % 3].clone();
            let mut body = vec![b'x'; 63 * 1024];
            body[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let app = &app;
            async move { raw_post(app, &path, &[], body).await.0 }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| (400..500).contains(s)), "{statuses:?}");
    // The inbox kept at most one client's budget of digests: rows, and bytes, are bounded.
    let (rows, bytes) = inbox_size(&app).await;
    assert!(
        rows <= qingzhang::usecases::callbacks::REFUSALS_KEPT_PER_CLIENT as i64,
        "{rows} rows kept"
    );
    assert!(
        bytes <= rows * qingzhang::usecases::callbacks::DIGEST_BODY_BYTES as i64,
        "{bytes} bytes of bodies kept for {rows} rows"
    );
    let kept = app.get(&t.admin, "/api/v1/inbox?status=rejected&limit=500").await;
    assert!(kept
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["body_whole"] == false && r["body_size"] == 63 * 1024));
    // An unknown provider is not ours to keep at all.
    assert_eq!(raw_post(&app, "/callbacks/paypal/1", &[], b"x".to_vec()).await.0, 404);
    assert_eq!(inbox_size(&app).await.0, rows);
    // The bank's own payment still goes through, and its request is kept whole.
    let (s, b) = send_signed(&app, binding, push(json!({"txn_id": "RCB-REAL"}))).await;
    assert_eq!(s, 200, "{b}");
    let applied = app.get(&t.admin, "/api/v1/inbox?status=applied").await;
    assert_eq!(applied.body[0]["body_whole"], true);
});

both!(a_credit_the_books_cannot_take_is_refused_for_good_not_retried, |app| {
    let t = app.seed().await;
    let binding = bind_bank(&app, &t.admin).await;
    for (txn, value_time, why) in [
        ("RCB-OLD", "2023-01-01T10:00:00+08:00", "before the books begin"),
        ("RCB-FUTURE", "2100-01-01T10:00:00+08:00", "in the future"),
        ("RCB-FAR", "9999-12-31T10:00:00+08:00", "in the future"),
    ] {
        for attempt in 0..2 {
            let (s, b) = send_signed(&app, binding, push(json!({"txn_id": txn, "value_time": value_time}))).await;
            assert_eq!(s, 400, "{why} (attempt {attempt}): a permanent failure, never 503: {b}");
        }
    }
    let (s, b) = send_signed(&app, binding, push(json!({"txn_id": "RCB\u{0}NUL"}))).await;
    assert_eq!(s, 400, "a NUL in the transaction id: {b}");
    assert_eq!(entries(&app, &t.accountant).await, 0, "nothing was posted");
    let rejected = app.get(&t.admin, "/api/v1/inbox?status=rejected").await;
    let reasons: Vec<&str> = rejected
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 7, "kept, whole, with the reason: {reasons:?}");
    assert!(reasons.iter().all(|r| r.starts_with("not_bookable")), "{reasons:?}");
    assert!(rejected
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["body_whole"] == true));
    // What a payer typed is cleaned, not refused: a NUL and an escape in the remark and name.
    let (s, b) = send_signed(
        &app,
        binding,
        push(json!({"txn_id": "RCB-TEXT", "remark": "交\u{0}费\u{1b}[31m", "counterparty_name": "张\u{0}*国"})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let txns = app
        .get(
            &t.accountant,
            &format!("/api/v1/villages/{VILLAGE_A}/bank-transactions"),
        )
        .await;
    assert_eq!(txns.body[0]["reference"], "交费[31m");
    assert_eq!(txns.body[0]["payer"], "张*国");
});

both!(control_characters_anywhere_get_a_4xx, |app| {
    let t = app.seed().await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    for path in [
        "/api/v1/villages/a%00b/contracts".to_string(),
        "/api/v1/inbox?status=%00".to_string(),
        format!("{v}/bank-transactions?outcome=%00"),
        "/api/v1/villages?township=%00".to_string(),
        "/api/v1/villages/a%0d%0ab/bills".to_string(),
    ] {
        let r = app.get(&t.admin, &path).await;
        assert_eq!(r.status, 400, "{path}: {:?}", r.body);
    }
    let r = app.login("a\u{0}b", "whatever-password").await;
    assert_eq!((r.status, r.code()), (401, "wrong_password"), "{:?}", r.body);
    let (s, _) = raw_post(&app, "/callbacks/rural_bank/%00", &[], b"x".to_vec()).await;
    assert_eq!(s, 400);
    // A NUL inside JSON text a use case stores: refused, never a 500.
    let r = app
        .post(
            &t.admin,
            "/api/v1/townships",
            json!({"code": "370725103000", "name": "东\u{0}镇", "county_code": COUNTY}),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let r = app
        .post(&t.admin, "/api/v1/users", json!({"username": "x1x", "display_name": "x", "password": PASSWORD, "role": "clerk", "scope": {"kind": "village", "code": "3707251022\u{0}1"}}))
        .await;
    assert!((400..500).contains(&r.status), "{:?}", r.body);
});

both!(totals_beyond_one_amounts_bound_are_shown_not_refused, |app| {
    let t = app.seed().await;
    let bills = bills_in_village_a(&app, &t, &["999999999999.99", "999999999999.99"]).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    for (reference, _) in &bills {
        let r = app
            .post(
                &t.clerk_a,
                &format!("{v}/cash"),
                json!({"bill_reference": reference, "amount": "999999999999.99"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let c = app.get(&t.accountant, &format!("{v}/cash-on-hand")).await;
    assert_eq!(c.status, 200, "{:?}", c.body);
    assert_eq!(c.body["on_hand"], "1999999999999.98");
    assert_eq!(c.body["ledger_101"], "1999999999999.98");
    let tb = app
        .get(&t.inspector, &format!("{v}/trial-balance?period={}", beijing_period()))
        .await;
    assert_eq!(tb.status, 200, "{:?}", tb.body);
    assert_eq!(tb.body["total_debit"], "1999999999999.98");
    let page = app
        .client
        .get(format!("{}/staff/v/{VILLAGE_A}/cash-on-hand", app.base))
        .header("cookie", format!("qz_session={}", t.clerk_a))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
});

both!(a_header_cannot_be_injected_through_a_path, |app| {
    let t = app.seed().await;
    let res = app
        .client
        .post(format!(
            "{}/staff/v/370725102201%0D%0AX-Injected:%201/pay-ins",
            app.base
        ))
        .header("cookie", format!("qz_session={}", t.clerk_a))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=x&account_id=1&amount=1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().get("x-injected").is_none());
});

both!(a_client_gets_a_budget_of_gateway_orders, |app| {
    let t = app.seed().await;
    let bills = bills_in_village_a(&app, &t, &["10.00"]).await;
    let qr = app
        .client
        .get(format!(
            "{}/api/v1/villages/{VILLAGE_A}/bills/{}/qr",
            app.base, bills[0].0
        ))
        .bearer_auth(&t.clerk_a)
        .send()
        .await
        .unwrap();
    let text = percent_encoding::percent_decode_str(qr.headers()["x-qz-code-text"].to_str().unwrap())
        .decode_utf8()
        .unwrap()
        .into_owned();
    let pay = text.split("/pay/").nth(1).unwrap().to_string();
    let mut statuses = Vec::new();
    for _ in 0..(qingzhang::web::limits::ORDERS + 1) {
        let r = app
            .client
            .post(format!("{}/pay/{pay}/order", app.base))
            .form(&[("provider", "wechat")])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // No gateway is bound, so each order is refused (409), until the budget refuses the rest.
    assert!(
        statuses[..qingzhang::web::limits::ORDERS].iter().all(|s| *s == 409),
        "{statuses:?}"
    );
    assert_eq!(*statuses.last().unwrap(), 429);
});

// The public village page sums a village's year for anyone: a client gets VILLAGE_PAGES of them
// (and posters) a minute, then 429 in words.
both!(the_public_village_page_has_a_request_budget_per_client, |app| {
    app.seed().await;
    let limit = qingzhang::web::limits::VILLAGE_PAGES;
    let mut statuses = Vec::new();
    for i in 0..=limit {
        let path = if i % 2 == 0 {
            format!("/v/{VILLAGE_A}")
        } else {
            format!("/v/{VILLAGE_A}/poster")
        };
        statuses.push(
            app.client
                .get(format!("{}{path}", app.base))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..limit].iter().all(|s| *s == 200), "{statuses:?}");
    let last = app
        .client
        .get(format!("{}/v/{VILLAGE_A}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(last.status().as_u16(), 429);
    assert!(last.text().await.unwrap().contains("一分钟后再试"));
    assert_eq!(statuses[limit], 429, "{statuses:?}");
});

both!(a_login_storm_does_not_stop_payments, |app| {
    let t = app.seed().await;
    let binding = bind_bank(&app, &t.admin).await;
    // 120 logins with random usernames from one client while the bank pushes 20 payments.
    let storm = futures::stream::iter(0..120)
        .map(|i| {
            let app = &app;
            async move { app.login(&format!("nobody{i}x"), "wrong-password-123").await.status }
        })
        .buffer_unordered(32)
        .collect::<Vec<u16>>();
    let payments = futures::stream::iter(0..20)
        .map(|i| {
            let app = &app;
            async move {
                send_signed(app, binding, push(json!({"txn_id": format!("RCB-STORM-{i}")})))
                    .await
                    .0
            }
        })
        .buffer_unordered(4)
        .collect::<Vec<u16>>();
    let (logins, paid) = futures::join!(storm, payments);
    assert!(logins.iter().all(|s| *s == 401 || *s == 429), "{logins:?}");
    assert!(logins.contains(&429), "the storm was slowed");
    assert!(
        paid.iter().all(|s| *s == 200),
        "every payment taken during the storm: {paid:?}"
    );
    assert_eq!(entries(&app, &t.accountant).await, 20);
});

/// Behind a reverse proxy every request comes from one peer: with `trust_forwarded_for` the
/// client is the address the proxy names, and a stranger's wrong passwords delay the stranger,
/// never the owner. (The gate is in memory: one database is enough.)
#[actix_web::test]
async fn a_stranger_cannot_keep_an_owner_out() {
    let Some(app) = TestApp::spawn_configured(Backend::Sqlite, |c| qingzhang::config::Config {
        trust_forwarded_for: true,
        ..c
    })
    .await
    else {
        return;
    };
    app.seed().await;
    let login = |from: &'static str, password: &'static str| {
        app.client
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("x-forwarded-for", format!("10.0.0.1, {from}"))
            .json(&json!({"username": "clerk_b", "password": password}))
            .send()
    };
    let mut stranger = Vec::new();
    for _ in 0..12 {
        stranger.push(login("203.0.113.9", "wrong-password").await.unwrap().status().as_u16());
    }
    assert!(stranger[..5].iter().all(|s| *s == 401), "{stranger:?}");
    assert!(
        stranger[5..].iter().all(|s| *s == 429),
        "then the stranger waits: {stranger:?}"
    );
    let owner = login("198.51.100.7", PASSWORD).await.unwrap();
    assert_eq!(owner.status().as_u16(), 200, "the owner gets in at once");
    // The stranger's wait is the stranger's: still refused, without a hash.
    assert_eq!(login("203.0.113.9", PASSWORD).await.unwrap().status().as_u16(), 429);
}

#[actix_web::test]
async fn a_trickled_body_is_cut_off() {
    let Some(app) = TestApp::spawn_configured(Backend::Sqlite, |c| qingzhang::config::Config {
        body_deadline_secs: 1,
        ..c
    })
    .await
    else {
        return;
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"POST /callbacks/rural_bank/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    for _ in 0..20 {
        if s.write_all(b"x").await.is_err() {
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(std::time::Duration::from_millis(400), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the connection was held {:?}",
        started.elapsed()
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 4"), "{text}");
}

#[actix_web::test]
async fn answers_forbid_framing_and_say_nothing_of_the_database() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    for path in ["/readyz", "/staff/login", "/r", "/api/v1/nothing-here"] {
        let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.headers()["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            r.headers()["content-security-policy"],
            "frame-ancestors 'none'",
            "{path}"
        );
        assert!(r.headers().contains_key("x-request-id"), "{path}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("Sqlite") && !body.contains("Postgres"), "{path}: {body}");
    }
}

#[test]
fn the_sqlite_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("qingzhang.db");
    let db = qingzhang::store::Db::connect(path.to_str().unwrap(), 2).unwrap();
    db.migrate().unwrap();
    use std::os::unix::fs::PermissionsExt;
    for p in [path.clone(), dir.path().join("qingzhang.db-wal")] {
        if p.exists() {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }
}

#[actix_web::test]
async fn the_demos_sandbox_calls_back_this_service_only() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let keys = qingzhang::sandbox::keys::SandboxKeys::generate().unwrap();
    let (server, _) =
        qingzhang::sandbox::server::start(listener, keys, 1000, Some("http://127.0.0.1:8080".into())).unwrap();
    actix_web::rt::spawn(server);
    let client = reqwest::Client::new();
    let pay = |url: &str| {
        client
            .post(format!("{base}/sandbox/pay"))
            .json(&json!({"provider": "rural_bank", "callback_url": url, "account_ref": ACCOUNT_NO, "amount": "1.00", "reference": "x"}))
            .send()
    };
    for elsewhere in [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8080.evil.example/callbacks",
        "http://127.0.0.1:80801/callbacks/x",
    ] {
        assert_eq!(pay(elsewhere).await.unwrap().status().as_u16(), 400, "{elsewhere}");
    }
    assert_eq!(
        pay("http://127.0.0.1:8080/callbacks/rural_bank/1")
            .await
            .unwrap()
            .status()
            .as_u16(),
        202
    );
}
