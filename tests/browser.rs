//! The villager's, the clerk's and the inspector's pages in a real browser: Debian's headless Chromium, driven by
//! playwright-core (tests/browser/run.mjs), against the real server and the sandbox bank.
//!
//! Needs `node`, `/usr/bin/chromium` (or `CHROMIUM`) and `tests/browser/node_modules` (`.ci/run`
//! installs all three). Without them the test prints SKIPPED, except under CI, where it fails.
//! Screenshots are kept in `target/browser-artifacts/`.

mod common;

use common::*;
use serde_json::json;
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
    let refs: Vec<String> = bills_in_village_a(&app, &t, &["1678.38", "200.00"])
        .await
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    // The sandbox bank plays WeChat Pay and the bank; the admin binds both.
    let (sandbox, k) = sandbox_bank(&app).await;
    let wechat = app
        .post(
            &t.admin,
            &format!("{v}/accounts/1/bindings"),
            wechat_ordering(&k, &sandbox),
        )
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
    // Money out nobody approved, on the bank's statement: the inspector's story finds it.
    let day = beijing_today();
    let file = format!("交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n{day},15:30:00,OUT-1,3000.00,,-3000.00,某某建材店,6228480000000000009,网银转账,购材料\n");
    let upload = app
        .client
        .post(format!("{}{v}/accounts/1/statements?file_name=day.csv", app.base))
        .bearer_auth(&t.accountant)
        .body(file.into_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status().as_u16(), 201);
    // A clerk's request to pay for materials, for the accountant to approve.
    let request = app
        .post(&t.clerk_a, &format!("{v}/disbursements"), json!({"account_id": 1, "payee_name": "东岭建材经营部", "payee_account": "6228480000000000009", "amount": "500.00", "purpose": "修水渠材料", "account_code": "521"}))
        .await;
    assert_eq!(request.status, 201, "{:?}", request.body);
    let statement = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/statements/rural-netbank-gbk.csv");
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-artifacts");
    let envs: Vec<(&str, String)> = vec![
        ("QZ_BASE", app.base.clone()),
        ("QZ_SANDBOX", sandbox.clone()),
        ("QZ_PAY_URL", pay_url),
        ("QZ_VILLAGE", VILLAGE_A.into()),
        ("QZ_VILLAGE_B", VILLAGE_B.into()),
        ("QZ_PASSWORD", PASSWORD.into()),
        ("QZ_CASH_BILL", refs[1].clone()),
        ("QZ_ACCOUNT_NO", ACCOUNT_NO.into()),
        ("QZ_BANK_BINDING", bank.body["id"].to_string()),
        ("QZ_ARTIFACTS", artifacts.display().to_string()),
        ("QZ_STATEMENT_FILE", statement.display().to_string()),
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
    check_poster(&app, &artifacts.join("poster.pdf")).await;
    // After everything the clerk did, the books still verify.
    assert_eq!(
        app.get(&t.inspector, &format!("{v}/verify")).await.body["problems"],
        json!([])
    );
}

/// The poster as Chromium printed it: one A4 page whose two codes, read back by rqrr from
/// poppler's drawing of the page (not mirrored), are the village's public page and a pay code
/// that opens the village's pay page.
async fn check_poster(app: &TestApp, pdf: &Path) {
    use std::process::Command;
    let info = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    assert_eq!(field("Pages:"), "1", "the poster prints on one page: {info}");
    // A4 is 595.28 × 841.89 points; Chromium rounds to whole points or close to them.
    let size: Vec<f64> = field("Page size:")
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        size.len() == 2 && (size[0] - 595.3).abs() < 2.0 && (size[1] - 841.9).abs() < 2.0,
        "an A4 page: {info}"
    );
    let prefix = pdf.with_file_name("poster-page");
    let drawn = Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-png", "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(drawn.success());
    let mut reader = png::Decoder::new(std::fs::File::open(prefix.with_extension("png")).unwrap())
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let (w, h, n) = (frame.width as usize, frame.height as usize, frame.color_type.samples());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[(y * w + x) * n]);
    let mut texts: Vec<String> = img
        .detect_grids()
        .iter()
        .map(|g| {
            g.get_raw_data().expect("a code that reads without mirroring");
            g.decode().expect("a code that decodes").1
        })
        .collect();
    texts.sort_by_key(|t| !t.ends_with(&format!("/v/{VILLAGE_A}")));
    assert_eq!(texts.len(), 2, "two codes on the poster: {texts:?}");
    assert!(
        texts[0].ends_with(&format!("/v/{VILLAGE_A}")),
        "the public page's code: {texts:?}"
    );
    let page = app.client.get(&texts[0]).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "{}", texts[0]);
    let pay = app.client.get(&texts[1]).send().await.unwrap();
    assert_eq!(pay.status().as_u16(), 200, "{}", texts[1]);
    assert!(
        pay.text().await.unwrap().contains("村集体收款"),
        "the pay code opens the pay page"
    );
}
