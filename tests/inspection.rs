//! Inspection end to end, on SQLite and PostgreSQL: a clerk's month with planted irregularities
//! (cash kept on hand above the limit and never deposited, receipts voided and reissued in a
//! loop, a claimed payment that never arrived, a debit nobody approved) is run through the real
//! use cases; the rules find each of them and nothing in the clean village; a second run adds
//! nothing; a cause that goes away is marked resolved by data; the inspector moves findings
//! through the workflow over HTTP, and nobody else may; the report opens as XLSX and CSV.

mod common;

use chrono::Duration;
use common::*;
use qingzhang::inspect::thresholds::InspectionConfig;
use qingzhang::usecases::inspection::{self, RunInput, RunSummary};
use serde_json::{json, Value};

const HEADER: &str = "交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n";

/// Runs every rule over `scope` for this month, as if it were `days` days from now.
async fn run_later(app: &TestApp, scope: &str, days: i64) -> RunSummary {
    run_rules_later(app, scope, days, None).await
}

async fn run_rules_later(app: &TestApp, scope: &str, days: i64, rules: Option<&str>) -> RunSummary {
    let db = app.db.clone();
    let input = RunInput {
        scope: scope.into(),
        from: beijing_period(),
        to: beijing_period(),
        rules: rules.map(str::to_string),
    };
    actix_web::rt::task::spawn_blocking(move || {
        inspection::run(
            &db,
            None,
            &input,
            &InspectionConfig::default(),
            chrono::Utc::now() + Duration::days(days),
        )
    })
    .await
    .unwrap()
    .expect("inspection run")
}

