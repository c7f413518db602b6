//! `import-history`, on SQLite and PostgreSQL: a village's month from its old books replayed
//! through the use cases, each event at its own time (receipts numbered and dated as they were,
//! the books verifying after), and a file with one event the books refuse is refused whole,
//! naming its line, with nothing kept.

mod common;

use chrono::Duration;
use common::*;
use serde_json::{json, Value};

const ACCOUNT_A: &str = "9150010100001234567";

/// A month of village A: bills, a bank credit, cash deposited and matched, a void and reissue,
/// a disbursement requested and approved. `extra` lines are appended.
fn history(account_id: i64, extra: &[String]) -> String {
    let d = |days: i64, hm: &str| format!("{} {hm}", beijing_today() - Duration::days(40 - days));
    let due = (beijing_today() + Duration::days(30)).to_string();
    let mut lines = vec![
        "# 北岩村 the month before adoption".to_string(),
        json!({"at": d(0, "09:00"), "as": "clerk_a", "village": VILLAGE_A, "event": "payer", "data": {"kind": "member", "name": "赵大山"}, "name": "p"}).to_string(),
        json!({"at": d(0, "09:01"), "as": "clerk_a", "village": VILLAGE_A, "event": "fee_item", "data": {"code": "land", "name": "土地承包费", "income_account_code": "501"}, "name": "f"}).to_string(),
        String::new(),
    ];
    for (n, amount) in [("b1", "500.00"), ("b2", "300.00"), ("b3", "200.00")] {
        lines.push(json!({"at": d(0, "09:02"), "as": "clerk_a", "village": VILLAGE_A, "event": "bill", "data": {"payer_id": "@p", "fee_item_id": "@f", "amount": amount, "period_label": "2026", "due_date": due}, "name": n}).to_string());
    }
    lines.extend([
        json!({"at": d(1, "10:00"), "village": VILLAGE_A, "event": "credit", "data": {"account_no": ACCOUNT_A, "txn_id": "H-1", "amount": "500.00", "payer": "赵大山", "reference": "@b1"}, "name": "t1"}).to_string(),
        json!({"at": d(2, "10:00"), "as": "clerk_a", "village": VILLAGE_A, "event": "cash", "data": {"bill_reference": "@b2", "amount": "300.00"}, "name": "r2"}).to_string(),
        json!({"at": d(2, "16:00"), "as": "clerk_a", "village": VILLAGE_A, "event": "pay_in", "data": {"account_id": account_id, "amount": "300.00"}, "name": "pi"}).to_string(),
        json!({"at": d(3, "09:30"), "village": VILLAGE_A, "event": "credit", "data": {"account_no": ACCOUNT_A, "txn_id": "H-2", "amount": "300.00", "payer": "王会计"}, "name": "t2"}).to_string(),
        json!({"at": d(3, "10:00"), "as": "clerk_a", "village": VILLAGE_A, "event": "match_pay_in", "data": {"pay_in": "@pi", "bank_transaction": "@t2"}}).to_string(),
        json!({"at": d(4, "11:00"), "as": "clerk_a", "village": VILLAGE_A, "event": "cash", "data": {"bill_reference": "@b3", "amount": "200.00"}, "name": "r3"}).to_string(),
        json!({"at": d(4, "11:05"), "as": "clerk_a", "village": VILLAGE_A, "event": "void", "data": {"number": "@r3", "reason": "姓名写错", "reissue": true}, "name": "r3b"}).to_string(),
        json!({"at": d(5, "09:00"), "as": "clerk_a", "village": VILLAGE_A, "event": "disbursement", "data": {"account_id": account_id, "payee_name": "东岭建材经营部", "payee_account": "6228480000000000009", "amount": "150.00", "purpose": "购水泥", "account_code": "521"}, "name": "d"}).to_string(),
        json!({"at": d(5, "10:00"), "as": "accountant", "village": VILLAGE_A, "event": "approve", "data": {"id": "@d", "note": "同意"}}).to_string(),
    ]);
    lines.extend(extra.iter().cloned());
    lines.join("\n")
}

async fn import(app: &TestApp, text: String) -> Result<qingzhang::usecases::history::Replayed, qingzhang::AppError> {
    let db = app.db.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let profiles = qingzhang::reconcile::profile::Profiles::with(Vec::new()).unwrap();
        qingzhang::usecases::history::import(&db, b"test-server-key-0123456789abcdef", &profiles, &text)
    })
    .await
    .unwrap()
}

async fn account_id(app: &TestApp, t: &Tokens) -> i64 {
    app.get(&t.admin, &format!("/api/v1/villages/{VILLAGE_A}/accounts"))
        .await
        .body[0]["id"]
        .as_i64()
        .unwrap()
}

