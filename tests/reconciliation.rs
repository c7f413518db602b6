//! Reconciliation against the bank's statement over real HTTP, on SQLite and PostgreSQL: the
//! bank pushes some credits and drops one, books a withdrawal nobody approved, and one push it
//! sent was never booked (a forgery, or the bank's error). Reconciling the day pairs what is
//! the same, takes in the dropped credit (its bill paid, its receipt numbered), posts the debit
//! to 待查明支出, flags the ghost and the amount that differs, and leaves 102 equal to the
//! statement's closing balance; the dropped push arriving late changes nothing.

mod common;

use bank_adapters::rural_bank::{sign_headers, Algorithm, BankKey};
use bank_adapters::Secret;
use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use common::invariants::assert_books_agree;
use common::*;
use serde_json::{json, Value};

const BANK_SECRET: &str = "a-shared-secret-0001";
const ACCOUNT_A: &str = "9150010100001234567";
const ACCOUNT_B: &str = "9150010100002345678";

/// The bank pushes a credit booked at a Beijing time.
async fn push(
    app: &TestApp,
    binding: i64,
    account: &str,
    txn: &str,
    amount: &str,
    remark: &str,
    beijing: NaiveDateTime,
) -> u16 {
    let at = qingzhang::domain::period::from_beijing(beijing);
    let body =
        json!({"event": "account.credit", "txn_id": txn, "account_no": account, "amount": amount, "currency": "CNY",
                      "value_time": at.to_rfc3339(), "counterparty_name": "张*国", "remark": remark})
        .to_string()
        .into_bytes();
    let key = BankKey {
        key_id: "k1".into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(BANK_SECRET.as_bytes().to_vec()),
    };
    let mut req = app
        .client
        .post(format!("{}/callbacks/rural_bank/{binding}", app.base))
        .body(body.clone());
    for (k, v) in sign_headers(&key, &body, Utc::now(), &format!("n{txn}")) {
        req = req.header(k, v);
    }
    req.send().await.unwrap().status().as_u16()
}

/// The village's first corporate account bound to the rural bank with the test key:
/// (account id, binding id).
async fn bind_bank(app: &TestApp, t: &Tokens, village: &str) -> (i64, i64) {
    let v = format!("/api/v1/villages/{village}");
    let account = app.get(&t.admin, &format!("{v}/accounts")).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(&t.admin, &format!("{v}/accounts/{account}/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": "k1", "algorithm": "hmac-sha256", "secret": BANK_SECRET}]}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    (account, r.body["id"].as_i64().unwrap())
}

