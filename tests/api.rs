//! The service over HTTP, on SQLite and PostgreSQL: registry, billing, the books, access and
//! scopes, and bad input. Every amount is asserted exactly.

mod common;

use chrono::{Datelike, Duration};
use common::*;
use serde_json::{json, Value};

fn today() -> chrono::NaiveDate {
    beijing_today()
}

fn last_month() -> String {
    let first = today().with_day(1).unwrap();
    (first - Duration::days(1)).format("%Y-%m").to_string()
}

fn entry(date: &str, memo: &str, lines: &[(&str, &str, &str)]) -> Value {
    json!({
        "entry_date": date,
        "memo": memo,
        "lines": lines.iter().map(|(a, d, c)| json!({"account_code": a, "debit": d, "credit": c})).collect::<Vec<_>>(),
    })
}

both!(registry_refuses_duplicates_and_bad_codes, |app| {
    let t = app.seed().await;
    let r = app
        .post(
            &t.admin,
            "/api/v1/villages",
            json!({"code": VILLAGE_A, "name": "又一个", "township_code": TOWNSHIP}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "village_code_taken"), "{:?}", r.body);
    let r = app
        .post(
            &t.admin,
            "/api/v1/villages",
            json!({"code": "370725103201", "name": "外镇村", "township_code": TOWNSHIP}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "admin_code_not_within"), "{:?}", r.body);
    let r = app
        .post(
            &t.admin,
            "/api/v1/villages",
            json!({"code": "3707251022", "name": "短码", "township_code": TOWNSHIP}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "admin_code_invalid"));
    assert_eq!(r.body["field"], "code");
    let r = app
        .post(
            &t.admin,
            &format!("/api/v1/villages/{VILLAGE_B}/accounts"),
            json!({"bank_name": "农商行", "account_name": "x", "account_no": "9150 0101 0000 1234 567"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (409, "account_no_taken"), "{:?}", r.body);
    // Corporate accounts are shown masked, each with its own 102 sub-account.
    let r = app
        .get(&t.clerk_a, &format!("/api/v1/villages/{VILLAGE_A}/accounts"))
        .await;
    assert_eq!(r.body[0]["account_no"], "9150****4567");
    assert_eq!(r.body[0]["ledger_account_code"], "102.0001");
    // A new village's books are open: the suspense account exists and 102 takes no postings.
    let r = app
        .get(&t.clerk_a, &format!("/api/v1/villages/{VILLAGE_A}/ledger/accounts"))
        .await;
    let accounts = r.body.as_array().unwrap();
    let find = |code: &str| accounts.iter().find(|a| a["code"] == code).cloned().unwrap();
    assert_eq!(find("211.9999")["name"], "待查明款项");
    assert_eq!(find("102")["postable"], false);
    assert_eq!(find("501")["chart_version"], "2023");
});

both!(
    billing_computes_fees_half_up_and_generates_each_installment_once,
    |app| {
        let t = app.seed().await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        let payer = app
            .post(
                &t.clerk_a,
                &format!("{v}/payers"),
                json!({"kind": "member", "name": "张建国", "phone": "13805361234"}),
            )
            .await;
        assert_eq!(payer.status, 201, "{:?}", payer.body);
        assert_eq!(payer.body["phone"], "138****1234");
        assert_eq!(payer.body["ledger_account_code"], "113.0001");
        let tenant = app
            .post(
                &t.clerk_a,
                &format!("{v}/payers"),
                json!({"kind": "outsider", "name": "绿源合作社"}),
            )
            .await;
        assert_eq!(tenant.body["ledger_account_code"], "112.0001");
        let bad = app
            .post(
                &t.clerk_a,
                &format!("{v}/payers"),
                json!({"kind": "member", "name": "李四", "phone": "12345"}),
            )
            .await;
        assert_eq!((bad.status, bad.code()), (422, "phone_invalid"));

        let bad_item = app
            .post(
                &t.clerk_a,
                &format!("{v}/fee-items"),
                json!({"code": "land", "name": "土地承包费", "income_account_code": "101"}),
            )
            .await;
        assert_eq!((bad_item.status, bad_item.code()), (422, "fee_item_account_invalid"));
        let item = app
            .post(
                &t.clerk_a,
                &format!("{v}/fee-items"),
                json!({"code": "land", "name": "土地承包费", "income_account_code": "501"}),
            )
            .await;
        assert_eq!(item.status, 201, "{:?}", item.body);
        let dup = app
            .post(
                &t.clerk_a,
                &format!("{v}/fee-items"),
                json!({"code": "land", "name": "重复", "income_account_code": "501"}),
            )
            .await;
        assert_eq!((dup.status, dup.code()), (409, "fee_item_code_taken"));

        let year = today().year();
        // 3.35 mu × 501.01 = 1678.3835 → 1678.38 a year, billed quarterly from cumulative shares
        // (419.595 → 419.60, 839.19, 1258.785 → 1258.79, 1678.38): 419.60, 419.59, 419.60, 419.59.
        let contract = app
        .post(
            &t.clerk_a,
            &format!("{v}/contracts"),
            json!({"contract_no": "CB-001", "kind": "contract", "payer_id": payer.body["id"], "fee_item_id": item.body["id"],
                   "area": "3.35", "unit_price": "501.01", "schedule": "quarterly",
                   "start_date": format!("{year}-04-01"), "end_date": format!("{}-12-31", year + 2)}),
        )
        .await;
        assert_eq!(contract.status, 201, "{:?}", contract.body);
        assert_eq!(contract.body["annual_amount"], "1678.38");
        let both_prices = app
        .post(
            &t.clerk_a,
            &format!("{v}/contracts"),
            json!({"contract_no": "CB-002", "kind": "lease", "payer_id": tenant.body["id"], "fee_item_id": item.body["id"],
                   "area": "1", "unit_price": "1", "fixed_amount": "10", "schedule": "annual", "start_date": "2026-01-01", "end_date": "2026-12-31"}),
        )
        .await;
        assert_eq!(
            (both_prices.status, both_prices.code()),
            (422, "contract_pricing_invalid")
        );

        let gen = app
            .post(&t.clerk_a, &format!("{v}/bills/generate"), json!({"year": year}))
            .await;
        assert_eq!(gen.status, 200, "{:?}", gen.body);
        let created = gen.body["created"].as_array().unwrap();
        // The contract starts in April: Q1 is not billed.
        let got: Vec<(&str, &str)> = created
            .iter()
            .map(|b| (b["period_label"].as_str().unwrap(), b["amount"].as_str().unwrap()))
            .collect();
        let q = |n| format!("{year}-Q{n}");
        assert_eq!(
            got,
            vec![
                (q(2).as_str(), "419.59"),
                (q(3).as_str(), "419.60"),
                (q(4).as_str(), "419.59")
            ]
        );
        assert_eq!(created[0]["due_date"], format!("{year}-04-01"));
        let again = app
            .post(&t.clerk_a, &format!("{v}/bills/generate"), json!({"year": year}))
            .await;
        assert_eq!(again.body["created"].as_array().unwrap().len(), 0);
        assert_eq!(again.body["skipped"], 3);

        // A bill by hand, found by its reference; a typo in the reference is caught by its check digit.
        let bill = app
        .post(&t.clerk_a, &format!("{v}/bills"), json!({"payer_id": tenant.body["id"], "fee_item_id": item.body["id"], "amount": "1,200.5", "period_label": "2026年", "due_date": "2026-06-30"}))
        .await;
        assert_eq!(bill.status, 201, "{:?}", bill.body);
        assert_eq!(bill.body["amount"], "1200.50");
        assert_eq!(bill.body["outstanding"], "1200.50");
        let reference = bill.body["reference"].as_str().unwrap().to_string();
        let found = app.get(&t.clerk_a, &format!("{v}/bills/{reference}")).await;
        assert_eq!(found.body["id"], bill.body["id"]);
        let mut typo: Vec<char> = reference.chars().collect();
        typo[3] = if typo[3] == '9' {
            '0'
        } else {
            char::from(typo[3] as u8 + 1)
        };
        let typo: String = typo.into_iter().collect();
        let r = app.get(&t.clerk_a, &format!("{v}/bills/{typo}")).await;
        assert_eq!((r.status, r.code()), (422, "bill_reference_invalid"), "{:?}", r.body);
        for amount in ["0", "-5", "1.234", "abc"] {
            let r = app
            .post(&t.clerk_a, &format!("{v}/bills"), json!({"payer_id": tenant.body["id"], "fee_item_id": item.body["id"], "amount": amount, "period_label": "x", "due_date": "2026-06-30"}))
            .await;
            assert_eq!((r.status, r.code()), (422, "amount_invalid"), "{amount}: {:?}", r.body);
        }
        let cancel = app
            .post(
                &t.clerk_a,
                &format!("{v}/bills/{reference}/cancel"),
                json!({"reason": "重复开单"}),
            )
            .await;
        assert_eq!(cancel.body["status"], "cancelled");
        let twice = app
            .post(
                &t.clerk_a,
                &format!("{v}/bills/{reference}/cancel"),
                json!({"reason": "again"}),
            )
            .await;
        assert_eq!((twice.status, twice.code()), (409, "bill_not_open"));
        let open = app.get(&t.clerk_a, &format!("{v}/bills?status=open")).await;
        assert_eq!(open.body.as_array().unwrap().len(), 3);
    }
);

both!(entries_balance_reverse_and_respect_closed_months, |app| {
    let t = app.seed().await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let date = today().to_string();
    let ok = app
        .post(
            &t.accountant,
            &format!("{v}/entries"),
            entry(
                &date,
                "收土地承包费",
                &[("102.0001", "1678.38", "0"), ("501", "0", "1678.38")],
            ),
        )
        .await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    assert_eq!(ok.body["seq"], 1);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            entry(&date, "不平", &[("102.0001", "100", "0"), ("501", "0", "99.99")]),
            422,
            "entry_unbalanced",
        ),
        (
            entry(&date, "单行", &[("102.0001", "100", "0")]),
            422,
            "entry_too_few_lines",
        ),
        (
            entry(&date, "零", &[("102.0001", "0", "0"), ("501", "0", "0")]),
            422,
            "entry_line_amount_invalid",
        ),
        (
            entry(&date, "负数", &[("102.0001", "-5", "0"), ("501", "0", "-5")]),
            422,
            "entry_line_amount_invalid",
        ),
        (
            entry(&date, "上级科目", &[("102", "5", "0"), ("501", "0", "5")]),
            422,
            "entry_account_not_postable",
        ),
        (
            entry(&date, "无此科目", &[("109", "5", "0"), ("501", "0", "5")]),
            422,
            "entry_account_unknown",
        ),
        (
            entry("2023-06-01", "旧制度", &[("102.0001", "5", "0"), ("501", "0", "5")]),
            422,
            "entry_account_unknown",
        ),
        (
            entry(&date, "", &[("102.0001", "5", "0"), ("501", "0", "5")]),
            422,
            "entry_memo_invalid",
        ),
        (
            entry("2026-02-30", "坏日期", &[("102.0001", "5", "0"), ("501", "0", "5")]),
            422,
            "date_invalid",
        ),
        (
            entry(&date, "三位小数", &[("102.0001", "5.001", "0"), ("501", "0", "5.001")]),
            400,
            "invalid_json",
        ),
    ];
    for (body, status, code) in cases {
        let r = app.post(&t.accountant, &format!("{v}/entries"), body.clone()).await;
        assert_eq!((r.status, r.code()), (status, code), "{body}: {:?}", r.body);
    }
    // Nothing refused was written: still one entry, the cached bank balance is exact.
    let entries = app.get(&t.accountant, &format!("{v}/entries")).await;
    assert_eq!(entries.body.as_array().unwrap().len(), 1);
    let accounts = app.get(&t.accountant, &format!("{v}/ledger/accounts")).await;
    let bank = accounts
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "102.0001")
        .unwrap()
        .clone();
    assert_eq!(
        (bank["debit_total"].as_str(), bank["balance"].as_str()),
        (Some("1678.38"), Some("1678.38"))
    );

    // A reversal swaps every side, points at what it reverses, and can happen once.
    let rev = app
        .post(
            &t.accountant,
            &format!("{v}/entries/1/reverse"),
            json!({"reason": "金额录错"}),
        )
        .await;
    assert_eq!(rev.status, 201, "{:?}", rev.body);
    assert_eq!(rev.body["reverses_seq"], 1);
    assert_eq!(rev.body["lines"][0]["credit"], "1678.38");
    let again = app
        .post(
            &t.accountant,
            &format!("{v}/entries/1/reverse"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "entry_already_reversed"));
    let of_reversal = app
        .post(
            &t.accountant,
            &format!("{v}/entries/2/reverse"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!((of_reversal.status, of_reversal.code()), (409, "entry_is_reversal"));
    let accounts = app.get(&t.accountant, &format!("{v}/ledger/accounts")).await;
    let bank = accounts
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "102.0001")
        .unwrap()
        .clone();
    assert_eq!(bank["balance"], "0.00");

    // Last month closes; nothing can be dated in it afterwards; this month cannot close yet.
    let prev = last_month();
    let in_prev = format!("{prev}-15");
    let r = app
        .post(
            &t.accountant,
            &format!("{v}/entries"),
            entry(&in_prev, "上月补记", &[("521", "200", "0"), ("504", "0", "200")]),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let closed = app
        .post(&t.accountant, &format!("{v}/periods/{prev}/close"), json!({}))
        .await;
    assert_eq!(closed.status, 201, "{:?}", closed.body);
    let late = app
        .post(
            &t.accountant,
            &format!("{v}/entries"),
            entry(&in_prev, "迟到", &[("521", "1", "0"), ("504", "0", "1")]),
        )
        .await;
    assert_eq!((late.status, late.code()), (409, "period_closed"), "{:?}", late.body);
    let reclose = app
        .post(&t.accountant, &format!("{v}/periods/{prev}/close"), json!({}))
        .await;
    assert_eq!((reclose.status, reclose.code()), (409, "period_already_closed"));
    let this_month = today().format("%Y-%m").to_string();
    let early = app
        .post(&t.accountant, &format!("{v}/periods/{this_month}/close"), json!({}))
        .await;
    assert_eq!((early.status, early.code()), (422, "period_not_ended"));

    // The trial balance of this month: opening 200.00 expense from last month, the posting and its
    // reversal within the month, everything balanced.
    let tb = app
        .get(&t.inspector, &format!("{v}/trial-balance?period={this_month}"))
        .await;
    assert_eq!(tb.status, 200, "{:?}", tb.body);
    assert_eq!(tb.body["balanced"], true);
    assert_eq!(tb.body["total_debit"], "3356.76");
    assert_eq!(tb.body["total_credit"], "3356.76");
    let row = |code: &str| {
        tb.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (row("521")["opening"].as_str(), row("521")["closing"].as_str()),
        (Some("200.00"), Some("200.00"))
    );
    assert_eq!(row("504")["closing"], "-200.00");
    assert_eq!(
        (
            row("102")["debit"].as_str(),
            row("102")["credit"].as_str(),
            row("102")["is_parent"].as_bool()
        ),
        (Some("1678.38"), Some("1678.38"), Some(true))
    );

    // The chain verifies and the head is signed.
    let report = app.get(&t.inspector, &format!("{v}/verify")).await;
    assert_eq!(report.body["entries"], 3);
    assert_eq!(report.body["problems"], json!([]));
    let head = app.get(&t.inspector, &format!("{v}/chain-head")).await;
    assert_eq!(head.body["seq"], 3);
    assert_eq!(head.body["signature"].as_str().unwrap().len(), 64);
    let listed = app.get(&t.inspector, &format!("{v}/entries?period={prev}")).await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["memo"], "上月补记");
});

