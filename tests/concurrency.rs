//! Concurrent actors on a few bills of two villages, on SQLite and on PostgreSQL: signed QR and
//! bank payments with distinct transaction ids, their duplicates, cash, claims, voids and
//! reissues, pay-ins and their matching, month close racing a late credit. Whatever the
//! interleaving, the books must end in a state some sequential order could have produced:
//! no bill paid beyond its amount (the excess waits in suspense), each bill's paid amount equal
//! to its valid receipts and to what was posted to it, receipts gapless, 101 equal to the cash
//! on hand plus pay-ins on their way, each provider transaction applied once, every entry
//! balanced, the chains verifying.
//!
//! The plan of actions is drawn from a seed (`QZ_SEED` to replay one; the seed is printed);
//! the interleaving is whatever the server makes of them.

mod common;

use bank_adapters::Provider;
use chrono::{Datelike, Duration, Utc};
use common::invariants::{assert_books_agree, disagreements};
use common::*;
use futures::StreamExt;
use qingzhang::sandbox::deliver::{signed_callback, Payment};
use qingzhang::sandbox::keys::SandboxKeys;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::sync::Arc;

struct Place {
    code: &'static str,
    clerk: String,
    account_id: i64,
    account_no: &'static str,
    /// Binding ids by provider.
    bank: i64,
    wechat: i64,
    alipay: i64,
    mch_id: String,
    app_id: String,
    /// (reference, amount in fen)
    bills: Vec<(String, i64)>,
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn seed() -> u64 {
    let seed = std::env::var("QZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "concurrency seed: QZ_SEED={seed}");
    seed
}

async fn bind(app: &TestApp, admin: &str, village: &str, account: i64, body: Value) -> i64 {
    let r = app
        .post(
            admin,
            &format!("/api/v1/villages/{village}/accounts/{account}/bindings"),
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// Both villages with a payer, a fee item, bills of the given amounts, and their corporate
/// account bound to the sandbox's bank, WeChat Pay and Alipay keys.
async fn county(app: &TestApp, keys: &SandboxKeys, amounts: &[i64]) -> (Tokens, Vec<Place>) {
    let t = app.seed().await;
    let k = serde_json::to_value(keys.published()).unwrap();
    let mut places = Vec::new();
    for (i, (code, account_no)) in [(VILLAGE_A, "9150010100001234567"), (VILLAGE_B, "9150010100002345678")]
        .into_iter()
        .enumerate()
    {
        let clerk = if i == 0 { t.clerk_a.clone() } else { t.clerk_b.clone() };
        let v = format!("/api/v1/villages/{code}");
        let accounts = app.get(&t.admin, &format!("{v}/accounts")).await;
        let account_id = accounts.body[0]["id"].as_i64().unwrap();
        let mch_id = format!("19000001{i:02}");
        let app_id = format!("20210000000000{i:02}");
        let bank = bind(app, &t.admin, code, account_id, json!({"provider": "rural_bank", "keys": [{"key_id": k["bank_key_id"], "algorithm": "hmac-sha256", "secret": k["bank_secret"]}]})).await;
        let wechat = bind(app, &t.admin, code, account_id, json!({"provider": "wechat", "mch_id": mch_id, "api_v3_key": k["wechat_api_v3_key"], "platform_public_keys": [{"key_id": k["wechat_public_key_id"], "pem": k["wechat_public_key_pem"]}]})).await;
        let alipay = bind(
            app,
            &t.admin,
            code,
            account_id,
            json!({"provider": "alipay", "app_id": app_id, "alipay_public_key": k["alipay_public_key_pem"]}),
        )
        .await;
        let payer = app
            .post(
                &clerk,
                &format!("{v}/payers"),
                json!({"kind": "member", "name": "张建国"}),
            )
            .await;
        assert_eq!(payer.status, 201, "{:?}", payer.body);
        let item = app
            .post(
                &clerk,
                &format!("{v}/fee-items"),
                json!({"code": "land", "name": "土地承包费", "income_account_code": "501"}),
            )
            .await;
        assert_eq!(item.status, 201, "{:?}", item.body);
        let contract = app
            .post(&clerk, &format!("{v}/contracts"), json!({"contract_no": "HT-2026-001", "kind": "contract", "payer_id": payer.body["id"], "fee_item_id": item.body["id"], "fixed_amount": "1200.00", "schedule": "quarterly", "start_date": "2026-01-01", "end_date": "2028-12-31"}))
            .await;
        assert_eq!(contract.status, 201, "{:?}", contract.body);
        // Two manual entries, for the accountant's reversals to race on.
        for memo in ["计提办公费", "计提水电费"] {
            let e = app
                .post(&t.accountant, &format!("{v}/entries"), json!({"entry_date": beijing_today().to_string(), "memo": memo, "lines": [{"account_code": "521", "debit": "100.00"}, {"account_code": "211.0001", "credit": "100.00"}]}))
                .await;
            assert_eq!(e.status, 201, "{:?}", e.body);
        }
        let mut bills = Vec::new();
        for fen in amounts {
            let b = app
                .post(&clerk, &format!("{v}/bills"), json!({"payer_id": payer.body["id"], "fee_item_id": item.body["id"], "amount": yuan(*fen), "period_label": "2026", "due_date": "2026-12-31"}))
                .await;
            assert_eq!(b.status, 201, "{:?}", b.body);
            bills.push((b.body["reference"].as_str().unwrap().to_string(), *fen));
        }
        places.push(Place {
            code,
            clerk,
            account_id,
            account_no,
            bank,
            wechat,
            alipay,
            mch_id,
            app_id,
            bills,
        });
    }
    (t, places)
}

/// A signed callback: (path, headers, body).
type Signed = (String, Vec<(String, String)>, Vec<u8>);

fn payment(
    keys: &SandboxKeys,
    place: &Place,
    provider: Provider,
    txn: &str,
    fen: i64,
    reference: &str,
    paid_at: chrono::DateTime<Utc>,
) -> Signed {
    let (account_ref, binding) = match provider {
        Provider::Wechat => (place.mch_id.clone(), place.wechat),
        Provider::Alipay => (place.app_id.clone(), place.alipay),
        Provider::RuralBank => (place.account_no.to_string(), place.bank),
    };
    let p = Payment {
        provider,
        account_ref,
        txn_id: txn.into(),
        amount: qingzhang::domain::Money::from_fen(fen),
        reference: reference.into(),
        payer: "张*国".into(),
        paid_at,
    };
    let signed = signed_callback(keys, &p, Utc::now()).unwrap();
    (
        format!("/callbacks/{}/{binding}", provider.as_str()),
        signed.headers,
        signed.body,
    )
}

async fn deliver(app: &TestApp, s: &Signed) -> u16 {
    let mut req = app.client.post(format!("{}{}", app.base, s.0)).body(s.2.clone());
    for (k, v) in &s.1 {
        req = req.header(k, v);
    }
    req.send().await.unwrap().status().as_u16()
}

/// One thing an actor does.
enum Act {
    Callback(Arc<Signed>),
    Cash {
        village: usize,
        bill: String,
        fen: i64,
    },
    Claim {
        village: usize,
        bill: String,
        fen: i64,
        channel: &'static str,
    },
    /// Void a receipt picked when the action runs (the `pick`-th of the list, modulo its length).
    Void {
        village: usize,
        pick: usize,
        reissue: bool,
    },
    /// Pay in everything the clerk has on hand when the action runs.
    PayIn {
        village: usize,
    },
    /// The bank credits each declared pay-in; then every proposal is confirmed.
    DepositAndMatch {
        village: usize,
        tag: String,
    },
    /// The accountant closes last month.
    CloseLastMonth {
        village: usize,
    },
    /// The accountant reverses an entry picked when the action runs.
    Reverse {
        village: usize,
        pick: usize,
    },
    /// The clerk generates next year's bills from the contracts.
    Generate {
        village: usize,
    },
}

struct Outcome {
    what: &'static str,
    status: u16,
}

async fn run(app: &TestApp, keys: &SandboxKeys, t: &Tokens, places: &[Place], act: &Act) -> Vec<Outcome> {
    let one = |what, status| vec![Outcome { what, status }];
    match act {
        Act::Callback(s) => one("callback", deliver(app, s).await),
        Act::Cash { village, bill, fen } => {
            let p = &places[*village];
            let r = app
                .post(
                    &p.clerk,
                    &format!("/api/v1/villages/{}/cash", p.code),
                    json!({"bill_reference": bill, "amount": yuan(*fen)}),
                )
                .await;
            one("cash", r.status)
        }
        Act::Claim {
            village,
            bill,
            fen,
            channel,
        } => {
            let p = &places[*village];
            let r = app
                .post(
                    &p.clerk,
                    &format!("/api/v1/villages/{}/claims", p.code),
                    json!({"bill_reference": bill, "amount": yuan(*fen), "channel": channel}),
                )
                .await;
            one("claim", r.status)
        }
        Act::Void { village, pick, reissue } => {
            let p = &places[*village];
            let list = app
                .get(&p.clerk, &format!("/api/v1/villages/{}/receipts?limit=500", p.code))
                .await;
            let list = list.body.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                return vec![];
            }
            let number = list[pick % list.len()]["number"].as_str().unwrap().to_string();
            let r = app
                .post(
                    &p.clerk,
                    &format!("/api/v1/villages/{}/receipts/{number}/void", p.code),
                    json!({"reason": "并发作废", "reissue": reissue}),
                )
                .await;
            one("void", r.status)
        }
        Act::PayIn { village } => {
            let p = &places[*village];
            let cash = app
                .get(&t.accountant, &format!("/api/v1/villages/{}/cash-on-hand", p.code))
                .await;
            let on_hand = cash.body["clerks"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| Money(c["on_hand"].as_str().unwrap_or("0").to_string()).fen())
                        .sum::<i64>()
                })
                .unwrap_or(0);
            if on_hand == 0 {
                return vec![];
            }
            let r = app
                .post(
                    &p.clerk,
                    &format!("/api/v1/villages/{}/pay-ins", p.code),
                    json!({"account_id": p.account_id, "amount": yuan(on_hand)}),
                )
                .await;
            one("pay-in", r.status)
        }
        Act::DepositAndMatch { village, tag } => {
            let p = &places[*village];
            let mut out = Vec::new();
            let cash = app
                .get(&t.accountant, &format!("/api/v1/villages/{}/cash-on-hand", p.code))
                .await;
            for (i, pi) in cash.body["pay_ins"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter(|pi| pi["status"] == "declared")
                .enumerate()
            {
                let fen = Money(pi["amount"].as_str().unwrap().to_string()).fen();
                let s = payment(
                    keys,
                    p,
                    Provider::RuralBank,
                    &format!("DEP-{tag}-{i}"),
                    fen,
                    "代交现金",
                    Utc::now(),
                );
                out.push(Outcome {
                    what: "deposit",
                    status: deliver(app, &s).await,
                });
            }
            let proposals = app
                .get(&t.accountant, &format!("/api/v1/villages/{}/pay-ins/proposals", p.code))
                .await;
            for m in proposals.body.as_array().cloned().unwrap_or_default() {
                let r = app
                    .post(
                        &p.clerk,
                        &format!("/api/v1/villages/{}/pay-ins/{}/match", p.code, m["pay_in_id"]),
                        json!({"bank_transaction_id": m["bank_transaction_id"]}),
                    )
                    .await;
                out.push(Outcome {
                    what: "match",
                    status: r.status,
                });
            }
            out
        }
        Act::Reverse { village, pick } => {
            let p = &places[*village];
            let list = app
                .get(&t.accountant, &format!("/api/v1/villages/{}/entries?limit=500", p.code))
                .await;
            let list = list.body.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                return vec![];
            }
            let seq = &list[pick % list.len()]["seq"];
            let r = app
                .post(
                    &t.accountant,
                    &format!("/api/v1/villages/{}/entries/{seq}/reverse", p.code),
                    json!({"reason": "并发冲销"}),
                )
                .await;
            one("reverse", r.status)
        }
        Act::Generate { village } => {
            let p = &places[*village];
            let r = app
                .post(
                    &p.clerk,
                    &format!("/api/v1/villages/{}/bills/generate", p.code),
                    json!({"year": 2027}),
                )
                .await;
            one("generate", r.status)
        }
        Act::CloseLastMonth { village } => {
            let p = &places[*village];
            let today = beijing_today();
            let last = today.with_day(1).unwrap() - Duration::days(1);
            let r = app
                .post(
                    &t.accountant,
                    &format!("/api/v1/villages/{}/periods/{}/close", p.code, last.format("%Y-%m")),
                    json!({}),
                )
                .await;
            one("close", r.status)
        }
    }
}

/// A yuan string from the API, to fen.
struct Money(String);
impl Money {
    fn fen(&self) -> i64 {
        let (i, f) = self.0.split_once('.').unwrap_or((&self.0, "0"));
        i.parse::<i64>().unwrap() * 100 + format!("{f:0<2}")[..2].parse::<i64>().unwrap()
    }
}

/// The plan: for every bill, several payments of its whole amount at once through every
/// channel (each a distinct transaction), duplicates of some, cash and claims for the same bill;
/// then voids (some of the same receipt at once), pay-ins (two at once), deposits with matching
/// (two at once), and a late credit racing the close of its month.
fn plan(rng: &mut StdRng, keys: &SandboxKeys, places: &[Place]) -> Vec<Vec<Act>> {
    let mut first = Vec::new();
    let mut txn = 0;
    let providers = [Provider::Wechat, Provider::Alipay, Provider::RuralBank];
    let today = Utc::now();
    for (vi, p) in places.iter().enumerate() {
        // The last two bills of a village are paid at the counter: cash at once from two
        // windows, and a claimed transfer whose credit arrives while the clerk takes cash.
        let (qr_bills, cash_bills) = p.bills.split_at(p.bills.len() - 2);
        for (reference, fen) in cash_bills {
            for share in [*fen, *fen, fen / 4] {
                first.push(Act::Cash {
                    village: vi,
                    bill: reference.clone(),
                    fen: share,
                });
            }
            first.push(Act::Claim {
                village: vi,
                bill: reference.clone(),
                fen: fen / 2,
                channel: "bank",
            });
            txn += 1;
            first.push(Act::Callback(Arc::new(payment(
                keys,
                p,
                Provider::RuralBank,
                &format!("T{txn}"),
                fen / 2,
                reference,
                today,
            ))));
        }
        for (reference, fen) in qr_bills {
            for _ in 0..rng.gen_range(3..=5) {
                txn += 1;
                let provider = providers[rng.gen_range(0..3)];
                let amount = if rng.gen_bool(0.7) {
                    *fen
                } else {
                    rng.gen_range(1..=*fen)
                };
                let s = Arc::new(payment(keys, p, provider, &format!("T{txn}"), amount, reference, today));
                if rng.gen_bool(0.4) {
                    first.push(Act::Callback(s.clone()));
                }
                first.push(Act::Callback(s));
            }
            first.push(Act::Cash {
                village: vi,
                bill: reference.clone(),
                fen: if rng.gen_bool(0.5) { *fen } else { fen / 2 },
            });
            first.push(Act::Cash {
                village: vi,
                bill: reference.clone(),
                fen: fen / 3,
            });
            first.push(Act::Claim {
                village: vi,
                bill: reference.clone(),
                fen: *fen,
                channel: ["wechat", "alipay", "bank"][rng.gen_range(0..3)],
            });
        }
        // A credit dated last month racing the close of last month.
        let last_month = today - Duration::days(today.day() as i64 + 1);
        txn += 1;
        first.push(Act::Callback(Arc::new(payment(
            keys,
            p,
            Provider::RuralBank,
            &format!("LATE{txn}"),
            1234,
            "无账单号",
            last_month,
        ))));
        first.push(Act::CloseLastMonth { village: vi });
    }
    let mut second = Vec::new();
    for vi in 0..places.len() {
        for _ in 0..6 {
            let pick = rng.gen_range(0..50);
            let reissue = rng.gen_bool(0.5);
            // The same receipt twice at once.
            second.push(Act::Void {
                village: vi,
                pick,
                reissue,
            });
            second.push(Act::Void {
                village: vi,
                pick,
                reissue: !reissue,
            });
        }
        second.push(Act::PayIn { village: vi });
        second.push(Act::PayIn { village: vi });
        second.push(Act::Generate { village: vi });
        second.push(Act::Generate { village: vi });
        // The manual entries (the first two of the journal) twice at once, and money entries.
        for pick in [0, 1, rng.gen_range(2..50)] {
            second.push(Act::Reverse { village: vi, pick });
            second.push(Act::Reverse { village: vi, pick });
        }
    }
    let mut third = Vec::new();
    for (vi, place) in places.iter().enumerate() {
        third.push(Act::DepositAndMatch {
            village: vi,
            tag: format!("{vi}a"),
        });
        third.push(Act::DepositAndMatch {
            village: vi,
            tag: format!("{vi}b"),
        });
        third.push(Act::Cash {
            village: vi,
            bill: place.bills[0].0.clone(),
            fen: 1,
        });
    }
    for round in [&mut first, &mut second, &mut third] {
        // Shuffle so actions on one bill land together and apart, differently for each seed.
        for i in (1..round.len()).rev() {
            round.swap(i, rng.gen_range(0..=i));
        }
    }
    vec![first, second, third]
}

both!(
    concurrent_payments_cash_voids_and_pay_ins_leave_books_a_sequential_order_could_have_made,
    |app| {
        let mut rng = StdRng::seed_from_u64(seed());
        let keys = SandboxKeys::generate().unwrap();
        let (t, places) = county(&app, &keys, &[20_000, 15_000, 167_838, 8_000, 6_000]).await;
        let mut outcomes: Vec<Outcome> = Vec::new();
        for round in plan(&mut rng, &keys, &places) {
            let done: Vec<Vec<Outcome>> = futures::stream::iter(round.iter())
                .map(|act| run(&app, &keys, &t, &places, act))
                .buffer_unordered(24)
                .collect()
                .await;
            outcomes.extend(done.into_iter().flatten());
        }
        // Nothing a client sent is a server error; nothing is left to retry.
        let failures: Vec<(&str, u16)> = outcomes
            .iter()
            .filter(|o| o.status >= 500 || o.status < 200)
            .map(|o| (o.what, o.status))
            .collect();
        assert!(failures.is_empty(), "server errors: {failures:?}");
        // The run did exercise every path: payments accepted, cash taken, voids done and refused.
        let count = |what: &str, ok: bool| {
            outcomes
                .iter()
                .filter(|o| o.what == what && (o.status < 300) == ok)
                .count()
        };
        assert!(count("callback", true) >= 20, "callbacks accepted");
        assert!(count("cash", true) >= 1, "cash taken");
        assert!(
            count("void", true) >= 2 && count("void", false) >= 1,
            "voids done and refused"
        );
        assert!(
            count("reverse", true) >= 2 && count("reverse", false) >= 2,
            "reversals done and refused"
        );
        // Bill generation ran twice at once: each contract's installments exist once.
        for p in &places {
            let bills = app
                .get(&p.clerk, &format!("/api/v1/villages/{}/bills?limit=500", p.code))
                .await;
            let next_year = bills
                .body
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["contract_id"].is_i64())
                .count();
            assert_eq!(next_year, 4, "one bill per quarter of 2027: {}", bills.body);
        }
        let found = disagreements(&app.db);
        assert!(
            found.is_empty(),
            "the books disagree after the run:\n  {}",
            found.join("\n  ")
        );
        let report = qingzhang::usecases::verify::verify(&app.db, None).unwrap();
        assert!(report.ok, "verify: {report:?}");
        assert_books_agree(&app.db);
    }
);