async fn upload(app: &TestApp, token: &str, village: &str, account: i64, text: String) -> Value {
    let r = app
        .client
        .post(format!(
            "{}/api/v1/villages/{village}/accounts/{account}/statements?file_name=day.csv",
            app.base
        ))
        .bearer_auth(token)
        .body(text.into_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

const HEADER: &str = "交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n";

fn outcomes(report: &Value, day: NaiveDate) -> Vec<(String, Option<String>, String)> {
    let d = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == day.to_string())
        .unwrap();
    d["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["outcome"].as_str().unwrap().to_string(),
                i["rule"].as_str().map(String::from),
                i["serial"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn count(app: &TestApp, table: &str) -> i64 {
    use diesel::prelude::*;
    use qingzhang::store::schema::{bank_transactions, receipts};
    app.db
        .read(|conn| -> Result<i64, qingzhang::AppError> {
            Ok(match table {
                "bank_transactions" => bank_transactions::table.count().get_result(conn)?,
                _ => receipts::table.count().get_result(conn)?,
            })
        })
        .unwrap()
}

both!(
    a_day_reconciled_takes_in_the_dropped_flags_the_ghost_and_the_withdrawal,
    |app| {
        let t = app.seed().await;
        let bills = bills_in_village_a(&app, &t, &["100.00", "200.00", "50.50"]).await;
        let mut bindings = Vec::new();
        let mut accounts = Vec::new();
        for code in [VILLAGE_A, VILLAGE_B] {
            let (account, binding) = bind_bank(&app, &t, code).await;
            bindings.push(binding);
            accounts.push(account);
        }
        let day = beijing_today() - Duration::days(3);
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        // The account held 10,000.00 before the books began: the accountant's opening entry.
        let ledger = app.get(&t.accountant, &format!("{a}/ledger/accounts")).await.body;
        let bank_code = ledger
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"].as_str().unwrap().starts_with("102."))
            .unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string();
        let opening = app
        .post(&t.accountant, &format!("{a}/entries"), json!({"entry_date": (day - Duration::days(5)).to_string(), "memo": "期初银行存款",
              "lines": [{"account_code": bank_code, "debit": "10000.00"}, {"account_code": "211.0001", "credit": "10000.00"}]}))
        .await;
        assert_eq!(opening.status, 201, "{:?}", opening.body);

        // Village A: the bank pushes one credit and drops the other; it books a withdrawal.
        assert_eq!(
            push(
                &app,
                bindings[0],
                ACCOUNT_A,
                "RCB-A",
                "100.00",
                &bills[0].0,
                day.and_hms_opt(10, 0, 0).unwrap()
            )
            .await,
            200
        );
        let statement_a = format!(
            "{HEADER}{day},10:00:00,RCB-A,,100.00,10100.00,张建国,6228480000000000001,转账,{}\n\
         {day},12:00:00,RCB-DROP,,50.50,10150.50,张建国,6228480000000000001,转账,{}\n\
         {day},15:30:00,RCB-OUT,300.00,,9850.50,某某建材店,6228480000000000009,网银转账,购材料\n",
            bills[0].0, bills[2].0
        );
        let imported = upload(&app, &t.accountant, VILLAGE_A, accounts[0], statement_a).await;
        assert_eq!(imported["lines_new"], 3, "{imported}");
        let q = format!("from={day}&to={day}");
        // Only the accountant reconciles.
        let clerk = app
            .post(
                &t.clerk_a,
                &format!("{a}/accounts/{}/reconcile?{q}", accounts[0]),
                json!({}),
            )
            .await;
        assert_eq!(clerk.status, 403, "{:?}", clerk.body);
        let run = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{}/reconcile?{q}", accounts[0]),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        assert_eq!(
            (
                run.body["matched"].as_i64(),
                run.body["taken_in"].as_i64(),
                run.body["unexplained_debits"].as_i64()
            ),
            (Some(1), Some(1), Some(1)),
            "{}",
            run.body
        );
        let report = &run.body["report"];
        assert_eq!(
            outcomes(report, day),
            vec![
                ("matched".into(), Some("serial".into()), "RCB-A".into()),
                (
                    "statement_only_credit".into(),
                    Some("taken_in".into()),
                    "RCB-DROP".into()
                ),
                (
                    "unexplained_debit".into(),
                    Some("unexplained_debit".into()),
                    "RCB-OUT".into()
                ),
            ]
        );
        assert_eq!(report["critical"], 1, "the withdrawal nobody approved");
        let d = &report["days"][0];
        assert_eq!(
            (d["statement_closing"].as_str(), d["books_closing"].as_str()),
            (Some("9850.50"), Some("9850.50"))
        );
        assert!(d["difference"].is_null());
        // The dropped credit paid its bill and numbered a receipt; the withdrawal waits in 211.9998.
        let bill = app.get(&t.clerk_a, &format!("{a}/bills/{}", bills[2].0)).await.body;
        assert_eq!(
            (bill["paid"].as_str(), bill["status"].as_str()),
            (Some("50.50"), Some("paid")),
            "{bill}"
        );
        let ledger = app.get(&t.accountant, &format!("{a}/ledger/accounts")).await.body;
        let balance = |code: &str| {
            ledger
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["code"] == code)
                .map(|x| x["balance"].as_str().unwrap().to_string())
        };
        assert_eq!(balance("211.9998").as_deref(), Some("300.00"));
        assert_eq!(balance(&bank_code).as_deref(), Some("9850.50"));
        let (txns, receipts) = (count(&app, "bank_transactions"), count(&app, "receipts"));
        assert_eq!((txns, receipts), (2, 2));

        // The dropped push arrives late: a duplicate, nothing posted twice. Reconciling again
        // changes nothing either.
        assert_eq!(
            push(
                &app,
                bindings[0],
                ACCOUNT_A,
                "RCB-DROP",
                "50.50",
                &bills[2].0,
                day.and_hms_opt(12, 0, 0).unwrap()
            )
            .await,
            200
        );
        assert_eq!(
            (count(&app, "bank_transactions"), count(&app, "receipts")),
            (txns, receipts)
        );
        let again = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{}/reconcile?{q}", accounts[0]),
                json!({}),
            )
            .await;
        assert_eq!(
            (
                again.body["matched"].as_i64(),
                again.body["taken_in"].as_i64(),
                again.body["unexplained_debits"].as_i64()
            ),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!(outcomes(&again.body["report"], day), outcomes(report, day));

        // Village B: a push whose amount the statement contradicts, and a push the bank never booked.
        let b = format!("/api/v1/villages/{VILLAGE_B}");
        assert_eq!(
            push(
                &app,
                bindings[1],
                ACCOUNT_B,
                "RCB-B1",
                "88.00",
                "无账单号",
                day.and_hms_opt(9, 0, 0).unwrap()
            )
            .await,
            200
        );
        assert_eq!(
            push(
                &app,
                bindings[1],
                ACCOUNT_B,
                "RCB-GHOST",
                "200.00",
                "无账单号",
                day.and_hms_opt(11, 0, 0).unwrap()
            )
            .await,
            200
        );
        upload(
            &app,
            &t.accountant,
            VILLAGE_B,
            accounts[1],
            format!("{HEADER}{day},09:00:00,RCB-B1,,80.00,80.00,张建国,,转账,\n"),
        )
        .await;
        let run = app
            .post(
                &t.accountant,
                &format!("{b}/accounts/{}/reconcile?{q}", accounts[1]),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        // The inspector reads the same report.
        let seen = app
            .get(
                &t.inspector,
                &format!("{b}/accounts/{}/reconciliation?{q}", accounts[1]),
            )
            .await;
        assert_eq!(seen.status, 200, "{:?}", seen.body);
        assert_eq!(
            outcomes(&seen.body, day),
            vec![
                ("amount_mismatch".into(), Some("serial".into()), "RCB-B1".into()),
                ("ledger_only_credit".into(), None, "RCB-GHOST".into()),
                ("balance_mismatch".into(), None, "".into()),
            ]
        );
        let items = &seen.body["days"][0]["items"];
        assert_eq!(items[0]["books_amount"], "88.00");
        assert_eq!(items[1]["critical"], true, "a credit the bank never booked");
        assert_eq!(seen.body["days"][0]["difference"], "-208.00");
        assert_books_agree(&app.db);
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
    }
);

both!(reconciliation_refuses_a_bad_range_and_another_villages_account, |app| {
    let t = app.seed().await;
    let account_b = app
        .get(&t.admin, &format!("/api/v1/villages/{VILLAGE_B}/accounts"))
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap();
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let r = app
        .post(
            &t.accountant,
            &format!("{a}/accounts/{account_b}/reconcile?from=2026-11-01&to=2026-11-02"),
            json!({}),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "account_not_found"));
    let account_a = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
        .as_i64()
        .unwrap();
    for q in ["from=2026-11-05&to=2026-11-01", "from=2026-01-01&to=2026-11-01"] {
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account_a}/reconcile?{q}"),
                json!({}),
            )
            .await;
        assert_eq!((r.status, r.code()), (422, "date_invalid"), "{q}");
    }
    let r = app
        .post(
            &t.accountant,
            &format!("{a}/accounts/{account_a}/reconcile?from=2026-13-01&to=2026-11-01"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
});

fn disbursements(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use qingzhang::store::schema::disbursements;
    app.db
        .read(|conn| -> Result<i64, qingzhang::AppError> { Ok(disbursements::table.count().get_result(conn)?) })
        .unwrap()
}

both!(
    money_out_is_requested_approved_by_another_and_posted_when_the_bank_shows_it,
    |app| {
        let t = app.seed().await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        let ask = |amount: &str, payee: &str, code: &str| {
            json!({"account_id": account, "payee_name": payee, "payee_account": "6228 4800 0000 0000 09", "amount": amount,
               "purpose": "购水泥修村道", "account_code": code, "attachments": "发票一张，村民代表会议纪要"})
        };
        // Bad requests change nothing.
        for (body, code) in [
            (ask("-1.00", "东岭建材经营部", "521"), "amount_invalid"),
            (ask("300.00", "", "521"), "field_required"),
            (ask("300.00", "东岭建材经营部", "101"), "disbursement_account_invalid"),
            (
                ask("300.00", "东岭建材经营部", "102.0001"),
                "disbursement_account_invalid",
            ),
            (
                ask("300.00", "东岭建材经营部", "211.9998"),
                "disbursement_account_invalid",
            ),
            (ask("300.00", "东岭建材经营部", "999"), "disbursement_account_invalid"),
        ] {
            let r = app.post(&t.clerk_a, &format!("{a}/disbursements"), body).await;
            assert_eq!((r.status, r.code()), (422, code), "{:?}", r.body);
        }
        let r = app
            .post(
                &t.inspector,
                &format!("{a}/disbursements"),
                ask("300.00", "东岭建材经营部", "521"),
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(disbursements(&app), 0);

        // The clerk asks; the clerk cannot approve; the accountant does, once.
        let cement = app
            .post(
                &t.clerk_a,
                &format!("{a}/disbursements"),
                ask("300.00", "东岭建材经营部", "521"),
            )
            .await;
        assert_eq!(cement.status, 201, "{:?}", cement.body);
        assert_eq!(cement.body["status"], "requested");
        let masked = cement.body["payee_account"].as_str().unwrap();
        assert!(masked.ends_with("0009") && !masked.contains("622848000000"), "{masked}");
        let id = cement.body["id"].as_i64().unwrap();
        let r = app
            .post(
                &t.clerk_a,
                &format!("{a}/disbursements/{id}/approve"),
                json!({"note": "同意"}),
            )
            .await;
        assert_eq!(r.status, 403);
        // Six decisions at once: exactly one lands.
        let answers = futures::future::join_all((0..6).map(|i| {
            let path = format!(
                "{a}/disbursements/{id}/{}",
                if i % 2 == 0 { "approve" } else { "reject" }
            );
            let (app, token) = (&app, t.accountant.clone());
            async move { app.post(&token, &path, json!({"note": format!("第{i}次")})).await }
        }))
        .await;
        let ok: Vec<&Value> = answers.iter().filter(|r| r.status == 200).map(|r| &r.body).collect();
        assert_eq!(
            ok.len(),
            1,
            "{:?}",
            answers
                .iter()
                .map(|r| (r.status, r.code().to_string()))
                .collect::<Vec<_>>()
        );
        assert!(answers
            .iter()
            .all(|r| r.status == 200 || (r.status, r.code()) == (409, "disbursement_decided")));
        let approved = ok[0]["status"] == "approved";
        if !approved {
            // The reject won the race: ask again and approve, so the rest of the story runs.
            let again = app
                .post(
                    &t.clerk_a,
                    &format!("{a}/disbursements"),
                    ask("300.00", "东岭建材经营部", "521"),
                )
                .await;
            let id = again.body["id"].as_i64().unwrap();
            let r = app
                .post(&t.accountant, &format!("{a}/disbursements/{id}/approve"), json!({}))
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        // The accountant's own request: nobody approves their own.
        let own = app
            .post(
                &t.accountant,
                &format!("{a}/disbursements"),
                ask("99.00", "张建国", "521"),
            )
            .await;
        assert_eq!(own.status, 201, "{:?}", own.body);
        let own_id = own.body["id"].as_i64().unwrap();
        let r = app
            .post(&t.accountant, &format!("{a}/disbursements/{own_id}/approve"), json!({}))
            .await;
        assert_eq!((r.status, r.code()), (409, "self_approval"));

        // The bank shows the cement paid (after its approval), and 99.00 to 张建国 that nobody
        // approved.
        let day = beijing_today();
        let file = format!(
            "{HEADER}{day},10:00:00,OUT-1,300.00,,-300.00,东岭建材经营部,6228480000000000009,网银转账,购水泥\n\
         {day},11:00:00,OUT-2,99.00,,-399.00,张建国,6228480000000000001,网银转账,\n"
        );
        upload(&app, &t.accountant, VILLAGE_A, account, file).await;
        let run = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconcile?from={day}&to={day}"),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        assert_eq!(
            outcomes(&run.body["report"], day),
            vec![
                ("matched".into(), Some("disbursement".into()), "OUT-1".into()),
                (
                    "unexplained_debit".into(),
                    Some("unexplained_debit".into()),
                    "OUT-2".into()
                ),
            ]
        );
        let paid = app.get(&t.accountant, &format!("{a}/disbursements?status=paid")).await;
        assert_eq!(paid.body.as_array().unwrap().len(), 1, "{:?}", paid.body);
        let ledger = app.get(&t.accountant, &format!("{a}/ledger/accounts")).await.body;
        let balance = |code: &str| {
            ledger
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["code"] == code)
                .map(|x| x["balance"].as_str().unwrap().to_string())
        };
        assert_eq!(
            balance("521").as_deref(),
            Some("300.00"),
            "the cement booked where the request said"
        );
        assert_eq!(
            balance("211.9998").as_deref(),
            Some("99.00"),
            "the unapproved 99.00 waits to be explained"
        );
        assert!(
            run.body["report"]["days"][0]["difference"].is_null(),
            "{}",
            run.body["report"]["days"][0]
        );
        assert_books_agree(&app.db);
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
    }
);

/// Pays through the sandbox bank (which books the credit, then calls back with `faults`).
async fn sandbox_pay(
    app: &TestApp,
    sandbox: &str,
    binding: i64,
    amount: &str,
    reference: &str,
    faults: Value,
) -> String {
    let r: Value = app
        .client
        .post(format!("{sandbox}/sandbox/pay"))
        .json(&json!({"provider": "rural_bank", "callback_url": format!("{}/callbacks/rural_bank/{binding}", app.base),
                      "account_ref": ACCOUNT_A, "amount": amount, "reference": reference, "payer": "张*国", "faults": faults}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["txn_id"].as_str().unwrap().to_string()
}

async fn sandbox_withdraw(app: &TestApp, sandbox: &str, amount: &str, payee: &str, account: &str) -> String {
    let r: Value = app
        .client
        .post(format!("{sandbox}/sandbox/withdraw"))
        .json(&json!({"account_ref": ACCOUNT_A, "amount": amount, "payee_name": payee, "payee_account": account, "remark": "网银转账"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["txn_id"].as_str().unwrap().to_string()
}

both!(the_sandbox_banks_statement_is_fetched_signed_and_reconciled, |app| {
    let t = app.seed().await;
    let bills = bills_in_village_a(&app, &t, &["100.00", "200.00", "50.50"]).await;
    let (sandbox, k) = sandbox_bank(&app).await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let binding = app
        .post(&t.admin, &format!("{a}/accounts/{account}/bindings"), json!({"provider": "rural_bank",
              "keys": [{"key_id": k["bank_key_id"], "algorithm": "hmac-sha256", "secret": k["bank_secret"]}], "statement_api": sandbox}))
        .await;
    assert_eq!(binding.status, 201, "{:?}", binding.body);
    let binding = binding.body["id"].as_i64().unwrap();
    // An approved payment out, before the bank makes it.
    let asked = app
        .post(
            &t.clerk_a,
            &format!("{a}/disbursements"),
            json!({"account_id": account, "payee_name": "东岭建材经营部",
              "payee_account": "6228480000000000009", "amount": "20.00", "purpose": "买灯泡", "account_code": "521"}),
        )
        .await;
    let asked = asked.body["id"].as_i64().unwrap();
    assert_eq!(
        app.post(&t.accountant, &format!("{a}/disbursements/{asked}/approve"), json!({}))
            .await
            .status,
        200
    );

    // The bank: two credits delivered (one three times), one whose callbacks are all lost, a
    // withdrawal nobody approved and the approved one.
    sandbox_pay(&app, &sandbox, binding, "100.00", &bills[0].0, json!({})).await;
    sandbox_pay(&app, &sandbox, binding, "200.00", &bills[1].0, json!({"duplicates": 2})).await;
    let lost = sandbox_pay(
        &app,
        &sandbox,
        binding,
        "50.50",
        &bills[2].0,
        json!({"drop_first": 1000}),
    )
    .await;
    sandbox_withdraw(&app, &sandbox, "30.00", "王*", "6228480000000000777").await;
    sandbox_withdraw(&app, &sandbox, "20.00", "东岭建材经营部", "6228480000000000009").await;
    for _ in 0..200 {
        if count(&app, "bank_transactions") >= 2 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        count(&app, "bank_transactions"),
        2,
        "two credits delivered, the third lost"
    );

    let today = beijing_today();
    let fetch = app
        .post(
            &t.accountant,
            &format!("{a}/accounts/{account}/statements/fetch?date={today}"),
            json!({}),
        )
        .await;
    assert_eq!(fetch.status, 201, "{:?}", fetch.body);
    assert_eq!(
        (fetch.body["profile"].as_str(), fetch.body["lines_new"].as_i64()),
        (Some("bank-api"), Some(5))
    );
    let again = app
        .post(
            &t.accountant,
            &format!("{a}/accounts/{account}/statements/fetch?date={today}"),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.body["lines_new"].as_i64(), again.body["lines_known"].as_i64()),
        (Some(0), Some(5))
    );
    let run = app
        .post(
            &t.accountant,
            &format!("{a}/accounts/{account}/reconcile?from={today}&to={today}"),
            json!({}),
        )
        .await;
    assert_eq!(run.status, 200, "{:?}", run.body);
    let mut got: Vec<(String, Option<String>)> = outcomes(&run.body["report"], today)
        .into_iter()
        .map(|(o, r, _)| (o, r))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("matched".into(), Some("disbursement".into())),
            ("matched".into(), Some("serial".into())),
            ("matched".into(), Some("serial".into())),
            ("statement_only_credit".into(), Some("taken_in".into())),
            ("unexplained_debit".into(), Some("unexplained_debit".into())),
        ]
    );
    let day = &run.body["report"]["days"][0];
    assert_eq!(
        (day["statement_closing"].as_str(), day["books_closing"].as_str()),
        (Some("300.50"), Some("300.50"))
    );
    assert_eq!(day["statement_imported"], true);
    let bill = app.get(&t.clerk_a, &format!("{a}/bills/{}", bills[2].0)).await.body;
    assert_eq!(
        bill["status"], "paid",
        "the lost payment's bill is paid from the statement"
    );
    // The lost callback finally gets through: a duplicate, nothing posted twice.
    let before = (count(&app, "bank_transactions"), count(&app, "receipts"));
    assert_eq!(before, (3, 3));
    let sandbox_txns: Value = app
        .client
        .get(format!("{sandbox}/sandbox/transactions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lost_record = sandbox_txns
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["payment"]["txn_id"] == lost.as_str())
        .unwrap();
    assert_eq!(push_again(&app, &k, binding, lost_record).await, 200);
    assert_eq!((count(&app, "bank_transactions"), count(&app, "receipts")), before);
    assert_books_agree(&app.db);
});

/// The bank's push of a payment the sandbox booked, delivered once more, signed with the key the
/// sandbox publishes (as its own retry would be).
async fn push_again(app: &TestApp, k: &Value, binding: i64, record: &Value) -> u16 {
    let body = json!({"event": "account.credit", "txn_id": record["payment"]["txn_id"], "account_no": ACCOUNT_A,
                      "amount": record["payment"]["amount"], "currency": "CNY",
                      "value_time": record["payment"]["paid_at"], "counterparty_name": "张*国",
                      "remark": record["payment"]["reference"]})
    .to_string()
    .into_bytes();
    let key = BankKey {
        key_id: k["bank_key_id"].as_str().unwrap().into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(k["bank_secret"].as_str().unwrap().as_bytes().to_vec()),
    };
    let mut req = app
        .client
        .post(format!("{}/callbacks/rural_bank/{binding}", app.base))
        .body(body.clone());
    for (h, v) in sign_headers(&key, &body, Utc::now(), "late-push") {
        req = req.header(h, v);
    }
    req.send().await.unwrap().status().as_u16()
}

/// A "bank" that answers every statement request with a body it did not sign with the key the
/// binding holds: a forgery, or a man in the middle.
fn forging_bank() -> String {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            let body = json!({"account_no": ACCOUNT_A, "lines": []}).to_string().into_bytes();
            let key = BankKey {
                key_id: "k1".into(),
                algorithm: Algorithm::HmacSha256,
                secret: Secret::new(b"not-the-banks-secret-0000".to_vec()),
            };
            let mut res = HttpResponse::Ok();
            for (h, v) in sign_headers(&key, &body, Utc::now(), "forged") {
                res.insert_header((h, v));
            }
            res.body(body)
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    actix_web::rt::spawn(server);
    base
}

both!(
    a_statement_api_that_fails_or_forges_is_an_error_and_keeps_nothing,
    |app| {
        let t = app.seed().await;
        let (sandbox, k) = sandbox_bank(&app).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        let today = beijing_today();
        let fetch_path = format!("{a}/accounts/{account}/statements/fetch?date={today}");
        let fetch = || app.post(&t.accountant, &fetch_path, json!({}));
        // No binding with a statement API: say so.
        let r = fetch().await;
        assert_eq!((r.status, r.code()), (409, "statement_api_missing"), "{:?}", r.body);
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        let cases = [
            (
                "unreachable",
                closed.clone(),
                k["bank_secret"].as_str().unwrap().to_string(),
            ),
            (
                "the bank refuses our signature",
                sandbox.clone(),
                "a-secret-the-bank-does-not-know".to_string(),
            ),
            (
                "a forged answer",
                forging_bank(),
                k["bank_secret"].as_str().unwrap().to_string(),
            ),
        ];
        let mut binding: Option<i64> = None;
        for (what, api, secret) in cases {
            let body = json!({"provider": "rural_bank", "keys": [{"key_id": k["bank_key_id"], "algorithm": "hmac-sha256", "secret": secret}], "statement_api": api});
            let r = match binding {
                None => {
                    app.post(&t.admin, &format!("{a}/accounts/{account}/bindings"), body)
                        .await
                }
                Some(id) => {
                    let r = app
                        .client
                        .put(format!("{}{a}/bindings/{id}", app.base))
                        .bearer_auth(&t.admin)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    let status = r.status().as_u16();
                    assert!(status < 300, "{what}: rebinding answered {status}");
                    Response {
                        status: 201,
                        body: json!({"id": id}),
                    }
                }
            };
            assert_eq!(r.status, 201, "{what}: {:?}", r.body);
            binding = r.body["id"].as_i64();
            let r = fetch().await;
            assert_eq!(
                (r.status, r.code()),
                (502, "bank_statement_failed"),
                "{what}: {:?}",
                r.body
            );
            let kept: i64 = app
                .db
                .read(|conn| -> Result<i64, qingzhang::AppError> {
                    use diesel::prelude::*;
                    use qingzhang::store::schema::statement_imports;
                    Ok(statement_imports::table.count().get_result(conn)?)
                })
                .unwrap();
            assert_eq!(kept, 0, "{what}: nothing kept, not even 'no transactions'");
        }
    }
);

// Six accountants reconcile the same day at once: each line is decided once (the village lock
// orders the runs), so the dropped credit is taken in once and the withdrawal posted once.
both!(concurrent_reconciliations_of_one_day_decide_each_line_once, |app| {
    let t = app.seed().await;
    let bills = bills_in_village_a(&app, &t, &["100.00", "50.50"]).await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let (account, binding) = bind_bank(&app, &t, VILLAGE_A).await;
    let day = beijing_today() - Duration::days(2);
    assert_eq!(
        push(
            &app,
            binding,
            ACCOUNT_A,
            "RCB-C1",
            "100.00",
            &bills[0].0,
            day.and_hms_opt(9, 0, 0).unwrap()
        )
        .await,
        200
    );
    let file = format!(
        "{HEADER}{day},09:00:00,RCB-C1,,100.00,100.00,张建国,,转账,{}\n\
         {day},10:00:00,RCB-C2,,50.50,150.50,张建国,,转账,{}\n\
         {day},11:00:00,RCB-C3,30.00,,120.50,某店,,网银转账,\n",
        bills[0].0, bills[1].0
    );
    upload(&app, &t.accountant, VILLAGE_A, account, file).await;
    let path = format!("{a}/accounts/{account}/reconcile?from={day}&to={day}");
    let runs = futures::future::join_all((0..6).map(|_| app.post(&t.accountant, &path, json!({})))).await;
    assert!(
        runs.iter().all(|r| r.status == 200),
        "{:?}",
        runs.iter()
            .map(|r| (r.status, r.code().to_string()))
            .collect::<Vec<_>>()
    );
    let sum = |k: &str| runs.iter().map(|r| r.body[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("matched"), sum("taken_in"), sum("unexplained_debits")), (1, 1, 1));
    assert_eq!((count(&app, "bank_transactions"), count(&app, "receipts")), (2, 2));
    assert_books_agree(&app.db);
    assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
});

/// Raw SQL against the database, as an administrator behind the service's back would send it.
fn exec(app: &TestApp, sql: &str) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    app.db.conn().unwrap().batch_execute(sql).map_err(|e| e.to_string())
}

// The matches' references are checked by the database, once per statement on PostgreSQL: a
// match names its own line (village, account and day copied from it) and a bank transaction of
// its account; matches, bank transactions, statement lines and imports cannot be changed or
// deleted afterwards.
both!(a_match_names_its_own_line_and_matches_and_credits_are_final, |app| {
    use diesel::prelude::*;
    use qingzhang::store::schema::{bank_transactions, statement_lines};
    let t = app.seed().await;
    let bills = bills_in_village_a(&app, &t, &["100.00", "50.50"]).await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let (account, binding) = bind_bank(&app, &t, VILLAGE_A).await;
    let (_, binding_b) = bind_bank(&app, &t, VILLAGE_B).await;
    let (day1, day2) = (beijing_today() - Duration::days(3), beijing_today() - Duration::days(2));
    for (b, no, txn, amount, remark, day) in [
        (binding, ACCOUNT_A, "RCB-M1", "100.00", bills[0].0.as_str(), day1),
        (binding, ACCOUNT_A, "RCB-M2", "50.50", bills[1].0.as_str(), day2),
        (binding_b, ACCOUNT_B, "RCB-OTHER", "20.00", "", day2),
    ] {
        assert_eq!(
            push(&app, b, no, txn, amount, remark, day.and_hms_opt(9, 0, 0).unwrap()).await,
            200
        );
    }
    let file = format!(
        "{HEADER}{day1},09:00:00,RCB-M1,,100.00,100.00,张建国,,转账,{}\n\
         {day2},09:00:00,RCB-M2,,50.50,150.50,张建国,,转账,{}\n",
        bills[0].0, bills[1].0
    );
    upload(&app, &t.accountant, VILLAGE_A, account, file).await;
    // Reconciles one day: one line matched.
    let reconcile = |day: NaiveDate| {
        let path = format!("{a}/accounts/{account}/reconcile?from={day}&to={day}");
        let (app, token) = (&app, &t.accountant);
        async move {
            let run = app.post(token, &path, json!({})).await;
            assert_eq!(
                (run.status, run.body["matched"].as_i64()),
                (200, Some(1)),
                "{day}: {:?}",
                run.body
            );
        }
    };
    reconcile(day1).await;
    // The second day's line is still undecided.
    let (line, village, m2, other): (i64, i64, i64, i64) = app
        .db
        .read(|c| -> Result<_, qingzhang::AppError> {
            let (line, village): (i64, i64) = statement_lines::table
                .filter(statement_lines::serial.eq("RCB-M2"))
                .select((statement_lines::id, statement_lines::village_id))
                .first(c)?;
            let txn = |c: &mut qingzhang::store::DbConnection, id: &str| -> Result<i64, qingzhang::AppError> {
                Ok(bank_transactions::table
                    .filter(bank_transactions::provider_txn_id.eq(id))
                    .select(bank_transactions::id)
                    .first(c)?)
            };
            Ok((line, village, txn(c, "RCB-M2")?, txn(c, "RCB-OTHER")?))
        })
        .unwrap();
    let forged = |line: i64, village: i64, date: NaiveDate, txn: i64| {
        format!(
            "INSERT INTO statement_matches (statement_line_id, village_id, corporate_account_id, bank_transaction_id, \
             entry_id, rule, amount_differs, business_date, created_at) \
             VALUES ({line}, {village}, {account}, {txn}, NULL, 'serial', false, '{date}', '2026-01-01 00:00:00')"
        )
    };
    for (sql, what) in [
        (forged(line + 1000, village, day2, m2), "a line that does not exist"),
        (forged(line, village, day1, m2), "another day than its line's"),
        (forged(line, village + 1, day2, m2), "another village than its line's"),
        (forged(line, village, day2, other), "another account's bank transaction"),
        (
            forged(line, village, day2, m2 + 1000),
            "a bank transaction that does not exist",
        ),
    ] {
        let err = exec(&app, &sql).expect_err(what);
        assert!(err.contains("qz_reference"), "{what}: {err}");
    }
    for sql in [
        "UPDATE statement_matches SET amount_differs = true",
        "DELETE FROM statement_matches",
        "UPDATE bank_transactions SET amount_fen = 1",
        "DELETE FROM bank_transactions",
        "UPDATE statement_lines SET amount_fen = 1",
        "DELETE FROM statement_lines",
        "UPDATE statement_imports SET file_name = 'x'",
        "DELETE FROM statement_imports",
    ] {
        let err = exec(&app, sql).expect_err(sql);
        assert!(err.contains("qz_immutable"), "{sql}: {err}");
    }
    // Nothing was written: the second day reconciles as if none of this was tried.
    reconcile(day2).await;
    assert_books_agree(&app.db);
    assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
});

/// A WeChat Pay merchant bound to village A's account, settled by the provider once a day.
async fn daily_wechat(app: &TestApp, t: &Tokens, k: &Value, account: i64, fee_percent: &str) -> i64 {
    let b = app
        .post(
            &t.admin,
            &format!("/api/v1/villages/{VILLAGE_A}/accounts/{account}/bindings"),
            json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": k["wechat_api_v3_key"],
                   "platform_public_keys": [{"key_id": k["wechat_public_key_id"], "pem": k["wechat_public_key_pem"]}],
                   "settlement": {"mode": "daily", "fee_percent": fee_percent}}),
        )
        .await;
    assert_eq!(b.status, 201, "{:?}", b.body);
    assert_eq!(
        (b.body["settlement"].as_str(), b.body["fee_percent"].as_str()),
        (Some("daily"), Some(fee_percent))
    );
    b.body["id"].as_i64().unwrap()
}

/// Pays bills through the sandbox's WeChat Pay and waits until the books hold every payment.
async fn wechat_pays(app: &TestApp, sandbox: &str, binding: i64, bills: &[(&str, &str)]) {
    let before = count(app, "bank_transactions");
    for (amount, reference) in bills {
        let r = app
            .client
            .post(format!("{sandbox}/sandbox/pay"))
            .json(
                &json!({"provider": "wechat", "callback_url": format!("{}/callbacks/wechat/{binding}", app.base),
                          "account_ref": "1900000109", "amount": amount, "reference": reference.replace('-', "")}),
            )
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }
    for _ in 0..200 {
        if count(app, "bank_transactions") >= before + bills.len() as i64 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count(app, "bank_transactions"), before + bills.len() as i64);
}

async fn sandbox_settle(app: &TestApp, sandbox: &str, day: NaiveDate, fee_percent: &str, short_by: &str) -> Value {
    let r = app
        .client
        .post(format!("{sandbox}/sandbox/settle"))
        .json(
            &json!({"provider": "wechat", "merchant": "1900000109", "account_ref": ACCOUNT_A, "date": day,
                      "fee_percent": fee_percent, "short_by": short_by}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.json().await.unwrap()
}

/// The village's ledger balances by account code.
async fn balances(app: &TestApp, token: &str) -> std::collections::BTreeMap<String, String> {
    app.get(token, &format!("/api/v1/villages/{VILLAGE_A}/ledger/accounts"))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["code"].as_str().unwrap().to_string(),
                x["balance"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A rural-bank binding to the sandbox's statement API, so the account's statement can be fetched.
async fn statement_binding(app: &TestApp, t: &Tokens, k: &Value, sandbox: &str, account: i64) {
    let b = app
        .post(&t.admin, &format!("/api/v1/villages/{VILLAGE_A}/accounts/{account}/bindings"), json!({"provider": "rural_bank",
              "keys": [{"key_id": k["bank_key_id"], "algorithm": "hmac-sha256", "secret": k["bank_secret"]}], "statement_api": sandbox}))
        .await;
    assert_eq!(b.status, 201, "{:?}", b.body);
}

both!(
    a_gateways_daily_settlement_clears_its_payments_with_the_fee_once,
    |app| {
        let t = app.seed().await;
        let bills = bills_in_village_a(&app, &t, &["100.00", "200.00", "50.50"]).await;
        let (sandbox, k) = sandbox_bank(&app).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        statement_binding(&app, &t, &k, &sandbox, account).await;
        let wechat = daily_wechat(&app, &t, &k, account, "0.6").await;
        wechat_pays(
            &app,
            &sandbox,
            wechat,
            &[("100.00", &bills[0].0), ("200.00", &bills[1].0)],
        )
        .await;

        // Paid: the bills and receipts, but the money is with 财付通 until it settles.
        let b = balances(&app, &t.accountant).await;
        assert_eq!(b.get("112.9901").map(String::as_str), Some("300.00"), "{b:?}");
        assert_eq!(b.get("102.0001").map(String::as_str), Some("0.00"), "{b:?}");
        let bill = app.get(&t.clerk_a, &format!("{a}/bills/{}", bills[1].0)).await.body;
        assert_eq!(bill["status"], "paid");
        let today = beijing_today();
        let report = app
            .get(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconciliation?from={today}&to={today}"),
            )
            .await;
        assert_eq!(report.status, 200, "{:?}", report.body);
        let items = &report.body["days"][0]["items"];
        assert_eq!(items.as_array().unwrap().len(), 1, "{items}");
        assert_eq!(
            (
                items[0]["outcome"].as_str(),
                items[0]["amount"].as_str(),
                items[0]["books_amount"].as_str()
            ),
            (Some("settlement_pending"), Some("298.20"), Some("300.00")),
            "awaiting settlement, never a ledger-only credit"
        );
        assert_eq!(report.body["critical"], 0);

        // 财付通 pays the day out: 300.00 less 0.60 and 1.20.
        let settled = sandbox_settle(&app, &sandbox, today, "0.6", "0").await;
        assert_eq!(
            (settled["amount"].as_str(), settled["fee"].as_str()),
            (Some("298.20"), Some("1.80"))
        );
        let fetch = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account}/statements/fetch?date={today}"),
                json!({}),
            )
            .await;
        assert_eq!(
            (fetch.status, fetch.body["lines_new"].as_i64()),
            (201, Some(1)),
            "{:?}",
            fetch.body
        );
        // Two accountants reconcile at the same moment: the settlement is posted once.
        let path = format!("{a}/accounts/{account}/reconcile?from={today}&to={today}");
        let (r1, r2) = futures::join!(
            app.post(&t.accountant, &path, json!({})),
            app.post(&t.accountant, &path, json!({}))
        );
        assert_eq!((r1.status, r2.status), (200, 200), "{:?} {:?}", r1.body, r2.body);
        assert_eq!(
            r1.body["matched"].as_i64().unwrap() + r2.body["matched"].as_i64().unwrap(),
            1
        );
        let again = app.post(&t.accountant, &path, json!({})).await;
        assert_eq!(again.body["matched"], 0, "running it again changes nothing");
        let got: Vec<(String, Option<String>)> = outcomes(&again.body["report"], today)
            .into_iter()
            .map(|(o, r, _)| (o, r))
            .collect();
        assert_eq!(got, vec![("matched".into(), Some("settlement".into()))]);
        let day = &again.body["report"]["days"][0];
        assert_eq!(
            (day["statement_closing"].as_str(), day["books_closing"].as_str()),
            (Some("298.20"), Some("298.20"))
        );
        let b = balances(&app, &t.accountant).await;
        assert_eq!(
            (
                b.get("102.0001").map(String::as_str),
                b.get("521").map(String::as_str),
                b.get("112.9901").map(String::as_str)
            ),
            (Some("298.20"), Some("1.80"), Some("0.00")),
            "{b:?}"
        );
        // A payment after the settlement waits for the next one.
        wechat_pays(&app, &sandbox, wechat, &[("50.50", &bills[2].0)]).await;
        let report = app
            .get(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconciliation?from={today}&to={today}"),
            )
            .await;
        let mut got: Vec<String> = report.body["days"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| format!("{} {}", i["outcome"].as_str().unwrap(), i["amount"].as_str().unwrap()))
            .collect();
        got.sort();
        assert_eq!(got, vec!["matched 298.20", "settlement_pending 50.20"]);
        assert_books_agree(&app.db);
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
    }
);

both!(
    a_short_settlement_is_posted_and_its_difference_stays_in_clearing,
    |app| {
        let t = app.seed().await;
        let bills = bills_in_village_a(&app, &t, &["100.00"]).await;
        let (sandbox, k) = sandbox_bank(&app).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        statement_binding(&app, &t, &k, &sandbox, account).await;
        let wechat = daily_wechat(&app, &t, &k, account, "0.38").await;
        wechat_pays(&app, &sandbox, wechat, &[("100.00", &bills[0].0)]).await;
        let today = beijing_today();
        // 100.00 less 0.38 is 99.62; the provider pays 5.00 less.
        let settled = sandbox_settle(&app, &sandbox, today, "0.38", "5.00").await;
        assert_eq!(settled["amount"], "94.62");
        app.post(
            &t.accountant,
            &format!("{a}/accounts/{account}/statements/fetch?date={today}"),
            json!({}),
        )
        .await;
        let run = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconcile?from={today}&to={today}"),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        let item = &run.body["report"]["days"][0]["items"][0];
        assert_eq!(
            (
                item["outcome"].as_str(),
                item["amount"].as_str(),
                item["books_amount"].as_str()
            ),
            (Some("settlement_mismatch"), Some("94.62"), Some("99.62")),
            "{item}"
        );
        assert!(item["label"].as_str().unwrap().contains("差 -5.00"), "{item}");
        assert_eq!(
            (item["critical"].as_bool(), run.body["report"]["critical"].as_i64()),
            (Some(true), Some(1)),
            "money the provider held back is for an inspector to see"
        );
        let day = &run.body["report"]["days"][0];
        assert_eq!(
            (day["statement_closing"].as_str(), day["books_closing"].as_str()),
            (Some("94.62"), Some("94.62")),
            "the books follow the bank"
        );
        let b = balances(&app, &t.accountant).await;
        assert_eq!(
            (b.get("521").map(String::as_str), b.get("112.9901").map(String::as_str)),
            (Some("0.38"), Some("5.00")),
            "the 5.00 the provider still owes stays in clearing: {b:?}"
        );
        assert_books_agree(&app.db);

        // Another payment waits in clearing for tomorrow's settlement. The accountant may write
        // off the 5.00 by hand, never a fen of the payment still waiting.
        wechat_pays(&app, &sandbox, wechat, &[("30.00", &bills[0].0)]).await;
        let write_off = |amount: &str| {
            json!({"entry_date": today.to_string(), "memo": "核销微信支付少结算的差额",
                   "lines": [{"account_code": "521", "debit": amount}, {"account_code": "112.9901", "credit": amount}]})
        };
        let r = app
            .post(&t.accountant, &format!("{a}/entries"), write_off("5.01"))
            .await;
        assert_eq!(
            (r.status, r.code(), r.body["field"].as_str()),
            (422, "entry_clearing_short", Some("lines[1].account_code")),
            "{:?}",
            r.body
        );
        assert!(
            r.body["message"].as_str().unwrap().contains("最多还能转出 5.00"),
            "{:?}",
            r.body
        );
        assert_eq!(
            balances(&app, &t.accountant).await.get("112.9901").map(String::as_str),
            Some("35.00")
        );
        // Two write-offs of the 5.00 at once: one is posted, the other finds nothing left to
        // write off.
        let path = format!("{a}/entries");
        let both = futures::future::join_all((0..2).map(|_| app.post(&t.accountant, &path, write_off("5.00")))).await;
        let mut statuses: Vec<u16> = both.iter().map(|r| r.status).collect();
        statuses.sort();
        assert_eq!(
            statuses,
            [201, 422],
            "{:?}",
            both.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        assert_eq!(
            balances(&app, &t.accountant).await.get("112.9901").map(String::as_str),
            Some("30.00")
        );
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
        // Money put into clearing by mistake may be taken out again, but reversing the mistake
        // afterwards would take a waiting payment's money: refused.
        let by_hand = |debit: &str, credit: &str| {
            json!({"entry_date": today.to_string(), "memo": "误记",
                   "lines": [{"account_code": debit, "debit": "20.00"}, {"account_code": credit, "credit": "20.00"}]})
        };
        let mistake = app.post(&t.accountant, &path, by_hand("112.9901", "211.0001")).await;
        assert_eq!(mistake.status, 201, "{:?}", mistake.body);
        let r = app.post(&t.accountant, &path, by_hand("521", "112.9901")).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/entries/{}/reverse", mistake.body["seq"]),
                json!({"reason": "误记，冲销"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code(), r.body["field"].as_str()),
            (422, "entry_clearing_short", Some("seq")),
            "{:?}",
            r.body
        );
        assert_eq!(
            balances(&app, &t.accountant).await.get("112.9901").map(String::as_str),
            Some("30.00")
        );
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
        // One made behind the guard (before it existed) that took the waiting payment's money is
        // named by verify.
        let seq = hand_entry_behind_the_guards(
            &app.db,
            VILLAGE_A,
            today,
            ("521", "112.9901"),
            "10.00",
            "早先的手工凭证",
        );
        let report = qingzhang::usecases::verify::verify(&app.db, None).unwrap();
        assert!(!report.ok);
        let said: Vec<String> = report
            .villages
            .iter()
            .flat_map(|v| v.problems.iter().map(|p| p.what.clone()))
            .collect();
        assert!(
            said.iter().any(|w| w.contains("112.9901")
                && w.contains(&format!("第{seq}号"))
                && w.contains("转出 15.00，超过结算少到账留下的差额 5.00")),
            "{said:?}"
        );
    }
);

both!(settlement_terms_that_make_no_sense_are_refused, |app| {
    let t = app.seed().await;
    let (_sandbox, k) = sandbox_bank(&app).await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
        .as_i64()
        .unwrap();
    for settlement in [
        json!({"mode": "daily", "fee_percent": "-0.6"}),
        json!({"mode": "daily", "fee_percent": "六"}),
        json!({"mode": "daily", "fee_percent": "10"}),
        json!({"mode": "daily", "fee_percent": "0.12345"}),
        json!({"mode": "per_payment", "fee_percent": "0.6"}),
    ] {
        let r = app
            .post(&t.admin, &format!("{a}/accounts/{account}/bindings"),
                json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": k["wechat_api_v3_key"],
                       "platform_public_keys": [{"key_id": k["wechat_public_key_id"], "pem": k["wechat_public_key_pem"]}],
                       "settlement": settlement}))
            .await;
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (422, Some("settlement.fee_percent")),
            "{settlement}: {:?}",
            r.body
        );
    }
    let listed = app.get(&t.admin, &format!("{a}/bindings")).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(0),
        "nothing stored: {:?}",
        listed.body
    );
});

/// A WeChat Pay notification of a payment at a Beijing time, signed with our own platform key.
async fn wechat_paid_at(
    app: &TestApp,
    platform: &rsa::RsaPrivateKey,
    binding: i64,
    txn: &str,
    bill: &str,
    fen: i64,
    beijing: NaiveDateTime,
) {
    let t = bank_adapters::wechat::Transaction {
        mchid: "1900000109".into(),
        appid: "wx0000000000000001".into(),
        out_trade_no: bill.replace('-', ""),
        transaction_id: txn.into(),
        trade_state: "SUCCESS".into(),
        success_time: qingzhang::domain::period::from_beijing(beijing).to_rfc3339(),
        attach: None,
        amount: bank_adapters::wechat::TransactionAmount {
            total: fen,
            payer_total: Some(fen),
            currency: "CNY".into(),
            payer_currency: None,
        },
    };
    let req = bank_adapters::wechat::payment_notification(
        platform,
        "PUB_KEY_ID_0001",
        b"0123456789abcdef0123456789abcdef",
        &t,
        Utc::now(),
    )
    .unwrap();
    let mut r = app
        .client
        .post(format!("{}/callbacks/wechat/{binding}", app.base))
        .body(req.body);
    for (k, v) in &req.headers {
        r = r.header(k, v);
    }
    assert_eq!(r.send().await.unwrap().status().as_u16(), 204);
}

both!(
    settlements_over_days_a_weekend_run_and_a_wallet_transfer_that_is_none,
    |app| {
        let t = app.seed().await;
        let bills = bills_in_village_a(&app, &t, &["100.00", "200.00", "50.00", "80.00", "198.80"]).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        let platform = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let keys = json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": "0123456789abcdef0123456789abcdef",
            "platform_public_keys": [{"key_id": "PUB_KEY_ID_0001", "pem": bank_adapters::wechat::public_key_pem(&platform)}]});
        let mut daily = keys.clone();
        daily["settlement"] = json!({"mode": "daily", "fee_percent": "0.6"});
        let b = app
            .post(&t.admin, &format!("{a}/accounts/{account}/bindings"), daily)
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        let binding = b.body["id"].as_i64().unwrap();
        let today = beijing_today();
        let d = |n: i64| today - Duration::days(n);
        let at = |n: i64, h: u32| d(n).and_hms_opt(h, 0, 0).unwrap();
        // Four days of payments: 100.00, 200.00, 50.00, 80.00.
        for (i, (n, fen)) in [(8, 10000), (7, 20000), (6, 5000), (5, 8000)].into_iter().enumerate() {
            wechat_paid_at(
                &app,
                &platform,
                binding,
                &format!("42000{i}"),
                &bills[i].0,
                fen,
                at(n, 10),
            )
            .await;
        }
        // The statement: day 8 settled alone (its remark names it); a villager's transfer from
        // their WeChat wallet (payer 财付通, paying the fifth bill) of just what day 7 owes; days
        // 7 and 6 settled together with no date in the remark; day 5 never settled.
        let statement = format!(
            "{HEADER}{},09:00:00,STL-1,,99.40,99.40,财付通支付科技有限公司,,结算,微信支付结算 1900000109 {}\n\
             {},11:00:00,WLT-1,,198.80,298.20,财付通支付科技有限公司,,转账,{}\n\
             {},09:00:00,STL-2,,248.50,546.70,财付通支付科技有限公司,,结算,微信支付结算\n",
            d(7),
            d(8).format("%Y%m%d"),
            d(6),
            bills[4].0,
            d(4),
        );
        let imported = upload(&app, &t.accountant, VILLAGE_A, account, statement).await;
        assert_eq!(imported["lines_new"], 3, "{imported}");
        let run = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconcile?from={}&to={today}", d(8)),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        let report = &run.body["report"];
        assert_eq!(
            outcomes(report, d(7)),
            vec![("matched".into(), Some("settlement".into()), "STL-1".into())]
        );
        assert_eq!(
            outcomes(report, d(6)),
            vec![("statement_only_credit".into(), Some("taken_in".into()), "WLT-1".into())],
            "the wallet transfer is the villager's payment, not a settlement of day 7"
        );
        assert_eq!(
            outcomes(report, d(4)),
            vec![("matched".into(), Some("settlement".into()), "STL-2".into())],
            "days 7 and 6 paid together"
        );
        assert_eq!(
            outcomes(report, d(5)),
            vec![("settlement_missing".into(), None, "".into())],
            "day 5 was never paid out"
        );
        assert_eq!(report["critical"], 1, "{report}");
        let bill = app.get(&t.clerk_a, &format!("{a}/bills/{}", bills[4].0)).await.body;
        assert_eq!(bill["status"], "paid", "the transfer paid its bill");
        let b = balances(&app, &t.accountant).await;
        assert_eq!(
            (
                b.get("102.0001").map(String::as_str),
                b.get("521").map(String::as_str),
                b.get("112.9901").map(String::as_str)
            ),
            (Some("546.70"), Some("2.10"), Some("80.00")),
            "{b:?}"
        );
        // Looking only at the last two days, the missing settlement is still there.
        let recent = app
            .get(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconciliation?from={}&to={today}", d(1)),
            )
            .await;
        let first = &recent.body["days"][0]["items"];
        assert_eq!(first[0]["outcome"], "settlement_missing", "{first}");
        assert!(first[0]["label"].as_str().unwrap().contains(&d(5).to_string()));

        // Rotating the keys keeps the settlement terms; switching to per-payment while day 5
        // waits is refused.
        let put = |body: Value| {
            app.client
                .put(format!("{}{a}/bindings/{binding}", app.base))
                .bearer_auth(&t.admin)
                .json(&body)
                .send()
        };
        let rotated: Value = put(keys.clone()).await.unwrap().json().await.unwrap();
        assert_eq!(
            (rotated["settlement"].as_str(), rotated["fee_percent"].as_str()),
            (Some("daily"), Some("0.6")),
            "{rotated}"
        );
        let mut per_payment = keys.clone();
        per_payment["settlement"] = json!({"mode": "per_payment"});
        let refused = put(per_payment).await.unwrap();
        assert_eq!(refused.status().as_u16(), 422);
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["field"], "settlement.mode", "{body}");
        assert_books_agree(&app.db);
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
    }
);

