//! The `qingzhang` binary as a newcomer and an operator use it: the README's run command
//! (`serve --demo`) answers over HTTP, `user add` bootstraps an admin, `verify` exits non-zero
//! and names the entry after a row is edited behind the service's back, and `kill -9` during a
//! burst of bank pushes loses nothing the service acknowledged.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{Backend, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_qingzhang");

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn qingzhang(data_dir: &std::path::Path, db: Option<&TestDb>) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data-dir")
        .arg(data_dir)
        .env_remove("QINGZHANG_DATABASE_URL")
        .env("RUST_LOG", "warn");
    match db {
        Some(t) => c.env("DATABASE_URL", &t.url),
        None => c.env_remove("DATABASE_URL"),
    };
    c
}

#[actix_web::test]
async fn serve_demo_answers_with_a_living_county() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = qingzhang(dir.path(), None)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first.rsplit("http://").next().unwrap().trim().to_string();
    let printed: Vec<String> = lines.by_ref().take(8).map(|l| l.unwrap()).collect();
    assert!(
        printed.iter().any(|l| l.contains("clerk") && l.contains("北岩村")),
        "{printed:?}"
    );
    let client = reqwest::Client::new();
    let token = &demo_login(&client, &addr, "clerk").await;
    let bills = get_json(
        &client,
        format!("http://{addr}/api/v1/villages/370725102201/bills"),
        token,
    )
    .await;
    assert!(bills.as_array().unwrap().len() >= 5, "{bills}");
    let entries = get_json(
        &client,
        format!("http://{addr}/api/v1/villages/370725102201/entries"),
        token,
    )
    .await;
    assert_eq!(entries[0]["lines"][0]["debit"], "158320.45");
    // The QR sheet has open bills to try, and each code has a link for a desktop user (whose
    // phone cannot reach the demo's 127.0.0.1).
    let sheet = client
        .get(format!("http://{addr}/api/v1/villages/370725102201/qr-sheet"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let codes = sheet.matches("<figure>").count();
    assert!(codes >= 5, "the demo has open bills to pay: {codes}");
    assert_eq!(
        sheet.matches(r#"class="open" href="/pay/"#).count(),
        codes,
        "one link per code, on this address"
    );
    let link = sheet
        .split(r#"class="open" href=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let pay = client.get(format!("http://{addr}{link}")).send().await.unwrap();
    assert_eq!(pay.status().as_u16(), 200, "{link}");
    assert!(
        pay.text().await.unwrap().contains("村集体收款"),
        "the link opens the pay page"
    );
}

/// A demo user's session token (the demo's users share one password).
async fn demo_login(client: &reqwest::Client, addr: &str, username: &str) -> String {
    let login: serde_json::Value = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": qingzhang::usecases::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"]
        .as_str()
        .unwrap_or_else(|| panic!("demo {username} logs in: {login}"))
        .to_string()
}

/// Starts `serve --demo` on `dir`; returns the running child, its address and the lines it
/// printed up to and including the listening line.
fn serve_demo(dir: &std::path::Path) -> (Running, String, Vec<String>) {
    serve_demo_on(dir, None)
}

/// `serve --demo` on `dir` and the given database (None: the SQLite file in `dir`).
fn serve_demo_on(dir: &std::path::Path, db: Option<&TestDb>) -> (Running, String, Vec<String>) {
    let mut child = qingzhang(dir, db)
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = Running(child);
    // Read its output to the end on a thread: a closed pipe would fail the service's next line.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    for line in rx.iter() {
        let done = line.starts_with("qingzhang is listening on http://");
        printed.push(line);
        if done {
            break;
        }
    }
    let addr = printed
        .last()
        .unwrap()
        .rsplit("http://")
        .next()
        .unwrap()
        .trim()
        .to_string();
    (guard, addr, printed)
}

/// An admin's change to a demo binding survives restarts: the demo is loaded once, and when its
/// sandbox cannot take its old address again only the bindings nobody changed follow it.
#[actix_web::test]
async fn a_restarted_demo_keeps_what_an_admin_changed() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let village = "/api/v1/villages/370725102201";
    let (first, addr, _) = serve_demo(dir.path());
    let token = demo_login(&client, &addr, "admin").await;
    let bindings = |addr: String| {
        let (client, token) = (client.clone(), token.clone());
        async move { get_json(&client, format!("http://{addr}{village}/bindings"), &token).await }
    };
    let before = bindings(addr.clone()).await;
    let alipay = before
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["provider"] == "alipay")
        .expect("the demo binds Alipay")
        .clone();
    // The admin replaces the Alipay binding and removes its ordering (`null`; left out, it
    // would be kept): a change of their own.
    let sandbox = std::fs::read_to_string(dir.path().join("demo-sandbox-address")).unwrap();
    let keys = get_json(&client, format!("http://{}/sandbox/keys", sandbox.trim()), "-").await;
    let r = client
        .put(format!("http://{addr}{village}/bindings/{}", alipay["id"]))
        .bearer_auth(&token)
        .json(&serde_json::json!({"provider": "alipay", "app_id": alipay["account_ref"], "alipay_public_key": keys["alipay_public_key_pem"], "ordering": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    drop(first);
    // Someone else now holds the sandbox's old address: the restarted demo moves it.
    let _squatter = std::net::TcpListener::bind(sandbox.trim()).unwrap();
    let (_second, addr, printed) = serve_demo(dir.path());
    let moved = printed
        .iter()
        .find(|l| l.contains("the demo sandbox moved"))
        .expect("said so");
    assert!(moved.contains("1 changed by an admin left as they are"), "{moved}");
    let after = bindings(addr.clone()).await;
    let alipay_after = after
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == alipay["id"])
        .unwrap();
    assert_eq!(
        alipay_after["ordering"], false,
        "the admin's binding is as they left it"
    );
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["provider"] == "wechat")
        .all(|b| b["ordering"] == true));
    // The move is the system's doing in the audit log, never the admin's.
    let mut audit: Vec<serde_json::Value> = Vec::new();
    loop {
        let after = audit.last().map(|a| a["seq"].as_i64().unwrap()).unwrap_or(0);
        let page: Vec<serde_json::Value> = client
            .get(format!("http://{addr}/api/v1/audit?limit=500&after_id={after}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        audit.extend(page);
    }
    let binding_changes: Vec<&serde_json::Value> = audit
        .iter()
        .filter(|a| a["object_type"] == "binding" && a["action"] != "binding.create")
        .collect();
    assert!(
        binding_changes.iter().filter(|a| a["actor_id"].is_null()).count() >= 1,
        "{binding_changes:?}"
    );
    assert_eq!(
        binding_changes.iter().filter(|a| !a["actor_id"].is_null()).count(),
        1,
        "the admin's own replacement only: {binding_changes:?}"
    );
}

fn verify_names_a_tampered_entry(backend: Backend) {
    let Some(t) = TestDb::new(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = qingzhang(dir.path(), Some(&t)).arg("demo").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ok = qingzhang(dir.path(), Some(&t)).arg("verify").output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    // Edit the opening entry's amount behind the service's back.
    let db = t.connect();
    let mut conn = db.conn().unwrap();
    use diesel::connection::SimpleConnection;
    let sql = match backend {
        Backend::Sqlite => "DROP TRIGGER journal_postings_no_update; UPDATE journal_postings SET debit_fen = debit_fen + 100000 WHERE line_no = 1",
        Backend::Postgres => "DROP TRIGGER journal_postings_immutable ON journal_postings; UPDATE journal_postings SET debit_fen = debit_fen + 100000 WHERE line_no = 1",
    };
    conn.batch_execute(sql).unwrap();
    let bad = qingzhang(dir.path(), Some(&t))
        .args(["verify", "--village", "370725102201"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(text.contains("370725102201: first bad entry is 1"), "{text}");
    // The inspector's run finds it too, as a critical finding with the entry as evidence; the
    // report opens in a spreadsheet reader.
    let month = common::beijing_period();
    let inspect = |format: &str, out: Option<&std::path::Path>| {
        let mut c = qingzhang(dir.path(), Some(&t));
        c.args([
            "inspect",
            "--scope",
            "370725102201",
            "--from",
            &month,
            "--to",
            &month,
            "--rules",
            "CHAIN_BROKEN",
        ])
        .args(["--format", format]);
        if let Some(o) = out {
            c.arg("--out").arg(o);
        }
        c.output().unwrap()
    };
    let json = inspect("json", None);
    assert!(json.status.success(), "{}", String::from_utf8_lossy(&json.stderr));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["findings"][0]["rule"], "CHAIN_BROKEN", "{report}");
    assert_eq!(report["findings"][0]["severity"], "critical");
    assert_eq!(report["findings"][0]["evidence"][0]["kind"], "entry");
    let file = dir.path().join("report.xlsx");
    let xlsx = inspect("xlsx", Some(&file));
    assert!(xlsx.status.success(), "{}", String::from_utf8_lossy(&xlsx.stderr));
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["汇总", "CHAIN_BROKEN"]);
    let summary = book.worksheet_range("汇总").unwrap();
    assert_eq!(
        summary.get_value((1, 0)),
        Some(&calamine::Data::String("CHAIN_BROKEN".into()))
    );
}

#[test]
fn inspect_refuses_a_bad_threshold_or_an_unknown_village_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (toml, key) in [
        (
            "[inspection.thresholds]\nvoid_rate = 1.5\n",
            "inspection.thresholds.void_rate",
        ),
        (
            "[inspection.villages.\"370725999999\"]\nvoid_rate = 0.1\n",
            "inspection.villages.\"370725999999\"",
        ),
        ("[inspection]\nrules_off = [\"NO_SUCH_RULE\"]\n", "inspection.rules_off"),
        ("[inspection.thresholds]\nvoid_ratio = 0.1\n", "void_ratio"),
    ] {
        let config = dir.path().join("qingzhang.toml");
        std::fs::write(&config, toml).unwrap();
        let out = qingzhang(dir.path(), None)
            .arg("--config")
            .arg(&config)
            .args([
                "inspect",
                "--scope",
                "370725000000",
                "--from",
                "2026-01",
                "--to",
                "2026-03",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{toml}: {err}");
        assert!(err.contains(key), "{toml}: {err}");
    }
}

#[test]
fn verify_names_a_tampered_entry_sqlite() {
    verify_names_a_tampered_entry(Backend::Sqlite);
}
#[test]
fn verify_names_a_tampered_entry_postgres() {
    verify_names_a_tampered_entry(Backend::Postgres);
}

#[test]
fn user_add_bootstraps_the_first_admin_and_refuses_a_weak_password() {
    let dir = tempfile::tempdir().unwrap();
    let add = |password: &str| {
        qingzhang(dir.path(), None)
            .args([
                "user",
                "add",
                "--username",
                "root-admin",
                "--display-name",
                "县管理员",
                "--role",
                "admin",
            ])
            .args([
                "--scope-kind",
                "county",
                "--scope-code",
                "370725000000",
                "--county-name",
                "昌乐县",
            ])
            .env("QINGZHANG_PASSWORD", password)
            .output()
            .unwrap()
    };
    // A refusal exits 2 and creates nothing: the same username is free right after.
    let weak = add("short");
    assert_eq!(weak.status.code(), Some(2), "{}", String::from_utf8_lossy(&weak.stderr));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("密码至少 10 位"));
    let ok = add("a-long-enough-password");
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("user root-admin added"));
    let again = add("a-long-enough-password");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("已被使用"));
}

