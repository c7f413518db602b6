//! Bounded fuzzing that stays in the suite: every parser a stranger's bytes reach, fed generated
//! and mutated input. Each target must never panic, and whatever it accepts must mean what it
//! says (an amount within the bound, a reference that reads back the same). Nightly's cargo-fuzz
//! is not needed: proptest drives the same targets on stable.
//!
//! `QZ_FUZZ_CASES` sets the cases per target (default 1000 here; the long run in
//! docs/security.md uses 200000 on a release build). Each target appends its counts to
//! `target/tmp/fuzz-report.txt`, which `.ci/run` prints.

use std::io::Write;

use bank_adapters::alipay::{self, Alipay, AlipayConfig};
use bank_adapters::emvco::{self, MerchantQr};
use bank_adapters::money::Money;
use bank_adapters::rsa::RsaPrivateKey;
use bank_adapters::rural_bank::{sign_headers, Algorithm, BankKey, RuralBank};
use bank_adapters::wechat::{self, PlatformKey, Transaction, TransactionAmount, Wechat, WechatConfig};
use bank_adapters::{Adapter, Notice, Secret};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use qingzhang::domain::reference::BillReference;

fn cases() -> u32 {
    std::env::var("QZ_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// Runs one target for `cases()` cases; records how many inputs it accepted and refused.
fn fuzz<S: Strategy>(name: &str, strategy: S, target: impl Fn(S::Value) -> Result<bool, TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let accepted = std::sync::atomic::AtomicU32::new(0);
    let result = runner.run(&strategy, |input| {
        if target(input)? {
            accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("fuzz target {name}: {e}");
    }
    let accepted = accepted.into_inner();
    let line = format!(
        "fuzz {name}: {n} cases, {accepted} accepted, {} refused, 0 panics\n",
        n - accepted
    );
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-report.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(line.as_bytes());
    }
    eprint!("{line}");
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 4, 0, 0).unwrap()
}

/// Text a hostile client might send: anything, or near-misses of what is expected.
fn hostile_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[0-9.\\-+eE, ]{0,24}",
        "[0-9]{1,20}(\\.[0-9]{0,4})?",
        Just(String::new()),
        Just("\u{0}".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("-0.01".to_string()),
        Just("NaN".to_string()),
    ]
    .boxed()
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        hostile_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(serde_json::Value::Array)
    })
}

fn assert_credit_sane(notice: &Notice) -> Result<(), TestCaseError> {
    if let Notice::Credit(c) = notice {
        prop_assert!(c.amount.fen() > 0, "a credit of {:?}", c.amount);
        prop_assert!(
            c.amount.within_bound().is_ok(),
            "a credit beyond the bound: {:?}",
            c.amount
        );
        prop_assert!(!c.provider_txn_id.is_empty(), "a credit without a transaction id");
    }
    Ok(())
}

// ---------- strangers: nothing unsigned is ever believed ----------

#[test]
fn unsigned_requests_never_verify_at_any_adapter() {
    let bank_key = BankKey {
        key_id: "k1".into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(b"a-shared-secret-0001".to_vec()),
    };
    let platform = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let adapters: Vec<Box<dyn Adapter>> = vec![
        Box::new(RuralBank { keys: vec![bank_key] }),
        Box::new(Wechat {
            config: WechatConfig {
                mch_id: "1900000109".into(),
                api_v3_key: Secret::new(vec![7u8; 32]),
                platform_keys: vec![PlatformKey::from_public_key_pem(
                    "PUB_KEY_ID_1",
                    &wechat::public_key_pem(&platform),
                )
                .unwrap()],
            },
        }),
        Box::new(Alipay {
            config: AlipayConfig {
                app_id: "2021000000000001".into(),
                alipay_public_key: platform.to_public_key(),
            },
        }),
    ];
    let names = [
        "X-QZ-Key-Id",
        "X-QZ-Timestamp",
        "X-QZ-Nonce",
        "X-QZ-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
        "Content-Type",
    ];
    let headers = prop::collection::vec((prop::sample::select(names.to_vec()), hostile_text()), 0..10)
        .prop_map(|h| h.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Vec<_>>());
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        "[a-z_]{1,12}=[^&]{0,40}(&[a-z_]{1,12}=[^&]{0,40}){0,8}".prop_map(String::into_bytes),
    ];
    fuzz(
        "unsigned requests, three adapters",
        (headers, body),
        |(headers, body)| {
            for a in &adapters {
                prop_assert!(
                    a.verify_and_parse(&headers, &body, now()).is_err(),
                    "{:?} believed a stranger",
                    a.provider()
                );
            }
            Ok(false)
        },
    );
}