both!(
    payments_racing_a_switch_to_daily_settlement_each_go_where_their_binding_said,
    |app| {
        let t = app.seed().await;
        let amounts: Vec<String> = (0..16).map(|i| format!("{}.00", 10 + i)).collect();
        let refs: Vec<&str> = amounts.iter().map(String::as_str).collect();
        let bills = bills_in_village_a(&app, &t, &refs).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        let platform = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let keys = json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": "0123456789abcdef0123456789abcdef",
            "platform_public_keys": [{"key_id": "PUB_KEY_ID_0001", "pem": bank_adapters::wechat::public_key_pem(&platform)}]});
        let b = app
            .post(&t.admin, &format!("{a}/accounts/{account}/bindings"), keys.clone())
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        let binding = b.body["id"].as_i64().unwrap();
        let now = qingzhang::domain::period::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .naive_local();
        let mut daily = keys.clone();
        daily["settlement"] = json!({"mode": "daily", "fee_percent": "0.6"});
        let switch = async {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(8)).await;
            let r = app
                .client
                .put(format!("{}{a}/bindings/{binding}", app.base))
                .bearer_auth(&t.admin)
                .json(&daily)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
        };
        let txns: Vec<String> = (0..bills.len()).map(|i| format!("4201{i:04}")).collect();
        let payments = futures::future::join_all(bills.iter().zip(&txns).enumerate().map(|(i, ((bill, _), txn))| {
            wechat_paid_at(&app, &platform, binding, txn, bill, (10 + i as i64) * 100, now)
        }));
        futures::join!(switch, payments);
        // Every payment went either to 102 (before the switch) or to clearing with a clearing
        // item (after it), never one without the other.
        let (held, items): (i64, i64) = app
            .db
            .read(|conn| -> Result<(i64, i64), qingzhang::AppError> {
                use diesel::prelude::*;
                use qingzhang::store::schema::clearing_items;
                let fen: Vec<i64> = clearing_items::table.select(clearing_items::amount_fen).load(conn)?;
                Ok((fen.iter().sum(), fen.len() as i64))
            })
            .unwrap();
        let b = balances(&app, &t.accountant).await;
        eprintln!("{items} of 16 payments came after the switch to daily settlement");
        let yuan = |fen: i64| format!("{}.{:02}", fen / 100, fen % 100);
        let total: i64 = (0..16).map(|i| (10 + i) * 100).sum();
        assert_eq!(
            (
                b.get("112.9901").cloned().unwrap_or_else(|| "0.00".into()),
                b.get("102.0001").cloned()
            ),
            (yuan(held), Some(yuan(total - held))),
            "{items} payments held: {b:?}"
        );
        assert_eq!(count(&app, "bank_transactions"), 16);
        assert_books_agree(&app.db);
    }
);