both!(scopes_and_roles_are_checked_on_every_handler, |app| {
    let t = app.seed().await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let b = format!("/api/v1/villages/{VILLAGE_B}");
    // What every refusal below must leave as it was.
    let count = |token: String, path: String| {
        let app = &app;
        async move {
            app.get(&token, &path)
                .await
                .body
                .as_array()
                .map(|a| a.len())
                .unwrap_or(0)
        }
    };
    let before = (
        count(t.accountant.clone(), format!("{a}/payers?limit=500")).await,
        count(t.accountant.clone(), format!("{b}/payers?limit=500")).await,
        count(t.accountant.clone(), format!("{a}/entries?limit=500")).await,
        count(t.admin.clone(), "/api/v1/villages".into()).await,
        count(t.admin.clone(), "/api/v1/audit?limit=500".into()).await,
    );
    // A clerk of village A sees nothing of village B: 404, as if it did not exist.
    for path in [
        "",
        "/accounts",
        "/payers",
        "/fee-items",
        "/contracts",
        "/bills",
        "/entries",
        "/ledger/accounts",
        "/trial-balance?period=2026-01",
        "/verify",
        "/chain-head",
        "/entries/1",
    ] {
        let r = app.get(&t.clerk_a, &format!("{b}{path}")).await;
        assert_eq!(
            (r.status, r.code()),
            (404, "village_not_found"),
            "GET {b}{path}: {:?}",
            r.body
        );
    }
    let r = app
        .post(
            &t.clerk_a,
            &format!("{b}/payers"),
            json!({"kind": "member", "name": "越权"}),
        )
        .await;
    assert_eq!(r.status, 404);
    // The list of villages shows only their own.
    let r = app.get(&t.clerk_a, "/api/v1/villages").await;
    let codes: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec![VILLAGE_A]);
    let r = app.get(&t.accountant, "/api/v1/villages").await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
    // In scope but not their job: 403.
    let r = app
        .post(
            &t.clerk_a,
            &format!("{a}/entries"),
            entry(&today().to_string(), "x", &[("521", "1", "0"), ("504", "0", "1")]),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    // In Chinese, naming who does it instead (the trial saw "may not ManageBilling").
    assert_eq!(
        r.body["message"],
        "村报账员不能登记或冲销凭证；这项操作由乡镇会计办理，请与他们联系。"
    );
    // Cash moves only with cash records: a manual entry on 101 is refused, naming the line.
    let r = app
        .post(
            &t.accountant,
            &format!("{a}/entries"),
            entry(&today().to_string(), "x", &[("504", "0", "1"), ("101", "1", "0")]),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "entry_cash_reserved"), "{:?}", r.body);
    assert_eq!(r.body["field"], "lines[1].account_code");
    let r = app
        .post(
            &t.inspector,
            &format!("{a}/payers"),
            json!({"kind": "member", "name": "检查员"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = app
        .post(
            &t.accountant,
            "/api/v1/villages",
            json!({"code": "370725102209", "name": "新村", "township_code": TOWNSHIP}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app.get(&t.clerk_a, "/api/v1/audit").await;
    assert_eq!(r.status, 403);
    let r = app.get(&t.clerk_a, "/api/v1/users").await;
    assert_eq!(r.status, 403);
    // Refused means nothing happened: no payer, entry or village was made, nothing audited.
    let after = (
        count(t.accountant.clone(), format!("{a}/payers?limit=500")).await,
        count(t.accountant.clone(), format!("{b}/payers?limit=500")).await,
        count(t.accountant.clone(), format!("{a}/entries?limit=500")).await,
        count(t.admin.clone(), "/api/v1/villages".into()).await,
        count(t.admin.clone(), "/api/v1/audit?limit=500".into()).await,
    );
    assert_eq!(after, before, "(payers A, payers B, entries A, villages, audit rows)");
    assert!(before.3 > 0 && before.4 > 0, "the counts count something: {before:?}");
    // An inspector reads everything in scope; the audit log shows who did what.
    let r = app.get(&t.inspector, &format!("{b}/accounts")).await;
    assert_eq!(r.status, 200);
    let r = app.get(&t.inspector, "/api/v1/audit?limit=500").await;
    let actions: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"village.create") && actions.contains(&"user.create") && actions.contains(&"auth.login"),
        "{actions:?}"
    );
    // Admins create users only inside their scope; a clerk belongs to one village.
    let r = app
        .post(&t.admin, "/api/v1/users", json!({"username": "clerk_c", "display_name": "c", "password": PASSWORD, "role": "clerk", "scope": {"kind": "township", "code": TOWNSHIP}}))
        .await;
    assert_eq!((r.status, r.code()), (422, "scope_invalid"));
    let r = app
        .post(&t.admin, "/api/v1/users", json!({"username": "admin", "display_name": "dup", "password": PASSWORD, "role": "admin", "scope": {"kind": "county", "code": COUNTY}}))
        .await;
    assert_eq!((r.status, r.code()), (409, "username_taken"));
    let r = app
        .post(&t.admin, "/api/v1/users", json!({"username": "weak", "display_name": "w", "password": "short", "role": "inspector", "scope": {"kind": "county", "code": COUNTY}}))
        .await;
    assert_eq!((r.status, r.code()), (422, "password_too_short"));
});

both!(tokens_are_required_valid_and_revocable, |app| {
    let t = app.seed().await;
    let r = app.send(reqwest::Method::GET, None, "/api/v1/villages", None).await;
    assert_eq!((r.status, r.code()), (401, "unauthenticated"));
    let r = app.get("qz_not-a-real-token", "/api/v1/villages").await;
    assert_eq!((r.status, r.code()), (401, "unauthenticated"));
    let r = app.login("clerk_a", "wrong-password").await;
    assert_eq!(r.status, 401);
    let r = app.login("nobody", "wrong-password").await;
    assert_eq!(r.status, 401);
    let me = app.get(&t.clerk_a, "/api/v1/me").await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["scope"]["code"].as_str()),
        (Some("clerk"), Some(VILLAGE_A))
    );
    let r = app
        .send(reqwest::Method::POST, Some(&t.clerk_a), "/api/v1/auth/logout", None)
        .await;
    assert_eq!(r.status, 204);
    let r = app.get(&t.clerk_a, "/api/v1/me").await;
    assert_eq!(r.status, 401);
    // Failures grow a delay, never a lock: after five wrong passwords the next try waits a
    // second, even with the right password (nothing is hashed meanwhile); then the owner gets in.
    for _ in 0..5 {
        assert_eq!(app.login("clerk_b", "wrong-password").await.status, 401);
    }
    let r = app.login("clerk_b", PASSWORD).await;
    assert_eq!((r.status, r.code()), (429, "too_many_requests"));
    assert!(r.body["message"].as_str().unwrap().contains("秒后再试"), "{:?}", r.body);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = app.login("clerk_b", PASSWORD).await;
    assert_eq!(r.status, 200, "the delay passed: {:?}", r.body);
    // Tokens are stored hashed: the raw token is nowhere in the database.
    let db = app.db.clone();
    let token = t.admin.clone();
    let stored: Vec<String> = actix_web::rt::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use qingzhang::store::schema::api_tokens;
        let mut c = db.conn().unwrap();
        api_tokens::table
            .select(api_tokens::token_hash)
            .load::<String>(&mut *c)
            .unwrap()
    })
    .await
    .unwrap();
    assert!(!stored.is_empty() && !stored.contains(&token) && stored.iter().all(|h| h.len() == 64));
});

