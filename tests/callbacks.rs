//! Callbacks into the ledger over real HTTP with real signatures, on SQLite and PostgreSQL:
//! each provider's payment becomes one entry and one receipt and pays its bill; duplicates,
//! races and bad requests change nothing; everything that arrived is in the inbox.

mod common;

use bank_adapters::rural_bank::{sign_headers, Algorithm, BankKey};
use bank_adapters::{alipay, wechat, Secret};
use chrono::Utc;
use common::*;
use futures::StreamExt;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

const ACCOUNT_NO: &str = "9150010100001234567";
const BANK_SECRET: &str = "a-shared-secret-0001";

struct Village {
    t: Tokens,
    bill_ref: String,
    bill_id: i64,
}

/// Village A with a member payer, a land-contract fee item and one bill of 1678.38.
async fn village_with_bill(app: &TestApp) -> Village {
    let t = app.seed().await;
    let (bill_ref, bill_id) = bills_in_village_a(app, &t, &["1678.38"]).await.remove(0);
    Village { t, bill_ref, bill_id }
}

async fn bind_bank(app: &TestApp, admin: &str) -> i64 {
    let r = app
        .post(admin, &format!("/api/v1/villages/{VILLAGE_A}/accounts/1/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": "k1", "algorithm": "hmac-sha256", "secret": BANK_SECRET}]}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(!r.body.to_string().contains(BANK_SECRET), "secrets are never returned");
    r.body["id"].as_i64().unwrap()
}

fn bank_key() -> BankKey {
    BankKey {
        key_id: "k1".into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(BANK_SECRET.as_bytes().to_vec()),
    }
}

fn bank_push(txn: &str, amount: &str, remark: &str) -> Vec<u8> {
    json!({"event": "account.credit", "txn_id": txn, "account_no": ACCOUNT_NO, "amount": amount, "currency": "CNY",
           "value_time": Utc::now().to_rfc3339(), "counterparty_name": "张*国", "remark": remark})
    .to_string()
    .into_bytes()
}

async fn deliver(app: &TestApp, path: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    let mut req = app.client.post(format!("{}{path}", app.base)).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn send_bank(app: &TestApp, binding: i64, body: Vec<u8>) -> (u16, String) {
    let headers = sign_headers(&bank_key(), &body, Utc::now(), "nonce-0000000001");
    deliver(app, &format!("/callbacks/rural_bank/{binding}"), &headers, body).await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status, 200, "{path}: {:?}", r.body);
    r.body
}