/// `bean-check` from beancount (`.ci/run` installs it into target/beancount-venv), or why not.
fn bean_check() -> Result<std::path::PathBuf, String> {
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/beancount-venv/bin/bean-check");
    let candidates = [
        std::env::var("BEAN_CHECK").ok().map(Into::into),
        Some(venv),
        Some("bean-check".into()),
    ];
    for c in candidates.into_iter().flatten() {
        if Command::new(&c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Ok(c);
        }
    }
    Err("bean-check is not installed (pip install beancount, or run .ci/run)".into())
}

fn export_beancount_passes_bean_check(backend: Backend) {
    let bean_check = match bean_check() {
        Ok(b) => b,
        Err(why) if std::env::var_os("CI").is_some() => panic!("bean-check is required in CI: {why}"),
        Err(why) => {
            eprintln!("SKIPPED beancount export check: {why}");
            return;
        }
    };
    let Some(t) = TestDb::new(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = qingzhang(dir.path(), Some(&t)).arg("demo").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let year: i32 = common::beijing_today().format("%Y").to_string().parse().unwrap();
    let check = |path: &std::path::Path| Command::new(&bean_check).arg(path).output().unwrap();
    for y in [year, year - 1] {
        let file = dir.path().join(format!("{y}.beancount"));
        let export = qingzhang(dir.path(), Some(&t))
            .args([
                "export",
                "beancount",
                "--village",
                "370725102201",
                "--year",
                &y.to_string(),
                "--out",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
        let checked = check(&file);
        assert!(
            checked.status.success(),
            "bean-check {y}: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    // The demo's year has transactions and balances to assert.
    let file = dir.path().join(format!("{year}.beancount"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.matches(" * ").count() > 3, "{text}");
    assert!(text.contains("  seq: 1\n"), "{text}");
    // A balance one fen off is what bean-check catches: the assertions are real.
    let line = text
        .lines()
        .find(|l| l.contains(" balance ") && !l.contains(" 0.00 ~"))
        .expect("a non-zero closing balance")
        .to_string();
    let mut parts: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let amount = qingzhang::domain::Money::parse(&parts[3]).unwrap();
    parts[3] = (amount + qingzhang::domain::Money::from_fen(1)).to_string();
    let tampered = dir.path().join("tampered.beancount");
    std::fs::write(&tampered, text.replacen(&line, &parts.join(" "), 1)).unwrap();
    let refused = check(&tampered);
    assert!(!refused.status.success(), "a wrong balance must fail bean-check");
}

#[test]
fn export_beancount_passes_bean_check_sqlite() {
    export_beancount_passes_bean_check(Backend::Sqlite);
}
#[test]
fn export_beancount_passes_bean_check_postgres() {
    export_beancount_passes_bean_check(Backend::Postgres);
}

/// One signed credit from the rural bank to the demo village's account, as its push sends it.
struct Push {
    txn: String,
    body: Vec<u8>,
}

fn pushes(account_no: &str, references: &[String], n: usize) -> Vec<Push> {
    let at = chrono::Utc::now() - chrono::Duration::minutes(5);
    (0..n)
        .map(|i| {
            let txn = format!("KILL-{i:04}");
            let body = serde_json::json!({"event": "account.credit", "txn_id": txn, "account_no": account_no,
                "amount": "1.00", "currency": "CNY", "value_time": at.to_rfc3339(), "counterparty_name": "张*国",
                "remark": references[i % references.len()]})
            .to_string()
            .into_bytes();
            Push { txn, body }
        })
        .collect()
}

/// Sends a push signed with the bank's key as it stands at `sandbox`; the status, or None when
/// the service did not answer (killed).
async fn deliver(
    client: &reqwest::Client,
    addr: &str,
    binding: i64,
    key: &serde_json::Value,
    p: &Push,
    attempt: u32,
) -> Option<u16> {
    use bank_adapters::rural_bank::{sign_headers, Algorithm, BankKey};
    let key = BankKey {
        key_id: key["bank_key_id"].as_str().unwrap().into(),
        algorithm: Algorithm::HmacSha256,
        secret: bank_adapters::Secret::new(key["bank_secret"].as_str().unwrap().as_bytes().to_vec()),
    };
    let mut req = client
        .post(format!("http://{addr}/callbacks/rural_bank/{binding}"))
        .body(p.body.clone());
    for (k, v) in sign_headers(&key, &p.body, chrono::Utc::now(), &format!("{}-{attempt}", p.txn)) {
        req = req.header(k, v);
    }
    Some(req.send().await.ok()?.status().as_u16())
}

async fn get_json(client: &reqwest::Client, url: String, token: &str) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `kill -9` in the middle of a burst of bank pushes loses nothing acknowledged: every push
/// answered 200 before the kill is in the books when the service comes back, before any retry;
/// then the bank retries every push, and each is in the books exactly once, receipts have no
/// gaps and `verify` passes.
async fn kill_9_loses_nothing_acknowledged(backend: Backend) {
    use futures::StreamExt;
    let Some(t) = TestDb::new(backend) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let village = "/api/v1/villages/370725102201";
    let (running, addr, _) = serve_demo_on(dir.path(), Some(&t));
    let sandbox = std::fs::read_to_string(dir.path().join("demo-sandbox-address")).unwrap();
    let keys = get_json(&client, format!("http://{}/sandbox/keys", sandbox.trim()), "-").await;
    let token = demo_login(&client, &addr, "admin").await;
    let bindings = get_json(&client, format!("http://{addr}{village}/bindings"), &token).await;
    let bank = bindings
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["provider"] == "rural_bank")
        .expect("the demo binds the rural bank")
        .clone();
    // The account's full number, which the API shows masked, as the bank knows it.
    let account_no = t
        .connect()
        .read(|c| -> Result<String, qingzhang::AppError> {
            let v = qingzhang::store::registry::Village::by_code(c, "370725102201")?.unwrap();
            Ok(qingzhang::store::registry::CorporateAccount::of_village(c, v.id)?
                .into_iter()
                .find(|a| serde_json::json!(a.id) == bank["corporate_account_id"])
                .unwrap()
                .account_no)
        })
        .unwrap();
    let bills = get_json(&client, format!("http://{addr}{village}/bills"), &token).await;
    let references: Vec<String> = bills
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["reference"].as_str().unwrap().to_string())
        .collect();
    assert!(!references.is_empty(), "{bills}");
    let binding = bank["id"].as_i64().unwrap();
    let all = pushes(&account_no, &references, 300);

    // A burst, 16 at a time; the service is killed (SIGKILL) once 100 are acknowledged.
    let mut acknowledged = Vec::new();
    let mut running = Some(running);
    let mut answers = futures::stream::iter(all.iter().map(|p| {
        let (client, addr, keys) = (&client, &addr, &keys);
        async move { (p.txn.clone(), deliver(client, addr, binding, keys, p, 1).await) }
    }))
    .buffer_unordered(16);
    let mut statuses = std::collections::BTreeMap::new();
    while let Some((txn, status)) = answers.next().await {
        *statuses.entry(status).or_insert(0) += 1;
        if status == Some(200) {
            acknowledged.push(txn);
        }
        if acknowledged.len() >= 100 {
            if let Some(mut r) = running.take() {
                r.0.kill().unwrap();
                r.0.wait().unwrap();
            }
        }
    }
    drop(answers);
    assert!(running.is_none(), "the service was killed mid-burst: {statuses:?}");
    // (Those sent after the kill found nobody listening; those inside the service at the kill,
    // if any, were cut off too. Either way the bank retries them below.)
    assert!(
        statuses.get(&None).is_some_and(|n| *n > 0),
        "pushes left unanswered by the kill: {statuses:?}"
    );
    eprintln!("killed after {} acknowledged: {statuses:?}", acknowledged.len());

    // Back from the kill, before any retry: everything acknowledged is in the books.
    let in_books = |db: &qingzhang::store::Db| -> std::collections::HashMap<String, i64> {
        use diesel::prelude::*;
        use qingzhang::store::schema::bank_transactions;
        db.read(|c| -> Result<Vec<String>, qingzhang::AppError> {
            Ok(bank_transactions::table
                .filter(bank_transactions::provider_txn_id.like("KILL-%"))
                .select(bank_transactions::provider_txn_id)
                .load(c)?)
        })
        .unwrap()
        .into_iter()
        .fold(std::collections::HashMap::new(), |mut m, t| {
            *m.entry(t).or_insert(0) += 1;
            m
        })
    };
    let db = t.connect();
    let kept = in_books(&db);
    let lost: Vec<&String> = acknowledged.iter().filter(|t| !kept.contains_key(*t)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    eprintln!(
        "in the books after the kill: {} ({} acknowledged)",
        kept.len(),
        acknowledged.len()
    );

    // The service restarts and the bank retries every push: each lands once.
    let (_running, addr, _) = serve_demo_on(dir.path(), Some(&t));
    let sandbox = std::fs::read_to_string(dir.path().join("demo-sandbox-address")).unwrap();
    let keys = get_json(&client, format!("http://{}/sandbox/keys", sandbox.trim()), "-").await;
    // As a bank retries: again after a 503 (busy) or a dropped connection, for up to a minute.
    let retried: Vec<Option<u16>> = futures::stream::iter(all.iter().map(|p| {
        let (client, addr, keys) = (&client, &addr, &keys);
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            let mut attempt = 2;
            loop {
                let status = deliver(client, addr, binding, keys, p, attempt).await;
                if status == Some(200) || std::time::Instant::now() > deadline || matches!(status, Some(s) if s != 503)
                {
                    return status;
                }
                attempt += 1;
                actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    assert!(retried.iter().all(|s| *s == Some(200)), "{retried:?}");
    let kept = in_books(&db);
    assert_eq!(kept.len(), all.len(), "every push is in the books");
    assert!(kept.values().all(|n| *n == 1), "each once");
    common::invariants::assert_books_agree(&db);
    let verified = qingzhang(dir.path(), Some(&t)).arg("verify").output().unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}

#[actix_web::test]
async fn kill_9_loses_nothing_acknowledged_sqlite() {
    kill_9_loses_nothing_acknowledged(Backend::Sqlite).await;
}
#[actix_web::test]
async fn kill_9_loses_nothing_acknowledged_postgres() {
    kill_9_loses_nothing_acknowledged(Backend::Postgres).await;
}