/// The village's receipts as (bill reference digits, status).
async fn receipts_of(app: &TestApp, p: &Place) -> Vec<(String, String)> {
    let r = app
        .get(&p.clerk, &format!("/api/v1/villages/{}/receipts?limit=500", p.code))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["bill_reference"].as_str().unwrap_or("").replace('-', ""),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The debit-positive balance of one ledger account, in fen.
async fn balance(app: &TestApp, token: &str, p: &Place, code: &str) -> i64 {
    let r = app
        .get(token, &format!("/api/v1/villages/{}/ledger/accounts", p.code))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let account = r.body.as_array().unwrap().iter().find(|a| a["code"] == code);
    account.map_or(0, |a| {
        let text = a["balance"].as_str().unwrap();
        match text.strip_prefix('-') {
            Some(positive) => -Money(positive.to_string()).fen(),
            None => Money(text.to_string()).fen(),
        }
    })
}

// Focused race: the clerk takes cash for a bill at the moment its QR or bank payment arrives.
// Whichever comes first pays the bill; the other is refused (cash) or waits in suspense
// (payment), never both applied. Six bills over the three providers, so both orders show.
both!(cash_and_a_payment_of_one_bill_at_once_pay_it_once, |app| {
    let keys = SandboxKeys::generate().unwrap();
    let (t, places) = county(&app, &keys, &[15_000; 6]).await;
    let p = &places[0];
    let v = format!("/api/v1/villages/{}", p.code);
    let providers = [Provider::Wechat, Provider::Alipay, Provider::RuralBank];
    let mut cash_first = 0;
    for (i, (reference, fen)) in p.bills.iter().enumerate() {
        let signed = payment(
            &keys,
            p,
            providers[i % 3],
            &format!("RACE{i}"),
            *fen,
            reference,
            Utc::now(),
        );
        let cash_path = format!("{v}/cash");
        let (cash, callback) = futures::join!(
            app.post(
                &p.clerk,
                &cash_path,
                json!({"bill_reference": reference, "amount": yuan(*fen)})
            ),
            deliver(&app, &signed)
        );
        assert!(
            (200..300).contains(&callback),
            "the payment is acknowledged: {callback}"
        );
        match cash.status {
            201 => cash_first += 1,
            409 | 422 => assert!(
                ["bill_not_open", "amount_exceeds_bill"].contains(&cash.code()),
                "{:?}",
                cash.body
            ),
            s => panic!("cash answered {s}: {:?}", cash.body),
        }
        let bill = app.get(&p.clerk, &format!("{v}/bills/{reference}")).await;
        assert_eq!(bill.status, 200, "{:?}", bill.body);
        assert_eq!(
            (bill.body["paid"].as_str(), bill.body["status"].as_str()),
            (Some(yuan(*fen).as_str()), Some("paid")),
            "bill {reference} paid once: {}",
            bill.body
        );
        let issued = receipts_of(&app, p)
            .await
            .into_iter()
            .filter(|(b, s)| b == &reference.replace('-', "") && s == "issued")
            .count();
        assert_eq!(issued, 1, "bill {reference} has one valid receipt");
    }
    // Each payment that lost the race waits in 待查明款项, and nothing else does.
    assert_eq!(
        balance(&app, &t.accountant, p, "211.9999").await,
        -15_000 * cash_first,
        "{cash_first} payments came after the cash"
    );
    assert_books_agree(&app.db);
    assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
});

// Focused race: forty payments of forty bills of two villages arrive at once, a third of them
// twice. Each village's receipts are numbered 1..n with no gap and no number twice, one per bill.
both!(receipts_are_numbered_without_gaps_under_concurrent_payments, |app| {
    let keys = SandboxKeys::generate().unwrap();
    let (_t, places) = county(&app, &keys, &[10_000; 20]).await;
    let providers = [Provider::Wechat, Provider::Alipay, Provider::RuralBank];
    let mut sends = Vec::new();
    for (vi, p) in places.iter().enumerate() {
        for (i, (reference, fen)) in p.bills.iter().enumerate() {
            let s = Arc::new(payment(
                &keys,
                p,
                providers[i % 3],
                &format!("N{vi}-{i}"),
                *fen,
                reference,
                Utc::now(),
            ));
            if i % 3 == 0 {
                sends.push(s.clone());
            }
            sends.push(s);
        }
    }
    let answers: Vec<u16> = futures::stream::iter(sends.iter())
        .map(|s| deliver(&app, s))
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(answers.iter().all(|s| (200..300).contains(s)), "{answers:?}");
    for p in &places {
        let receipts = receipts_of(&app, p).await;
        assert_eq!(receipts.len(), p.bills.len(), "one receipt per bill in {}", p.code);
        let bills: std::collections::BTreeSet<_> = receipts.iter().map(|r| r.0.clone()).collect();
        assert_eq!(bills.len(), p.bills.len(), "no bill receipted twice");
    }
    // Gapless, unique numbers per village and year, each transaction applied once.
    assert_books_agree(&app.db);
});

// Focused race: eight late bank credits dated last month arrive while the accountant closes
// last month. Every credit is posted once; those that came after the close are dated in the
// open month with their own date in the memo, and the closed month takes nothing after it closed.
both!(
    month_close_racing_late_credits_leaves_the_closed_month_untouched,
    |app| {
        let keys = SandboxKeys::generate().unwrap();
        let (t, places) = county(&app, &keys, &[10_000]).await;
        let p = &places[0];
        let today = Utc::now();
        let last_month = today - Duration::days(today.day() as i64 + 1);
        let period = last_month.format("%Y-%m").to_string();
        let credits: Vec<Signed> = (0..8)
            .map(|i| {
                payment(
                    &keys,
                    p,
                    Provider::RuralBank,
                    &format!("LATE-{i}"),
                    1_000 + i,
                    "无账单号",
                    last_month,
                )
            })
            .collect();
        let close_path = format!("/api/v1/villages/{}/periods/{period}/close", p.code);
        let (close, answers) = futures::join!(
            app.post(&t.accountant, &close_path, json!({})),
            futures::future::join_all(credits.iter().map(|s| deliver(&app, s)))
        );
        assert!(close.status < 300, "{:?}", close.body);
        assert!(answers.iter().all(|s| (200..300).contains(s)), "{answers:?}");
        let entries = app
            .get(&t.accountant, &format!("/api/v1/villages/{}/entries?limit=500", p.code))
            .await;
        assert_eq!(entries.status, 200, "{:?}", entries.body);
        let late: Vec<&Value> = entries
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["memo"].as_str().unwrap().contains("待查明"))
            .collect();
        assert_eq!(late.len(), 8, "each credit posted once: {late:?}");
        for e in &late {
            let moved = e["memo"].as_str().unwrap().contains("原日期");
            assert_eq!(e["period"].as_str() == Some(period.as_str()), !moved, "{e}");
        }
        assert_eq!(
            balance(&app, &t.accountant, p, "211.9999").await,
            -(0..8).map(|i| 1_000 + i).sum::<i64>()
        );
        // The closed month took no entry after it closed (checked from the tables).
        assert_books_agree(&app.db);
        assert!(qingzhang::usecases::verify::verify(&app.db, None).unwrap().ok);
    }
);