both!(
    a_bank_transfer_pays_its_bill_once_with_one_entry_and_one_receipt,
    |app| {
        let v = village_with_bill(&app).await;
        let binding = bind_bank(&app, &v.t.admin).await;
        let body = bank_push("RCB0001", "1678.38", &format!("{} 承包费", v.bill_ref));
        assert_eq!(
            send_bank(&app, binding, body.clone()).await,
            (200, r#"{"code":"OK"}"#.to_string())
        );
        // The bank retries: the same answer, nothing new.
        assert_eq!(
            send_bank(&app, binding, body).await,
            (200, r#"{"code":"OK"}"#.to_string())
        );

        let base = format!("/api/v1/villages/{VILLAGE_A}");
        let bill = get(&app, &v.t.clerk_a, &format!("{base}/bills/{}", v.bill_ref)).await;
        assert_eq!(
            (
                bill["status"].as_str(),
                bill["paid"].as_str(),
                bill["outstanding"].as_str()
            ),
            (Some("paid"), Some("1678.38"), Some("0.00"))
        );
        let txns = get(&app, &v.t.accountant, &format!("{base}/bank-transactions")).await;
        assert_eq!(txns.as_array().unwrap().len(), 1);
        assert_eq!(
            (
                txns[0]["outcome"].as_str(),
                txns[0]["amount"].as_str(),
                txns[0]["bill_id"].as_i64()
            ),
            (Some("paid"), Some("1678.38"), Some(v.bill_id))
        );
        let receipts = get(&app, &v.t.clerk_a, &format!("{base}/receipts")).await;
        assert_eq!(receipts.as_array().unwrap().len(), 1);
        let r = &receipts[0];
        assert!(r["number"].as_str().unwrap().ends_with("-000001"), "{r}");
        assert_eq!(
            (
                r["amount"].as_str(),
                r["amount_in_words"].as_str(),
                r["channel"].as_str()
            ),
            (Some("1678.38"), Some("壹仟陆佰柒拾捌元叁角捌分"), Some("bank"))
        );
        assert_eq!(
            (r["payer_name"].as_str(), r["fee_item"].as_str()),
            (Some("张建国"), Some("土地承包费"))
        );
        assert_eq!(r["verification_code"].as_str().unwrap().len(), 16);
        let entries = get(&app, &v.t.accountant, &format!("{base}/entries")).await;
        assert_eq!(entries.as_array().unwrap().len(), 1);
        let lines = &entries[0]["lines"];
        assert_eq!(
            (lines[0]["account_code"].as_str(), lines[0]["debit"].as_str()),
            (Some("102.0001"), Some("1678.38"))
        );
        assert_eq!(
            (lines[1]["account_code"].as_str(), lines[1]["credit"].as_str()),
            (Some("501"), Some("1678.38"))
        );
        assert_eq!(lines.as_array().unwrap().len(), 2);
        let month = beijing_today().format("%Y-%m").to_string();
        let tb = get(&app, &v.t.inspector, &format!("{base}/trial-balance?period={month}")).await;
        assert_eq!(
            (tb["balanced"].as_bool(), tb["total_debit"].as_str()),
            (Some(true), Some("1678.38"))
        );
        assert_eq!(
            get(&app, &v.t.inspector, &format!("{base}/verify")).await["problems"],
            json!([])
        );
        let inbox = get(&app, &v.t.admin, "/api/v1/inbox").await;
        let statuses: Vec<&str> = inbox
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, vec!["applied", "duplicate"]);
    }
);

both!(
    wechat_and_alipay_payments_post_and_are_answered_in_their_formats,
    |app| {
        let v = village_with_bill(&app).await;
        let base = format!("/api/v1/villages/{VILLAGE_A}");
        // A second bill for Alipay.
        let bill2 = app.post(&v.t.clerk_a, &format!("{base}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "200.00", "period_label": "2026 房租", "due_date": "2026-12-31"})).await;
        let ref2 = bill2.body["reference"].as_str().unwrap().replace('-', "");
        let platform = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let api_v3_key = "0123456789abcdef0123456789abcdef";
        let w = app
            .post(
                &v.t.admin,
                &format!("{base}/accounts/1/bindings"),
                json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": api_v3_key,
              "platform_public_keys": [{"key_id": "PUB_KEY_ID_0001", "pem": wechat::public_key_pem(&platform)}]}),
            )
            .await;
        assert_eq!(w.status, 201, "{:?}", w.body);
        assert_eq!(w.body["key_ids"], json!(["PUB_KEY_ID_0001"]));
        let t = wechat::Transaction {
            mchid: "1900000109".into(),
            appid: "wx0000000000000001".into(),
            out_trade_no: v.bill_ref.replace('-', ""),
            transaction_id: "4200000001202611280000000001".into(),
            trade_state: "SUCCESS".into(),
            success_time: Utc::now().to_rfc3339(),
            attach: None,
            amount: wechat::TransactionAmount {
                total: 167838,
                payer_total: Some(167838),
                currency: "CNY".into(),
                payer_currency: None,
            },
        };
        let req =
            wechat::payment_notification(&platform, "PUB_KEY_ID_0001", api_v3_key.as_bytes(), &t, Utc::now()).unwrap();
        let path = format!("/callbacks/wechat/{}", w.body["id"]);
        assert_eq!(
            deliver(&app, &path, &req.headers, req.body.clone()).await,
            (204, String::new())
        );
        assert_eq!(
            deliver(&app, &path, &req.headers, req.body).await,
            (204, String::new()),
            "a duplicate is acknowledged alike"
        );

        let alipay_key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let a = app
        .post(&v.t.admin, &format!("{base}/accounts/1/bindings"), json!({"provider": "alipay", "app_id": "2021004100000001", "alipay_public_key": wechat::public_key_pem(&alipay_key)}))
        .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        let form = alipay::signed_form(
            &alipay_key,
            &[
                ("app_id", "2021004100000001"),
                ("trade_no", "2026112822001400000000000001"),
                ("out_trade_no", ref2.as_str()),
                ("trade_status", "TRADE_SUCCESS"),
                ("total_amount", "200.00"),
                ("gmt_payment", "2026-11-28 10:00:00"),
                ("buyer_logon_id", "138****5678"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let path = format!("/callbacks/alipay/{}", a.body["id"]);
        let ct = [(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        assert_eq!(deliver(&app, &path, &ct, form).await, (200, "success".to_string()));

        let txns = get(&app, &v.t.accountant, &format!("{base}/bank-transactions")).await;
        let got: Vec<(&str, &str, &str)> = txns
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["provider"].as_str().unwrap(),
                    t["amount"].as_str().unwrap(),
                    t["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, vec![("wechat", "1678.38", "paid"), ("alipay", "200.00", "paid")]);
        let receipts = get(&app, &v.t.clerk_a, &format!("{base}/receipts")).await;
        let channels: Vec<&str> = receipts
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["channel"].as_str().unwrap())
            .collect();
        assert_eq!(channels, vec!["wechat", "alipay"]);
        assert!(
            receipts[1]["number"].as_str().unwrap().ends_with("-000002"),
            "receipt numbers follow on without a gap"
        );
        let listed = get(&app, &v.t.admin, &format!("{base}/bindings")).await;
        assert!(!listed.to_string().contains(api_v3_key));
    }
);

both!(bad_callbacks_are_kept_refused_and_post_nothing, |app| {
    let v = village_with_bill(&app).await;
    let binding = bind_bank(&app, &v.t.admin).await;
    let path = format!("/callbacks/rural_bank/{binding}");
    let good = bank_push("RCB0002", "1678.38", &v.bill_ref);
    // Wrong key, flipped byte, stale timestamp, missing header.
    let forged = BankKey {
        key_id: "k1".into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(b"not-the-shared-secret".to_vec()),
    };
    let (s, b) = deliver(
        &app,
        &path,
        &sign_headers(&forged, &good, Utc::now(), "n1"),
        good.clone(),
    )
    .await;
    assert_eq!(s, 401);
    assert!(b.contains(r#""code":"FAIL""#), "{b}");
    let mut flipped = good.clone();
    flipped[15] ^= 1;
    assert_eq!(
        deliver(
            &app,
            &path,
            &sign_headers(&bank_key(), &good, Utc::now(), "n2"),
            flipped
        )
        .await
        .0,
        401
    );
    let stale = sign_headers(&bank_key(), &good, Utc::now() - chrono::Duration::seconds(400), "n3");
    assert_eq!(deliver(&app, &path, &stale, good.clone()).await.0, 401);
    let headers: Vec<_> = sign_headers(&bank_key(), &good, Utc::now(), "n4")
        .into_iter()
        .filter(|(k, _)| k != "X-QZ-Signature")
        .collect();
    assert_eq!(deliver(&app, &path, &headers, good.clone()).await.0, 400);
    // Properly signed but wrong inside: amounts, JSON, another account.
    for body in [
        bank_push("RCB0003", "1678.385", &v.bill_ref),
        bank_push("RCB0004", "0.00", &v.bill_ref),
        bank_push("RCB0005", "-5.00", &v.bill_ref),
        b"{not json".to_vec(),
        String::from_utf8(good.clone())
            .unwrap()
            .replace(ACCOUNT_NO, "9150010199999999999")
            .into_bytes(),
    ] {
        let (s, b) = send_bank(&app, binding, body.clone()).await;
        assert_eq!(s, 400, "{}: {b}", String::from_utf8_lossy(&body));
    }
    // An unknown binding and an unknown provider.
    assert_eq!(send_bank(&app, 999, good.clone()).await.0, 400);
    let r = app
        .client
        .post(format!("{}/callbacks/paypal/1", app.base))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Nothing was posted; everything is in the inbox, rejected with its reason.
    let base = format!("/api/v1/villages/{VILLAGE_A}");
    assert_eq!(get(&app, &v.t.accountant, &format!("{base}/entries")).await, json!([]));
    assert_eq!(
        get(&app, &v.t.accountant, &format!("{base}/bills/{}", v.bill_ref)).await["status"],
        "open"
    );
    let inbox = get(&app, &v.t.admin, "/api/v1/inbox?status=rejected").await;
    let reasons: Vec<&str> = inbox
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().split(':').next().unwrap())
        .collect();
    assert_eq!(
        reasons,
        vec![
            "bad_signature",
            "bad_signature",
            "stale_timestamp",
            "missing_header",
            "invalid_amount",
            "invalid_amount",
            "invalid_amount",
            "malformed",
            "unknown_account",
            "unknown_account"
        ]
    );
    // The clerk sees the village's rows but not the one that named no known binding.
    assert_eq!(
        get(&app, &v.t.clerk_a, "/api/v1/inbox?status=rejected")
            .await
            .as_array()
            .unwrap()
            .len(),
        9
    );
    // And the real thing still goes through afterwards.
    assert_eq!(send_bank(&app, binding, good).await.0, 200);
});

both!(part_over_and_unplaced_payments_keep_every_fen_in_suspense, |app| {
    let v = village_with_bill(&app).await;
    let binding = bind_bank(&app, &v.t.admin).await;
    let base = format!("/api/v1/villages/{VILLAGE_A}");
    assert_eq!(
        send_bank(&app, binding, bank_push("P1", "1000.00", &v.bill_ref))
            .await
            .0,
        200
    );
    let bill = get(&app, &v.t.clerk_a, &format!("{base}/bills/{}", v.bill_ref)).await;
    assert_eq!(
        (bill["status"].as_str(), bill["outstanding"].as_str()),
        (Some("part_paid"), Some("678.38"))
    );
    assert_eq!(
        send_bank(&app, binding, bank_push("P2", "700.00", &v.bill_ref)).await.0,
        200
    );
    assert_eq!(
        send_bank(&app, binding, bank_push("P3", "50.00", "村民交费 没写账单号"))
            .await
            .0,
        200
    );
    assert_eq!(
        send_bank(&app, binding, bank_push("P4", "30.00", &v.bill_ref)).await.0,
        200,
        "the bill is paid now: suspense"
    );
    let txns = get(&app, &v.t.accountant, &format!("{base}/bank-transactions")).await;
    let outcomes: Vec<&str> = txns
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["part_paid", "overpaid", "suspense", "suspense"]);
    assert_eq!(txns[1]["note"], "超付 21.62 元转待查明");
    let accounts = get(&app, &v.t.accountant, &format!("{base}/ledger/accounts")).await;
    let balance = |code: &str| {
        accounts.as_array().unwrap().iter().find(|a| a["code"] == code).unwrap()["balance"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(balance("102.0001"), "1780.00");
    assert_eq!(balance("501"), "-1678.38");
    assert_eq!(
        balance("211.9999"),
        "-101.62",
        "21.62 overpaid + 50.00 unplaced + 30.00 after payment"
    );
    let receipts = get(&app, &v.t.clerk_a, &format!("{base}/receipts")).await;
    let amounts: Vec<&str> = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount"].as_str().unwrap())
        .collect();
    assert_eq!(
        amounts,
        vec!["1000.00", "678.38"],
        "receipts only for money placed on a bill"
    );
    let suspense = get(
        &app,
        &v.t.accountant,
        &format!("{base}/bank-transactions?outcome=suspense"),
    )
    .await;
    assert_eq!(suspense.as_array().unwrap().len(), 2);
});

both!(a_thousand_concurrent_copies_of_one_callback_post_once, |app| {
    let v = village_with_bill(&app).await;
    let binding = bind_bank(&app, &v.t.admin).await;
    let body = bank_push("RCB-RACE", "1678.38", &v.bill_ref);
    let headers = sign_headers(&bank_key(), &body, Utc::now(), "nonce-race");
    let path = format!("/callbacks/rural_bank/{binding}");
    let results: Vec<(u16, String)> = futures::stream::iter(0..1000)
        .map(|_| deliver(&app, &path, &headers, body.clone()))
        .buffer_unordered(64)
        .collect()
        .await;
    assert!(
        results.iter().all(|r| r.0 == 200),
        "{:?}",
        results.iter().filter(|r| r.0 != 200).take(3).collect::<Vec<_>>()
    );
    let base = format!("/api/v1/villages/{VILLAGE_A}");
    assert_eq!(
        get(&app, &v.t.accountant, &format!("{base}/bank-transactions"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&app, &v.t.accountant, &format!("{base}/entries"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&app, &v.t.clerk_a, &format!("{base}/receipts"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&app, &v.t.clerk_a, &format!("{base}/bills/{}", v.bill_ref)).await["paid"],
        "1678.38"
    );
    let applied = get(&app, &v.t.admin, "/api/v1/inbox?status=applied&limit=500").await;
    assert_eq!(applied.as_array().unwrap().len(), 1);
    let mut duplicates = 0;
    let mut after = 0;
    loop {
        let page = get(
            &app,
            &v.t.admin,
            &format!("/api/v1/inbox?status=duplicate&limit=500&after_id={after}"),
        )
        .await;
        let rows = page.as_array().unwrap();
        if rows.is_empty() {
            break;
        }
        duplicates += rows.len();
        after = rows.last().unwrap()["id"].as_i64().unwrap();
    }
    assert_eq!(duplicates, 999);
});

both!(
    bank_keys_rotate_with_old_and_new_accepted_during_the_changeover,
    |app| {
        let v = village_with_bill(&app).await;
        let binding = bind_bank(&app, &v.t.admin).await;
        let base = format!("/api/v1/villages/{VILLAGE_A}");
        let r = app.post(&v.t.clerk_a, &format!("{base}/accounts/1/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": "x", "algorithm": "hmac-sm3", "secret": "0123456789abcdef"}]})).await;
        assert_eq!(r.status, 403, "only admins bind credentials");
        let r = app.post(&v.t.admin, &format!("{base}/accounts/1/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": "k9", "algorithm": "hmac-sha256", "secret": "short"}]})).await;
        assert_eq!((r.status, r.code()), (422, "binding_invalid"));
        let both_keys = json!({"provider": "rural_bank", "keys": [
        {"key_id": "k1", "algorithm": "hmac-sha256", "secret": BANK_SECRET},
        {"key_id": "k2", "algorithm": "hmac-sm3", "secret": "the-new-sm3-secret-2026"}]});
        let r = app
            .send(
                reqwest::Method::PUT,
                Some(&v.t.admin),
                &format!("{base}/bindings/{binding}"),
                Some(both_keys),
            )
            .await;
        assert_eq!((r.status, r.body["key_ids"].clone()), (200, json!(["k1", "k2"])));
        let new_key = BankKey {
            key_id: "k2".into(),
            algorithm: Algorithm::HmacSm3,
            secret: Secret::new(b"the-new-sm3-secret-2026".to_vec()),
        };
        let path = format!("/callbacks/rural_bank/{binding}");
        let b1 = bank_push("ROT-1", "100.00", "x");
        assert_eq!(
            deliver(&app, &path, &sign_headers(&bank_key(), &b1, Utc::now(), "r1"), b1)
                .await
                .0,
            200,
            "old key still accepted"
        );
        let b2 = bank_push("ROT-2", "100.00", "x");
        assert_eq!(
            deliver(&app, &path, &sign_headers(&new_key, &b2, Utc::now(), "r2"), b2)
                .await
                .0,
            200,
            "new key accepted"
        );
        let only_new = json!({"provider": "rural_bank", "keys": [{"key_id": "k2", "algorithm": "hmac-sm3", "secret": "the-new-sm3-secret-2026"}]});
        let r = app
            .send(
                reqwest::Method::PUT,
                Some(&v.t.admin),
                &format!("{base}/bindings/{binding}"),
                Some(only_new),
            )
            .await;
        assert_eq!((r.status, r.body["key_ids"].clone()), (200, json!(["k2"])));
        let b3 = bank_push("ROT-3", "100.00", "x");
        assert_eq!(
            deliver(&app, &path, &sign_headers(&bank_key(), &b3, Utc::now(), "r3"), b3)
                .await
                .0,
            401,
            "the retired key is refused"
        );
        let b4 = bank_push("ROT-4", "100.00", "x");
        assert_eq!(
            deliver(&app, &path, &sign_headers(&new_key, &b4, Utc::now(), "r4"), b4)
                .await
                .0,
            200,
            "the new key alone verifies"
        );
        // Each accepted push was applied once; the refused one left no transaction.
        let txns = app.get(&v.t.accountant, &format!("{base}/bank-transactions")).await;
        let mut ids: Vec<&str> = txns
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["provider_txn_id"].as_str().unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids, ["ROT-1", "ROT-2", "ROT-4"]);
        // Both replacements are in the audit log, by the admin.
        let audit = app.get(&v.t.admin, "/api/v1/audit?limit=500").await;
        let replaced = audit
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| {
                a["action"] == "binding.replace"
                    && a["object_id"].as_str().and_then(|s| s.parse::<i64>().ok()) == Some(binding)
            })
            .count();
        assert_eq!(replaced, 2);
    }
);

/// Decodes a PNG with rqrr, a QR implementation independent of the one that drew it.
fn decode_qr(png_bytes: &[u8]) -> String {
    let mut reader = png::Decoder::new(png_bytes).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

both!(
    a_bill_code_decodes_to_a_pay_page_that_refuses_edits_and_follows_the_bank,
    |app| {
        let v = village_with_bill(&app).await;
        let base = format!("/api/v1/villages/{VILLAGE_A}");
        let res = app
            .client
            .get(format!("{}{base}/bills/{}/qr?format=png", app.base, v.bill_ref))
            .bearer_auth(&v.t.clerk_a)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["content-type"], "image/png");
        let stated = res.headers()["x-qz-code-text"].to_str().unwrap().to_string();
        let url = decode_qr(&res.bytes().await.unwrap());
        assert_eq!(url, stated, "the rendered code decodes to its text");
        let path = url.strip_prefix(&app.base).expect("the configured public URL");
        let page = |path: String, ua: &'static str| {
            let req = app.client.get(format!("{}{path}", app.base)).header("user-agent", ua);
            async move {
                let r = req.send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            }
        };
        let (status, html) = page(path.to_string(), "Mozilla/5.0 (iPhone) MicroMessenger/8.0.50").await;
        assert_eq!(status, 200);
        for shown in [
            "北岩村",
            "¥1678.38",
            "壹仟陆佰柒拾捌元叁角捌分",
            "张*国",
            "9150****4567",
            "土地承包费",
            "微信支付",
            &v.bill_ref,
        ] {
            assert!(html.contains(shown), "the page shows {shown}");
        }
        assert!(
            !html.contains("张建国") && !html.contains(ACCOUNT_NO),
            "no personal data or full account number"
        );
        // An edited amount breaks the signature.
        let token = path.strip_prefix("/pay/").unwrap();
        let edited = token.replacen("167838", "100", 1);
        assert_ne!(edited, token);
        let (status, html) = page(format!("/pay/{edited}"), "Mozilla/5.0").await;
        assert_eq!(status, 404);
        assert!(html.contains("无效"));
        assert_eq!(page("/pay/not-a-code".to_string(), "Mozilla/5.0").await.0, 404);
        // SVG works too; another village's clerk gets nothing.
        let svg = app
            .client
            .get(format!("{}{base}/bills/{}/qr", app.base, v.bill_ref))
            .bearer_auth(&v.t.clerk_a)
            .send()
            .await
            .unwrap();
        assert_eq!(svg.headers()["content-type"], "image/svg+xml");
        assert_eq!(
            app.get(&v.t.clerk_b, &format!("{base}/bills/{}/qr", v.bill_ref))
                .await
                .status,
            404
        );
        let account_code = app
            .client
            .get(format!("{}{base}/accounts/1/qr?format=png", app.base))
            .bearer_auth(&v.t.clerk_a)
            .send()
            .await
            .unwrap();
        let static_url = decode_qr(&account_code.bytes().await.unwrap());
        let (_, html) = page(
            static_url.strip_prefix(&app.base).unwrap().to_string(),
            "AlipayClient/10.5",
        )
        .await;
        assert!(html.contains("付款时输入") && html.contains("支付宝"));
        // The same bill as an EMVCo payload: decoded from the image, its CRC checks and it
        // carries the account, the amount and the reference in tag 62-05.
        let emv = app
            .client
            .get(format!(
                "{}{base}/bills/{}/qr?format=png&payload=emvco",
                app.base, v.bill_ref
            ))
            .bearer_auth(&v.t.clerk_a)
            .send()
            .await
            .unwrap();
        let stated = emv.headers()["x-qz-code-text"].to_str().unwrap().to_string();
        let stated = percent_encoding::percent_decode_str(&stated)
            .decode_utf8()
            .unwrap()
            .to_string();
        let text = decode_qr(&emv.bytes().await.unwrap());
        assert_eq!(text, stated);
        let m = bank_adapters::emvco::MerchantQr::parse(&text).unwrap();
        assert_eq!(m.amount.map(|a| a.fen()), Some(167838));
        assert_eq!(m.reference.as_deref(), Some(v.bill_ref.replace('-', "").as_str()));
        assert!(m.account_fields.contains(&("01".to_string(), ACCOUNT_NO.to_string())));
        assert_eq!(m.chinese.unwrap().1, "北岩村");
        assert_eq!(
            app.get(&v.t.clerk_a, &format!("{base}/bills/{}/qr?payload=iso", v.bill_ref))
                .await
                .status,
            400
        );
        // Once the bank has paid the bill, the page says so and no new code is issued.
        let binding = bind_bank(&app, &v.t.admin).await;
        assert_eq!(
            send_bank(&app, binding, bank_push("QR-1", "1678.38", &v.bill_ref))
                .await
                .0,
            200
        );
        let (_, html) = page(path.to_string(), "Mozilla/5.0").await;
        assert!(html.contains("已经缴清"));
        assert_eq!(
            app.get(&v.t.clerk_a, &format!("{base}/bills/{}/qr", v.bill_ref))
                .await
                .code(),
            "bill_not_open"
        );
    }
);

/// A TCP proxy to PostgreSQL that a test can cut and restore, to play "the database is down".
struct Proxy {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    /// Runs on its own thread and runtime, so the app's blocking database calls never starve it.
    fn start(target: &'static str) -> Proxy {
        use std::sync::atomic::Ordering;
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Default::default();
        let (up2, links2) = (up.clone(), links.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap().port()).unwrap();
                while let Ok((mut client, _)) = listener.accept().await {
                    if !up2.load(Ordering::SeqCst) {
                        continue; // dropped: the database is unreachable
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    });
                    links2.lock().unwrap().push(link);
                }
            });
        });
        Proxy {
            port: rx.recv().unwrap(),
            up,
            links,
        }
    }
    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
    }
    fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// PostgreSQL only: the embedded SQLite database cannot be down while the process is up.
