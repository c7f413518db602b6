//! Cash, pay-ins, voids, reissues and 待核实 receipts over real HTTP, on SQLite and PostgreSQL:
//! receipt numbers never have gaps, cash on hand always equals the ledger's 101, the chain
//! verifies, and every refusal changes nothing.

mod common;

use bank_adapters::rural_bank::{sign_headers, Algorithm, BankKey};
use bank_adapters::Secret;
use chrono::Utc;
use common::invariants::assert_books_agree;
use common::*;
use serde_json::{json, Value};

const BANK_SECRET: &str = "a-shared-secret-0001";
const ACCOUNT_A: &str = "9150010100001234567";
const ACCOUNT_B: &str = "9150010100002345678";

struct Setup {
    t: Tokens,
    bills: Vec<String>,
    binding_a: i64,
    binding_b: i64,
}

/// Village A with three bills (100.00, 200.00, 50.50) and both villages' accounts bound to the
/// bank.
async fn setup(app: &TestApp) -> Setup {
    let t = app.seed().await;
    let bills = bills_in_village_a(app, &t, &["100.00", "200.00", "50.50"])
        .await
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let mut bindings = Vec::new();
    for (code, account) in [(VILLAGE_A, 1), (VILLAGE_B, 2)] {
        let r = app
            .post(&t.admin, &format!("/api/v1/villages/{code}/accounts/{account}/bindings"), json!({"provider": "rural_bank", "keys": [{"key_id": "k1", "algorithm": "hmac-sha256", "secret": BANK_SECRET}]}))
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        bindings.push(r.body["id"].as_i64().unwrap());
    }
    Setup {
        t,
        bills,
        binding_a: bindings[0],
        binding_b: bindings[1],
    }
}

/// The bank pushes a credit to an account.
async fn credit(app: &TestApp, binding: i64, account: &str, txn: &str, amount: &str, remark: &str) {
    let body =
        json!({"event": "account.credit", "txn_id": txn, "account_no": account, "amount": amount, "currency": "CNY",
                      "value_time": Utc::now().to_rfc3339(), "counterparty_name": "李*", "remark": remark})
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
    assert_eq!(req.send().await.unwrap().status().as_u16(), 200);
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(token, path).await;
    assert_eq!(r.status, 200, "{path}: {:?}", r.body);
    r.body
}

/// Receipt numbers of the village are 1..=n with no gap; cash on hand (on hand plus on its
/// way) equals the ledger's 101; returns the number of receipts.
async fn invariants(app: &TestApp, s: &Setup) -> usize {
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let receipts = get(app, &s.t.accountant, &format!("{v}/receipts?limit=500")).await;
    let mut numbers: Vec<i64> = receipts
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["number"]
                .as_str()
                .unwrap()
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=numbers.len() as i64).collect::<Vec<_>>(),
        "receipt numbers have no gaps"
    );
    let cash = get(app, &s.t.accountant, &format!("{v}/cash-on-hand")).await;
    let fen = |v: &Value| (v.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64;
    assert_eq!(
        fen(&cash["on_hand"]) + fen(&cash["in_transit"]),
        fen(&cash["ledger_101"]),
        "cash on hand and on its way equals the ledger's 101: {cash}"
    );
    numbers.len()
}

both!(a_clerks_day_of_cash_pay_ins_voids_and_claims, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    // Cash for bill 1 in full, and part of bill 2.
    let r1 = app
        .post(
            clerk,
            &format!("{v}/cash"),
            json!({"bill_reference": s.bills[0], "amount": "100.00"}),
        )
        .await;
    assert_eq!(r1.status, 201, "{:?}", r1.body);
    assert_eq!(
        r1.body["number"],
        format!("{VILLAGE_A}-{}-000001", &r1.body["issued_at"].as_str().unwrap()[..4])
    );
    assert_eq!(r1.body["channel_name"], "现金");
    assert_eq!(r1.body["amount_in_words"], "壹佰元整");
    assert_eq!(r1.body["payer_name"], "张建国");
    assert_eq!(r1.body["clerk"], "clerk_a");
    let n1 = r1.body["number"].as_str().unwrap().to_string();
    let r2 = app
        .post(
            clerk,
            &format!("{v}/cash"),
            json!({"bill_reference": s.bills[1], "amount": "150"}),
        )
        .await;
    assert_eq!(r2.status, 201, "{:?}", r2.body);
    let n2 = r2.body["number"].as_str().unwrap().to_string();
    assert_eq!(
        get(&app, clerk, &format!("{v}/bills/{}", s.bills[1])).await["status"],
        "part_paid"
    );
    // More than the bill owes, a bad amount, a bill of another village: refused, nothing changes.
    for (body, code) in [
        (
            json!({"bill_reference": s.bills[2], "amount": "60.00"}),
            "amount_exceeds_bill",
        ),
        (
            json!({"bill_reference": s.bills[2], "amount": "1.234"}),
            "amount_invalid",
        ),
        (json!({"bill_reference": s.bills[2], "amount": "-5"}), "amount_invalid"),
    ] {
        let r = app.post(clerk, &format!("{v}/cash"), body).await;
        assert_eq!((r.status, r.code()), (422, code), "{:?}", r.body);
    }
    let other = app
        .post(
            &s.t.clerk_b,
            &format!("/api/v1/villages/{VILLAGE_B}/cash"),
            json!({"bill_reference": s.bills[2], "amount": "1.00"}),
        )
        .await;
    assert_eq!((other.status, other.code()), (404, "bill_not_found"));
    assert_eq!(invariants(&app, &s).await, 2);
    let cash = get(&app, acct, &format!("{v}/cash-on-hand")).await;
    assert_eq!(
        (cash["on_hand"].as_str(), cash["ledger_101"].as_str()),
        (Some("250.00"), Some("250.00"))
    );
    // Bill numbers read as everywhere else (000001-000004-8), on the cash page and in the books.
    let shown: Vec<String> = cash["clerks"][0]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bill_reference"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !shown.is_empty() && shown.iter().all(|r| r.len() == 15 && r.matches('-').count() == 2),
        "{shown:?}"
    );
    let book = app
        .client
        .get(format!("{}{v}/exports/cash-book.csv", app.base))
        .bearer_auth(acct)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(book.contains(&format!("（账单 {}）", shown[0])), "{book}");

    // The name was misspelt: void and reissue. The number stays, voided, with its reason.
    let voided = app
        .post(
            clerk,
            &format!("{v}/receipts/{n1}/void"),
            json!({"reason": "姓名写错", "reissue": true}),
        )
        .await;
    assert_eq!(voided.status, 200, "{:?}", voided.body);
    assert_eq!(voided.body["voided"]["status"], "voided");
    assert_eq!(voided.body["voided"]["void_reason"], "姓名写错");
    assert_eq!(voided.body["voided"]["number"], n1.as_str());
    let n3 = voided.body["reissued"]["number"].as_str().unwrap().to_string();
    assert!(n3.ends_with("-000003"));
    assert_eq!(voided.body["reissued"]["replaces"], n1.as_str());
    assert_eq!(voided.body["voided"]["replaced_by"], n3.as_str());
    // Voiding a voided receipt: refused in words a clerk understands.
    let again = app
        .post(
            clerk,
            &format!("{v}/receipts/{n1}/void"),
            json!({"reason": "再次", "reissue": true}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "receipt_already_voided"));
    assert!(again.body["message"].as_str().unwrap().contains("已作废"));
    // A receipt number typed wrong.
    let typo = app.get(clerk, &format!("{v}/receipts/2026-0000x9")).await;
    assert_eq!((typo.status, typo.code()), (422, "receipt_number_invalid"));
    assert_eq!(app.get(clerk, &format!("{v}/receipts/2026-999999")).await.status, 404);
    assert_eq!(invariants(&app, &s).await, 3);

    // The part payment was a mistake: void outright. The cash entry is reversed, the bill owes it.
    let out = app
        .post(
            clerk,
            &format!("{v}/receipts/{n2}/void"),
            json!({"reason": "误收，已退还"}),
        )
        .await;
    assert_eq!(out.status, 200, "{:?}", out.body);
    assert!(out.body["reissued"].is_null());
    assert_eq!(
        get(&app, clerk, &format!("{v}/bills/{}", s.bills[1])).await["status"],
        "open"
    );
    let cash = get(&app, acct, &format!("{v}/cash-on-hand")).await;
    assert_eq!(
        (cash["on_hand"].as_str(), cash["ledger_101"].as_str()),
        (Some("100.00"), Some("100.00"))
    );

    // Pay in more than is on hand: refused. Then the real pay-in.
    let too_much = app
        .post(
            clerk,
            &format!("{v}/pay-ins"),
            json!({"account_id": 1, "amount": "200.00"}),
        )
        .await;
    assert_eq!((too_much.status, too_much.code()), (422, "payin_exceeds_cash_on_hand"));
    assert!(too_much.body["message"].as_str().unwrap().contains("超过"));
    let pay_in = app
        .post(
            clerk,
            &format!("{v}/pay-ins"),
            json!({"account_id": 1, "amount": "100.00"}),
        )
        .await;
    assert_eq!(pay_in.status, 201, "{:?}", pay_in.body);
    let pay_in_id = pay_in.body["id"].as_i64().unwrap();
    let cash = get(&app, acct, &format!("{v}/cash-on-hand")).await;
    assert_eq!(
        (cash["on_hand"].as_str(), cash["in_transit"].as_str()),
        (Some("0.00"), Some("100.00"))
    );
    assert_eq!(invariants(&app, &s).await, 3);

    // The deposit reaches the account (no bill in its remark: suspense); so does a credit in B.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-DEP-1", "100.00", "现金交存").await;
    credit(&app, s.binding_b, ACCOUNT_B, "RCB-DEP-B", "100.00", "现金交存").await;
    let proposals = get(&app, acct, &format!("{v}/pay-ins/proposals")).await;
    let proposals = proposals.as_array().unwrap();
    assert_eq!(proposals.len(), 1, "{proposals:?}");
    let txn_a = proposals[0]["bank_transaction_id"].as_i64().unwrap();
    let txn_b = get(
        &app,
        &s.t.clerk_b,
        &format!("/api/v1/villages/{VILLAGE_B}/bank-transactions"),
    )
    .await[0]["id"]
        .as_i64()
        .unwrap();
    // Village B's credit cannot settle village A's pay-in, nor B's clerk touch A's pay-in.
    let cross = app
        .post(
            clerk,
            &format!("{v}/pay-ins/{pay_in_id}/match"),
            json!({"bank_transaction_id": txn_b}),
        )
        .await;
    assert_eq!((cross.status, cross.code()), (404, "bank_transaction_not_found"));
    let foreign = app
        .post(
            &s.t.clerk_b,
            &format!("{v}/pay-ins/{pay_in_id}/match"),
            json!({"bank_transaction_id": txn_a}),
        )
        .await;
    assert_eq!(foreign.status, 404);
    let matched = app
        .post(
            clerk,
            &format!("{v}/pay-ins/{pay_in_id}/match"),
            json!({"bank_transaction_id": txn_a}),
        )
        .await;
    assert_eq!(matched.status, 200, "{:?}", matched.body);
    assert_eq!(matched.body["status"], "matched");
    let twice = app
        .post(
            clerk,
            &format!("{v}/pay-ins/{pay_in_id}/match"),
            json!({"bank_transaction_id": txn_a}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "pay_in_already_matched"));
    let cash = get(&app, acct, &format!("{v}/cash-on-hand")).await;
    assert_eq!(
        (
            cash["on_hand"].as_str(),
            cash["in_transit"].as_str(),
            cash["ledger_101"].as_str()
        ),
        (Some("0.00"), Some("0.00"), Some("0.00"))
    );
    // The suspense the deposit went to is cleared.
    let accounts = get(&app, acct, &format!("{v}/ledger/accounts")).await;
    let suspense = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "211.9999")
        .unwrap();
    assert_eq!(suspense["balance"], "0.00", "{suspense}");

    // A villager shows a transfer screenshot for bill 3: 待核实 until the bank's credit arrives.
    let claim = app
        .post(
            clerk,
            &format!("{v}/claims"),
            json!({"bill_reference": s.bills[2], "amount": "50.50", "channel": "bank"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.body);
    assert_eq!(claim.body["status"], "pending");
    let n4 = claim.body["number"].as_str().unwrap().to_string();
    assert_eq!(
        get(&app, clerk, &format!("{v}/bills/{}", s.bills[2])).await["status"],
        "open"
    );
    credit(
        &app,
        s.binding_a,
        ACCOUNT_A,
        "RCB-TRF-1",
        "50.50",
        &format!("{} 承包费", s.bills[2]),
    )
    .await;
    let confirmed = get(&app, clerk, &format!("{v}/receipts/{n4}")).await;
    assert_eq!(confirmed["status"], "issued");
    assert!(confirmed["evidence"].as_str().unwrap().contains("RCB-TRF-1"));
    assert_eq!(
        invariants(&app, &s).await,
        4,
        "the credit confirmed the claim; no second receipt"
    );
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );

    // Anyone can check a receipt on the public page; personal data stays masked.
    let code = confirmed["verification_code"].as_str().unwrap().replace(' ', "");
    let page = |path: String| {
        let req = app.client.get(format!("{}{path}", app.base));
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = page(format!("/r/{n4}?c={code}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("收据真实有效") && html.contains("¥50.50") && html.contains("张*国"),
        "{html}"
    );
    assert!(!html.contains("张建国"));
    let wrong = format!("{}{}", &code[..15], if code.ends_with('0') { '1' } else { '0' });
    let (status, html) = page(format!("/r/{n4}?c={wrong}")).await;
    assert_eq!(status, 404);
    assert!(html.contains("查无此收据"));
    let voided_code = get(&app, clerk, &format!("{v}/receipts/{n1}")).await["verification_code"]
        .as_str()
        .unwrap()
        .replace(' ', "");
    let (_, html) = page(format!("/r/{n1}?c={voided_code}")).await;
    assert!(html.contains("收据已作废") && html.contains(&n3), "{html}");
    // Guessing codes is slow: after a minute's budget of checks, a client is told to wait.
    let mut statuses = Vec::new();
    for _ in 0..70 {
        statuses.push(page(format!("/r/{n4}?c={wrong}")).await.0);
    }
    assert!(statuses.contains(&404) && statuses.ends_with(&[429]), "{statuses:?}");
    let (status, html) = page(format!("/r/{n4}?c={code}")).await;
    assert_eq!(status, 429, "the right code too, until the window passes");
    assert!(html.contains("过于频繁"));

    // The accountant's exports, read back with real readers: calamine for XLSX, csv for CSV.
    let download = |file: &str| {
        let req = app
            .client
            .get(format!("{}{v}/exports/{file}", app.base))
            .bearer_auth(acct);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.bytes().await.unwrap().to_vec()
        }
    };
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(download("receipts.xlsx").await)).unwrap();
    let sheet = book.worksheet_range("收据").unwrap();
    assert_eq!(sheet.height(), 5, "a header and four receipts");
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&Data::String(n1.clone())),
        "receipt numbers are text"
    );
    assert_eq!(
        sheet.get_value((1, 5)),
        Some(&Data::Float(100.0)),
        "amounts are numbers"
    );
    assert_eq!(sheet.get_value((1, 9)), Some(&Data::String("已作废".into())));
    assert_eq!(sheet.get_value((4, 5)), Some(&Data::Float(50.5)));
    assert_eq!(
        sheet.get_value((4, 4)),
        Some(&Data::String(s.bills[2].clone())),
        "bill numbers stay text"
    );
    let csv_bytes = download("cash-book.csv").await;
    assert!(csv_bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 with a BOM");
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["日期", "凭证号", "摘要", "借方", "贷方", "余额"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let balances: Vec<&str> = rows.iter().map(|r| r.get(5).unwrap()).collect();
    assert_eq!(
        balances,
        ["100.00", "250.00", "100.00", "0.00"],
        "cash in, cash in, void, paid in"
    );
    let receipts_csv = download("receipts.csv").await;
    let mut reader = csv::Reader::from_reader(&receipts_csv[3..]);
    assert_eq!(reader.records().count(), 4);
    let missing = app.get(acct, &format!("{v}/exports/ledger.pdf")).await;
    assert_eq!((missing.status, missing.code()), (404, "export_not_found"));
});