// The reverse race: payments through a daily binding race the admin switching it back to
// per-payment settlement. Under the village's lock the switch either comes first (nothing waits:
// it is taken, and every payment goes to 102) or after a payment (it is refused, the binding
// stays daily and every payment is held in clearing). Never a per-payment binding with payments
// still waiting for a daily settlement.
both!(
    payments_racing_a_switch_back_to_per_payment_never_leave_payments_waiting_on_it,
    |app| {
        let t = app.seed().await;
        let amounts: Vec<String> = (0..16).map(|i| format!("{}.00", 10 + i)).collect();
        let refs: Vec<&str> = amounts.iter().map(String::as_str).collect();
        let bills = bills_in_village_a(&app, &t, &refs).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        let platform = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        let keys = json!({"provider": "wechat", "mch_id": "1900000109", "api_v3_key": "0123456789abcdef0123456789abcdef",
            "platform_public_keys": [{"key_id": "PUB_KEY_ID_0001", "pem": bank_adapters::wechat::public_key_pem(&platform)}]});
        let mut daily = keys.clone();
        daily["settlement"] = json!({"mode": "daily", "fee_percent": "0.6"});
        let b = app
            .post(&t.admin, &format!("{a}/accounts/{account}/bindings"), daily)
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        let binding = b.body["id"].as_i64().unwrap();
        let now = qingzhang::domain::period::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .naive_local();
        let mut per_payment = keys.clone();
        per_payment["settlement"] = json!({"mode": "per_payment"});
        let switch = async {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(2)).await;
            let r = app
                .client
                .put(format!("{}{a}/bindings/{binding}", app.base))
                .bearer_auth(&t.admin)
                .json(&per_payment)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        };
        let txns: Vec<String> = (0..bills.len()).map(|i| format!("4301{i:04}")).collect();
        let payments = futures::future::join_all(bills.iter().zip(&txns).enumerate().map(|(i, ((bill, _), txn))| {
            wechat_paid_at(&app, &platform, binding, txn, bill, (10 + i as i64) * 100, now)
        }));
        let ((status, answer), _) = futures::join!(switch, payments);
        let items: i64 = app
            .db
            .read(|conn| -> Result<i64, qingzhang::AppError> {
                use diesel::prelude::*;
                use qingzhang::store::schema::clearing_items;
                Ok(clearing_items::table.count().get_result(conn)?)
            })
            .unwrap();
        let b = balances(&app, &t.accountant).await;
        let at = |code: &str| b.get(code).map(String::as_str).unwrap_or("0.00");
        let total = "280.00"; // 10.00 + 11.00 + … + 25.00
        let mode = app.get(&t.admin, &format!("{a}/bindings")).await.body[0]["settlement"].clone();
        eprintln!("the switch answered {status}; {items} of 16 payments held in clearing");
        match status {
            200 => {
                assert_eq!(
                    items, 0,
                    "a switch that was taken had nothing waiting, and nothing came after it"
                );
                assert_eq!((at("102.0001"), at("112.9901")), (total, "0.00"), "{b:?}");
                assert_eq!(mode, "per_payment");
            }
            422 => {
                assert_eq!(answer["field"], "settlement.mode", "{answer}");
                assert_eq!(
                    items, 16,
                    "the binding stayed daily: every payment waits for its settlement"
                );
                assert_eq!((at("112.9901"), at("102.0001")), (total, "0.00"), "{b:?}");
                assert_eq!(mode, "daily");
            }
            other => panic!("the switch answered {other}: {answer}"),
        }
        assert_eq!(count(&app, "bank_transactions"), 16);
        assert_books_agree(&app.db);
    }
);

