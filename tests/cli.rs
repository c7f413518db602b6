//! The `qingzhang` binary as a newcomer and an operator use it: the README's run command
//! (`serve --demo`) answers over HTTP, `user add` bootstraps an admin, `verify` exits non-zero
//! and names the entry after a row is edited behind the service's back.

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
    let login: serde_json::Value = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "clerk", "password": qingzhang::usecases::demo::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().expect("demo clerk logs in");
    let bills: serde_json::Value = client
        .get(format!("http://{addr}/api/v1/villages/370725102201/bills"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(bills.as_array().unwrap().len() >= 5, "{bills}");
    let entries: serde_json::Value = client
        .get(format!("http://{addr}/api/v1/villages/370725102201/entries"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(entries[0]["lines"][0]["debit"], "158320.45");
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
    let weak = add("short");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));
    let ok = add("a-long-enough-password");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("user root-admin added"));
    let again = add("a-long-enough-password");
    assert!(String::from_utf8_lossy(&again.stderr).contains("is taken"));
}