// Admins changing one village's cash limit at once: every change is kept, and the one in force
// is the one the audit log records last (each change takes the village's lock, so commit order,
// row order and audit order agree).
both!(
    cash_limit_changes_at_once_are_all_kept_and_the_last_audited_is_in_force,
    |app| {
        use diesel::prelude::*;
        use qingzhang::store::schema::audit_log;
        let t = app.seed().await;
        let path = format!("/api/v1/villages/{VILLAGE_A}/cash-limit");
        let tomorrow = (beijing_today() + Duration::days(1)).to_string();
        let limits: Vec<String> = (1..=8).map(|i| format!("{}.00", 6000 + i * 100)).collect();
        let runs = futures::future::join_all(limits.iter().map(|limit| {
            app.post(
                &t.admin,
                &path,
                json!({"limit": limit, "effective_from": tomorrow, "note": format!("文件 {limit}")}),
            )
        }))
        .await;
        assert!(
            runs.iter().all(|r| r.status == 201),
            "{:?}",
            runs.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>()
        );
        let history = app.get(&t.admin, &path).await.body;
        let changes: Vec<String> = history["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["limit"].as_str().unwrap().to_string())
            .collect();
        let mut kept = changes.clone();
        kept.sort();
        assert_eq!(kept, limits, "every change is kept once");
        let audited: Vec<String> = app
            .db
            .read(|c| -> Result<Vec<String>, qingzhang::AppError> {
                Ok(audit_log::table
                    .filter(audit_log::action.eq("village.cash_limit"))
                    .order(audit_log::seq)
                    .select(audit_log::details)
                    .load(c)?)
            })
            .unwrap()
            .iter()
            .map(|d| {
                serde_json::from_str::<Value>(d).unwrap()["limit"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(audited.len(), limits.len());
        // The limit in force from tomorrow, as the rules read it, is the last one audited.
        let village = app
            .db
            .read(|c| qingzhang::store::registry::Village::by_code(c, VILLAGE_A))
            .unwrap()
            .unwrap();
        let in_force = app
            .db
            .read(|c| qingzhang::store::registry::cash_limits(c, &village))
            .unwrap()
            .on(beijing_today() + Duration::days(1));
        assert_eq!(Some(&in_force.to_string()), audited.last(), "audit {audited:?}");
        assert_eq!(changes.last(), audited.last(), "history {changes:?}, audit {audited:?}");
        assert_eq!(changes, audited, "rows and audit lines in one order");
    }
);

// Admins renaming one village at once: each rename takes the village's lock, so the audit log
// reads as a chain (each rename's old name is the one before it made) and the name kept is the
// last one audited.
both!(renames_of_one_village_at_once_chain_in_the_audit_log, |app| {
    use diesel::prelude::*;
    use qingzhang::store::schema::audit_log;
    let t = app.seed().await;
    let path = format!("/api/v1/villages/{VILLAGE_A}/name");
    let before = app.get(&t.admin, &format!("/api/v1/villages/{VILLAGE_A}")).await.body["name"].clone();
    let names: Vec<String> = (1..=6).map(|i| format!("北岩{i}村")).collect();
    let runs = futures::future::join_all(
        names
            .iter()
            .map(|n| app.post(&t.admin, &path, json!({"name": n, "note": "县政府文件"}))),
    )
    .await;
    assert!(
        runs.iter().all(|r| r.status == 200),
        "{:?}",
        runs.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let audited: Vec<Value> = app
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
    assert_eq!(audited.len(), names.len());
    let mut previous = before;
    for a in &audited {
        assert_eq!(a["from"], previous, "{audited:?}");
        previous = a["to"].clone();
    }
    let now = app.get(&t.admin, &format!("/api/v1/villages/{VILLAGE_A}")).await.body["name"].clone();
    assert_eq!(now, previous, "the name kept is the last one audited");
});