/// An action's answer: done (2xx), or refused with a code and a message for people; never a 5xx.
fn acted(r: &Response, what: &str) -> bool {
    assert!(r.status < 500, "{what}: {} {:?}", r.status, r.body);
    if r.status >= 300 {
        assert!(
            !r.code().is_empty() && r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: refused without a code and a message: {} {:?}",
            r.status,
            r.body
        );
        return false;
    }
    true
}

/// A small deterministic generator, so a failing sequence can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

both!(
    any_sequence_of_clerk_actions_keeps_numbers_gapless_and_cash_equal_to_101,
    |app| {
        let s = setup(&app).await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        let mut rng = Lcg(0x5eed_2026);
        let mut deposits = 0;
        let mut done: Vec<bool> = Vec::new();
        for step in 0..40 {
            match rng.next(5) {
                0 | 1 => {
                    let bill = &s.bills[rng.next(3) as usize];
                    let amount = format!("{}.{:02}", rng.next(120), rng.next(100));
                    let r = app
                        .post(
                            &s.t.clerk_a,
                            &format!("{v}/cash"),
                            json!({"bill_reference": bill, "amount": amount}),
                        )
                        .await;
                    done.push(acted(&r, "cash"));
                }
                2 => {
                    let receipts = get(&app, &s.t.clerk_a, &format!("{v}/receipts?limit=500")).await;
                    let list = receipts.as_array().unwrap();
                    if !list.is_empty() {
                        let r = &list[rng.next(list.len() as u64) as usize];
                        let number = r["number"].as_str().unwrap().to_string();
                        let reissue = rng.next(2) == 0;
                        let r = app
                            .post(
                                &s.t.clerk_a,
                                &format!("{v}/receipts/{number}/void"),
                                json!({"reason": format!("第{step}步"), "reissue": reissue}),
                            )
                            .await;
                        done.push(acted(&r, "void"));
                    }
                }
                3 => {
                    // Mostly the sum of the oldest few cash receipts on hand; sometimes a random
                    // amount (more than on hand, or not adding up: refused).
                    let cash = get(&app, &s.t.accountant, &format!("{v}/cash-on-hand")).await;
                    let fen: Vec<i64> = cash["clerks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|c| c["records"].as_array().unwrap().clone())
                        .map(|r| (r["amount"].as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64)
                        .collect();
                    let amount = if fen.is_empty() || rng.next(3) == 0 {
                        rng.next(30_000) as i64 + 1
                    } else {
                        fen[..=rng.next(fen.len() as u64) as usize].iter().sum()
                    };
                    let r = app
                        .post(
                            &s.t.clerk_a,
                            &format!("{v}/pay-ins"),
                            json!({"account_id": 1, "amount": format!("{}.{:02}", amount / 100, amount % 100)}),
                        )
                        .await;
                    done.push(acted(&r, "pay-in"));
                }
                _ => {
                    // The bank credits every declared pay-in; the clerk matches what is proposed.
                    let cash = get(&app, &s.t.accountant, &format!("{v}/cash-on-hand")).await;
                    for p in cash["pay_ins"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| p["status"] == "declared")
                    {
                        deposits += 1;
                        credit(
                            &app,
                            s.binding_a,
                            ACCOUNT_A,
                            &format!("DEP{deposits}"),
                            p["amount"].as_str().unwrap(),
                            "代交",
                        )
                        .await;
                    }
                    for m in get(&app, &s.t.accountant, &format!("{v}/pay-ins/proposals"))
                        .await
                        .as_array()
                        .unwrap()
                    {
                        let r = app
                            .post(
                                &s.t.clerk_a,
                                &format!("{v}/pay-ins/{}/match", m["pay_in_id"]),
                                json!({"bank_transaction_id": m["bank_transaction_id"]}),
                            )
                            .await;
                        done.push(acted(&r, "match"));
                    }
                }
            }
            invariants(&app, &s).await;
        }
        assert!(
            done.iter().filter(|d| **d).count() >= 10 && done.iter().any(|d| !*d),
            "actions done and refused: {done:?}"
        );
        // The sequence did exercise every path.
        let receipts = get(&app, &s.t.accountant, &format!("{v}/receipts?limit=500")).await;
        let status = |st: &str| {
            receipts
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == st)
                .count()
        };
        let cash = get(&app, &s.t.accountant, &format!("{v}/cash-on-hand")).await;
        let matched = cash["pay_ins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["status"] == "matched")
            .count();
        assert!(
            status("issued") >= 3 && status("voided") >= 2 && matched >= 1,
            "{receipts} {cash}"
        );
        assert_eq!(
            get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
            json!([])
        );
    }
);

/// Raw SQL behind the service's back.
fn tamper(app: &TestApp, sql: &str) {
    use diesel::RunQueryDsl;
    app.db
        .once(|conn| -> Result<usize, qingzhang::error::AppError> { Ok(diesel::sql_query(sql).execute(conn)?) })
        .unwrap();
}

both!(a_bill_paid_twice_behind_the_services_back_is_named_by_verify, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-TWICE-1", "200.00", &s.bills[1]).await;
    let clean = get(&app, &s.t.inspector, &format!("{v}/verify")).await;
    assert_eq!(clean["problems"], json!([]), "the books agree before");
    // Someone with the database doubles the bill's payment and copies its receipt under the
    // next number: the chain is untouched, every entry balances.
    tamper(&app, "UPDATE bills SET paid_fen = paid_fen * 2 WHERE paid_fen > 0");
    tamper(
        &app,
        "INSERT INTO receipts (village_id, year, number, bill_id, payer_id, fee_item_id, bank_transaction_id, \
         amount_fen, channel, status, issued_at, issued_by, verification_code, cash_record_id, replaces_id) \
         SELECT village_id, year, number + 1, bill_id, payer_id, fee_item_id, bank_transaction_id, amount_fen, \
         channel, status, issued_at, issued_by, verification_code, cash_record_id, replaces_id FROM receipts",
    );
    let report = qingzhang::usecases::verify::verify(&app.db, Some(VILLAGE_A)).unwrap();
    assert!(!report.ok);
    let village = &report.villages[0];
    assert_eq!(village.first_bad_seq, None, "the chain itself verifies");
    let printed = qingzhang::domain::BillReference::parse(&s.bills[1]).unwrap().grouped();
    assert_eq!(
        village.first_bad_bill.as_deref(),
        Some(printed.as_str()),
        "{:?}",
        village.problems
    );
    assert!(
        village.problems[0].what.contains("应缴 200.00") && village.problems[0].what.contains("400.00"),
        "{:?}",
        village.problems
    );
    assert!(
        village
            .problems
            .iter()
            .any(|p| p.what.contains("应有 1 张有效收据，实有 2 张")),
        "the copied receipt is seen too: {:?}",
        village.problems
    );
    // The inspector's API says the same.
    let api = get(&app, &s.t.inspector, &format!("{v}/verify")).await;
    assert_eq!(api["first_bad_bill"], printed.as_str());
});

// Focused races (PostgreSQL shows them; SQLite's single writer hides them): eight clerks void
// and reissue one receipt at once, and eight match one pay-in at once. Exactly one of each
// succeeds; the others are refused in words; numbers stay gapless and 101 equals cash.
both!(
    one_receipt_voided_or_one_pay_in_matched_by_many_at_once_happens_once,
    |app| {
        let s = setup(&app).await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        let clerk = s.t.clerk_a.clone();
        let taken = app
            .post(
                &clerk,
                &format!("{v}/cash"),
                json!({"bill_reference": s.bills[0], "amount": "100.00"}),
            )
            .await;
        assert_eq!(taken.status, 201, "{:?}", taken.body);
        let number = taken.body["number"].as_str().unwrap().to_string();
        let voids = futures::future::join_all((0..8).map(|i| {
            let (app, clerk, path) = (&app, clerk.clone(), format!("{v}/receipts/{number}/void"));
            async move {
                app.post(&clerk, &path, json!({"reason": format!("第{i}位"), "reissue": true}))
                    .await
            }
        }))
        .await;
        let answers: Vec<(u16, String)> = voids.iter().map(|r| (r.status, r.code().to_string())).collect();
        assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 1, "{answers:?}");
        assert!(
            answers
                .iter()
                .all(|a| a.0 == 200 || (a.0 == 409 && a.1 == "receipt_already_voided")),
            "{answers:?}"
        );
        let receipts = get(&app, &s.t.accountant, &format!("{v}/receipts?limit=500")).await;
        let statuses: Vec<&str> = receipts
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses.len(), 2, "the receipt and one reissue: {statuses:?}");
        assert_eq!(invariants(&app, &s).await, 2);

        // One pay-in, its deposit credited, matched by eight at once.
        let pay_in = app
            .post(
                &clerk,
                &format!("{v}/pay-ins"),
                json!({"account_id": 1, "amount": "100.00"}),
            )
            .await;
        assert_eq!(pay_in.status, 201, "{:?}", pay_in.body);
        let pay_in_id = pay_in.body["id"].as_i64().unwrap();
        credit(&app, s.binding_a, ACCOUNT_A, "RCB-RACE-DEP", "100.00", "现金交存").await;
        let proposals = get(&app, &s.t.accountant, &format!("{v}/pay-ins/proposals")).await;
        let txn = proposals[0]["bank_transaction_id"].as_i64().unwrap();
        let matches = futures::future::join_all((0..8).map(|_| {
            let (app, clerk, path) = (&app, clerk.clone(), format!("{v}/pay-ins/{pay_in_id}/match"));
            async move { app.post(&clerk, &path, json!({"bank_transaction_id": txn})).await }
        }))
        .await;
        let answers: Vec<(u16, String)> = matches.iter().map(|r| (r.status, r.code().to_string())).collect();
        assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 1, "{answers:?}");
        assert!(answers.iter().all(|a| a.0 == 200 || a.0 == 409), "{answers:?}");
        let cash = get(&app, &s.t.accountant, &format!("{v}/cash-on-hand")).await;
        assert_eq!(
            (
                cash["on_hand"].as_str(),
                cash["in_transit"].as_str(),
                cash["ledger_101"].as_str()
            ),
            (Some("0.00"), Some("0.00"), Some("0.00")),
            "matched once: Dr 211.9999 / Cr 101 posted once"
        );
        assert_eq!(invariants(&app, &s).await, 2);
    }
);

