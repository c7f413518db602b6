//! The villager's and the clerk's pages in a real browser: Debian's headless Chromium, driven by
//! playwright-core (tests/browser/run.mjs), against the real server and the sandbox bank.
//!
//! Needs `node`, `/usr/bin/chromium` (or `CHROMIUM`) and `tests/browser/node_modules` (`.ci/run`
//! installs all three). Without them the test prints SKIPPED, except under CI, where it fails.
//! Screenshots are kept in `target/browser-artifacts/`.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const ACCOUNT_NO: &str = "9150010100001234567";

/// What the browser stories need, or why they cannot run here.
fn tools() -> Result<(PathBuf, PathBuf), String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        return Err("node is not installed".into());
    }
    if !Path::new(&chromium).exists() {
        return Err(format!("{chromium} is not installed (apt-get install chromium)"));
    }
    if !dir.join("node_modules/playwright-core").exists() {
        return Err("tests/browser/node_modules is missing (npm ci --prefix tests/browser)".into());
    }
    Ok((dir, PathBuf::from(chromium)))
}

#[actix_web::test]
async fn a_villager_pays_and_a_clerk_takes_cash_pays_in_and_voids_in_chromium() {
    let (dir, chromium) = match tools() {
        Ok(t) => t,
        Err(why) if std::env::var_os("CI").is_some() => panic!("browser tests are required in CI: {why}"),
        Err(why) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED browser stories: {why}");
            return;
        }
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite");
    let t = app.seed().await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let payer = app
        .post(
            &t.clerk_a,
            &format!("{v}/payers"),
            json!({"kind": "member", "name": "张建国"}),
        )
        .await;
    let item = app
        .post(
            &t.clerk_a,
            &format!("{v}/fee-items"),
            json!({"code": "land", "name": "土地承包费", "income_account_code": "501"}),
        )
        .await;
    let mut refs = Vec::new();
    for amount in ["1678.38", "200.00"] {
        let b = app
            .post(&t.clerk_a, &format!("{v}/bills"), json!({"payer_id": payer.body["id"], "fee_item_id": item.body["id"], "amount": amount, "period_label": "2026", "due_date": "2026-12-31"}))
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        refs.push(b.body["reference"].as_str().unwrap().to_string());
    }
    // The sandbox bank plays WeChat Pay and the bank; the admin binds both.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sandbox = format!("http://{}", listener.local_addr().unwrap());
    let keys = qingzhang::sandbox::keys::SandboxKeys::generate().unwrap();
    let (server, _) = qingzhang::sandbox::server::start(listener, keys, 1000).unwrap();
    actix_web::rt::spawn(server);
    let k: Value = app
        .client
        .get(format!("{sandbox}/sandbox/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let wechat = app
        .post(&t.admin, &format!("{v}/accounts/1/bindings"), json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": k["wechat_api_v3_key"],
              "platform_public_keys": [{"key_id": k["wechat_public_key_id"], "pem": k["wechat_public_key_pem"]}],
              "ordering": {"app_id": k["wechat_app_id"], "merchant_serial_no": k["wechat_merchant_serial_no"], "merchant_private_key": k["wechat_merchant_private_key_pem"], "api_base": sandbox}}))
        .await;
    assert_eq!(wechat.status, 201, "{:?}", wechat.body);
    let bank = app
        .post(&t.admin, &format!("{v}/accounts/1/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": k["bank_key_id"], "algorithm": "hmac-sha256", "secret": k["bank_secret"]}]}))
        .await;
    assert_eq!(bank.status, 201, "{:?}", bank.body);
    let code = app
        .client
        .get(format!("{}{v}/bills/{}/qr", app.base, refs[0]))
        .bearer_auth(&t.clerk_a)
        .send()
        .await
        .unwrap();
    let pay_url = code.headers()["x-qz-code-text"].to_str().unwrap().to_string();
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    let envs: Vec<(&str, String)> = vec![
        ("QZ_BASE", app.base.clone()),
        ("QZ_SANDBOX", sandbox.clone()),
        ("QZ_PAY_URL", pay_url),
        ("QZ_VILLAGE", VILLAGE_A.into()),
        ("QZ_PASSWORD", PASSWORD.into()),
        ("QZ_CASH_BILL", refs[1].clone()),
        ("QZ_ACCOUNT_NO", ACCOUNT_NO.into()),
        ("QZ_BANK_BINDING", bank.body["id"].to_string()),
        ("QZ_ARTIFACTS", artifacts.display().to_string()),
        ("CHROMIUM", chromium.display().to_string()),
    ];
    // Node runs on a blocking thread; the server keeps answering on this one.
    let output = actix_web::web::block(move || {
        std::process::Command::new("node")
            .arg("run.mjs")
            .current_dir(dir)
            .envs(envs)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser stories failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("browser stories passed"), "{stdout}");
    // After everything the clerk did, the books still verify.
    assert_eq!(
        app.get(&t.inspector, &format!("{v}/verify")).await.body["problems"],
        json!([])
    );
}