// 村务公开 shows money out nobody approved for as long as it is unexplained: the public page
// says ¥300.00 left with no approval after reconciliation posts it to 211.9998; once the
// accountant books what it was (Dr 521 / Cr 211.9998), the page no longer says so. The payee
// named on the statement is never on the page.
both!(
    the_public_page_shows_unexplained_money_out_until_it_is_explained,
    |app| {
        let t = app.seed().await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
            .as_i64()
            .unwrap();
        let day = beijing_today();
        let file = format!(
            "{HEADER}{day},15:30:00,RCB-OUT-PUB,300.00,,-300.00,某某建材店,6228480000000000009,网银转账,购材料\n"
        );
        upload(&app, &t.accountant, VILLAGE_A, account, file).await;
        let run = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconcile?from={day}&to={day}"),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        let page = || async {
            let r = app
                .client
                .get(format!("{}/v/{VILLAGE_A}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.text().await.unwrap()
        };
        let html = page().await;
        let unexplained = html
            .split(r#"id="unexplained">"#)
            .nth(1)
            .expect("the page says money left unapproved");
        assert!(
            unexplained.split("</p>").next().unwrap().contains("¥300.00"),
            "{unexplained}"
        );
        assert!(!html.contains("某某建材店"), "the payee is not named");
        let explained = app
        .post(&t.accountant, &format!("{a}/entries"), json!({"entry_date": day.to_string(), "memo": "查明：购材料，补办审批",
            "lines": [{"account_code": "521", "debit": "300.00", "credit": "0"}, {"account_code": "211.9998", "debit": "0", "credit": "300.00"}]}))
        .await;
        assert_eq!(explained.status, 201, "{:?}", explained.body);
        assert!(
            !page().await.contains(r#"id="unexplained""#),
            "explained money out is no longer said to be unexplained"
        );
    }
);

// A replacement of a bank binding's keys that leaves out `statement_api` keeps it (the admin's
// rotation page sends none); `null` removes it. Seen through the statement fetch: an API that
// cannot be reached is 502, no API at all is 409.
both!(rotating_bank_keys_keeps_the_statement_api_and_null_removes_it, |app| {
    let t = app.seed().await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let key = |id: &str| json!([{"key_id": id, "algorithm": "hmac-sha256", "secret": BANK_SECRET}]);
    let b = app
        .post(
            &t.admin,
            &format!("{a}/accounts/{account}/bindings"),
            json!({"provider": "rural_bank", "keys": key("k1"), "statement_api": closed}),
        )
        .await;
    assert_eq!(b.status, 201, "{:?}", b.body);
    let fetch_path = format!("{a}/accounts/{account}/statements/fetch?date={}", beijing_today());
    let fetch = || app.post(&t.accountant, &fetch_path, json!({}));
    let replace = |body: Value| {
        let path = format!("{}{a}/bindings/{}", app.base, b.body["id"]);
        let admin = t.admin.clone();
        let client = app.client.clone();
        async move {
            client
                .put(path)
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(fetch().await.code(), "bank_statement_failed");
    assert_eq!(replace(json!({"provider": "rural_bank", "keys": key("k2")})).await, 200);
    assert_eq!(fetch().await.code(), "bank_statement_failed", "left out: kept");
    assert_eq!(
        replace(json!({"provider": "rural_bank", "keys": key("k3"), "statement_api": null})).await,
        200
    );
    let r = fetch().await;
    assert_eq!((r.status, r.code()), (409, "statement_api_missing"), "null: removed");
});

/// The refunds' story: what village A's accountant sees on the refunds list.
async fn refunds_of_a(app: &TestApp, token: &str) -> Value {
    let r = app
        .get(token, &format!("/api/v1/villages/{VILLAGE_A}/suspense/refunds"))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

// 退款: money that was never the village's goes back. A transfer that named no bill and the
// excess of one that overpaid its bill each get a refund the clerk asks for and the accountant
// approves; the statement's debits pay them (Dr 211.9999 / Cr 102) and suspense is empty. A
// refund and a placement of one credit racing (PostgreSQL shows it) leave exactly one of them;
// a second refund, a refund of money that paid a bill, bad input and an inspector are refused
// and change nothing; a rejected refund frees the credit again; `verify` and the invariants
// hold throughout.
both!(
    money_that_was_never_the_villages_goes_back_by_an_approved_refund,
    |app| {
        let t = app.seed().await;
        let bills = bills_in_village_a(&app, &t, &["100.00", "60.00", "50.50", "30.00"]).await;
        let a = format!("/api/v1/villages/{VILLAGE_A}");
        let (account, binding) = bind_bank(&app, &t, VILLAGE_A).await;
        let now = qingzhang::domain::period::business_time(Utc::now());
        for (txn, amount, remark) in [
            ("RCB-OVER", "150.00", bills[0].0.as_str()),
            ("RCB-STRAY", "80.00", "转账"),
            ("RCB-RACE", "60.00", "转账"),
            ("RCB-EXACT", "50.50", bills[2].0.as_str()),
        ] {
            assert_eq!(push(&app, binding, ACCOUNT_A, txn, amount, remark, now).await, 200);
        }
        let txn_of = |provider_txn: &'static str| {
            let db = app.db.clone();
            move || {
                use diesel::prelude::*;
                use qingzhang::store::schema::bank_transactions;
                db.read(|conn| -> Result<i64, qingzhang::AppError> {
                    Ok(bank_transactions::table
                        .filter(bank_transactions::provider_txn_id.eq(provider_txn))
                        .select(bank_transactions::id)
                        .first(conn)?)
                })
                .unwrap()
            }
        };
        let (over, stray, race, exact) = (
            txn_of("RCB-OVER")(),
            txn_of("RCB-STRAY")(),
            txn_of("RCB-RACE")(),
            txn_of("RCB-EXACT")(),
        );
        let listed = refunds_of_a(&app, &t.accountant).await;
        assert_eq!(
            (
                listed["overpaid"][0]["bank_transaction_id"].as_i64(),
                listed["overpaid"][0]["excess"].as_str()
            ),
            (Some(over), Some("50.00")),
            "{listed}"
        );
        assert_eq!(listed["overpaid"].as_array().unwrap().len(), 1);
        let ask = |txn: i64, account_no: &str, note: &str| {
            (
                format!("{a}/suspense/{txn}/refund"),
                json!({"payee_name": "王小明", "payee_account": account_no, "note": note}),
            )
        };
        // Refused, changing nothing: an inspector, a credit that paid its bill exactly, a bad
        // account number, no reason, a credit of no village of ours.
        for (token, (path, body), status, code) in [
            (
                &t.inspector,
                ask(stray, "6228480000000000011", "付错村"),
                403,
                "forbidden",
            ),
            (
                &t.clerk_a,
                ask(exact, "6228480000000000011", "付错村"),
                409,
                "bank_transaction_not_available",
            ),
            (
                &t.clerk_a,
                ask(stray, "62284800ab", "付错村"),
                422,
                "account_no_invalid",
            ),
            (
                &t.clerk_a,
                ask(stray, "6228480000000000011", " "),
                422,
                "field_required",
            ),
            (
                &t.clerk_a,
                ask(999_999, "6228480000000000011", "付错村"),
                404,
                "bank_transaction_not_found",
            ),
        ] {
            let r = app.post(token, &path, body).await;
            assert_eq!((r.status, r.code()), (status, code), "{path}: {:?}", r.body);
        }
        assert_eq!(disbursements(&app), 0, "nothing was asked");

        // The clerk asks for the stray transfer back and for the excess; each is asked once, even
        // when six clicks arrive at once.
        let (path, body) = ask(stray, "6228 4800 0000 0000 11", "付错了村，村民王小明来电");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(
            (
                r.body["amount"].as_str(),
                r.body["account_code"].as_str(),
                r.body["status"].as_str()
            ),
            (Some("80.00"), Some("211.9999"), Some("requested"))
        );
        let stray_refund = r.body["id"].as_i64().unwrap();
        let answers = futures::future::join_all((0..6).map(|_| {
            let (path, body) = ask(over, "6228480000000000012", "多付 50 元");
            let (app, token) = (&app, t.clerk_a.clone());
            async move { app.post(&token, &path, body).await }
        }))
        .await;
        let asked: Vec<&Value> = answers.iter().filter(|r| r.status == 201).map(|r| &r.body).collect();
        assert_eq!(
            asked.len(),
            1,
            "{:?}",
            answers.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
        );
        assert!(answers
            .iter()
            .all(|r| r.status == 201 || r.code() == "bank_transaction_not_available"));
        assert_eq!(asked[0]["amount"], "50.00", "the excess, not the credit");
        let over_refund = asked[0]["id"].as_i64().unwrap();
        // A credit being refunded is no longer waiting to be placed, and cannot be placed.
        let waiting = app.get(&t.accountant, &format!("{a}/suspense")).await.body;
        assert!(
            waiting
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w["bank_transaction_id"] != stray),
            "{waiting}"
        );
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/suspense/{stray}/place"),
                json!({"bill_reference": bills[1].0, "note": "村民来电"}),
            )
            .await;
        assert_refused(&r, 409, "bank_transaction_not_available", "已申请退款");
        assert_books_agree(&app.db);

        // One credit refunded and placed at once: exactly one of the eight lands.
        let answers = futures::future::join_all((0..8).map(|i| {
            let (app, token) = (&app, t.accountant.clone());
            let (path, body) = if i % 2 == 0 {
                ask(race, "6228480000000000013", "重复付款")
            } else {
                (
                    format!("{a}/suspense/{race}/place"),
                    json!({"bill_reference": bills[1].0, "note": "村民来电"}),
                )
            };
            async move { app.post(&token, &path, body).await }
        }))
        .await;
        let landed = answers.iter().filter(|r| r.status == 201).count();
        assert_eq!(
            landed,
            1,
            "{:?}",
            answers.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
        );
        assert_books_agree(&app.db);
        let race_refunded = answers
            .iter()
            .any(|r| r.status == 201 && r.body["account_code"] == "211.9999");

        // The accountant rejects the excess's refund (wrong account): the excess waits again and is
        // asked for anew; then approves both.
        let decide = |id: i64, verb: &'static str| {
            let (app, token) = (&app, t.accountant.clone());
            let path = format!("{a}/disbursements/{id}/{verb}");
            async move { app.post(&token, &path, json!({"note": "核对"})).await }
        };
        assert_eq!(decide(over_refund, "reject").await.status, 200);
        let listed = refunds_of_a(&app, &t.accountant).await;
        assert_eq!(listed["overpaid"][0]["bank_transaction_id"], over, "{listed}");
        let (path, body) = ask(over, "6228480000000000014", "多付 50 元，账号已核对");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let over_refund = r.body["id"].as_i64().unwrap();
        for id in [stray_refund, over_refund] {
            let r = decide(id, "approve").await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        let listed = refunds_of_a(&app, &t.accountant).await;
        assert_eq!(listed["overpaid"], json!([]), "{listed}");
        assert_eq!(
            listed["refunds"].as_array().unwrap().len(),
            3 + usize::from(race_refunded)
        );

        // The bank pays both; reconciliation posts them out of suspense.
        let day = beijing_today();
        let file = format!(
            "{HEADER}{day},16:00:00,OUT-R1,80.00,,-80.00,王小明,6228480000000000011,网银转账,退款\n\
         {day},16:05:00,OUT-R2,50.00,,-130.00,王小明,6228480000000000014,网银转账,退多付\n"
        );
        upload(&app, &t.accountant, VILLAGE_A, account, file).await;
        // The statement shows the refund paid, not yet reconciled: its approval can no longer be
        // withdrawn (that would post it as money out nobody approved, and free the credit).
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/disbursements/{stray_refund}/withdraw"),
                json!({"note": "银行退回"}),
            )
            .await;
        assert_eq!((r.status, r.code()), (409, "disbursement_decided"), "{:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains("尚未对账的支出"),
            "{:?}",
            r.body
        );
        let run = app
            .post(
                &t.accountant,
                &format!("{a}/accounts/{account}/reconcile?from={day}&to={day}"),
                json!({}),
            )
            .await;
        assert_eq!(run.status, 200, "{:?}", run.body);
        let paid = app.get(&t.accountant, &format!("{a}/disbursements?status=paid")).await;
        assert_eq!(paid.body.as_array().unwrap().len(), 2, "{:?}", paid.body);
        let ledger = app.get(&t.accountant, &format!("{a}/ledger/accounts")).await.body;
        let suspense = ledger
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == "211.9999")
            .map(|x| x["balance"].as_str().unwrap().to_string());
        assert_eq!(
            suspense.as_deref(),
            Some(if race_refunded { "-60.00" } else { "0.00" }),
            "only the race's credit may still wait (its refund asked, not paid)"
        );
        assert_eq!(
            app.get(&t.inspector, &format!("{a}/verify")).await.body["problems"],
            json!([])
        );
        assert_books_agree(&app.db);

        // 村务公开 shows the refunds paid as what they were, never the payer or the reason typed.
        let public = app
            .client
            .get(format!("{}/v/{VILLAGE_A}", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let refunded = public
            .split(r#"id="refunded""#)
            .nth(1)
            .expect("the refunds' sum")
            .split("</p>")
            .next()
            .unwrap();
        assert!(refunded.contains("¥130.00"), "{refunded}");
        let spent = public
            .split(r#"id="totals""#)
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap();
        assert!(
            spent.contains("支出 <strong>¥0.00"),
            "refunds are not spending: {spent}"
        );
        assert!(!public.contains("王小明") && !public.contains("付错了村"), "{public}");

        // The page: the refunds listed with their progress; a refused form comes back as typed.
        let (status, html) = app
            .staff_get(&t.clerk_a, &format!("/staff/v/{VILLAGE_A}/suspense"))
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&format!(r#"id="refund-{stray_refund}""#)) && html.contains("已支付"),
            "{html}"
        );
        push(&app, binding, ACCOUNT_A, "RCB-LATE", "30.00", "转账", now).await;
        let late = txn_of("RCB-LATE")();
        let (_, html) = app
            .staff_get(&t.clerk_a, &format!("/staff/v/{VILLAGE_A}/suspense"))
            .await;
        assert!(html.contains(&format!(r#"<option value="{late}""#)), "{html}");
        let csrf = csrf_of(&html);
        let late_s = late.to_string();
        let refund_form = |account: &'static str| {
            let (app, clerk, csrf, late_s) = (&app, &t.clerk_a, csrf.clone(), late_s.clone());
            async move {
                app.staff_post(
                    clerk,
                    &format!("/staff/v/{VILLAGE_A}/suspense/refund"),
                    &[
                        ("csrf", csrf.as_str()),
                        ("bank_transaction_id", late_s.as_str()),
                        ("payee_name", "赵*"),
                        ("payee_account", account),
                        ("note", "付错村"),
                    ],
                )
                .await
            }
        };
        let (status, html) = refund_form("12").await;
        assert_eq!(status, 422);
        assert!(
            html.contains(r#"class="notice error" id="message""#) && html.contains(r#"value="付错村""#),
            "{html}"
        );
        let (status, html) = refund_form("6228480000000000015").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("已申请退款：¥30.00"), "{html}");
        let late_refund = refunds_of_a(&app, &t.accountant).await["refunds"][0]["disbursement"]["id"]
            .as_i64()
            .unwrap();

        // Approved, the bank cannot pay it (a wrong account): asking again is refused until the
        // approval is withdrawn, by an accountant, with a reason, once; then the credit is free.
        assert_eq!(decide(late_refund, "approve").await.status, 200);
        let (path, body) = ask(late, "6228480000000000016", "付错村");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert!(r.body["message"].as_str().unwrap().contains("撤回批准"), "{:?}", r.body);
        let withdraw = |token: String, note: &'static str| {
            let app = &app;
            let path = format!("{a}/disbursements/{late_refund}/withdraw");
            async move { app.post(&token, &path, json!({"note": note})).await }
        };
        assert_eq!(withdraw(t.clerk_a.clone(), "银行退回").await.status, 403);
        assert_eq!(withdraw(t.accountant.clone(), " ").await.status, 422);
        // On the approver's page: the approval with its reason, and the form to withdraw it.
        let page = format!("/staff/v/{VILLAGE_A}/disbursements");
        let (_, html) = app.staff_get(&t.accountant, &page).await;
        assert!(html.contains(&format!(r#"id="withdraw-{late_refund}""#)), "{html}");
        let (status, html) = app
            .staff_post(
                &t.accountant,
                &format!("{page}/{late_refund}/withdraw"),
                &[
                    ("csrf", csrf_of(&html).as_str()),
                    ("note", "收款账号有误，银行未能付款"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("批准已撤回"), "{html}");
        let row = html
            .split(&format!(r#"id="disbursement-{late_refund}""#))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            row.contains("已撤回批准")
                && row.contains("撤回批准 accountant：收款账号有误")
                && row.contains("accountant：核对"),
            "the approval and its withdrawal, both kept: {row}"
        );
        let r = withdraw(t.accountant.clone(), "再撤一次").await;
        assert_eq!((r.status, r.code()), (409, "disbursement_decided"), "{:?}", r.body);
        let paid = refunds_of_a(&app, &t.accountant).await["refunds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["disbursement"]["status"] == "paid")
            .unwrap()["disbursement"]["id"]
            .as_i64()
            .unwrap();
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/disbursements/{paid}/withdraw"),
                json!({"note": "撤回"}),
            )
            .await;
        assert_eq!(
            (r.status, r.code()),
            (409, "disbursement_decided"),
            "a paid refund stays paid"
        );
        let (path, body) = ask(stray, "6228480000000000011", "再退一次");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert!(r.body["message"].as_str().unwrap().contains("已经退款"), "{:?}", r.body);

        // Free again, the credit is placed instead (the villager did owe a bill); placed, it cannot
        // be refunded; the placement undone, it can.
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/suspense/{late}/place"),
                json!({"bill_reference": bills[3].0, "note": "村民来电"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let (path, body) = ask(late, "6228480000000000016", "付错村");
        let r = app.post(&t.clerk_a, &path, body.clone()).await;
        assert!(
            r.body["message"].as_str().unwrap().contains("已认领到账单"),
            "{:?}",
            r.body
        );
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/suspense/{late}/undo"),
                json!({"note": "认错了"}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let r = app.post(&t.clerk_a, &path, body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);

        // Money is not moved out of suspense by hand: the accountant who finds RCB-HAND was
        // money to hold transfers it to a payable, tied to the credit, and then it cannot be
        // refunded as well.
        assert_eq!(
            push(&app, binding, ACCOUNT_A, "RCB-HAND", "40.00", "转账", now).await,
            200
        );
        let hand = app
            .post(&t.accountant, &format!("{a}/entries"), json!({"entry_date": day.to_string(), "memo": "入账 RCB-HAND 转为暂收款",
                  "lines": [{"account_code": "211.9999", "debit": "40.00"}, {"account_code": "211.0001", "credit": "40.00"}]}))
            .await;
        assert_eq!(
            (hand.status, hand.code()),
            (422, "entry_suspense_reserved"),
            "{:?}",
            hand.body
        );
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/suspense/{}/transfer", txn_of("RCB-HAND")()),
                json!({"account_code": "211.0001", "note": "暂收款"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let (path, body) = ask(txn_of("RCB-HAND")(), "6228480000000000018", "付错村");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert_refused(&r, 409, "bank_transaction_not_available", "查明转入 211.0001");
        // A hand entry made before they were refused named no credit: 211.9999 as a whole must
        // still cover a refund.
        assert_eq!(
            push(&app, binding, ACCOUNT_A, "RCB-OLD-HAND", "40.00", "转账", now).await,
            200
        );
        let legacy = legacy_hand_entry(&app.db, VILLAGE_A, day, "40.00");
        let old_hand = txn_of("RCB-OLD-HAND")();
        let (path, body) = ask(old_hand, "6228480000000000019", "付错村");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert_eq!((r.status, r.code()), (409, "suspense_short"), "{:?}", r.body);
        assert!(
            r.body["message"].as_str().unwrap().contains(&format!("第{legacy}号")),
            "names the hand entry: {:?}",
            r.body
        );
        // Placing it onto a bill is refused the same way.
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/suspense/{old_hand}/place"),
                json!({"bill_reference": bills[3].0, "note": "村民来电"}),
            )
            .await;
        assert_eq!((r.status, r.code()), (409, "suspense_short"), "{:?}", r.body);
        let transfer_path = format!("{a}/suspense/{old_hand}/transfer");
        let transfer_old = || {
            app.post(
                &t.accountant,
                &transfer_path,
                json!({"account_code": "211.0001", "note": "暂收款"}),
            )
        };
        let r = transfer_old().await;
        assert_eq!((r.status, r.code()), (409, "suspense_short"), "{:?}", r.body);
        // verify sees the credit listed as waiting with nothing behind it.
        let problems = app.get(&t.inspector, &format!("{a}/verify")).await.body["problems"].to_string();
        assert!(problems.contains("少于各笔入账尚待查明的部分"), "{problems}");
        // The way out: the old hand entry reversed, the credit transferred with its name.
        let r = app
            .post(
                &t.accountant,
                &format!("{a}/entries/{legacy}/reverse"),
                json!({"reason": "改为查明转出"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(transfer_old().await.status, 201);
        assert_eq!(
            app.get(&t.inspector, &format!("{a}/verify")).await.body["problems"],
            json!([])
        );

        // A credit of another village is not ours to refund.
        let (_, binding_b) = bind_bank(&app, &t, VILLAGE_B).await;
        assert_eq!(
            push(&app, binding_b, ACCOUNT_B, "RCB-B", "20.00", "转账", now).await,
            200
        );
        let (path, body) = ask(txn_of("RCB-B")(), "6228480000000000017", "付错村");
        let r = app.post(&t.clerk_a, &path, body).await;
        assert_eq!(
            (r.status, r.code()),
            (404, "bank_transaction_not_found"),
            "{:?}",
            r.body
        );
        assert_eq!(
            app.get(&t.inspector, &format!("{a}/verify")).await.body["problems"],
            json!([])
        );
        assert_books_agree(&app.db);
    }
);

// Withdrawals on PostgreSQL's concurrency: six accountants withdraw one approval at once (one
// lands); then an approval is withdrawn while its very debit is uploaded and reconciled: either
// the withdrawal lands first and the debit is money out nobody approved, or the debit comes first
// and pays the request and the withdrawal is refused; never both.
both!(an_approval_is_withdrawn_once_and_never_beside_its_payment, |app| {
    let t = app.seed().await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let account = app.get(&t.admin, &format!("{a}/accounts")).await.body[0]["id"]
        .as_i64()
        .unwrap();
    let approved = |amount: &'static str| {
        let (app, t, a) = (&app, &t, &a);
        async move {
            let r = app
                .post(&t.clerk_a, &format!("{a}/disbursements"), json!({"account_id": account, "payee_name": "东岭建材经营部",
                      "payee_account": "6228480000000000009", "amount": amount, "purpose": "购水泥修村道", "account_code": "521", "attachments": ""}))
                .await;
            assert_eq!(r.status, 201, "{:?}", r.body);
            let id = r.body["id"].as_i64().unwrap();
            let r = app
                .post(
                    &t.accountant,
                    &format!("{a}/disbursements/{id}/approve"),
                    json!({"note": "核对"}),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            id
        }
    };
    let withdraw = |id: i64| {
        let (app, token) = (&app, t.accountant.clone());
        let path = format!("{a}/disbursements/{id}/withdraw");
        async move { app.post(&token, &path, json!({"note": "银行退回"})).await }
    };
    let statuses = |rs: &[Response]| rs.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>();

    let first = approved("300.00").await;
    let answers = futures::future::join_all((0..6).map(|_| withdraw(first))).await;
    assert_eq!(
        answers.iter().filter(|r| r.status == 200).count(),
        1,
        "{:?}",
        statuses(&answers)
    );
    assert!(
        answers
            .iter()
            .all(|r| r.status == 200 || (r.status, r.code()) == (409, "disbursement_decided")),
        "{:?}",
        statuses(&answers)
    );
    let withdrawals: i64 = app
        .db
        .read(|conn| -> Result<i64, qingzhang::AppError> {
            use diesel::prelude::*;
            use qingzhang::store::schema::disbursement_withdrawals;
            Ok(disbursement_withdrawals::table.count().get_result(conn)?)
        })
        .unwrap();
    assert_eq!(withdrawals, 1);

    // The approval withdrawn while the bank's debit of it is uploaded and reconciled.
    let second = approved("120.00").await;
    let day = beijing_today();
    let file =
        format!("{HEADER}{day},11:00:00,RCB-W1,120.00,,880.00,东岭建材经营部,6228480000000000009,网银转账,购水泥\n");
    let reconcile = async {
        upload(&app, &t.accountant, VILLAGE_A, account, file).await;
        app.post(
            &t.accountant,
            &format!("{a}/accounts/{account}/reconcile?from={day}&to={day}"),
            json!({}),
        )
        .await
    };
    let (run, answers) =
        futures::future::join(reconcile, futures::future::join_all((0..3).map(|_| withdraw(second)))).await;
    assert_eq!(run.status, 200, "{:?}", run.body);
    let landed = answers.iter().filter(|r| r.status == 200).count();
    assert!(landed <= 1, "{:?}", statuses(&answers));
    let request = app
        .get(&t.accountant, &format!("{a}/disbursements"))
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == second)
        .cloned()
        .unwrap();
    let paid = request["status"] == "paid";
    assert_eq!(
        (landed == 1, paid),
        (!paid, request["withdrawn"].is_null()),
        "withdrawn or paid, never both: {request}"
    );
    if landed == 1 {
        // The debit nobody approved any more waits in 211.9998 as money out to be explained.
        assert_eq!(run.body["unexplained_debits"], 1, "{:?}", run.body);
    }
    assert_eq!(
        app.get(&t.inspector, &format!("{a}/verify")).await.body["problems"],
        json!([])
    );
    assert_books_agree(&app.db);
});