#[actix_web::test]
async fn a_callback_while_the_database_is_down_gets_503_and_applies_on_retry() {
    let proxy = Proxy::start("127.0.0.1:5432");
    let port = proxy.port;
    let Some(app) = TestApp::spawn_via(Backend::Postgres, move |url| {
        url.replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"))
    })
    .await
    else {
        return;
    };
    let v = village_with_bill(&app).await;
    let binding = bind_bank(&app, &v.t.admin).await;
    let body = bank_push("DOWN-1", "1678.38", &v.bill_ref);
    proxy.cut();
    let (status, answer) = send_bank(&app, binding, body.clone()).await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer.contains(r#""code":"FAIL""#),
        "the bank's failure format: {answer}"
    );
    proxy.restore();
    // The bank retries; the pool replaces its broken connections and the credit applies once.
    let mut answer = (0, String::new());
    for _ in 0..10 {
        answer = send_bank(&app, binding, body.clone()).await;
        if answer.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    assert_eq!(answer, (200, r#"{"code":"OK"}"#.to_string()));
    let base = format!("/api/v1/villages/{VILLAGE_A}");
    assert_eq!(
        get(&app, &v.t.accountant, &format!("{base}/bank-transactions"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        get(&app, &v.t.clerk_a, &format!("{base}/bills/{}", v.bill_ref)).await["status"],
        "paid"
    );
    assert_eq!(
        get(&app, &v.t.inspector, &format!("{base}/verify")).await["problems"],
        json!([])
    );
}

both!(
    the_sandbox_bank_pays_through_drops_duplicates_and_delays_to_the_same_ledger,
    |app| {
        let v = village_with_bill(&app).await;
        let base = format!("/api/v1/villages/{VILLAGE_A}");
        let bill2 = app
        .post(&v.t.clerk_a, &format!("{base}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "200.00", "period_label": "2026 房租", "due_date": "2026-12-31"}))
        .await;
        let ref2 = bill2.body["reference"].as_str().unwrap().to_string();
        // The sandbox runs on its own port; the admin binds it with the keys it publishes.
        let (sandbox, k) = sandbox_bank(&app).await;
        let mut bindings = Vec::new();
        for body in [
            json!({"provider": "rural_bank", "keys": [{"key_id": k["bank_key_id"], "algorithm": "hmac-sha256", "secret": k["bank_secret"]}]}),
            json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": k["wechat_api_v3_key"], "platform_public_keys": [{"key_id": k["wechat_public_key_id"], "pem": k["wechat_public_key_pem"]}]}),
            json!({"provider": "alipay", "app_id": "2021004100000001", "alipay_public_key": k["alipay_public_key_pem"]}),
        ] {
            let r = app.post(&v.t.admin, &format!("{base}/accounts/1/bindings"), body).await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            bindings.push(r.body["id"].as_i64().unwrap());
        }
        let pays = [
            json!({"provider": "rural_bank", "account_ref": ACCOUNT_NO, "amount": "1000.00", "reference": v.bill_ref, "faults": {"drop_first": 2}}),
            json!({"provider": "wechat", "account_ref": "1900000109", "amount": "678.38", "reference": v.bill_ref.replace('-', ""), "faults": {"duplicates": 3}}),
            json!({"provider": "alipay", "account_ref": "2021004100000001", "amount": "200.00", "reference": ref2.replace('-', ""), "faults": {"delay_ms": 150, "drop_first": 1, "duplicates": 1}}),
        ];
        for (mut p, binding) in pays.into_iter().zip(&bindings) {
            let provider = p["provider"].as_str().unwrap().to_string();
            p["callback_url"] = json!(format!("{}/callbacks/{provider}/{binding}", app.base));
            let r = app
                .client
                .post(format!("{sandbox}/sandbox/pay"))
                .json(&p)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 202);
            // One at a time, so the bill is part-paid by the bank before WeChat pays the rest.
            let mut delivered = false;
            for _ in 0..100 {
                let t: Value = app
                    .client
                    .get(format!("{sandbox}/sandbox/transactions"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if t.as_array().unwrap().last().unwrap()["delivery"]["delivered"] == json!(true) {
                    delivered = true;
                    break;
                }
                actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(delivered, "{provider} delivered despite its faults");
        }
        let txns = get(&app, &v.t.accountant, &format!("{base}/bank-transactions")).await;
        let got: Vec<(&str, &str)> = txns
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["provider"].as_str().unwrap(), t["outcome"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![("rural_bank", "part_paid"), ("wechat", "paid"), ("alipay", "paid")]
        );
        assert_eq!(
            get(&app, &v.t.clerk_a, &format!("{base}/bills/{}", v.bill_ref)).await["status"],
            "paid"
        );
        assert_eq!(
            get(&app, &v.t.clerk_a, &format!("{base}/bills/{ref2}")).await["status"],
            "paid"
        );
        let receipts = get(&app, &v.t.clerk_a, &format!("{base}/receipts")).await;
        assert_eq!(receipts.as_array().unwrap().len(), 3);
        let duplicates = get(&app, &v.t.admin, "/api/v1/inbox?status=duplicate").await;
        assert_eq!(
            duplicates.as_array().unwrap().len(),
            4,
            "3 WeChat copies and 1 Alipay copy, all acknowledged, none posted"
        );
        assert_eq!(
            get(&app, &v.t.inspector, &format!("{base}/verify")).await["problems"],
            json!([])
        );
        // The statement API of the bank profile: a signed request, a signed answer.
        let key = BankKey {
            key_id: k["bank_key_id"].as_str().unwrap().into(),
            algorithm: Algorithm::HmacSha256,
            secret: Secret::new(k["bank_secret"].as_str().unwrap().as_bytes().to_vec()),
        };
        let today = beijing_today();
        let statement = bank_adapters::rural_bank::fetch_statement(&app.client, &sandbox, &key, ACCOUNT_NO, today)
            .await
            .unwrap();
        assert_eq!(statement.lines.len(), 1);
        assert_eq!(
            (
                statement.lines[0].amount.as_str(),
                statement.lines[0].direction.as_str()
            ),
            ("1000.00", "credit")
        );
        let forged = BankKey {
            secret: Secret::new(b"not-the-bank-secret".to_vec()),
            ..key
        };
        let refused =
            bank_adapters::rural_bank::fetch_statement(&app.client, &sandbox, &forged, ACCOUNT_NO, today).await;
        assert!(
            matches!(
                refused,
                Err(bank_adapters::rural_bank::FetchError::Refused { status: 401, .. })
            ),
            "{refused:?}"
        );
        let unsigned = app
            .client
            .get(format!("{sandbox}/statements/{ACCOUNT_NO}"))
            .send()
            .await
            .unwrap();
        assert_eq!(unsigned.status().as_u16(), 401);
    }
);

both!(the_print_sheet_has_a_code_for_each_open_bill, |app| {
    let v = village_with_bill(&app).await;
    let base = format!("/api/v1/villages/{VILLAGE_A}");
    for _ in 0..4 {
        app.post(&v.t.clerk_a, &format!("{base}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "10.00", "period_label": "2026", "due_date": "2026-12-31"})).await;
    }
    let cancel = app
        .post(
            &v.t.clerk_a,
            &format!("{base}/bills/{}/cancel", v.bill_ref),
            json!({"reason": "重复"}),
        )
        .await;
    assert_eq!(cancel.status, 200);
    let r = app
        .client
        .get(format!("{}{base}/qr-sheet", app.base))
        .bearer_auth(&v.t.clerk_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<figure>").count(), 4, "the cancelled bill has no code");
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(html.contains("北岩村") && html.contains("张*国") && html.contains("¥10.00") && !html.contains("张建国"));
    assert_eq!(app.get(&v.t.clerk_b, &format!("{base}/qr-sheet")).await.status, 404);
});

/// The pay path (`/pay/…`) of a bill's code, read from the code's stated text.
async fn pay_path(app: &TestApp, v: &Village, reference: &str) -> String {
    let res = app
        .client
        .get(format!("{}/api/v1/villages/{VILLAGE_A}/bills/{reference}/qr", app.base))
        .bearer_auth(&v.t.clerk_a)
        .send()
        .await
        .unwrap();
    let url = res.headers()["x-qz-code-text"].to_str().unwrap().to_string();
    url.strip_prefix(&app.base).unwrap().to_string()
}

both!(
    a_bill_is_paid_through_each_gateways_own_order_and_a_lost_notification_is_found_by_query,
    |app| {
        let v = village_with_bill(&app).await;
        let base = format!("/api/v1/villages/{VILLAGE_A}");
        let bill2 = app
            .post(&v.t.clerk_a, &format!("{base}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "200.00", "period_label": "2026 房租", "due_date": "2026-12-31"}))
            .await;
        let ref2 = bill2.body["reference"].as_str().unwrap().to_string();
        let (sandbox, k) = sandbox_bank(&app).await;
        for body in [
            wechat_ordering(&k, &sandbox),
            json!({"provider": "alipay", "app_id": "2021004100000001", "alipay_public_key": k["alipay_public_key_pem"],
                   "ordering": {"app_private_key": k["alipay_app_private_key_pem"], "gateway_url": format!("{sandbox}/gateway.do")}}),
        ] {
            let r = app
                .post(&v.t.admin, &format!("{base}/accounts/1/bindings"), body.clone())
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            assert_eq!(r.body["ordering"], true);
            assert!(
                !r.body.to_string().contains("PRIVATE KEY"),
                "private keys are write-only"
            );
            // Replacing the notification keys without `ordering` (as the admin's page rotates
            // them) keeps the ordering credentials: the orders below still go through.
            let mut rotated = body.clone();
            rotated.as_object_mut().unwrap().remove("ordering");
            let id = r.body["id"].as_i64().unwrap();
            let put = app
                .client
                .put(format!("{}{base}/bindings/{id}", app.base))
                .bearer_auth(&v.t.admin)
                .json(&rotated)
                .send()
                .await
                .unwrap();
            assert_eq!(put.status().as_u16(), 200);
            assert_eq!(put.json::<Value>().await.unwrap()["ordering"], true, "ordering kept");
        }
        // An https-less gateway outside loopback is refused, and nothing is bound.
        let r = app
            .post(&v.t.admin, &format!("{base}/accounts/1/bindings"), json!({"provider": "alipay", "app_id": "2021004100000002", "alipay_public_key": k["alipay_public_key_pem"], "ordering": {"app_private_key": k["alipay_app_private_key_pem"], "gateway_url": "http://example.org/gateway.do"}}))
            .await;
        assert_eq!((r.status, r.code()), (422, "binding_invalid"));
        let no_redirect = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = |path: String| {
            let req = app
                .client
                .get(format!("{}{path}", app.base))
                .header("user-agent", "Mozilla/5.0 AlipayClient/10.5");
            async move { req.send().await.unwrap().text().await.unwrap() }
        };
        let order = |path: String, provider: &'static str| {
            let req = no_redirect
                .post(format!("{}{path}/order", app.base))
                .form(&[("provider", provider)]);
            async move {
                let r = req.send().await.unwrap();
                assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
                r.headers()["location"].to_str().unwrap().to_string()
            }
        };
        // The pay page offers both gateways, the app it was opened in first.
        let p1 = pay_path(&app, &v, &v.bill_ref).await;
        let html = page(p1.clone()).await;
        let (alipay_at, wechat_at) = (html.find("pay-alipay").unwrap(), html.find("pay-wechat").unwrap());
        assert!(alipay_at < wechat_at, "Alipay first in Alipay's browser");

        // WeChat: order, scan the gateway's code (read back from the PNG), pay; the notification
        // posts it and the order page shows the receipt.
        let order_page = order(p1.clone(), "wechat").await;
        assert!(order_page.starts_with(&format!("{p1}/order/QZ")));
        let png = app
            .client
            .get(format!("{}{order_page}/qr.png", app.base))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let code_url = decode_qr(&png);
        assert!(
            code_url.starts_with(&format!("{sandbox}/sandbox/scan/QZ")),
            "{code_url}"
        );
        // Opening the page again reuses the order rather than ordering twice.
        assert_eq!(order(p1.clone(), "wechat").await, order_page);
        assert!(
            page(order_page.clone()).await.contains("id=\"waiting\""),
            "waits for the money, not the phone"
        );
        let paid = app.client.post(&code_url).send().await.unwrap();
        assert_eq!(paid.status().as_u16(), 200);
        let mut shown = String::new();
        for _ in 0..100 {
            shown = page(order_page.clone()).await;
            if shown.contains("id=\"paid\"") {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let year = beijing_today().format("%Y");
        // The receipt's one full number, as on the receipt and its check page.
        assert!(
            shown.contains(&format!("id=\"receipt\">{VILLAGE_A}-{year}-000001<")),
            "{shown}"
        );
        assert_eq!(
            app.get(&v.t.clerk_a, &format!("{base}/bills/{}", v.bill_ref))
                .await
                .body["status"],
            "paid"
        );

        // Alipay: every notification is lost; the query of the order finds the payment.
        let p2 = pay_path(&app, &v, &ref2).await;
        let order_page = order(p2.clone(), "alipay").await;
        let html = page(order_page.clone()).await;
        let href = html
            .split("class=\"button\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        assert!(
            href.starts_with(&format!("{sandbox}/sandbox/scan/QZ")),
            "Alipay's browser opens the code: {href}"
        );
        let paid = app.client.post(format!("{href}?drop_first=99")).send().await.unwrap();
        assert_eq!(paid.status().as_u16(), 200);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(page(order_page.clone()).await.contains("id=\"waiting\""));
        // A clerk of another village cannot ask about this village's orders.
        assert_eq!(
            app.post(&v.t.clerk_b, &format!("{base}/gateway-orders/query"), json!({}))
                .await
                .status,
            404
        );
        let round = app
            .post(&v.t.accountant, &format!("{base}/gateway-orders/query"), json!({}))
            .await;
        assert_eq!(round.status, 200, "{:?}", round.body);
        assert_eq!(
            (round.body["queried"].as_u64(), round.body["paid"].as_u64()),
            (Some(1), Some(1)),
            "{:?}",
            round.body
        );
        assert!(page(order_page.clone()).await.contains("id=\"paid\""));
        assert_eq!(
            app.get(&v.t.clerk_a, &format!("{base}/bills/{ref2}")).await.body["status"],
            "paid"
        );
        // Nothing is left to query, and asking again posts nothing twice.
        let again = app
            .post(&v.t.accountant, &format!("{base}/gateway-orders/query"), json!({}))
            .await;
        assert_eq!(again.body["queried"], 0);
        let txns = app.get(&v.t.accountant, &format!("{base}/bank-transactions")).await;
        assert_eq!(txns.body.as_array().unwrap().len(), 2);
        let receipts = app.get(&v.t.accountant, &format!("{base}/receipts")).await;
        assert_eq!(receipts.body.as_array().unwrap().len(), 2);
        assert_eq!(
            app.get(&v.t.inspector, &format!("{base}/verify")).await.body["problems"],
            json!([])
        );
        // The signed answer of the query is kept as the evidence.
        let inbox = app.get(&v.t.accountant, "/api/v1/inbox?status=applied").await;
        assert!(inbox.body.to_string().contains("order_query"), "{:?}", inbox.body);
    }
);