both!(bad_input_gets_a_clear_4xx_never_a_500, |app| {
    let t = app.seed().await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let raw = |body: &'static str| {
        app.client
            .post(format!("{}{v}/payers", app.base))
            .bearer_auth(&t.clerk_a)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        "{",
        "[]",
        "{\"kind\": \"alien\", \"name\": \"x\"}",
        "{\"name\": 5}",
        "null",
    ] {
        let r = raw(body).await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["code"], "invalid_json", "{body}");
        assert!(b["message"].as_str().unwrap().len() > 10);
    }
    let r = app.get(&t.clerk_a, &format!("{v}/entries/not-a-number")).await;
    assert_eq!((r.status, r.code()), (400, "invalid_path"));
    let r = app.get(&t.clerk_a, &format!("{v}/bills?limit=lots")).await;
    assert_eq!((r.status, r.code()), (400, "invalid_query"));
    let r = app.get(&t.clerk_a, &format!("{v}/trial-balance?period=2026-13")).await;
    assert_eq!((r.status, r.code()), (422, "period_invalid"));
    let r = app.get(&t.clerk_a, "/api/v1/nowhere").await;
    assert_eq!((r.status, r.code()), (404, "route_not_found"));
    let r = app
        .post(&t.clerk_a, &format!("{v}/bills/generate"), json!({"year": 1999}))
        .await;
    assert_eq!((r.status, r.code()), (422, "year_invalid"));
    // Long and odd text is refused by field, and nothing is written.
    let r = app
        .post(
            &t.clerk_a,
            &format!("{v}/payers"),
            json!({"kind": "member", "name": "名".repeat(51)}),
        )
        .await;
    assert_eq!(
        (r.status, r.code(), r.body["field"].as_str()),
        (422, "field_too_long", Some("name"))
    );
    let r = app.get(&t.clerk_a, &format!("{v}/payers")).await;
    assert_eq!(r.body, json!([]));
});