async fn findings(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let p = beijing_period();
    let r = app
        .get(
            token,
            &format!("/api/v1/findings?scope={COUNTY}&from={p}&to={p}{query}"),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["findings"].as_array().unwrap().clone()
}

fn rules_of(list: &[Value]) -> Vec<String> {
    let mut r: Vec<String> = list.iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
    r.sort();
    r
}

/// Village A's month: the irregularities planted through the clerk's and accountant's own
/// requests. Returns the claimed (待核实) receipt's number.
async fn plant(app: &TestApp, t: &Tokens) -> String {
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let bills = bills_in_village_a(app, t, &["100.00", "200.00", "300.00", "400.00", "6000.00", "50.00"]).await;
    let mut numbers = Vec::new();
    for (i, amount) in ["100.00", "200.00", "300.00", "400.00", "6000.00"].iter().enumerate() {
        let r = app
            .post(
                &t.clerk_a,
                &format!("{v}/cash"),
                json!({"bill_reference": bills[i].0, "amount": amount}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        numbers.push(r.body["number"].as_str().unwrap().to_string());
    }
    // Receipt 1 voided and reissued, and the reissue voided and reissued again: a loop.
    let mut last = numbers[0].clone();
    for _ in 0..2 {
        let r = app
            .post(
                &t.clerk_a,
                &format!("{v}/receipts/{last}/void"),
                json!({"reason": "姓名写错", "reissue": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        last = r.body["reissued"]["number"].as_str().unwrap().to_string();
    }
    // Receipt 2 voided outright (its cash still on hand): the third void of the month.
    let r = app
        .post(
            &t.clerk_a,
            &format!("{v}/receipts/{}/void", numbers[1]),
            json!({"reason": "重复收款"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // A payment claimed from a screenshot that never arrives.
    let claim = app
        .post(
            &t.clerk_a,
            &format!("{v}/claims"),
            json!({"bill_reference": bills[5].0, "amount": "50.00", "channel": "wechat"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.body);
    // Money out that nobody approved, on the bank's statement.
    let accounts = app.get(&t.admin, &format!("{v}/accounts")).await.body;
    let account = accounts[0]["id"].as_i64().unwrap();
    let day = beijing_today();
    let file =
        format!("{HEADER}{day},15:30:00,OUT-1,3000.00,,-3000.00,某某建材店,6228480000000000009,网银转账,购材料\n");
    let r = app
        .client
        .post(format!(
            "{}{v}/accounts/{account}/statements?file_name=day.csv",
            app.base
        ))
        .bearer_auth(&t.accountant)
        .body(file.into_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    claim.body["number"].as_str().unwrap().to_string()
}

both!(planted_irregularities_are_found_and_the_clean_village_is_not, |app| {
    let t = app.seed().await;
    let claimed = plant(&app, &t).await;

    // Today nothing is late yet: cash may wait a working day, a claim until T+1.
    let today = run_later(&app, COUNTY, 0).await;
    assert!(today.villages_failed.is_empty(), "{:?}", today.villages_failed);
    assert_eq!(today.villages_checked, 2);
    let now = rules_of(&findings(&app, &t.inspector, "").await);
    assert!(
        !now.contains(&"CASH_LATE".to_string()) && !now.contains(&"RECEIPT_WITHOUT_MONEY".to_string()),
        "{now:?}"
    );

    // Ten days on, every planted case is found.
    let later = run_later(&app, COUNTY, 10).await;
    assert!(later.villages_failed.is_empty());
    let list = findings(&app, &t.inspector, "&include_gone=true").await;
    let found = rules_of(&list);
    for rule in [
        "CASH_LATE",
        "CASH_OVER_LIMIT",
        "RECEIPT_VOIDS",
        "RECEIPT_WITHOUT_MONEY",
        "UNAPPROVED_DEBIT",
    ] {
        assert!(found.contains(&rule.to_string()), "{rule} not found in {found:?}");
    }
    // Two findings of RECEIPT_VOIDS: the clerk's void rate and the reissue loop.
    assert_eq!(found.iter().filter(|r| *r == "RECEIPT_VOIDS").count(), 2, "{list:#?}");
    // The books themselves are sound, and village B (clean) has nothing. Night work depends
    // on when the test runs, so OFF_HOURS is allowed in A.
    assert!(!found.contains(&"CHAIN_BROKEN".to_string()), "{list:#?}");
    for f in &list {
        assert_eq!(f["village"], VILLAGE_A, "{f}");
        assert!(
            [
                "CASH_LATE",
                "CASH_OVER_LIMIT",
                "RECEIPT_VOIDS",
                "RECEIPT_WITHOUT_MONEY",
                "UNAPPROVED_DEBIT",
                "OFF_HOURS"
            ]
            .contains(&f["rule"].as_str().unwrap()),
            "unexpected {f}"
        );
    }
    let debit = list.iter().find(|f| f["rule"] == "UNAPPROVED_DEBIT").unwrap();
    assert_eq!(debit["amount"], "3000.00");
    assert_eq!(debit["evidence"][0]["kind"], "statement_line");
    let late = list.iter().find(|f| f["rule"] == "CASH_LATE").unwrap();
    // 100 (reissued twice, still the same cash) + 300 + 400 + 6000 on hand; 200 was voided.
    assert_eq!(late["amount"], "6800.00", "{late}");

    // A second run adds nothing: the same findings, seen again.
    let again = run_later(&app, COUNTY, 10).await;
    assert_eq!((again.findings_new, again.findings_gone), (0, 0));
    assert_eq!(
        findings(&app, &t.inspector, "&include_gone=true").await.len(),
        list.len()
    );

    // The admin raises the cash limit. Not for days gone (refused, nothing changes), only from
    // tomorrow on: the days before keep the limit they were judged by, so the finding stays.
    let over = |list: &[Value]| list.iter().find(|f| f["rule"] == "CASH_OVER_LIMIT").cloned().unwrap();
    let before = over(&list);
    let limit_path = format!("/api/v1/villages/{VILLAGE_A}/cash-limit");
    let tomorrow = (beijing_today() + chrono::Duration::days(1)).to_string();
    let yesterday = (beijing_today() - chrono::Duration::days(1)).to_string();
    for (token, body, status) in [
        (
            &t.admin,
            json!({"limit": "10000.00", "effective_from": yesterday, "note": "乡镇文件"}),
            422,
        ),
        (
            &t.admin,
            json!({"limit": "-1.00", "effective_from": tomorrow, "note": "乡镇文件"}),
            422,
        ),
        (
            &t.admin,
            json!({"limit": "10000.00", "effective_from": tomorrow, "note": " "}),
            422,
        ),
        (
            &t.accountant,
            json!({"limit": "10000.00", "effective_from": tomorrow, "note": "乡镇文件"}),
            403,
        ),
    ] {
        let r = app.post(token, &limit_path, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {:?}", r.body);
    }
    let history = app.get(&t.admin, &limit_path).await.body;
    assert_eq!(
        (history["today"].as_str(), history["changes"].as_array().map(Vec::len)),
        (Some("5000.00"), Some(0))
    );
    let r = app
        .post(
            &t.admin,
            &limit_path,
            json!({"limit": "10000.00", "effective_from": tomorrow, "note": "乡镇文件第 12 号"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["today"], "5000.00", "from tomorrow, not today");
    assert_eq!(r.body["changes"][0]["limit"], "10000.00");
    let raised = run_later(&app, COUNTY, 10).await;
    assert_eq!(raised.findings_gone, 0, "{raised:?}");
    let after = over(&findings(&app, &t.inspector, "&include_gone=true").await);
    assert_eq!(
        (
            after["id"].clone(),
            after["amount"].clone(),
            after["cause_gone"].clone()
        ),
        (before["id"].clone(), before["amount"].clone(), Value::Null),
        "today is still over the limit in force today: {after}"
    );
    assert_eq!(after["period_end"], beijing_today().to_string(), "{after}");
    let (status, page) = app.staff_get(&t.admin, &format!("/staff/admin/v/{VILLAGE_A}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("今天有效的限额 ¥5000.00") && page.contains("乡镇文件第 12 号"),
        "{page}"
    );

    // The claim is voided (the payer never paid): its finding's cause is gone, kept as resolved.
    let r = app
        .post(
            &t.clerk_a,
            &format!("/api/v1/villages/{VILLAGE_A}/receipts/{claimed}/void"),
            json!({"reason": "未收到款"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let third = run_later(&app, COUNTY, 10).await;
    assert_eq!(third.findings_gone, 1, "{third:?}");
    let open = findings(&app, &t.inspector, "").await;
    assert!(!rules_of(&open).contains(&"RECEIPT_WITHOUT_MONEY".to_string()));
    let all = findings(&app, &t.inspector, "&include_gone=true").await;
    let gone = all.iter().find(|f| f["rule"] == "RECEIPT_WITHOUT_MONEY").unwrap();
    assert!(gone["cause_gone"].is_string(), "{gone}");
    let detail = app.get(&t.inspector, &format!("/api/v1/findings/{}", gone["id"])).await;
    let kinds: Vec<&str> = detail.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["found", "cause_gone"]);
});

both!(the_inspector_works_a_finding_through_and_nobody_else_may, |app| {
    let t = app.seed().await;
    plant(&app, &t).await;
    // The run over HTTP: the inspector's scope and this month.
    let p = beijing_period();
    let r = app
        .post(
            &t.inspector,
            "/api/v1/inspection/runs",
            json!({"scope": COUNTY, "from": p, "to": p}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["villages_checked"], 2);
    let list = findings(&app, &t.inspector, "&rules=UNAPPROVED_DEBIT").await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/findings/{id}/status");
    let detail = app.get(&t.inspector, &format!("/api/v1/findings/{id}")).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body["explanation"].as_str().unwrap().contains("坐支"));
    assert_eq!(detail.body["next"], json!(["acknowledged"]));

    // Confirming before acknowledging, or without a note: refused, nothing changes.
    let r = app
        .post(&t.inspector, &path, json!({"to": "confirmed", "note": "已核实"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "finding_step"), "{:?}", r.body);
    let r = app.post(&t.inspector, &path, json!({"to": "acknowledged"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(&t.inspector, &path, json!({"to": "confirmed", "note": "  "}))
        .await;
    assert_eq!((r.status, r.code()), (422, "finding_note_missing"));
    let r = app
        .post(
            &t.inspector,
            &path,
            json!({"to": "confirmed", "note": "村会计承认未经审批转出，已责令追回"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["finding"]["status"], "confirmed");
    assert_eq!(r.body["next"], json!([]));
    let r = app
        .post(&t.inspector, &path, json!({"to": "dismissed", "note": "改主意"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "finding_step"));
    let history = app.get(&t.inspector, &format!("/api/v1/findings/{id}")).await.body["history"].clone();
    let steps: Vec<(String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["kind"].as_str().unwrap().into(),
                h["to_status"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("found".into(), "".into()),
            ("status".into(), "acknowledged".into()),
            ("status".into(), "confirmed".into())
        ]
    );
    assert_eq!(history[2]["by"], "inspector");
    // A rerun keeps the inspector's status.
    let r = app
        .post(
            &t.inspector,
            "/api/v1/inspection/runs",
            json!({"scope": VILLAGE_A, "from": p, "to": p, "rules": "UNAPPROVED_DEBIT"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        app.get(&t.inspector, &format!("/api/v1/findings/{id}")).await.body["finding"]["status"],
        "confirmed"
    );

    // Nobody else inspects: the clerk and the accountant are refused in words, a county that is
    // not the inspector's does not exist for them, a bad month or rule is a clear 422.
    for token in [&t.clerk_a, &t.accountant] {
        let r = app
            .get(token, &format!("/api/v1/findings?scope={VILLAGE_A}&from={p}&to={p}"))
            .await;
        assert_eq!((r.status, r.code()), (403, "forbidden"), "{:?}", r.body);
        let r = app.post(token, &path, json!({"to": "dismissed", "note": "x"})).await;
        assert!(r.status == 403 || r.status == 404, "{:?}", r.body);
    }
    let r = app.get(&t.clerk_b, &format!("/api/v1/findings/{id}")).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    let r = app
        .get(
            &t.inspector,
            &format!("/api/v1/findings?scope=370726000000&from={p}&to={p}"),
        )
        .await;
    assert_eq!((r.status, r.code()), (404, "inspection_scope_not_found"));
    let r = app
        .get(
            &t.inspector,
            &format!("/api/v1/findings?scope={COUNTY}&from=2026-13&to={p}"),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "period_invalid"));
    let r = app
        .post(
            &t.inspector,
            "/api/v1/inspection/runs",
            json!({"scope": COUNTY, "from": p, "to": p, "rules": "CASH_LATE,NO_SUCH"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (422, "rules_invalid"));
    let r = app.get(&t.inspector, "/api/v1/findings/999999").await;
    assert_eq!((r.status, r.code()), (404, "finding_not_found"));

    // The report: XLSX with a summary sheet and one per rule (amounts as numbers), CSV with a BOM,
    // and a period with no data says so.
    let file = app
        .client
        .get(format!(
            "{}/api/v1/inspection/report?scope={COUNTY}&from={p}&to={p}&format=xlsx",
            app.base
        ))
        .bearer_auth(&t.inspector)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status().as_u16(), 200);
    let bytes = file.bytes().await.unwrap().to_vec();
    {
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(names[0], "汇总");
        assert!(names.contains(&"UNAPPROVED_DEBIT".to_string()), "{names:?}");
        let sheet = book.worksheet_range("UNAPPROVED_DEBIT").unwrap();
        assert_eq!(sheet.get_value((1, 8)), Some(&Data::Float(3000.0)));
        assert_eq!(sheet.get_value((1, 1)), Some(&Data::String(VILLAGE_A.into())));
    }
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/inspection/report?scope={COUNTY}&from={p}&to={p}&format=csv",
            app.base
        ))
        .bearer_auth(&t.inspector)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(String::from_utf8_lossy(&csv).contains("未经审批的支出"));
    let empty = app
        .get(
            &t.inspector,
            &format!("/api/v1/inspection/report?scope={COUNTY}&from=2020-01&to=2020-02"),
        )
        .await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.body["findings"], json!([]));
    assert!(
        empty.body["message"].as_str().unwrap().contains("没有发现"),
        "{}",
        empty.body
    );
});

both!(concurrent_runs_and_moves_keep_one_finding_and_one_step, |app| {
    let t = app.seed().await;
    plant(&app, &t).await;
    // Four runs of the county at once: every one checks both villages, and each finding is kept once.
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let db = app.db.clone();
            actix_web::rt::task::spawn_blocking(move || {
                let p = beijing_period();
                let input = RunInput {
                    scope: COUNTY.into(),
                    from: p.clone(),
                    to: p,
                    rules: None,
                };
                inspection::run(
                    &db,
                    None,
                    &input,
                    &InspectionConfig::default(),
                    chrono::Utc::now() + Duration::days(10),
                )
            })
        })
        .collect();
    let mut new_total = 0;
    for r in futures::future::join_all(runs).await {
        let r = r.unwrap().expect("run");
        assert!(r.villages_failed.is_empty(), "{:?}", r.villages_failed);
        new_total += r.findings_new;
    }
    let list = findings(&app, &t.inspector, "&include_gone=true").await;
    assert_eq!(
        new_total as usize,
        list.len(),
        "each finding new exactly once across the runs"
    );
    let mut keys: Vec<(String, String)> = list
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["summary"].as_str().unwrap().into(),
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), list.len());

    // Four inspectors' clicks on one finding at once: one step taken, the rest told why not.
    let id = list[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/findings/{id}/status");
    let clicks: Vec<_> = (0..4)
        .map(|_| app.post(&t.inspector, &path, json!({"to": "acknowledged"})))
        .collect();
    let statuses: Vec<u16> = futures::future::join_all(clicks)
        .await
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let history = app.get(&t.inspector, &format!("/api/v1/findings/{id}")).await.body["history"].clone();
    assert_eq!(
        history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["kind"] == "status")
            .count(),
        1
    );
});

both!(
    contract_income_never_billed_and_a_bill_written_off_after_it_was_due,
    |app| {
        let t = app.seed().await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        bills_in_village_a(&app, &t, &["80.00"]).await;
        let payer = app.get(&t.clerk_a, &format!("{v}/payers")).await.body[0]["id"].clone();
        let item = app.get(&t.clerk_a, &format!("{v}/fee-items")).await.body[0]["id"].clone();
        // A lease of ¥1,200 a year, paid monthly, that nobody ever billed.
        let year = beijing_today().format("%Y").to_string();
        let c = app
        .post(&t.clerk_a, &format!("{v}/contracts"), json!({"contract_no": "ZL-007", "kind": "lease", "payer_id": payer, "fee_item_id": item,
            "fixed_amount": "1200", "schedule": "monthly", "start_date": format!("{year}-01-01"), "end_date": format!("{year}-12-31")}))
        .await;
        assert_eq!(c.status, 201, "{:?}", c.body);
        // A bill cancelled five days after it was due, and one cancelled before it was due.
        let mut refs = Vec::new();
        for due in [
            beijing_today() - Duration::days(5),
            beijing_today() + Duration::days(20),
        ] {
            let b = app
            .post(&t.clerk_a, &format!("{v}/bills"), json!({"payer_id": payer, "fee_item_id": item, "amount": "900.00", "period_label": year, "due_date": due.to_string()}))
            .await;
            assert_eq!(b.status, 201, "{:?}", b.body);
            let reference = b.body["reference"].as_str().unwrap().to_string();
            let r = app
                .post(
                    &t.clerk_a,
                    &format!("{v}/bills/{reference}/cancel"),
                    json!({"reason": "村民困难"}),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            refs.push(reference);
        }
        let run = run_rules_later(&app, VILLAGE_A, 40, Some("UNDERREPORTED,WRITTEN_OFF_LATE")).await;
        assert_eq!(run.rules.len(), 2);
        let list = findings(&app, &t.inspector, "").await;
        assert_eq!(rules_of(&list), ["UNDERREPORTED", "WRITTEN_OFF_LATE"], "{list:#?}");
        let under = &list[list.iter().position(|f| f["rule"] == "UNDERREPORTED").unwrap()];
        assert_eq!(under["amount"], "100.00", "this month's installment: {under}");
        let late = &list[list.iter().position(|f| f["rule"] == "WRITTEN_OFF_LATE").unwrap()];
        assert!(
            late["summary"].as_str().unwrap().contains(&refs[0])
                && late["summary"].as_str().unwrap().contains("村民困难"),
            "{late}"
        );
        // Billing the month removes the cause.
        let g = app
            .post(
                &t.clerk_a,
                &format!("{v}/bills/generate"),
                json!({"year": year.parse::<i32>().unwrap()}),
            )
            .await;
        assert_eq!(g.status, 200, "{:?}", g.body);
        let again = run_rules_later(&app, VILLAGE_A, 40, Some("UNDERREPORTED,WRITTEN_OFF_LATE")).await;
        assert_eq!(again.findings_gone, 1, "{again:?}");
    }
);

// The inspector's page of one village: its chain, what it collected and how much cash still
// waits for the bank, cash on hand at the month's end, its books in brief; a bill paid twice
// behind the service's back turns the chain section red. Nobody but an inspector sees it, and
// a village outside the inspector's scope does not exist for them.
both!(the_inspectors_village_page_shows_chain_cash_books_and_findings, |app| {
    let t = app.seed().await;
    let bills = bills_in_village_a(&app, &t, &["100.00", "200.00"]).await;
    let r = app
        .post(
            &t.clerk_a,
            &format!("/api/v1/villages/{VILLAGE_A}/cash"),
            json!({"bill_reference": bills[0].0, "amount": "100.00"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let page = format!("/staff/inspect/v/{VILLAGE_A}");
    let (status, html) = app.staff_get(&t.inspector, &page).await;
    assert_eq!(status, 200, "{html}");
    let section = |id: &str| -> String {
        html.split(&format!(r#"id="{id}""#))
            .nth(1)
            .unwrap_or_else(|| panic!("no #{id}: {html}"))
            .split("</section>")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(section("chain").contains("账链完整"), "{}", section("chain"));
    let money = section("collections");
    assert!(
        money.contains("1 张（其中现金 1 张）")
            && money.contains("¥100.00（100.0%）")
            && money.contains("<dt>尚未交存</dt><dd>¥100.00</dd>"),
        "{money}"
    );
    let month_ends = section("cash-month-ends");
    let last = month_ends.rsplit("<tr>").next().unwrap();
    assert!(last.contains("¥100.00"), "cash on hand at this month's end: {last}");
    let books = section("books");
    assert!(books.contains("<td>101</td>") && books.contains("¥100.00"), "{books}");
    assert!(
        section("village-findings").contains("暂无"),
        "no run yet: the findings table says so"
    );

    // Someone doubles the bill's payment in the database: the page says the chain fails.
    {
        use diesel::RunQueryDsl;
        app.db
            .once(|conn| -> Result<usize, qingzhang::AppError> {
                Ok(diesel::sql_query("UPDATE bills SET paid_fen = paid_fen * 2 WHERE paid_fen > 0").execute(conn)?)
            })
            .unwrap();
    }
    let (_, html) = app.staff_get(&t.inspector, &page).await;
    assert!(
        html.contains(r#"class="notice error" id="chain""#) && html.contains("账链校验未通过"),
        "{html}"
    );

    // Only inspectors; another county's village, or none, is not found.
    for token in [&t.clerk_a, &t.accountant] {
        assert_eq!(app.staff_get(token, &page).await.0, 403);
    }
    assert_eq!(
        app.staff_get(&t.inspector, "/staff/inspect/v/370726102201").await.0,
        404
    );
    let (status, html) = app
        .staff_get(&t.inspector, &format!("{page}?from=2026-13&to=2026-12"))
        .await;
    assert_eq!(status, 422, "a bad month is refused in words: {html}");
});