async fn staff_page(app: &TestApp, token: &str, path: &str) -> String {
    let (status, html) = app.staff_get(token, path).await;
    assert_eq!(status, 200, "{path}");
    html
}

// The cash page says in red when the books' 101 and the cash records disagree, and says what
// will appear in a table that is empty (the trial saw bare headers).
both!(the_cash_page_says_when_the_books_and_the_cash_records_disagree, |app| {
    let s = setup(&app).await;
    let page = format!("/staff/v/{VILLAGE_A}/cash-on-hand");
    let before = staff_page(&app, &s.t.clerk_a, &page).await;
    assert!(!before.contains("books-differ"), "the books agree: no warning");
    assert!(
        before.contains("暂无：还没有代交") && before.contains("暂无：没有未匹配的银行入账"),
        "empty tables say what will appear: {before}"
    );
    // ¥100 cash taken: the books and the records agree.
    let r = app
        .post(
            &s.t.clerk_a,
            &format!("/api/v1/villages/{VILLAGE_A}/cash"),
            json!({"bill_reference": s.bills[0], "amount": "100.00"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert!(!staff_page(&app, &s.t.clerk_a, &page).await.contains("books-differ"));
    // 101 cannot be posted by hand, so only an edit behind the service's back parts them: the
    // record now says ¥50, the books still hold ¥100.
    tamper(&app, "UPDATE cash_records SET amount_fen = 5000");
    let after = staff_page(&app, &s.t.clerk_a, &page).await;
    let warning = after
        .split(r#"id="books-differ""#)
        .nth(1)
        .expect("the page warns that the books and the cash disagree");
    let warning = warning.split("</p>").next().unwrap();
    assert!(
        warning.contains("账实不符") && warning.contains("多") && warning.contains("¥50.00"),
        "{warning}"
    );
    assert!(after.contains(r#"class="notice error" id="books-differ""#), "in red");
});

// A quarter's bill reads 2026年第二季度 on the clerk's bills page, on its receipt and in its
// print (the trial saw 2026-Q2); the API keeps the machine label.
both!(periods_read_in_chinese_on_the_pages, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let bill = app
        .post(&s.t.clerk_a, &format!("{v}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "300.00", "period_label": "2026-Q2", "due_date": "2026-06-30"}))
        .await;
    assert_eq!(bill.status, 201, "{:?}", bill.body);
    assert_eq!(bill.body["period_label"], "2026-Q2");
    let bills = staff_page(&app, &s.t.clerk_a, &format!("/staff/v/{VILLAGE_A}/bills")).await;
    assert!(
        bills.contains("2026年第二季度") && !bills.contains("2026-Q2"),
        "{bills}"
    );
    let r = app
        .post(
            &s.t.clerk_a,
            &format!("{v}/cash"),
            json!({"bill_reference": bill.body["reference"], "amount": "300.00"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let number = r.body["number"].as_str().unwrap();
    for path in [
        format!("/staff/v/{VILLAGE_A}/receipts/{number}"),
        format!("/staff/v/{VILLAGE_A}/receipts/{number}/print?layout=a4"),
    ] {
        let html = staff_page(&app, &s.t.clerk_a, &path).await;
        assert!(
            html.contains("2026年第二季度") && !html.contains("2026-Q2"),
            "{path}: {html}"
        );
    }
});

async fn public_page(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

// 村务公开: anyone, without a login, sees what the village took in this year by month, item
// and channel, and its signed chain head; a head noted down checks as intact later, a wrong one
// does not; nobody is named; unknown villages are not found; a stranger cannot make us sum a
// village's year without end. The poster carries the page's code.
both!(
    the_public_village_page_sums_the_year_names_nobody_and_checks_a_noted_head,
    |app| {
        let s = setup(&app).await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        let r = app
            .post(
                &s.t.clerk_a,
                &format!("{v}/cash"),
                json!({"bill_reference": s.bills[0], "amount": "100.00"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        credit(&app, s.binding_a, ACCOUNT_A, "RCB-PUB-1", "200.00", &s.bills[1]).await;
        let page = format!("/v/{VILLAGE_A}");
        let (status, html) = public_page(&app, &page).await;
        assert_eq!(status, 200, "{html}");
        let totals = html
            .split(r#"id="totals""#)
            .nth(1)
            .unwrap()
            .split("</p>")
            .next()
            .unwrap();
        assert!(
            totals.contains("¥300.00") && totals.contains("¥100.00") && totals.contains("33.3%"),
            "{totals}"
        );
        let month = qingzhang::domain::schedule::shown_period(&beijing_today().format("%Y-%m").to_string());
        let by_channel = html
            .split(r#"id="by-channel""#)
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap();
        let this_month = by_channel
            .split(&format!("<td>{month}</td>"))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap();
        assert!(
            this_month.contains("¥100.00") && this_month.contains("¥200.00"),
            "cash and bank this month: {this_month}"
        );
        assert!(
            !html.contains("张建国") && !html.contains("张*") && !html.contains("李*"),
            "nobody is named"
        );

        // The head published today checks as intact; a wrong hash or entry does not; bad input is
        // refused in words.
        let hash = html
            .split(r#"id="head-hash">"#)
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let head = app.get(&s.t.accountant, &format!("{v}/chain-head")).await;
        assert_eq!(head.body["hash"], hash.as_str(), "{:?}", head.body);
        let seq = head.body["seq"].as_i64().unwrap();
        let result = |html: &str| {
            html.split(r#"id="head-result">"#)
                .nth(1)
                .map(|r| r.split('<').next().unwrap().to_string())
        };
        let (status, html) = public_page(&app, &format!("{page}?seq={seq}&hash={hash}")).await;
        assert_eq!(status, 200);
        assert!(result(&html).unwrap().starts_with("相符"), "{html}");
        let wrong = if hash.starts_with('0') {
            "1".repeat(64)
        } else {
            "0".repeat(64)
        };
        let (_, html) = public_page(&app, &format!("{page}?seq={seq}&hash={wrong}")).await;
        assert!(result(&html).unwrap().starts_with("不符"), "{html}");
        let (_, html) = public_page(&app, &format!("{page}?seq=999&hash={hash}")).await;
        assert!(result(&html).unwrap().contains("没有第 999 号凭证"), "{html}");
        let (status, html) = public_page(&app, &format!("{page}?seq={seq}&hash=abc")).await;
        assert_eq!(status, 422);
        assert!(result(&html).unwrap().contains("64 位"), "{html}");
        assert_eq!(public_page(&app, "/v/370799999999").await.0, 404);
        assert_eq!(public_page(&app, &format!("{page}?year=二〇二六")).await.0, 422);

        // The poster: the page's own code, and the village's pay code.
        let (status, poster) = public_page(&app, &format!("{page}/poster")).await;
        assert_eq!(status, 200);
        let url = format!("{}/v/{VILLAGE_A}", app.base);
        assert!(poster.contains(&url), "{poster}");
        let drawn = qingzhang::payments::qr::svg(&url, 240).unwrap();
        let drawn = drawn.split_once("?>").map(|(_, r)| r).unwrap_or(&drawn);
        assert!(
            poster.contains(drawn),
            "the poster carries the code of the page's address"
        );
        assert!(poster.contains(r#"id="pay-code""#), "and the village's pay code");
    }
);

/// The oldest credit waiting in village A's suspense, placed by `token` onto `bill`: (its id,
/// the answer).
async fn place_oldest(app: &TestApp, token: &str, bill: &str, note: &str) -> (i64, Response) {
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let txn = get(app, token, &format!("{v}/suspense")).await[0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            token,
            &format!("{v}/suspense/{txn}/place"),
            json!({"bill_reference": bill, "note": note}),
        )
        .await;
    (txn, r)
}

/// The clerk takes `amount` in cash for bill `bill` and declares paying it in to account 1;
/// the pay-in's id.
async fn cash_and_pay_in(app: &TestApp, s: &Setup, bill: usize, amount: &str) -> i64 {
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let cash = app
        .post(
            &s.t.clerk_a,
            &format!("{v}/cash"),
            json!({"bill_reference": s.bills[bill], "amount": amount}),
        )
        .await;
    assert_eq!(cash.status, 201, "{:?}", cash.body);
    let pay_in = app
        .post(
            &s.t.clerk_a,
            &format!("{v}/pay-ins"),
            json!({"account_id": 1, "amount": amount}),
        )
        .await;
    assert_eq!(pay_in.status, 201, "{:?}", pay_in.body);
    pay_in.body["id"].as_i64().unwrap()
}

/// Some inspection rules over village A's month, judged `days` from now.
async fn run_rules(app: &TestApp, rules: &'static str, days: i64) -> qingzhang::usecases::inspection::RunSummary {
    let db = app.db.clone();
    let month = beijing_today().format("%Y-%m").to_string();
    actix_web::rt::task::spawn_blocking(move || {
        qingzhang::usecases::inspection::run(
            &db,
            None,
            &qingzhang::usecases::inspection::RunInput {
                scope: VILLAGE_A.into(),
                from: month.clone(),
                to: month,
                rules: Some(rules.into()),
            },
            &qingzhang::inspect::thresholds::InspectionConfig::default(),
            Utc::now() + chrono::Duration::days(days),
        )
    })
    .await
    .unwrap()
    .expect("inspection run")
}

fn suspense_balance(accounts: &Value) -> String {
    accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "211.9999")
        .map(|a| a["balance"].as_str().unwrap().to_string())
        .unwrap()
}

// 待查明款项: a transfer that named no bill waits in suspense until the accountant places it on
// the bill it paid: the bill is paid, the receipt rests on that credit (a screenshot's 待核实
// receipt is confirmed instead), suspense is cleared; bad input, a bill owing less, a second
// placement, a clerk, are refused in words and change nothing.
both!(a_credit_in_suspense_is_placed_once_onto_the_bill_it_paid, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let acct = &s.t.accountant;
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-SUS-1", "100.00", "村民交款").await;
    let waiting = get(&app, acct, &format!("{v}/suspense")).await;
    assert_eq!(waiting.as_array().unwrap().len(), 1, "{waiting}");
    let txn = waiting[0]["bank_transaction_id"].as_i64().unwrap();
    let cash_page = staff_page(&app, &s.t.clerk_a, &format!("/staff/v/{VILLAGE_A}/cash-on-hand")).await;
    assert!(
        cash_page.split(r#"id="credits""#).nth(1).unwrap().contains("¥100.00"),
        "it waits on the cash page too"
    );
    assert_eq!(
        suspense_balance(&get(&app, acct, &format!("{v}/ledger/accounts")).await),
        "-100.00"
    );
    let place = |token: String, bill: String, note: &'static str| {
        let app = &app;
        let path = format!("{v}/suspense/{txn}/place");
        async move {
            app.post(&token, &path, json!({"bill_reference": bill, "note": note}))
                .await
        }
    };
    let refusals = [
        (s.t.clerk_a.clone(), s.bills[0].clone(), "村民来电", 403, "forbidden"),
        (
            acct.clone(),
            "123".to_string(),
            "村民来电",
            422,
            "bill_reference_invalid",
        ),
        (acct.clone(), s.bills[2].clone(), "村民来电", 422, "amount_exceeds_bill"),
        (acct.clone(), s.bills[0].clone(), " ", 422, "field_required"),
    ];
    for (token, bill, note, status, code) in refusals {
        let r = place(token, bill.clone(), note).await;
        assert_eq!((r.status, r.code()), (status, code), "{bill} {note:?}: {:?}", r.body);
    }
    assert_eq!(
        get(&app, acct, &format!("{v}/suspense"))
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing changed"
    );
    assert_books_agree(&app.db);

    let r = place(acct.clone(), s.bills[0].clone(), "村民张建国来电确认").await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        (r.body["status"].as_str(), r.body["amount"].as_str()),
        (Some("issued"), Some("100.00"))
    );
    assert_eq!(
        get(&app, acct, &format!("{v}/bills/{}", s.bills[0])).await["status"],
        "paid"
    );
    assert_eq!(
        suspense_balance(&get(&app, acct, &format!("{v}/ledger/accounts")).await),
        "0.00"
    );
    assert_eq!(get(&app, acct, &format!("{v}/suspense")).await, json!([]));
    let cash_page = staff_page(&app, &s.t.clerk_a, &format!("/staff/v/{VILLAGE_A}/cash-on-hand")).await;
    let credits = cash_page
        .split(r#"id="credits""#)
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        credits.contains("暂无") && !credits.contains("100.00"),
        "a placed credit no longer waits: {credits}"
    );
    let again = place(acct.clone(), s.bills[1].clone(), "再认领一次").await;
    assert_eq!(again.status, 409, "placed once: {:?}", again.body);

    // A screenshot's 待核实 receipt is confirmed by the placement, keeping its number.
    let claim = app
        .post(
            &s.t.clerk_a,
            &format!("{v}/claims"),
            json!({"bill_reference": s.bills[1], "amount": "200.00", "channel": "bank"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.body);
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-SUS-2", "200.00", "转账").await;
    let (_, r) = place_oldest(&app, acct, &s.bills[1], "报账员核对截图").await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        (r.body["number"].clone(), r.body["status"].as_str()),
        (claim.body["number"].clone(), Some("issued"))
    );
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);

    // The accountant's page: a refused placement comes back with what was typed.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-SUS-3", "10.00", "").await;
    let txn3 = get(&app, acct, &format!("{v}/suspense")).await[0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    let html = staff_page(&app, acct, &format!("/staff/v/{VILLAGE_A}/suspense")).await;
    assert!(html.contains(&format!(r#"id="place-{txn3}""#)), "{html}");
    let csrf = csrf_of(&html);
    let r = app
        .client
        .post(format!("{}/staff/v/{VILLAGE_A}/suspense/{txn3}/place", app.base))
        .header("cookie", format!("qz_session={acct}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("bill_reference", "000001-999999-1"),
            ("note", "村民来电"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        422,
        "a mistyped bill number (its check digit fails)"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"class="notice error" id="message""#)
            && html.contains(r#"value="000001-999999-1""#)
            && html.contains(r#"value="村民来电""#),
        "{html}"
    );
});

// One credit placed by eight accountants' clicks at once onto eight bills (PostgreSQL shows the
// race): exactly one placement, one receipt, one bill paid; the books agree.
both!(one_credit_placed_many_times_at_once_is_placed_once, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let mut bills = Vec::new();
    for i in 0..8 {
        let b = app
            .post(&s.t.clerk_a, &format!("{v}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "30.00", "period_label": format!("2026-{:02}", i + 1), "due_date": "2026-12-31"}))
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        bills.push(b.body["reference"].as_str().unwrap().to_string());
    }
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-RACE-1", "30.00", "无附言").await;
    let txn = get(&app, &s.t.accountant, &format!("{v}/suspense")).await[0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    let path = format!("{v}/suspense/{txn}/place");
    let answers = futures::future::join_all(
        bills
            .iter()
            .map(|b| app.post(&s.t.accountant, &path, json!({"bill_reference": b, "note": "并发认领"}))),
    )
    .await;
    let won: Vec<_> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        answers.iter().map(|a| (a.status, a.body.clone())).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != 201) {
        assert!(
            a.status == 409 && a.body["message"].as_str().unwrap().contains("已经认领过"),
            "{:?}",
            a.body
        );
    }
    let paid = {
        let mut n = 0;
        for b in &bills {
            n += usize::from(get(&app, &s.t.accountant, &format!("{v}/bills/{b}")).await["status"] == "paid");
        }
        n
    };
    assert_eq!(paid, 1);
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});

// A credit the accountant placed on a bill is no longer a deposit to match: a clerk's pay-in of
// the same amount is not offered it, and matching it by hand is refused (else 211.9999 would be
// cleared twice and cash on hand would vanish from 101).
both!(a_placed_credit_is_never_matched_to_a_pay_in, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-PLACED-1", "100.00", "转账").await;
    let (txn, placed) = place_oldest(&app, acct, &s.bills[0], "村民来电确认").await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    // The clerk took ¥100 cash on another bill and declares paying it in, never depositing it.
    let pay_in = cash_and_pay_in(&app, &s, 1, "100.00").await;
    assert_eq!(
        get(&app, acct, &format!("{v}/pay-ins/proposals")).await,
        json!([]),
        "not offered"
    );
    let r = app
        .post(
            clerk,
            &format!("{v}/pay-ins/{pay_in}/match"),
            json!({"bank_transaction_id": txn}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "bank_transaction_not_available"),
        "{:?}",
        r.body
    );
    let cash = get(&app, acct, &format!("{v}/cash-on-hand")).await;
    assert_eq!(
        (cash["in_transit"].as_str(), cash["ledger_101"].as_str()),
        (Some("100.00"), Some("100.00")),
        "{cash}"
    );
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});

// A credit being refunded is never matched to a clerk's pay-in, and a credit that a pay-in
// explains (the clerk's cash deposited) is never refunded: suspense money is spoken for once.
both!(refunds_and_pay_ins_never_take_the_same_credit, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-REFUND-1", "100.00", "转账").await;
    let stranger = get(&app, acct, &format!("{v}/suspense")).await[0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    let refund = |txn: i64| {
        let (app, clerk) = (&app, clerk.clone());
        let path = format!("{v}/suspense/{txn}/refund");
        async move {
            app.post(
                &clerk,
                &path,
                json!({"payee_name": "王小明", "payee_account": "6228480000000000011", "note": "付错村"}),
            )
            .await
        }
    };
    assert_eq!(refund(stranger).await.status, 201);
    // The clerk took ¥100 cash and declares paying it in: the credit being refunded is neither
    // offered nor taken.
    let pay_in = cash_and_pay_in(&app, &s, 0, "100.00").await;
    assert_eq!(get(&app, acct, &format!("{v}/pay-ins/proposals")).await, json!([]));
    let matched = |txn: i64| {
        let (app, clerk) = (&app, clerk.clone());
        let path = format!("{v}/pay-ins/{pay_in}/match");
        async move { app.post(&clerk, &path, json!({"bank_transaction_id": txn})).await }
    };
    let r = matched(stranger).await;
    assert_refused(&r, 409, "bank_transaction_not_available", "已申请退款");
    // The clerk's own deposit arrives and is matched; it cannot then be refunded.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-DEPOSIT-1", "100.00", "现金解款").await;
    let deposit = get(&app, acct, &format!("{v}/suspense")).await[0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    assert_eq!(matched(deposit).await.status, 200);
    let r = refund(deposit).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "bank_transaction_not_available"),
        "{:?}",
        r.body
    );
    assert!(r.body["message"].as_str().unwrap().contains("代交"), "{:?}", r.body);
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});

// A bill paid half in cash and half by a transfer the accountant placed from suspense is paid
// once, not twice: no DOUBLE_COLLECTION, no MONEY_WITHOUT_RECEIPT, even days later; the API's
// bank transaction says which bill it was placed on.
both!(
    a_placed_credit_is_neither_double_collection_nor_money_without_receipt,
    |app| {
        let s = setup(&app).await;
        let v = format!("/api/v1/villages/{VILLAGE_A}");
        let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
        let cash = app
            .post(
                clerk,
                &format!("{v}/cash"),
                json!({"bill_reference": s.bills[1], "amount": "100.00"}),
            )
            .await;
        assert_eq!(cash.status, 201, "{:?}", cash.body);
        credit(&app, s.binding_a, ACCOUNT_A, "RCB-HALF-1", "100.00", "交剩下的一半").await;
        let (txn, placed) = place_oldest(&app, acct, &s.bills[1], "村民说明另一半转账").await;
        assert_eq!(placed.status, 201, "{:?}", placed.body);
        let bill = get(&app, acct, &format!("{v}/bills/{}", s.bills[1])).await;
        assert_eq!(bill["status"], "paid");
        let listed = get(&app, acct, &format!("{v}/bank-transactions")).await;
        let row = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == txn)
            .unwrap()
            .clone();
        assert_eq!(row["placed_on_bill_id"], bill["id"], "{row}");
        let summary = run_rules(&app, "DOUBLE_COLLECTION,MONEY_WITHOUT_RECEIPT", 10).await;
        assert_eq!(summary.findings, 0, "{:?}", summary.by_rule);

        // A transfer naming a bill already paid in cash is a double collection ... until the
        // accountant finds it was meant for another bill and places it there.
        let cash = app
            .post(
                clerk,
                &format!("{v}/cash"),
                json!({"bill_reference": s.bills[0], "amount": "100.00"}),
            )
            .await;
        assert_eq!(cash.status, 201, "{:?}", cash.body);
        credit(&app, s.binding_a, ACCOUNT_A, "RCB-TWICE-X", "100.00", &s.bills[0]).await;
        let before = run_rules(&app, "DOUBLE_COLLECTION", 0).await;
        assert_eq!(before.findings, 1, "{:?}", before.by_rule);
        let other = app
        .post(clerk, &format!("{v}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "100.00", "period_label": "2026-H2", "due_date": "2026-12-31"}))
        .await;
        assert_eq!(other.status, 201, "{:?}", other.body);
        let (_, placed) = place_oldest(
            &app,
            acct,
            other.body["reference"].as_str().unwrap(),
            "村民写错了账单号",
        )
        .await;
        assert_eq!(placed.status, 201, "{:?}", placed.body);
        let after = run_rules(&app, "DOUBLE_COLLECTION", 0).await;
        assert_eq!((after.findings, after.findings_gone), (0, 1), "{:?}", after.by_rule);
        assert_books_agree(&app.db);
    }
);

// A credit placed onto the wrong bill is undone, never edited: the placement's entry is reversed,
// the wrong bill owes again, its receipt is voided (a confirmed 待核实 one too), the credit waits
// again and is placed onto the right bill; refusals change nothing; the page does it too.
both!(a_wrong_placement_is_undone_and_placed_again, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-WRONG-1", "100.00", "村民交款").await;
    let (txn, placed) = place_oldest(&app, acct, &s.bills[0], "以为是张家的").await;
    assert_eq!(placed.status, 201, "{:?}", placed.body);
    let wrong_receipt = placed.body["number"].as_str().unwrap().to_string();
    assert_eq!(
        get(&app, acct, &format!("{v}/suspense/placed")).await[0]["bank_transaction_id"],
        txn
    );

    let undo = |token: String, id: i64, note: &'static str| {
        let app = &app;
        let path = format!("{v}/suspense/{id}/undo");
        async move { app.post(&token, &path, json!({ "note": note })).await }
    };
    let refusals = [
        (clerk.clone(), txn, "认错了", 403, "forbidden"),
        (acct.clone(), txn, "  ", 422, "field_required"),
        (
            acct.clone(),
            txn + 1000,
            "认错了",
            409,
            "bank_transaction_not_available",
        ),
    ];
    for (token, id, note, status, code) in refusals {
        let r = undo(token, id, note).await;
        assert_eq!((r.status, r.code()), (status, code), "{id} {note:?}: {:?}", r.body);
    }
    assert_eq!(
        get(&app, acct, &format!("{v}/bills/{}", s.bills[0])).await["status"],
        "paid",
        "nothing changed"
    );
    assert_books_agree(&app.db);

    let r = undo(acct.clone(), txn, "村民来电：钱是李家的").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["voided_receipt"].as_str(), Some(wrong_receipt.as_str()));
    assert_eq!(r.body["amount"], "100.00");
    assert_eq!(
        get(&app, acct, &format!("{v}/bills/{}", s.bills[0])).await["status"],
        "open"
    );
    let voided = get(&app, acct, &format!("{v}/receipts/{wrong_receipt}")).await;
    assert_eq!(voided["status"], "voided", "{voided}");
    assert!(
        voided["void_reason"].as_str().unwrap().contains("钱是李家的"),
        "{voided}"
    );
    assert_eq!(
        suspense_balance(&get(&app, acct, &format!("{v}/ledger/accounts")).await),
        "-100.00",
        "the credit waits in 211.9999 again"
    );
    assert_eq!(
        get(&app, acct, &format!("{v}/suspense")).await[0]["bank_transaction_id"],
        txn
    );
    assert_eq!(get(&app, acct, &format!("{v}/suspense/placed")).await, json!([]));
    let again = undo(acct.clone(), txn, "再撤一次").await;
    assert_eq!(
        (again.status, again.code()),
        (409, "bank_transaction_not_available"),
        "{:?}",
        again.body
    );
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);

    // Placed again onto the right bill, on which the clerk had issued a 待核实 receipt from the
    // payer's screenshot: it is confirmed; then that placement is undone too and the confirmed
    // receipt is voided with it.
    let claim = app
        .post(
            clerk,
            &format!("{v}/claims"),
            json!({"bill_reference": s.bills[1], "amount": "100.00", "channel": "bank"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.body);
    let (_, right) = place_oldest(&app, acct, &s.bills[1], "李家来电确认").await;
    assert_eq!(right.status, 201, "{:?}", right.body);
    assert_eq!(
        right.body["number"], claim.body["number"],
        "the claim's receipt is confirmed"
    );
    assert_eq!(
        get(&app, acct, &format!("{v}/bills/{}", s.bills[1])).await["status"],
        "part_paid"
    );
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);

    // The page: the placement listed with its undo form; a refused undo keeps the page and says
    // why; a done one says what it did.
    let html = staff_page(&app, acct, &format!("/staff/v/{VILLAGE_A}/suspense")).await;
    assert!(html.contains(&format!(r#"id="undo-{txn}""#)), "{html}");
    let csrf = csrf_of(&html);
    let path = format!("/staff/v/{VILLAGE_A}/suspense/{txn}/undo");
    let (status, html) = app.staff_post(acct, &path, &[("csrf", &csrf), ("note", " ")]).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(r#"class="notice error" id="message""#), "{html}");
    let (status, html) = app
        .staff_post(acct, &path, &[("csrf", &csrf), ("note", "李家说是误转")])
        .await;
    assert_eq!(status, 200, "{html}");
    let claim_no = claim.body["number"].as_str().unwrap();
    assert!(
        html.contains("已撤销认领") && html.contains(claim_no) && html.contains("待核实收据改为"),
        "{html}"
    );
    assert_eq!(
        get(&app, acct, &format!("{v}/bills/{}", s.bills[1])).await["status"],
        "open"
    );
    // The payer's claim was not disproved, only the credit was the wrong one: it waits for its
    // money again under a new 待核实 receipt that replaces the voided one.
    let voided_claim = get(&app, acct, &format!("{v}/receipts/{claim_no}")).await;
    assert_eq!(voided_claim["status"], "voided", "{voided_claim}");
    let renewed = voided_claim["replaced_by"].as_str().expect("the claim carried on");
    let renewed = get(&app, acct, &format!("{v}/receipts/{renewed}")).await;
    assert_eq!(
        (renewed["status"].as_str(), renewed["amount"].as_str()),
        (Some("pending"), Some("100.00")),
        "{renewed}"
    );
    // The reversal's memo carries the note: 100 characters fit, 101 are refused in words.
    let (txn2, placed2) = place_oldest(&app, acct, &s.bills[0], "再认领").await;
    assert_eq!((txn2, placed2.status), (txn, 201), "{:?}", placed2.body);
    let long = "错".repeat(101);
    let r = app
        .post(acct, &format!("{v}/suspense/{txn}/undo"), json!({ "note": long }))
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.body["message"].as_str().unwrap().contains("100"), "{:?}", r.body);
    let r = app
        .post(
            acct,
            &format!("{v}/suspense/{txn}/undo"),
            json!({ "note": "错".repeat(100) }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["claim_again"],
        Value::Null,
        "a receipt the placement issued is only voided"
    );
    let events = get(&app, &s.t.admin, "/api/v1/audit?limit=500").await;
    assert_eq!(
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "suspense.undo")
            .count(),
        3,
        "{events}"
    );
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});

// Undoing and placing one credit at once from several accountants' clicks (PostgreSQL shows the
// race): however the clicks interleave, the credit has at most one placement in force, what the
// answers say adds up to what the books hold, and the books agree.
both!(undoing_and_placing_one_credit_at_once_keeps_one_placement, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let acct = &s.t.accountant;
    let mut bills = Vec::new();
    for i in 0..4 {
        let b = app
            .post(&s.t.clerk_a, &format!("{v}/bills"), json!({"payer_id": 1, "fee_item_id": 1, "amount": "30.00", "period_label": format!("2026-{:02}", i + 1), "due_date": "2026-12-31"}))
            .await;
        assert_eq!(b.status, 201, "{:?}", b.body);
        bills.push(b.body["reference"].as_str().unwrap().to_string());
    }
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-UNDO-RACE", "30.00", "无附言").await;
    let (txn, first) = place_oldest(&app, acct, &bills[0], "先认领").await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let undo_path = format!("{v}/suspense/{txn}/undo");
    let place_path = format!("{v}/suspense/{txn}/place");
    let mut calls = Vec::new();
    for b in &bills[1..] {
        calls.push(app.post(acct, &undo_path, json!({"note": "并发撤销"})));
        calls.push(app.post(acct, &place_path, json!({"bill_reference": b, "note": "并发认领"})));
    }
    let answers = futures::future::join_all(calls).await;
    for a in answers.iter().filter(|a| a.status >= 300) {
        assert!(
            a.status == 409 || a.status == 422,
            "refused in words, never a server error: {:?}",
            a.body
        );
    }
    let undone = answers.iter().filter(|a| a.status == 200).count() as i64;
    let placed = answers.iter().filter(|a| a.status == 201).count() as i64;
    let in_force = get(&app, acct, &format!("{v}/suspense/placed"))
        .await
        .as_array()
        .unwrap()
        .len() as i64;
    assert_eq!(in_force, 1 + placed - undone, "{placed} placed, {undone} undone");
    assert!(in_force <= 1);
    let mut paid = 0;
    for b in &bills {
        paid += i64::from(get(&app, acct, &format!("{v}/bills/{b}")).await["status"] == "paid");
    }
    assert_eq!(paid, in_force, "one bill paid per placement in force");
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});

// PROXY_PAYIN reads what a credit became: five credits from one account, each naming no bill and
// placed by the accountant onto a different household's bill, are one account paying for five
// households; once one placement is undone, only four remain and the finding is gone.
both!(proxy_payin_counts_credits_placed_from_suspense, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    let day = beijing_today();
    let mut lines =
        String::from("交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n");
    let mut txns = Vec::new();
    for k in 1..=5 {
        let payer = app
            .post(
                clerk,
                &format!("{v}/payers"),
                json!({"kind": "member", "name": format!("王{k}")}),
            )
            .await;
        assert_eq!(payer.status, 201, "{:?}", payer.body);
        let bill = app
            .post(clerk, &format!("{v}/bills"), json!({"payer_id": payer.body["id"], "fee_item_id": 1, "amount": "30.00", "period_label": "2026", "due_date": "2026-12-31"}))
            .await;
        assert_eq!(bill.status, 201, "{:?}", bill.body);
        credit(&app, s.binding_a, ACCOUNT_A, &format!("RCB-PX-{k}"), "30.00", "代缴").await;
        let (txn, placed) = place_oldest(&app, acct, bill.body["reference"].as_str().unwrap(), "王某来电说明").await;
        assert_eq!(placed.status, 201, "{:?}", placed.body);
        txns.push(txn);
        lines.push_str(&format!(
            "{day},10:0{k}:00,RCB-PX-{k},,30.00,{}.00,王某某,6228480000000000777,转账,代缴\n",
            30 * k
        ));
    }
    let up = app
        .client
        .post(format!("{}{v}/accounts/1/statements?file_name=day.csv", app.base))
        .bearer_auth(acct)
        .body(lines.into_bytes())
        .send()
        .await
        .unwrap();
    assert_eq!(up.status().as_u16(), 201);
    let run = app
        .post(
            acct,
            &format!("{v}/accounts/1/reconcile?from={day}&to={day}"),
            json!({}),
        )
        .await;
    assert_eq!(run.status, 200, "{:?}", run.body);
    let found = run_rules(&app, "PROXY_PAYIN", 0).await;
    assert_eq!(found.findings, 1, "{:?}", found.by_rule);

    let r = app
        .post(
            acct,
            &format!("{v}/suspense/{}/undo", txns[0]),
            json!({"note": "认错了"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let after = run_rules(&app, "PROXY_PAYIN", 0).await;
    assert_eq!((after.findings, after.findings_gone), (0, 1), "{:?}", after.by_rule);
    assert_books_agree(&app.db);
});

const CLERK_C_PASSWORD: &str = "a-long-enough-password";

/// A second clerk of village A, added by the admin and signed in: (their id, their token).
async fn clerk_c_in_village_a(app: &TestApp, t: &Tokens) -> (i64, String) {
    let created = app
        .post(&t.admin, "/api/v1/users", json!({"username": "clerk_c", "display_name": "王报账", "password": CLERK_C_PASSWORD, "role": "clerk", "scope": {"kind": "village", "code": VILLAGE_A}}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let token = app.login("clerk_c", CLERK_C_PASSWORD).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    (created.body["id"].as_i64().unwrap(), token)
}

// The admin moves a clerk to another village only once the clerk's desk is clear: cash on hand,
// a pay-in the bank has not shown, a 待核实 receipt each refuse the move in words (nothing
// changes, the session goes on); so do what would blur who answers for what (an inspector's
// post, becoming an admin, a clerk over a township, oneself, a place outside the admin's
// scope). Done, the old session ends, a write signed in before the move is refused, the clerk
// sees the new village only; the admin's page does the same.
both!(a_clerk_moves_to_another_village_only_with_a_clear_desk, |app| {
    let s = setup(&app).await;
    let t = &s.t;
    let (id, token) = clerk_c_in_village_a(&app, t).await;
    let login = || app.login("clerk_c", CLERK_C_PASSWORD);
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let path = format!("/api/v1/users/{id}/assignment");
    let to_b = json!({"role": "clerk", "scope": {"kind": "village", "code": VILLAGE_B}});
    let refused_for = |what: &'static str| {
        let (app, path, to_b) = (&app, path.clone(), to_b.clone());
        let admin = t.admin.clone();
        async move {
            let r = app.post(&admin, &path, to_b).await;
            assert_eq!(r.status, 422, "{:?}", r.body);
            assert!(
                r.body["message"].as_str().unwrap().contains(what),
                "{what}: {:?}",
                r.body
            );
        }
    };

    // Cash on hand.
    let cash = app
        .post(
            &token,
            &format!("{a}/cash"),
            json!({"bill_reference": s.bills[2], "amount": "50.50"}),
        )
        .await;
    assert_eq!(cash.status, 201, "{:?}", cash.body);
    refused_for("1 笔现金共 ¥50.50 没有交存银行").await;
    // Declared as paid in, but the bank has not shown it yet.
    let pay_in = app
        .post(
            &token,
            &format!("{a}/pay-ins"),
            json!({"account_id": 1, "amount": "50.50"}),
        )
        .await;
    assert_eq!(pay_in.status, 201, "{:?}", pay_in.body);
    refused_for("1 笔代交共 ¥50.50 还没有对上银行到账").await;
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-DESK-1", "50.50", "现金交存").await;
    let txn = get(&app, &token, &format!("{a}/pay-ins/proposals")).await[0]["bank_transaction_id"].clone();
    let m = app
        .post(
            &token,
            &format!("{a}/pay-ins/{}/match", pay_in.body["id"]),
            json!({ "bank_transaction_id": txn }),
        )
        .await;
    assert_eq!(m.status, 200, "{:?}", m.body);
    // A 待核实 receipt they issued.
    let claim = app
        .post(
            &token,
            &format!("{a}/claims"),
            json!({"bill_reference": s.bills[0], "amount": "100.00", "channel": "bank"}),
        )
        .await;
    assert_eq!(claim.status, 201, "{:?}", claim.body);
    refused_for("1 张待核实收据还没有核实").await;
    let v = app
        .post(
            &token,
            &format!("{a}/receipts/{}/void", claim.body["number"].as_str().unwrap()),
            json!({"reason": "村民没付"}),
        )
        .await;
    assert_eq!(v.status, 200, "{:?}", v.body);

    let users = get(&app, &t.admin, "/api/v1/users?limit=100").await;
    let of_role = |role: &str| {
        users.as_array().unwrap().iter().find(|u| u["role"] == role).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (inspector, me) = (of_role("inspector"), of_role("admin"));
    let refusals = [
        (t.clerk_a.clone(), path.clone(), to_b.clone(), 403),
        (
            t.admin.clone(),
            path.clone(),
            json!({"role": "inspector", "scope": {"kind": "village", "code": VILLAGE_B}}),
            422,
        ),
        (
            t.admin.clone(),
            path.clone(),
            json!({"role": "admin", "scope": {"kind": "county", "code": COUNTY}}),
            422,
        ),
        (
            t.admin.clone(),
            path.clone(),
            json!({"role": "clerk", "scope": {"kind": "township", "code": TOWNSHIP}}),
            422,
        ),
        (
            t.admin.clone(),
            path.clone(),
            json!({"role": "clerk", "scope": {"kind": "village", "code": "370725102299"}}),
            422,
        ),
        (
            t.admin.clone(),
            path.clone(),
            json!({"role": "accountant", "scope": {"kind": "county", "code": "370726000000"}}),
            422,
        ),
        (
            t.admin.clone(),
            format!("/api/v1/users/{inspector}/assignment"),
            to_b.clone(),
            422,
        ),
        (
            t.admin.clone(),
            format!("/api/v1/users/{me}/assignment"),
            to_b.clone(),
            422,
        ),
        (
            t.admin.clone(),
            "/api/v1/users/999999/assignment".into(),
            to_b.clone(),
            404,
        ),
    ];
    for (who, p, body, status) in refusals {
        let r = app.post(&who, &p, body.clone()).await;
        assert_eq!(r.status, status, "{p} {body}: {:?}", r.body);
        assert!(!r.body["message"].as_str().unwrap_or("").is_empty(), "{:?}", r.body);
    }
    assert_eq!(
        app.get(&token, &format!("{a}/bills")).await.status,
        200,
        "nothing changed: the session goes on"
    );

    let signed_in_before = qingzhang::usecases::access::actor_by_username(&app.db, "clerk_c").unwrap();
    let r = app.post(&t.admin, &path, to_b).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        (r.body["role"].as_str(), r.body["scope"]["code"].as_str()),
        (Some("clerk"), Some(VILLAGE_B))
    );
    assert_eq!(
        app.get(&token, &format!("{a}/bills")).await.status,
        401,
        "the old session ended"
    );
    // A request signed in before the move, writing after it, is refused and takes nothing.
    let (db, bill) = (app.db.clone(), s.bills[1].clone());
    let late = actix_web::rt::task::spawn_blocking(move || {
        qingzhang::usecases::cash::record_cash(
            &db,
            b"key",
            &signed_in_before,
            VILLAGE_A,
            qingzhang::usecases::cash::CashInput {
                bill_reference: bill,
                amount: "10.00".into(),
            },
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    assert!(late.unwrap_err().contains("重新登录"));
    let token = login().await.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.get(&token, &format!("{a}/bills")).await.status, 404);
    assert_eq!(
        app.get(&token, &format!("/api/v1/villages/{VILLAGE_B}/bills"))
            .await
            .status,
        200
    );

    // The page: the form in the user's row (none for the inspector); made township accountant.
    let html = staff_page(&app, &t.admin, "/staff/admin/users").await;
    assert!(html.contains(&format!(r#"id="reassign-{id}""#)), "{html}");
    assert!(
        !html.contains(&format!(r#"id="reassign-{inspector}""#)),
        "no form for an inspector"
    );
    let csrf = csrf_of(&html);
    let page_path = format!("/staff/admin/users/{id}/assignment");
    fn fields(csrf: &str) -> [(&str, &str); 4] {
        [
            ("csrf", csrf),
            ("role", "accountant"),
            ("scope_kind", "township"),
            ("scope_code", TOWNSHIP),
        ]
    }
    assert_eq!(
        app.staff_post(&t.admin, &page_path, &fields("0")).await.0,
        403,
        "a forged form"
    );
    let (_, html) = app.staff_post(&t.admin, &page_path, &fields(&csrf)).await;
    assert!(html.contains("clerk_c 已调整为乡镇会计"), "{html}");
    let events = get(&app, &t.admin, "/api/v1/audit?limit=500").await;
    assert_eq!(
        events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "user.reassign")
            .count(),
        2,
        "{events}"
    );
    assert_books_agree(&app.db);
});

// A move racing the clerk's own cash writes (PostgreSQL shows the race): however they
// interleave, a clerk who was moved holds no cash in the village they left, and the books agree.
both!(a_move_racing_cash_taken_never_leaves_cash_behind, |app| {
    let s = setup(&app).await;
    let t = &s.t;
    let (id, token) = clerk_c_in_village_a(&app, t).await;
    let a = format!("/api/v1/villages/{VILLAGE_A}");
    let cash_path = format!("{a}/cash");
    let move_path = format!("/api/v1/users/{id}/assignment");
    let mut cash = Vec::new();
    for _ in 0..6 {
        cash.push(app.post(
            &token,
            &cash_path,
            json!({"bill_reference": s.bills[1], "amount": "1.00"}),
        ));
    }
    let moved = app.post(
        &t.admin,
        &move_path,
        json!({"role": "clerk", "scope": {"kind": "village", "code": VILLAGE_B}}),
    );
    let (cash, moved) = futures::future::join(futures::future::join_all(cash), moved).await;
    for c in &cash {
        assert!(
            matches!(c.status, 201 | 401),
            "taken, or refused for the move: {:?}",
            c.body
        );
    }
    assert!(matches!(moved.status, 200 | 422), "{:?}", moved.body);
    let db = app.db.clone();
    let held = db
        .read(|c| -> Result<_, qingzhang::error::AppError> {
            Ok(qingzhang::store::cash::CashRecord::held_by(
                c,
                qingzhang::domain::UserId(id),
            )?)
        })
        .unwrap();
    let taken = cash.iter().filter(|c| c.status == 201).count();
    if moved.status == 200 {
        assert_eq!(held.0, 0, "moved with {held:?} of cash left in the village");
    } else {
        assert_eq!(held.0, taken, "refused because of the cash taken");
        assert!(
            moved.body["message"].as_str().unwrap().contains("没有交存银行"),
            "{:?}",
            moved.body
        );
    }
    assert_books_agree(&app.db);
});

// 查明转出: a credit that is the village's but no bill's (a subsidy) is moved to the account it
// belongs to, tied to the credit, once; hand entries on 211.9999 are refused; a transferred
// credit can then be neither placed, refunded, transferred again nor matched to a pay-in; the
// excess of an overpaid credit goes the same way. Transfer, refund and placement of one credit
// at once: exactly one lands. Every refusal changes nothing.
both!(money_that_is_the_villages_but_no_bills_is_transferred_once, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    let transfer = |txn: i64, account: &'static str, note: &'static str| {
        let (app, token) = (&app, acct.clone());
        let path = format!("{v}/suspense/{txn}/transfer");
        async move {
            app.post(&token, &path, json!({"account_code": account, "note": note}))
                .await
        }
    };
    let refund = |txn: i64| {
        let (app, token) = (&app, clerk.clone());
        let path = format!("{v}/suspense/{txn}/refund");
        async move {
            app.post(
                &token,
                &path,
                json!({"payee_name": "王小明", "payee_account": "6228480000000000011", "note": "付错村"}),
            )
            .await
        }
    };
    let waiting_ids = |list: Value| -> Vec<i64> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|w| w["bank_transaction_id"].as_i64().unwrap())
            .collect()
    };
    let entries = |app: &TestApp| {
        let db = app.db.clone();
        db.read(|conn| -> Result<i64, qingzhang::error::AppError> {
            use diesel::prelude::*;
            Ok(qingzhang::store::schema::journal_entries::table
                .count()
                .get_result(conn)
                .unwrap())
        })
        .unwrap()
    };

    // The township's subsidy arrives naming no bill.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-SUBSIDY-1", "500.00", "镇财政所拨付").await;
    let subsidy = waiting_ids(get(&app, acct, &format!("{v}/suspense")).await)[0];
    let before = (entries(&app), get(&app, acct, &format!("{v}/ledger/accounts")).await);

    // Refusals that change nothing: a clerk; cash, a bank account, suspense itself, a clearing
    // account, an account the village does not have; no reason; a hand entry on 211.9999.
    let r = app
        .post(
            clerk,
            &format!("{v}/suspense/{subsidy}/transfer"),
            json!({"account_code": "503", "note": "镇补助"}),
        )
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    for (code, error) in [
        ("101", "suspense_transfer_account_invalid"),
        ("102", "suspense_transfer_account_invalid"),
        ("211.9999", "suspense_transfer_account_invalid"),
        ("211.9998", "suspense_transfer_account_invalid"),
        ("112.9901", "suspense_transfer_account_invalid"),
        ("999", "entry_account_unknown"),
        (" ", "field_required"),
    ] {
        let r = transfer(subsidy, code, "镇补助").await;
        assert_eq!((r.status, r.code()), (422, error), "{code}: {:?}", r.body);
        let named = if code == " " { "请选择转入科目" } else { code };
        assert!(r.body["message"].as_str().unwrap().contains(named), "{:?}", r.body);
    }
    let r = transfer(subsidy, "503", "  ").await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let hand = app
        .post(
            acct,
            &format!("{v}/entries"),
            json!({"entry_date": beijing_today().to_string(), "memo": "补助入账",
              "lines": [{"account_code": "211.9999", "debit": "500.00"}, {"account_code": "503", "credit": "500.00"}]}),
        )
        .await;
    assert_eq!(
        (hand.status, hand.code()),
        (422, "entry_suspense_reserved"),
        "{:?}",
        hand.body
    );
    assert_eq!(hand.body["field"], "lines[0].account_code", "{:?}", hand.body);
    assert_eq!(
        (entries(&app), get(&app, acct, &format!("{v}/ledger/accounts")).await),
        before,
        "refusals wrote nothing"
    );

    // The transfer: Dr 211.9999 / Cr 503, tied to the credit, listed with who and why.
    let r = transfer(subsidy, "503", "镇政府2026年第四季度补助").await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        (&r.body["amount"], &r.body["account_code"], &r.body["transferred_by"]),
        (&json!("500.00"), &json!("503"), &json!("accountant")),
        "{:?}",
        r.body
    );
    let accounts = get(&app, acct, &format!("{v}/ledger/accounts")).await;
    assert_eq!(suspense_balance(&accounts), "0.00");
    let subsidy_income = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "503")
        .map(|a| a["balance"].clone());
    assert_eq!(subsidy_income, Some(json!("-500.00")), "balances read debit-positive");
    assert!(!waiting_ids(get(&app, acct, &format!("{v}/suspense")).await).contains(&subsidy));
    let listed = get(&app, acct, &format!("{v}/suspense/transfers")).await;
    assert_eq!(listed["transfers"][0]["bank_transaction_id"], subsidy, "{listed}");
    // The tie is kept, never changed: the database itself refuses.
    for sql in [
        "UPDATE suspense_transfers SET amount_fen = 1",
        "DELETE FROM suspense_transfers",
    ] {
        let tried = app.db.once(|conn| -> Result<usize, qingzhang::error::AppError> {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query(sql).execute(conn)?)
        });
        assert!(tried.is_err(), "{sql} must be refused");
    }
    assert_eq!(
        get(&app, acct, &format!("{v}/suspense/transfers")).await["transfers"][0]["amount"],
        "500.00"
    );
    assert!(
        listed["targets"].as_array().unwrap().iter().any(|a| a["code"] == "503")
            && listed["targets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| !["101", "211.9999"].contains(&a["code"].as_str().unwrap())),
        "{listed}"
    );
    // Transferred: not again, not refunded, not placed, not a pay-in's deposit, and its entry
    // is not reversed by hand.
    let r = transfer(subsidy, "504", "再转").await;
    assert_refused(&r, 409, "bank_transaction_not_available", "查明转入 503");
    let r = refund(subsidy).await;
    assert_refused(&r, 409, "bank_transaction_not_available", "查明转入 503");
    let r = app
        .post(
            acct,
            &format!("{v}/suspense/{subsidy}/place"),
            json!({"bill_reference": s.bills[1], "note": "村民来电"}),
        )
        .await;
    assert_refused(&r, 409, "bank_transaction_not_available", "查明转入 503");
    let seq = get(&app, acct, &format!("{v}/entries"))
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == "suspense_transfer")
        .map(|e| e["seq"].as_i64().unwrap())
        .expect("the transfer's entry");
    assert_eq!(
        get(&app, acct, &format!("{v}/suspense/transfers")).await["transfers"][0]["entry_seq"],
        seq,
        "the transfer names its entry by its number in the journal"
    );
    let r = transfer(subsidy, "504", "再转").await;
    assert!(
        r.body["message"].as_str().unwrap().contains(&format!("第{seq}号凭证")),
        "{:?}",
        r.body
    );
    let r = app
        .post(acct, &format!("{v}/entries/{seq}/reverse"), json!({"reason": "转错"}))
        .await;
    assert_eq!((r.status, r.code()), (409, "entry_backs_money"), "{:?}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains("两个科目之间调整"),
        "{:?}",
        r.body
    );

    // The excess of an overpaid credit, which the household asks to keep for next year, goes to
    // a payable: through the page, as the accountant does it.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-OVER-1", "150.00", &s.bills[0]).await;
    let over = get(&app, acct, &format!("{v}/suspense/refunds")).await["overpaid"][0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    let page = staff_page(&app, acct, &format!("/staff/v/{VILLAGE_A}/suspense")).await;
    assert!(
        page.contains("查明转出") && page.contains(r#"id="transfer-form""#),
        "{page}"
    );
    assert!(page.contains(&format!(r#"id="transfer-{subsidy}""#)), "{page}");
    let (status, html) = app
        .staff_post(
            acct,
            &format!("/staff/v/{VILLAGE_A}/suspense/transfer"),
            &[
                ("csrf", &csrf_of(&page)),
                ("bank_transaction_id", &over.to_string()),
                ("account_code", "211.0001"),
                ("note", "农户要求抵下一年承包费"),
            ],
        )
        .await;
    assert!(status == 303 || status == 200, "{status}: {html}");
    let listed = get(&app, acct, &format!("{v}/suspense/transfers")).await;
    assert_eq!(
        (
            &listed["transfers"][0]["bank_transaction_id"],
            &listed["transfers"][0]["amount"]
        ),
        (&json!(over), &json!("50.00")),
        "the excess, not the credit: {listed}"
    );
    assert_eq!(
        get(&app, acct, &format!("{v}/suspense/refunds")).await["overpaid"],
        json!([])
    );

    // A clerk's pay-in of the same amount is neither offered a transferred credit nor matched
    // to it.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-GIFT-1", "100.00", "捐款").await;
    let gift = *waiting_ids(get(&app, acct, &format!("{v}/suspense")).await)
        .last()
        .unwrap();
    assert_eq!(transfer(gift, "504", "乡贤捐款修路").await.status, 201);
    let pay_in = cash_and_pay_in(&app, &s, 1, "100.00").await;
    assert_eq!(get(&app, acct, &format!("{v}/pay-ins/proposals")).await, json!([]));
    let r = app
        .post(
            clerk,
            &format!("{v}/pay-ins/{pay_in}/match"),
            json!({"bank_transaction_id": gift}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (409, "bank_transaction_not_available"),
        "{:?}",
        r.body
    );

    // One credit transferred, refunded and placed at once: exactly one of the nine lands.
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-RACE-T", "50.50", "转账").await;
    let race = *waiting_ids(get(&app, acct, &format!("{v}/suspense")).await)
        .last()
        .unwrap();
    let answers = futures::future::join_all((0..9).map(|i| {
        let app = &app;
        let (token, path, body) = match i % 3 {
            0 => (
                acct.clone(),
                format!("{v}/suspense/{race}/transfer"),
                json!({"account_code": "504", "note": "捐款"}),
            ),
            1 => (
                clerk.clone(),
                format!("{v}/suspense/{race}/refund"),
                json!({"payee_name": "王小明", "payee_account": "6228480000000000011", "note": "付错村"}),
            ),
            _ => (
                acct.clone(),
                format!("{v}/suspense/{race}/place"),
                json!({"bill_reference": s.bills[2], "note": "村民来电"}),
            ),
        };
        async move { app.post(&token, &path, body).await }
    }))
    .await;
    let landed: Vec<_> = answers.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        landed.len(),
        1,
        "{:?}",
        answers.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>()
    );
    assert!(
        answers.iter().all(|r| r.status == 201 || r.status == 409),
        "{:?}",
        answers.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>()
    );

    // Still money without a receipt, listed low with the account named: one person decided it.
    // The subsidy and the gift; the raced credit too unless it was placed onto its bill.
    let placed = landed[0].body.get("bill_reference").is_some();
    let summary = run_rules(&app, "MONEY_WITHOUT_RECEIPT", 10).await;
    assert_eq!(summary.findings, if placed { 2 } else { 3 }, "{:?}", summary.by_rule);
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});

// A hand entry made before they were refused moved a waiting credit's money out of 211.9999: the
// clerk's pay-in is not matched to that credit (the money is not there), and the refusal names
// the entry; reversed, the match goes through.
both!(a_pay_in_is_not_matched_to_money_an_old_hand_entry_moved, |app| {
    let s = setup(&app).await;
    let v = format!("/api/v1/villages/{VILLAGE_A}");
    let (clerk, acct) = (&s.t.clerk_a, &s.t.accountant);
    let pay_in = cash_and_pay_in(&app, &s, 0, "100.00").await;
    credit(&app, s.binding_a, ACCOUNT_A, "RCB-DEPOSIT-OLD", "100.00", "现金解款").await;
    let deposit = get(&app, acct, &format!("{v}/suspense")).await[0]["bank_transaction_id"]
        .as_i64()
        .unwrap();
    let legacy = legacy_hand_entry(&app.db, VILLAGE_A, beijing_today(), "100.00");
    let match_path = format!("{v}/pay-ins/{pay_in}/match");
    let matched = || app.post(clerk, &match_path, json!({"bank_transaction_id": deposit}));
    let r = matched().await;
    assert_eq!((r.status, r.code()), (409, "suspense_short"), "{:?}", r.body);
    assert!(
        r.body["message"].as_str().unwrap().contains(&format!("第{legacy}号")),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            acct,
            &format!("{v}/entries/{legacy}/reverse"),
            json!({"reason": "误记"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(matched().await.status, 200);
    assert_eq!(
        get(&app, &s.t.inspector, &format!("{v}/verify")).await["problems"],
        json!([])
    );
    invariants(&app, &s).await;
    assert_books_agree(&app.db);
});