// ---------- signed: what a verified request says is parsed or refused, never a panic ----------

#[test]
fn signed_bank_pushes_parse_or_refuse() {
    let key = BankKey {
        key_id: "k1".into(),
        algorithm: Algorithm::HmacSha256,
        secret: Secret::new(b"a-shared-secret-0001".to_vec()),
    };
    let adapter = RuralBank {
        keys: vec![key.clone()],
    };
    let fields = [
        "event",
        "txn_id",
        "account_no",
        "amount",
        "currency",
        "value_time",
        "counterparty_name",
        "remark",
    ];
    let body = prop_oneof![
        // A valid push with some fields replaced by anything JSON can hold.
        prop::collection::vec((prop::sample::select(fields.to_vec()), json_value()), 0..4).prop_map(|changes| {
            let mut b = serde_json::json!({"event": "account.credit", "txn_id": "RCB-1",
                "account_no": "9150010100001234567", "amount": "10.00", "currency": "CNY",
                "value_time": "2026-11-30T10:00:00+08:00", "counterparty_name": "张*国", "remark": "交费"});
            for (k, v) in changes {
                b[k] = v;
            }
            b.to_string().into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..256),
    ];
    fuzz(
        "signed bank pushes",
        (body, any::<prop::sample::Index>()),
        |(body, at)| {
            let headers = sign_headers(&key, &body, now(), "nonce-0000000001");
            // One byte changed after signing: never believed.
            if !body.is_empty() {
                let mut changed = body.clone();
                changed[at.index(body.len())] ^= 0x01;
                prop_assert!(
                    adapter.verify(&headers, &changed, now()).is_err(),
                    "a changed body verified"
                );
            }
            match adapter.verify_and_parse(&headers, &body, now()) {
                Ok(notice) => {
                    assert_credit_sane(&notice)?;
                    Ok(true)
                }
                Err(_) => Ok(false),
            }
        },
    );
}

#[test]
fn signed_wechat_notifications_parse_or_refuse() {
    let platform = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let api_v3_key = [7u8; 32];
    let adapter = Wechat {
        config: WechatConfig {
            mch_id: "1900000109".into(),
            api_v3_key: Secret::new(api_v3_key.to_vec()),
            platform_keys: vec![
                PlatformKey::from_public_key_pem("PUB_KEY_ID_1", &wechat::public_key_pem(&platform)).unwrap(),
            ],
        },
    };
    let transaction = (
        hostile_text(),
        hostile_text(),
        prop_oneof![Just("SUCCESS".to_string()), hostile_text()],
        prop_oneof![Just("2026-11-30T10:00:00+08:00".to_string()), hostile_text()],
        any::<i64>(),
        prop::option::of(any::<i64>()),
        prop_oneof![Just("CNY".to_string()), hostile_text()],
    )
        .prop_map(
            |(txn, trade_no, state, time, total, payer_total, currency)| Transaction {
                mchid: "1900000109".into(),
                appid: "wxd678efh567hg6787".into(),
                out_trade_no: trade_no,
                transaction_id: txn,
                trade_state: state,
                success_time: time,
                attach: None,
                amount: TransactionAmount {
                    total,
                    payer_total,
                    currency,
                    payer_currency: None,
                },
            },
        );
    fuzz("signed WeChat notifications", transaction, |t| {
        let signed = wechat::payment_notification(&platform, "PUB_KEY_ID_1", &api_v3_key, &t, now())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        match adapter.verify_and_parse(&signed.headers, &signed.body, now()) {
            Ok(notice) => {
                assert_credit_sane(&notice)?;
                if let Notice::Credit(c) = &notice {
                    prop_assert_eq!(c.amount.fen(), t.amount.total, "WeChat credits the order total");
                }
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    });
}

#[test]
fn signed_alipay_notifications_parse_or_refuse() {
    let alipay_key = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
    let adapter = Alipay {
        config: AlipayConfig {
            app_id: "2021000000000001".into(),
            alipay_public_key: alipay_key.to_public_key(),
        },
    };
    let amount_fields = [
        "total_amount",
        "receipt_amount",
        "buyer_pay_amount",
        "invoice_amount",
        "point_amount",
        "trade_status",
        "gmt_payment",
        "trade_no",
        "out_trade_no",
        "notify_time",
    ];
    let params = prop::collection::vec((prop::sample::select(amount_fields.to_vec()), hostile_text()), 0..5);
    fuzz("signed Alipay notifications", params, |changes| {
        let mut p: Vec<(String, String)> = [
            ("app_id", "2021000000000001"),
            ("notify_id", "n1"),
            ("notify_type", "trade_status_sync"),
            ("notify_time", "2026-11-30 10:00:00"),
            ("trade_no", "2026113022001400001"),
            ("out_trade_no", "QZ1"),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", "10.00"),
            ("gmt_payment", "2026-11-30 10:00:00"),
            ("charset", "utf-8"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in changes {
            match p.iter_mut().find(|(name, _)| name == k) {
                Some(slot) => slot.1 = v,
                None => p.push((k.to_string(), v)),
            }
        }
        let body = alipay::signed_form(&alipay_key, &p);
        let headers = vec![(
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        )];
        match adapter.verify_and_parse(&headers, &body, now()) {
            Ok(notice) => {
                assert_credit_sane(&notice)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    });
}

// ---------- the small parsers ----------

#[test]
fn money_parses_within_its_bound_and_reads_back() {
    fuzz("money parser", hostile_text(), |text| match Money::parse(&text) {
        Ok(m) => {
            prop_assert!(m.within_bound().is_ok(), "{text:?} → {m:?}");
            prop_assert_eq!(
                Money::parse(&m.to_string()).ok(),
                Some(m),
                "{:?} does not read back",
                text
            );
            Ok(true)
        }
        Err(_) => Ok(false),
    });
    let fen = prop_oneof![
        -bank_adapters::money::MAX_FEN..=bank_adapters::money::MAX_FEN,
        -1000i64..1000,
        any::<i64>(),
    ];
    fuzz("money in fen", fen, |fen| {
        let m = Money::from_fen(fen);
        match m.within_bound() {
            Ok(m) => prop_assert_eq!(Money::parse(&m.to_string()).ok(), Some(m)),
            Err(_) => prop_assert!(fen.unsigned_abs() > bank_adapters::money::MAX_FEN as u64),
        }
        Ok(fen.unsigned_abs() <= bank_adapters::money::MAX_FEN as u64)
    });
}

#[test]
fn bill_references_read_back_and_catch_typos() {
    fuzz(
        "bill references",
        prop_oneof![hostile_text(), "[0-9 ]{10,24}"],
        |text| match BillReference::parse(&text) {
            Ok(r) => {
                prop_assert_eq!(BillReference::parse(&r.grouped()).ok(), Some(r.clone()));
                prop_assert_eq!(BillReference::parse(r.as_str()).ok(), Some(r));
                Ok(true)
            }
            Err(_) => Ok(false),
        },
    );
    fuzz(
        "bill reference typos",
        (0i64..1_000_000, 1i64..1_000_000, 0usize..13, 1u8..10),
        |(village, seq, at, bump)| {
            let good = BillReference::new(village, seq).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut digits: Vec<u8> = good.as_str().bytes().collect();
            let i = at % digits.len();
            digits[i] = b'0' + (digits[i] - b'0' + bump) % 10;
            let typo = String::from_utf8(digits).unwrap();
            prop_assert!(BillReference::parse(&typo).is_err(), "{typo} passed for {good}");
            Ok(false)
        },
    );
}

#[test]
fn emvco_payloads_decode_or_refuse_and_ours_read_back() {
    fuzz(
        "EMVCo payloads",
        prop_oneof![
            any::<String>(),
            "(0[0-9][0-9]{2}[A-Za-z0-9 .]{0,12}){0,10}6304[0-9A-F]{4}",
        ],
        |text| {
            let decoded = emvco::decode(&text).is_ok();
            let parsed = MerchantQr::parse(&text).is_ok();
            Ok(decoded || parsed)
        },
    );
    // Any run of fields, framed and checksummed, reads back field for field; one changed
    // character is caught by the CRC.
    let fields = prop::collection::vec(("(0[1-9]|[1-5][0-9]|6[0-2])", "\\PC{0,30}"), 0..12);
    fuzz(
        "EMVCo frames",
        (fields, any::<prop::sample::Index>()),
        |(fields, at)| {
            let mut all = vec![("00".to_string(), "01".to_string())];
            all.extend(fields);
            let payload = emvco::encode(&all).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            let decoded = emvco::decode(&payload).map_err(|e| TestCaseError::fail(format!("{payload}: {e:?}")))?;
            prop_assert_eq!(&decoded, &all);
            let mut chars: Vec<char> = payload.chars().collect();
            let i = at.index(chars.len() - 4);
            chars[i] = if chars[i] == 'Z' { 'Y' } else { 'Z' };
            let changed: String = chars.into_iter().collect();
            prop_assert!(emvco::decode(&changed).is_err(), "{changed} passed");
            Ok(true)
        },
    );
    let qr = (
        "[A-Za-z0-9 ]{1,25}",
        "[A-Za-z ]{1,15}",
        prop::option::of(1i64..bank_adapters::money::MAX_FEN),
        prop::option::of("[0-9]{1,25}"),
        prop::option::of(("\\PC{1,8}", "\\PC{1,6}")),
    )
        .prop_map(|(name, city, amount, reference, chinese)| MerchantQr {
            account_tag: "26".into(),
            account_fields: vec![
                ("00".into(), "CN.QINGZHANG".into()),
                ("01".into(), "9150010100001234567".into()),
            ],
            mcc: "8398".into(),
            merchant_name: name,
            merchant_city: city,
            amount: amount.map(Money::from_fen),
            reference,
            chinese,
        });
    fuzz("EMVCo codes we make", qr, |qr| match qr.to_payload() {
        Ok(payload) => {
            prop_assert_eq!(MerchantQr::parse(&payload).ok(), Some(qr));
            Ok(true)
        }
        // Too long for a field (99 bytes): refused when made, never a bad code.
        Err(_) => Ok(false),
    });
}

#[test]
fn pay_tokens_from_strangers_are_refused() {
    use qingzhang::payments::qr::PayToken;
    fuzz(
        "pay tokens",
        prop_oneof![any::<String>(), "[A-Za-z0-9_\\-]{10,80}"],
        |text| {
            prop_assert!(PayToken::decode(&text, b"test-server-key-0123456789abcdef", 20_000).is_err());
            Ok(false)
        },
    );
}

// ---------- bank statements: an accountant's file is a stranger's bytes too ----------

/// A statement file in the rural bank's layout: rows that are mostly well formed (a date, one
/// amount on one side, a balance, a serial) with some cells replaced by hostile text, in an
/// encoding banks use.
fn statement_file() -> impl Strategy<Value = Vec<u8>> {
    let amount = "[1-9][0-9]{0,2}(,[0-9]{3}){0,2}\\.[0-9]{2}";
    let row = (
        "2026(0[1-9]|1[0-2])[0-2][1-9]",
        "[01][0-9]:[0-5][0-9]:[0-5][0-9]",
        prop::bool::ANY,
        amount,
        amount,
        "RCB[0-9]{1,4}",
        "(张建国|某某建材店|𠮷祥|王*英|)",
        prop::option::weighted(0.2, (0usize..10, hostile_text())),
    )
        .prop_map(|(date, time, debit, amount, balance, serial, name, spoil)| {
            let (d, c) = if debit {
                (amount, String::new())
            } else {
                (String::new(), amount)
            };
            let mut cells = vec![
                date,
                time,
                "转账".into(),
                d,
                c,
                balance,
                String::new(),
                name,
                serial,
                String::new(),
            ];
            if let Some((i, text)) = spoil {
                cells[i] = text;
            }
            cells
        });
    (prop::collection::vec(row, 0..12), prop::bool::ANY, 0u8..4).prop_map(|(rows, total, encoding)| {
        let mut text =
            "账户明细查询\n交易日期,交易时间,摘要,支出金额,收入金额,账户余额,对方账号,对方户名,交易流水号,附言\n"
                .to_string();
        for row in rows {
            let quoted: Vec<String> = row.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
            text.push_str(&quoted.join(","));
            text.push('\n');
        }
        if total {
            text.push_str("合计,,,,,,,,,\n");
        }
        match encoding {
            0 => text.into_bytes(),
            1 => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            2 => encoding_rs::GB18030.encode(&text).0.into_owned(),
            _ => encoding_rs::GBK.encode(&text).0.into_owned(),
        }
    })
}

#[test]
fn statement_files_read_or_refuse_and_what_they_read_is_money() {
    use qingzhang::reconcile::profile::Profiles;
    use qingzhang::reconcile::statement::{keys, parse};
    let profiles = Profiles::built_in();
    let account = "9150010100001234567";
    let check = |bytes: Vec<u8>| match parse(&bytes, &profiles, account) {
        Ok(p) => {
            prop_assert!(!p.lines.is_empty());
            for l in &p.lines {
                prop_assert!(l.amount.fen() > 0 && l.amount.within_bound().is_ok(), "{l:?}");
                prop_assert!(l.row >= 2, "{l:?}");
            }
            let k = keys(&p.lines);
            let distinct: std::collections::HashSet<&String> = k.iter().collect();
            prop_assert_eq!(distinct.len(), k.len(), "two lines of one file share a key");
            Ok(true)
        }
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            Ok(false)
        }
    };
    fuzz(
        "statement files (rural bank layout, CSV in UTF-8/BOM/GBK/GB18030)",
        statement_file(),
        check,
    );
    fuzz(
        "statement files (any bytes)",
        prop::collection::vec(any::<u8>(), 0..400),
        check,
    );
}