both!(health_metrics_and_the_openapi_document, |app| {
    let r = app.send(reqwest::Method::GET, None, "/healthz", None).await;
    assert_eq!(r.status, 200);
    let r = app.send(reqwest::Method::GET, None, "/readyz", None).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ready")));
    let doc = app.send(reqwest::Method::GET, None, "/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    let paths = doc.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/villages/{village}/entries",
        "/api/v1/villages/{village}/bills/{reference}",
        "/readyz",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    assert!(doc.body["components"]["schemas"]["ErrorBody"].is_object());
    let _ = app.send(reqwest::Method::GET, None, "/api/v1/villages", None).await;
    let m = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("qz_http_requests_total"), "{m}");
});

// The admin's pages: a user added (a refused one keeps what was typed and adds nobody),
// disabled (their session ends at once), enabled, their password reset (old sessions end, the
// new password works); an admin cannot lock themself out; a village, its account and a bank
// binding added, the secret never shown, the keys rotated; forged forms and other roles change
// nothing.
both!(
    the_admin_manages_users_villages_accounts_and_bindings_from_the_pages,
    |app| {
        let t = app.seed().await;
        let (status, html) = app.staff_get(&t.admin, "/staff/admin/users").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("clerk_a") && html.contains("（本人）"), "{html}");
        let csrf = csrf_of(&html);
        let user = |password: &'static str, csrf: String| {
            let app = &app;
            let admin = t.admin.clone();
            async move {
                app.staff_post(
                    &admin,
                    "/staff/admin/users",
                    &[
                        ("csrf", &csrf),
                        ("username", "clerk_c"),
                        ("display_name", "王会计"),
                        ("password", password),
                        ("role", "clerk"),
                        ("scope_kind", "village"),
                        ("scope_code", VILLAGE_B),
                    ],
                )
                .await
            }
        };
        let (status, html) = user("short", csrf.clone()).await;
        assert_eq!(status, 422, "{html}");
        assert!(
            html.contains("密码至少 10 位")
                && html.contains(r#"value="clerk_c""#)
                && html.contains(r#"value="王会计""#),
            "{html}"
        );
        assert_eq!(app.login("clerk_c", "short").await.status, 401);
        let (status, _) = user("a-long-enough-password", "0".repeat(32)).await;
        assert_eq!(status, 403);
        let (_, html) = user("a-long-enough-password", csrf.clone()).await;
        assert!(html.contains("已添加用户 clerk_c（村报账员）"), "{html}");
        let session = app.login("clerk_c", "a-long-enough-password").await;
        assert_eq!(session.status, 200);
        let token = session.body["token"].as_str().unwrap().to_string();
        let id = session.body["user"]["id"].as_i64().unwrap();

        // Disabled: the session ends at once and the password no longer logs in.
        let (_, html) = app
            .staff_post(
                &t.admin,
                &format!("/staff/admin/users/{id}/active"),
                &[("csrf", &csrf), ("active", "false")],
            )
            .await;
        assert!(html.contains("用户 clerk_c 已停用"), "{html}");
        assert_eq!(
            app.get(&token, &format!("/api/v1/villages/{VILLAGE_B}/bills"))
                .await
                .status,
            401
        );
        assert_eq!(app.login("clerk_c", "a-long-enough-password").await.status, 401);
        let (_, html) = app
            .staff_post(
                &t.admin,
                &format!("/staff/admin/users/{id}/active"),
                &[("csrf", &csrf), ("active", "true")],
            )
            .await;
        assert!(html.contains("用户 clerk_c 已启用"), "{html}");
        let token = app.login("clerk_c", "a-long-enough-password").await.body["token"]
            .as_str()
            .unwrap()
            .to_string();
        // A reset password: the old session and password end, the new one works.
        let (_, html) = app
            .staff_post(
                &t.admin,
                &format!("/staff/admin/users/{id}/password"),
                &[("csrf", &csrf), ("password", "another-long-password")],
            )
            .await;
        assert!(html.contains("已重设 clerk_c 的密码"), "{html}");
        assert_eq!(
            app.get(&token, &format!("/api/v1/villages/{VILLAGE_B}/bills"))
                .await
                .status,
            401
        );
        assert_eq!(app.login("clerk_c", "a-long-enough-password").await.status, 401);
        assert_eq!(app.login("clerk_c", "another-long-password").await.status, 200);
        // Not oneself; not for anyone else.
        let me = app.get(&t.admin, "/api/v1/me").await.body["id"].as_i64().unwrap();
        let (_, html) = app
            .staff_post(
                &t.admin,
                &format!("/staff/admin/users/{me}/active"),
                &[("csrf", &csrf), ("active", "false")],
            )
            .await;
        assert!(
            html.contains(r#"class="notice error" id="message""#) && html.contains("不能在这里停用自己"),
            "{html}"
        );
        assert_eq!(app.login("admin", PASSWORD).await.status, 200);
        assert_eq!(app.staff_get(&t.clerk_a, "/staff/admin/users").await.0, 403);
        // The inspector's password is not the admin's to set (they could act as the inspector).
        let inspector = app.get(&t.inspector, "/api/v1/me").await.body["id"].as_i64().unwrap();
        let (_, html) = app
            .staff_post(
                &t.admin,
                &format!("/staff/admin/users/{inspector}/password"),
                &[("csrf", &csrf), ("password", "the-admins-choice-1")],
            )
            .await;
        assert!(html.contains("不能为纪检监察人员重设密码"), "{html}");
        assert_eq!(app.login("inspector", "the-admins-choice-1").await.status, 401);
        assert_eq!(app.login("inspector", PASSWORD).await.status, 200);

        // A village, its account, a bank binding; the secret is never shown; rotation.
        let (_, html) = app.staff_get(&t.admin, "/staff/admin/villages").await;
        assert!(html.contains(VILLAGE_A), "{html}");
        let (status, html) = app
            .staff_post(
                &t.admin,
                "/staff/admin/villages",
                &[
                    ("csrf", &csrf),
                    ("code", "370725102299"),
                    ("name", "东岭村"),
                    ("township_code", "370725104000"),
                    ("cash_limit", ""),
                ],
            )
            .await;
        assert_eq!(status, 422, "a village outside its township: {html}");
        assert!(html.contains(r#"value="东岭村""#), "{html}");
        let (_, html) = app
            .staff_post(
                &t.admin,
                "/staff/admin/villages",
                &[
                    ("csrf", &csrf),
                    ("code", "370725102299"),
                    ("name", "东岭村"),
                    ("township_code", TOWNSHIP),
                    ("cash_limit", "3000"),
                ],
            )
            .await;
        assert!(
            html.contains("已添加 东岭村（370725102299）") && html.contains("暂无：还没有对公账户"),
            "{html}"
        );
        let (_, html) = app
            .staff_post(
                &t.admin,
                "/staff/admin/v/370725102299/accounts",
                &[
                    ("csrf", &csrf),
                    ("bank_name", "昌乐农商银行"),
                    ("account_name", "东岭村股份经济合作社"),
                    ("account_no", "9150010100009999999"),
                ],
            )
            .await;
        assert!(html.contains("已登记对公账户 昌乐农商银行"), "{html}");
        let account = app.get(&t.admin, "/api/v1/villages/370725102299/accounts").await.body[0]["id"]
            .as_i64()
            .unwrap()
            .to_string();
        let secret = "a-bank-secret-of-some-length";
        let (_, html) = app
            .staff_post(
                &t.admin,
                "/staff/admin/v/370725102299/bindings",
                &[
                    ("csrf", &csrf),
                    ("provider", "rural_bank"),
                    ("account_id", &account),
                    ("key_id", "k-2026"),
                    ("algorithm", "hmac-sha256"),
                    ("secret", secret),
                    ("statement_api", ""),
                ],
            )
            .await;
        assert!(
            html.contains("已绑定银行转账") && html.contains("k-2026") && !html.contains(secret),
            "{html}"
        );
        let binding = app.get(&t.admin, "/api/v1/villages/370725102299/bindings").await.body[0]["id"]
            .as_i64()
            .unwrap();
        let (_, html) = app
            .staff_post(
                &t.admin,
                "/staff/admin/v/370725102299/bindings",
                &[
                    ("csrf", &csrf),
                    ("provider", "rural_bank"),
                    ("account_id", &account),
                    ("key_id", "k"),
                    ("algorithm", "hmac-sha256"),
                    ("secret", "short"),
                    ("statement_api", ""),
                ],
            )
            .await;
        assert!(
            html.contains(r#"class="notice error" id="message""#),
            "a short secret is refused in words: {html}"
        );
        assert_eq!(
            app.get(&t.admin, "/api/v1/villages/370725102299/bindings")
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let (status, html) = app
            .staff_get(
                &t.admin,
                &format!("/staff/admin/v/370725102299/bindings/{binding}/rotate"),
            )
            .await;
        assert_eq!(status, 200);
        assert!(
            html.contains("k-2026") && html.contains(r#"id="binding-rural_bank""#),
            "{html}"
        );
        let (_, html) = app
            .staff_post(
                &t.admin,
                &format!("/staff/admin/v/370725102299/bindings/{binding}"),
                &[
                    ("csrf", &csrf),
                    ("provider", "rural_bank"),
                    ("key_id", "k-2027"),
                    ("algorithm", "hmac-sha256"),
                    ("secret", "the-next-bank-secret-2027"),
                    ("statement_api", ""),
                ],
            )
            .await;
        assert!(html.contains("已更换银行转账的密钥，现用 k-2027"), "{html}");
        assert_eq!(app.staff_get(&t.accountant, "/staff/admin/v/370725102299").await.0, 403);
        // The statement layouts in use, with the columns each recognises.
        let (status, html) = app.staff_get(&t.admin, "/staff/admin/profiles").await;
        assert_eq!(status, 200);
        let listed = html.split(r#"id="profiles""#).nth(1).unwrap();
        assert!(
            listed.matches("<tr><td>").count() >= 3 && listed.contains("贷方（收入）"),
            "{listed}"
        );
        assert_eq!(app.staff_get(&t.clerk_a, "/staff/admin/profiles").await.0, 403);
    }
);

// The admin renames a village: the code and the books stay, the audit log keeps both names and
// the document; bad names and other roles are refused and change nothing.
both!(an_admin_renames_a_village_and_the_audit_log_keeps_both_names, |app| {
    use diesel::prelude::*;
    use qingzhang::store::schema::audit_log;
    let t = app.seed().await;
    let path = format!("/api/v1/villages/{VILLAGE_A}/name");
    let before = app.get(&t.admin, &format!("/api/v1/villages/{VILLAGE_A}")).await.body;
    let old_name = before["name"].as_str().unwrap().to_string();
    for (token, body, status, field) in [
        (
            &t.accountant,
            json!({"name": "北岩新村", "note": "县政府文件第 3 号"}),
            403,
            "",
        ),
        (
            &t.clerk_a,
            json!({"name": "北岩新村", "note": "县政府文件第 3 号"}),
            403,
            "",
        ),
        (&t.admin, json!({"name": " ", "note": "县政府文件第 3 号"}), 422, "name"),
        (
            &t.admin,
            json!({"name": "村".repeat(51), "note": "县政府文件第 3 号"}),
            422,
            "name",
        ),
        (
            &t.admin,
            json!({"name": old_name.clone(), "note": "县政府文件第 3 号"}),
            422,
            "name",
        ),
        (&t.admin, json!({"name": "北岩新村", "note": ""}), 422, "note"),
    ] {
        let r = app.post(token, &path, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {:?}", r.body);
        if !field.is_empty() {
            assert_eq!(r.body["field"], field, "{body}: {:?}", r.body);
        }
    }
    assert_eq!(
        app.post(
            &t.admin,
            "/api/v1/villages/370725999999/name",
            json!({"name": "别村", "note": "文件"})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.get(&t.admin, &format!("/api/v1/villages/{VILLAGE_A}")).await.body,
        before
    );

    let r = app
        .post(
            &t.admin,
            &path,
            json!({"name": "北岩新村", "note": "县政府文件第 3 号"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["name"].as_str(), r.body["code"].as_str()),
        (200, Some("北岩新村"), Some(VILLAGE_A))
    );
    assert_eq!(
        app.get(&t.clerk_a, &format!("/api/v1/villages/{VILLAGE_A}")).await.body["name"],
        "北岩新村"
    );
    // The books are keyed by the code: they verify under the new name.
    assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
    // The staff form, with its CSRF token, renames it once more.
    let (status, page) = app.staff_get(&t.admin, &format!("/staff/admin/v/{VILLAGE_A}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains(r#"id="rename-village""#) && page.contains("北岩新村"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let (_, page) = app
        .staff_post(
            &t.admin,
            &format!("/staff/admin/v/{VILLAGE_A}/name"),
            &[("csrf", &csrf), ("name", &old_name), ("note", "县政府文件第 4 号")],
        )
        .await;
    assert!(page.contains(&format!("村名已改为“{old_name}”")), "{page}");
    let (_, page) = app
        .staff_post(
            &t.admin,
            &format!("/staff/admin/v/{VILLAGE_A}/name"),
            &[("csrf", &csrf), ("name", "  "), ("note", "县政府文件第 5 号")],
        )
        .await;
    assert!(
        page.contains("名称：必须填写。"),
        "the refusal names the field in Chinese: {page}"
    );
    let (_, page) = app
        .staff_post(
            &t.admin,
            &format!("/staff/admin/v/{VILLAGE_A}/name"),
            &[("csrf", &"0".repeat(32)), ("name", "伪造村"), ("note", "无")],
        )
        .await;
    assert!(!page.contains("伪造村"), "a forged form changes nothing");
    let renames: Vec<Value> = app
        .db
        .read(|c| -> Result<Vec<String>, qingzhang::AppError> {
            Ok(audit_log::table
                .filter(audit_log::action.eq("village.rename"))
                .order(audit_log::seq)
                .select(audit_log::details)
                .load(c)?)
        })
        .unwrap()
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(
        renames,
        vec![
            json!({"from": old_name, "to": "北岩新村", "note": "县政府文件第 3 号"}),
            json!({"from": "北岩新村", "to": old_name, "note": "县政府文件第 4 号"}),
        ]
    );
    assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
});