both!(a_month_replays_through_the_use_cases_each_event_at_its_time, |app| {
    let t = app.seed().await;
    let account = account_id(&app, &t).await;
    let done = import(&app, history(account, &[])).await.expect("history replays");
    assert_eq!(done.events, 14, "{done:?}");
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let receipts = app.get(&t.accountant, &format!("{v}/receipts")).await.body;
    let receipts = receipts.as_array().unwrap();
    assert_eq!(receipts.len(), 4, "{receipts:#?}");
    // The bank's receipt is dated when the credit came, forty days ago, Beijing time.
    let first = receipts
        .iter()
        .find(|r| r["channel"] == "bank")
        .expect("the bank's receipt");
    let day = (beijing_today() - Duration::days(39)).to_string();
    assert!(first["issued_at"].as_str().unwrap().starts_with(&day), "{first}");
    let bills = app.get(&t.accountant, &format!("{v}/bills")).await.body;
    let statuses: Vec<&str> = bills
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["paid", "paid", "paid"]);
    let cash = app.get(&t.accountant, &format!("{v}/cash-on-hand")).await.body;
    assert_eq!(
        cash["ledger_101"], "200.00",
        "the reissued cash is still on hand: {cash}"
    );
    let disb = app.get(&t.accountant, &format!("{v}/disbursements")).await.body;
    assert_eq!(disb[0]["status"], "approved");
    let verify = app.get(&t.inspector, &format!("{v}/verify")).await.body;
    assert_eq!(verify["problems"], json!([]), "{verify}");
});

both!(
    a_history_with_one_refused_event_is_refused_whole_naming_its_line,
    |app| {
        let t = app.seed().await;
        let account = account_id(&app, &t).await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        let audit_before = app
            .get(&t.admin, "/api/v1/audit?limit=500")
            .await
            .body
            .as_array()
            .map(|a| a.len());
        let late = |days: i64| format!("{} 12:00", beijing_today() - Duration::days(40 - days));
        // Line 17, after a comment, a blank line and fourteen good events: each case below.
        let cases: Vec<(String, &str)> = vec![
        (json!({"at": late(6), "as": "clerk_a", "village": VILLAGE_A, "event": "cash", "data": {"bill_reference": "@b1", "amount": "10.00"}}).to_string(), "已缴清"),
        (json!({"at": late(1), "as": "clerk_a", "village": VILLAGE_A, "event": "cash", "data": {"bill_reference": "@b2", "amount": "1.00"}}).to_string(), "早于上一行"),
        (json!({"at": late(6), "as": "clerk_a", "village": VILLAGE_A, "event": "cash", "data": {"bill_reference": "@nobody", "amount": "1.00"}}).to_string(), "@nobody"),
        (json!({"at": late(6), "as": "clerk_a", "village": VILLAGE_A, "event": "teleport", "data": {}}).to_string(), "teleport"),
        (json!({"at": late(6), "as": "nobody", "village": VILLAGE_A, "event": "cash", "data": {}}).to_string(), "第 17 行"),
        (json!({"at": late(6), "as": "clerk_b", "village": VILLAGE_A, "event": "cash", "data": {"bill_reference": "@b3", "amount": "1.00"}}).to_string(), "第 17 行"),
        ("{not json".to_string(), "不是有效的事件"),
    ];
        for (bad, why) in cases {
            let e = import(&app, history(account, std::slice::from_ref(&bad)))
                .await
                .expect_err(&bad);
            let text = e.to_string();
            assert!(e.is(qingzhang::error::ErrorCode::HistoryInvalid), "{text}");
            assert!(text.contains("第 17 行"), "{bad}: {text}");
            assert!(text.contains(why), "{bad}: {text}");
        }
        // Nothing of the fourteen good events was kept.
        assert_eq!(app.get(&t.accountant, &format!("{v}/bills")).await.body, json!([]));
        assert_eq!(app.get(&t.accountant, &format!("{v}/receipts")).await.body, json!([]));
        assert_eq!(app.get(&t.accountant, &format!("{v}/payers")).await.body, json!([]));
        let audit_after = app
            .get(&t.admin, "/api/v1/audit?limit=500")
            .await
            .body
            .as_array()
            .map(|a| a.len());
        assert_eq!(audit_before, audit_after);
        let verify = app.get(&t.inspector, &format!("{v}/verify")).await.body;
        assert_eq!(verify["problems"], json!([]), "{verify}");
        // And the good file still replays afterwards (counters and chains were rolled back too).
        let done = import(&app, history(account, &[])).await.expect("the good file");
        assert_eq!(done.events, 14);
        let numbers: Vec<Value> = app
            .get(&t.accountant, &format!("{v}/receipts"))
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["number"].clone())
            .collect();
        assert!(
            numbers.iter().any(|n| n.as_str().unwrap().ends_with("-000001")),
            "{numbers:?}"
        );
    }
);
