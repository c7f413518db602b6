//! Bank statements as accountants get them, imported over real HTTP on SQLite and PostgreSQL:
//! a rural bank's GBK export with title and 合计 rows, a GB18030 file with a name outside GBK, the
//! sandbox's UTF-8 file with a BOM and a big-four bank's XLSX. Each line is kept once, whatever
//! imports it again; every bad file is refused naming its row and column, and stores nothing.

mod common;

use common::*;
use diesel::prelude::*;
use qingzhang::store::schema::{audit_log, statement_imports, statement_lines};
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/statements");
const ACCOUNT_A: &str = "9150010100001234567";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

struct Answer {
    status: u16,
    body: Value,
}

async fn upload(app: &TestApp, token: &str, village: &str, account: i64, name: &str, bytes: Vec<u8>) -> Answer {
    let r = app
        .client
        .post(format!(
            "{}/api/v1/villages/{village}/accounts/{account}/statements?file_name={name}",
            app.base
        ))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    Answer {
        status,
        body: r.json().await.unwrap_or(Value::Null),
    }
}

async fn account_id(app: &TestApp, t: &Tokens, village: &str) -> i64 {
    let r = app.get(&t.admin, &format!("/api/v1/villages/{village}/accounts")).await;
    r.body[0]["id"].as_i64().unwrap()
}

/// (imports, lines) kept, counted straight from the tables.
fn kept(app: &TestApp) -> (i64, i64) {
    app.db
        .read(|conn| -> Result<(i64, i64), qingzhang::AppError> {
            Ok((
                statement_imports::table.count().get_result(conn)?,
                statement_lines::table.count().get_result(conn)?,
            ))
        })
        .unwrap()
}

async fn lines(app: &TestApp, token: &str, account: i64, from: &str, to: &str) -> Vec<Value> {
    let r = app
        .get(
            token,
            &format!("/api/v1/villages/{VILLAGE_A}/accounts/{account}/statements?from={from}&to={to}"),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body.as_array().unwrap().clone()
}

both!(
    a_gbk_netbank_export_is_kept_once_and_a_second_import_changes_nothing,
    |app| {
        let t = app.seed().await;
        let account = account_id(&app, &t, VILLAGE_A).await;
        let first = upload(
            &app,
            &t.accountant,
            VILLAGE_A,
            account,
            "明细.csv",
            fixture("rural-netbank-gbk.csv"),
        )
        .await;
        assert_eq!(first.status, 201, "{:?}", first.body);
        assert_eq!(first.body["profile"], "rural-netbank");
        assert_eq!(first.body["encoding"], "GBK/GB18030");
        assert_eq!(
            (first.body["lines_total"].as_i64(), first.body["lines_new"].as_i64()),
            (Some(4), Some(4))
        );
        assert_eq!(first.body["first_date"], "2026-11-02");
        assert_eq!(first.body["last_date"], "2026-11-05");
        assert_eq!(first.body["broken_rows"], serde_json::json!([]));
        let got = lines(&app, &t.accountant, account, "2026-11-01", "2026-11-30").await;
        let shown: Vec<(&str, &str, &str, &str)> = got
            .iter()
            .map(|l| {
                (
                    l["direction"].as_str().unwrap(),
                    l["amount"].as_str().unwrap(),
                    l["balance"].as_str().unwrap(),
                    l["counterparty_name"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                ("credit", "3000.50", "13000.50", "张建国"),
                ("debit", "1000.00", "12000.50", "东岭建材经营部"),
                ("credit", "800.00", "12800.50", "王秀英"),
                ("credit", "12.34", "12812.84", ""),
            ]
        );
        assert_eq!(got[0]["serial"], "RCB20261102001");
        assert_eq!(got[0]["value_time"], "2026-11-02 09:15");
        assert_eq!(got[0]["remark"], "缴土地承包费");
        assert_eq!(got[0]["row_no"], 5, "the row as the spreadsheet shows it");
        assert_eq!(kept(&app), (1, 4));

        // The same file again: nothing new, and the answer says so.
        let again = upload(
            &app,
            &t.accountant,
            VILLAGE_A,
            account,
            "明细.csv",
            fixture("rural-netbank-gbk.csv"),
        )
        .await;
        assert_eq!(again.status, 201, "{:?}", again.body);
        assert_eq!(
            (again.body["lines_new"].as_i64(), again.body["lines_known"].as_i64()),
            (Some(0), Some(4))
        );
        assert!(
            again.body["message"].as_str().unwrap().contains("没有任何变化"),
            "{}",
            again.body
        );
        assert_eq!(kept(&app), (2, 4), "the import is recorded, no line twice");
        let audited: i64 = app
            .db
            .read(|conn| -> Result<i64, qingzhang::AppError> {
                Ok(audit_log::table
                    .filter(audit_log::action.eq("statement.import"))
                    .count()
                    .get_result(conn)?)
            })
            .unwrap();
        assert_eq!(audited, 2);
    }
);

both!(gb18030_utf8_bom_and_xlsx_statements_read_in_their_layouts, |app| {
    let t = app.seed().await;
    let account = account_id(&app, &t, VILLAGE_A).await;
    let gb = upload(
        &app,
        &t.accountant,
        VILLAGE_A,
        account,
        "gb18030.csv",
        fixture("rural-netbank-gb18030.csv"),
    )
    .await;
    assert_eq!(gb.status, 201, "{:?}", gb.body);
    let bom = upload(
        &app,
        &t.accountant,
        VILLAGE_A,
        account,
        "sandbox.csv",
        fixture("sandbox-utf8-bom.csv"),
    )
    .await;
    assert_eq!(bom.status, 201, "{:?}", bom.body);
    assert_eq!(
        (bom.body["profile"].as_str(), bom.body["encoding"].as_str()),
        (Some("qz-sandbox"), Some("UTF-8 (BOM)"))
    );
    let xlsx = upload(
        &app,
        &t.accountant,
        VILLAGE_A,
        account,
        "history.xlsx",
        bigfour_xlsx(ACCOUNT_A),
    )
    .await;
    assert_eq!(xlsx.status, 201, "{:?}", xlsx.body);
    assert_eq!(
        (xlsx.body["profile"].as_str(), xlsx.body["encoding"].as_str()),
        (Some("bigfour-corporate"), Some("XLSX"))
    );
    assert_eq!(xlsx.body["lines_new"], 3);
    let got = lines(&app, &t.accountant, account, "2026-11-06", "2026-11-20").await;
    let names: Vec<&str> = got
        .iter()
        .map(|l| l["counterparty_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        vec![
            "𠮷祥林",
            "李四",
            "张*国",
            "东岭建材经营部",
            "赵六",
            "昌乐县供电公司",
            "孙七"
        ]
    );
    let xlsx_lines: Vec<(&str, &str, &str)> = got[4..]
        .iter()
        .map(|l| {
            (
                l["value_time"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
                l["balance"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        xlsx_lines,
        vec![
            ("2026-11-12 08:05", "1234.56", "101334.56"),
            ("2026-11-12 15:40", "334.56", "101000.00"),
            ("2026-11-13 09:00", "0.10", "101000.10"),
        ],
        "date cells and number cells read as the bank wrote them"
    );
    assert_eq!(kept(&app), (3, 7));
});

/// A big-four bank's 历史明细 as XLSX: a title row, the header, times as real date cells (and one
/// as text), amounts as number cells, the account's own number on each row.
fn bigfour_xlsx(account: &str) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    sheet.write_string(0, 0, "历史明细查询结果").unwrap();
    let header = [
        "本方账号",
        "交易时间",
        "借方发生额",
        "贷方发生额",
        "余额",
        "对方单位名称",
        "对方账号",
        "摘要",
        "用途",
        "凭证号",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    // (time, debit, credit, balance, counterparty, purpose)
    type Row<'a> = (&'a str, Option<f64>, Option<f64>, f64, &'a str, &'a str);
    let rows: [Row; 3] = [
        ("2026-11-12 08:05:00", None, Some(1234.56), 101334.56, "赵六", "承包费"),
        (
            "2026-11-12 15:40:00",
            Some(334.56),
            None,
            101000.00,
            "昌乐县供电公司",
            "电费",
        ),
        ("2026-11-13 09:00:00", None, Some(0.1), 101000.10, "孙七", ""),
    ];
    for (i, (at, debit, credit, balance, name, purpose)) in rows.iter().enumerate() {
        let r = (i + 2) as u32;
        sheet.write_string(r, 0, account).unwrap();
        if i == 2 {
            sheet.write_string(r, 1, *at).unwrap();
        } else {
            let dt = ExcelDateTime::parse_from_str(at).unwrap();
            sheet.write_datetime_with_format(r, 1, &dt, &when).unwrap();
        }
        if let Some(d) = debit {
            sheet.write_number(r, 2, *d).unwrap();
        }
        if let Some(c) = credit {
            sheet.write_number(r, 3, *c).unwrap();
        }
        sheet.write_number(r, 4, *balance).unwrap();
        sheet.write_string(r, 5, *name).unwrap();
        sheet.write_string(r, 7, "转账").unwrap();
        sheet.write_string(r, 8, *purpose).unwrap();
        sheet.write_string(r, 9, "0001").unwrap();
    }
    book.save_to_buffer().unwrap()
}

both!(
    bad_statements_are_refused_naming_row_and_column_and_keep_nothing,
    |app| {
        let t = app.seed().await;
        let account = account_id(&app, &t, VILLAGE_A).await;
        let other_village_account = account_id(&app, &t, VILLAGE_B).await;
        let gbk = |text: &str| encoding_rs::GBK.encode(text).0.into_owned();
        let header = "交易日期,交易时间,摘要,支出金额,收入金额,账户余额,对方账号,对方户名,交易流水号,附言\n";
        let good_row = "20261102,09:15:02,转账收入,,100.00,100.00,,张建国,RCB1,\n";
        let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
            (
                "an amount that is not a number",
                gbk(&format!(
                    "{header}{good_row}20261103,09:15:02,转账收入,,一百元,200.00,,李四,RCB2,\n"
                )),
                422,
                "statement_invalid",
                "第 3 行“收入金额”列",
            ),
            (
                "an impossible date",
                gbk(&format!(
                    "{header}{good_row}20261131,09:15:02,转账收入,,100.00,200.00,,李四,RCB2,\n"
                )),
                422,
                "statement_invalid",
                "第 3 行“交易日期”列",
            ),
            (
                "an unknown layout",
                gbk("日期,金额,说明\n2026-11-02,100.00,转账\n"),
                422,
                "statement_invalid",
                "找不到表头",
            ),
            (
                "a missing column (no credit column)",
                gbk("交易日期,交易时间,摘要,支出金额,账户余额\n20261102,09:15:02,转账,1.00,1.00\n"),
                422,
                "statement_invalid",
                "找不到表头",
            ),
            (
                "bytes in no encoding a bank uses",
                vec![0xC0, 0xFF, 0xFE, 0x81, 0x20, 0xFF],
                422,
                "statement_invalid",
                "无法识别文件编码",
            ),
            (
                "another account's statement",
                gbk(&format!("账号：9150010100002345678\n{header}{good_row}")),
                422,
                "statement_other_account",
                "不是",
            ),
            ("an empty file", Vec::new(), 422, "statement_invalid", "文件是空的"),
        ];
        for (what, bytes, status, code, names) in cases {
            let r = upload(&app, &t.accountant, VILLAGE_A, account, "bad.csv", bytes).await;
            assert_eq!(r.status, status, "{what}: {:?}", r.body);
            assert_eq!(r.body["code"], code, "{what}: {:?}", r.body);
            assert!(
                r.body["message"].as_str().unwrap().contains(names),
                "{what}: {:?}",
                r.body
            );
            assert_eq!(kept(&app), (0, 0), "{what}: nothing kept");
        }
        let good = gbk(&format!("{header}{good_row}"));
        // An account that is not registered, another village's account, a clerk, an inspector.
        let r = upload(&app, &t.accountant, VILLAGE_A, 999_999, "a.csv", good.clone()).await;
        assert_eq!((r.status, r.body["code"].as_str()), (404, Some("account_not_found")));
        let r = upload(
            &app,
            &t.accountant,
            VILLAGE_A,
            other_village_account,
            "a.csv",
            good.clone(),
        )
        .await;
        assert_eq!((r.status, r.body["code"].as_str()), (404, Some("account_not_found")));
        for token in [&t.clerk_a, &t.inspector] {
            let r = upload(&app, token, VILLAGE_A, account, "a.csv", good.clone()).await;
            assert_eq!(r.status, 403, "{:?}", r.body);
        }
        assert_eq!(kept(&app), (0, 0));
        let r = upload(&app, &t.accountant, VILLAGE_A, account, "a.csv", good).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(kept(&app), (1, 1));
    }
);

both!(
    overlapping_statements_and_concurrent_imports_keep_each_line_once,
    |app| {
        let t = app.seed().await;
        let account = account_id(&app, &t, VILLAGE_A).await;
        let header = "交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n";
        let day = |d: u32, serial: &str, balance: &str| {
            format!("2026-11-{d:02},09:00:00,{serial},,100.00,{balance},张建国,,转账,\n")
        };
        let week_one = format!("{header}{}{}", day(2, "S1", "100.00"), day(3, "S2", "200.00"));
        let week_two = format!("{header}{}{}", day(3, "S2", "200.00"), day(4, "S3", "300.00"));
        let r = upload(
            &app,
            &t.accountant,
            VILLAGE_A,
            account,
            "w1.csv",
            week_one.clone().into_bytes(),
        )
        .await;
        assert_eq!(r.body["lines_new"], 2, "{:?}", r.body);
        let r = upload(&app, &t.accountant, VILLAGE_A, account, "w2.csv", week_two.into_bytes()).await;
        assert_eq!(
            (r.body["lines_new"].as_i64(), r.body["lines_known"].as_i64()),
            (Some(1), Some(1)),
            "{:?}",
            r.body
        );
        assert_eq!(kept(&app).1, 3);
        // Lines without a serial: two identical 50.00 deposits of one day stay two lines, and six
        // accountants importing the same file at once keep them once.
        let no_serial = "交易日期,交易时间,摘要,支出金额,收入金额,对方户名\n\
                     20261105,,现金存入,,50.00,王秀英\n20261105,,现金存入,,50.00,王秀英\n"
            .as_bytes()
            .to_vec();
        let answers = futures::future::join_all(
            (0..6).map(|_| upload(&app, &t.accountant, VILLAGE_A, account, "cash.csv", no_serial.clone())),
        )
        .await;
        assert!(
            answers.iter().all(|a| a.status == 201),
            "{:?}",
            answers.iter().map(|a| &a.body).collect::<Vec<_>>()
        );
        let new: i64 = answers.iter().map(|a| a.body["lines_new"].as_i64().unwrap()).sum();
        assert_eq!(new, 2, "one import kept both lines, the others none");
        assert_eq!(kept(&app).1, 5);
    }
);

// An admin's own layout, added as a JSON file in statement_profiles_dir: read at start-up, no
// rebuild, and files in that layout import.
#[actix_web::test]
async fn an_admins_layout_from_the_profiles_directory_imports_its_banks_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ccb.json"),
        r#"{"name": "ccb-corp", "label": "建设银行企业网银", "columns": {"date": ["记账日期"], "serial": ["账户明细编号-交易流水号"],
            "debit": ["借方发生额（支取）"], "credit": ["贷方发生额（收入）"], "balance": ["余额"], "counterparty_name": ["对方户名"],
            "remark": ["摘要"]}, "formats": {"date": ["%Y%m%d"]}}"#,
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let path = path.clone();
        let Some(app) = TestApp::spawn_configured(backend, move |c| qingzhang::config::Config {
            statement_profiles_dir: Some(path),
            ..c
        })
        .await
        else {
            continue;
        };
        let t = app.seed().await;
        let account = account_id(&app, &t, VILLAGE_A).await;
        let file = "记账日期,账户明细编号-交易流水号,借方发生额（支取）,贷方发生额（收入）,余额,对方户名,摘要\n\
                    20261110,CCB-0001,,88.00,88.00,张建国,转账\n";
        let r = upload(
            &app,
            &t.accountant,
            VILLAGE_A,
            account,
            "ccb.csv",
            encoding_rs::GBK.encode(file).0.into_owned(),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(
            (r.body["profile"].as_str(), r.body["profile_label"].as_str()),
            (Some("ccb-corp"), Some("建设银行企业网银"))
        );
    }
    // A profile that does not read stops the start, naming the file.
    std::fs::write(dir.path().join("broken.toml"), "name = \"x\"\n").unwrap();
    let config = qingzhang::config::Config {
        statement_profiles_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let e = config.statement_profiles().unwrap_err();
    assert!(e.contains("broken.toml"), "{e}");
}

// ---------- the accountant's page ----------

/// A multipart/form-data body as a browser sends it.
fn multipart(fields: &[(&str, &str)], file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----qzboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"明细.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

both!(the_accountant_imports_reconciles_and_downloads_from_the_page, |app| {
    let t = app.seed().await;
    let account = account_id(&app, &t, VILLAGE_A).await;
    let base = format!("/staff/v/{VILLAGE_A}/reconciliation");
    let (status, html) = app.staff_get(&t.accountant, &base).await;
    assert_eq!(status, 200);
    assert!(html.contains("导入对账单") && html.contains("银行对账"), "{html}");
    let csrf = csrf_of(&html);
    let range = [
        ("account", account.to_string()),
        ("from", "2026-11-01".to_string()),
        ("to", "2026-11-07".to_string()),
    ];
    let fields = |csrf: &str| -> Vec<(String, String)> {
        let mut f = vec![("csrf".to_string(), csrf.to_string())];
        f.extend(range.iter().map(|(k, v)| (k.to_string(), v.clone())));
        f
    };
    let send_upload = |csrf: String| {
        let f = fields(&csrf);
        let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (kind, body) = multipart(&refs, &fixture("rural-netbank-gbk.csv"));
        app.client
            .post(format!("{}{base}/upload", app.base))
            .header("cookie", format!("qz_session={}", t.accountant))
            .header("content-type", kind)
            .body(body)
            .send()
    };
    // A forged form (no valid token) changes nothing.
    let forged = send_upload("0".repeat(32)).await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    assert_eq!(kept(&app), (0, 0));
    let uploaded = send_upload(csrf.clone()).await.unwrap();
    assert_eq!(uploaded.status().as_u16(), 200, "followed to the page");
    let html = uploaded.text().await.unwrap();
    assert!(html.contains("已导入 4 笔交易"), "{html}");
    assert_eq!(kept(&app), (1, 4));
    // Reconcile the week from the page.
    let run = app
        .client
        .post(format!("{}{base}/run", app.base))
        .header("cookie", format!("qz_session={}", t.accountant))
        .form(&fields(&csrf))
        .send()
        .await
        .unwrap();
    let html = run.text().await.unwrap();
    assert!(
        html.contains("对账完成：新核对 0 笔，补记银行有、账上无的收入 3 笔，未经审批的支出 1 笔。"),
        "{html}"
    );
    assert!(html.contains(r#"<strong id="critical">1</strong>"#), "{html}");
    assert!(
        html.contains("未经审批的支出") && html.contains("东岭建材经营部"),
        "{html}"
    );
    // The report as a spreadsheet: amounts are numbers, serials are text.
    let xlsx = app
        .client
        .get(format!(
            "{}{base}.xlsx?account={account}&from=2026-11-01&to=2026-11-07",
            app.base
        ))
        .header("cookie", format!("qz_session={}", t.accountant))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status().as_u16(), 200);
    let bytes = xlsx.bytes().await.unwrap().to_vec();
    use calamine::{Data, Reader};
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("对账").unwrap();
    let debit = sheet
        .rows()
        .find(|r| r.get(7) == Some(&Data::String("RCB20261102002".into())))
        .expect("the debit's row, its serial as text");
    assert_eq!(debit[5], Data::Float(1000.0));
    assert_eq!(debit[3], Data::String("重点".into()));
    // The inspector reads the page, without the forms; a clerk cannot reconcile.
    let (status, html) = app
        .staff_get(
            &t.inspector,
            &format!("{base}?account={account}&from=2026-11-01&to=2026-11-07"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("导入对账单") && html.contains("未经审批的支出"),
        "{html}"
    );
    let (_, clerk_html) = app.staff_get(&t.clerk_a, &base).await;
    let clerk_run = app
        .client
        .post(format!("{}{base}/run", app.base))
        .header("cookie", format!("qz_session={}", t.clerk_a))
        .form(&fields(&csrf_of(&clerk_html)))
        .send()
        .await
        .unwrap();
    let html = clerk_run.text().await.unwrap();
    assert!(
        html.contains("您的岗位不能") || html.contains("不能导入银行对账单和对账"),
        "{html}"
    );
});

fn count_rows(app: &TestApp, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    app.db
        .read(|conn| -> Result<i64, qingzhang::AppError> {
            Ok(
                diesel::sql_query(format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"))
                    .get_result::<N>(conn)?
                    .n,
            )
        })
        .unwrap()
}

// The accountant's and the clerk's pages for money out and the books: a request refused for a
// bad amount comes back with what was typed and stores nothing; another person approves it, the
// requester may not; the journal reverses an entry only with a reason; the trial balance closes
// the month; forged forms and the wrong role change nothing.
both!(the_accountant_approves_reverses_and_closes_from_the_pages, |app| {
    let t = app.seed().await;
    let account = account_id(&app, &t, VILLAGE_A).await.to_string();
    let base = format!("/staff/v/{VILLAGE_A}");
    let (status, html) = app.staff_get(&t.clerk_a, &format!("{base}/disbursements")).await;
    assert_eq!(status, 200);
    assert!(html.contains("暂无：还没有支出申请"), "{html}");
    let csrf = csrf_of(&html);
    let request = |csrf: String, amount: &'static str| {
        let account = account.clone();
        let token = t.clerk_a.clone();
        let app = &app;
        let base = base.clone();
        async move {
            app.staff_post(
                &token,
                &format!("{base}/disbursements"),
                &[
                    ("csrf", &csrf),
                    ("account_id", &account),
                    ("payee_name", "东岭建材经营部"),
                    ("payee_account", "6228 4800 0000 0000 9"),
                    ("amount", amount),
                    ("purpose", "村委会屋顶维修材料"),
                    ("account_code", "521"),
                    ("attachments", "发票一张"),
                ],
            )
            .await
        }
    };
    let (status, html) = request(csrf.clone(), "三千").await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(r#"id="message""#)
            && html.contains(r#"value="东岭建材经营部""#)
            && html.contains(r#"value="三千""#),
        "refused in words, fields kept: {html}"
    );
    assert_eq!(count_rows(&app, "disbursements"), 0);
    let (status, _) = request("0".repeat(32), "3000.00").await;
    assert_eq!(status, 403, "a forged form");
    assert_eq!(count_rows(&app, "disbursements"), 0);
    let (status, html) = request(csrf, "3000.00").await;
    assert_eq!(status, 200);
    assert!(html.contains("已提交第 1 号支出申请（¥3000.00）"), "{html}");
    assert!(
        html.contains("等待乡镇会计审批") && !html.contains(r#"id="approve-1""#),
        "a clerk does not approve"
    );

    // The accountant approves it with a note; the clerk may not decide.
    let (_, html) = app.staff_get(&t.accountant, &format!("{base}/disbursements")).await;
    assert!(html.contains(r#"id="approve-1""#), "{html}");
    let csrf_a = csrf_of(&html);
    let (_, clerk_html) = app.staff_get(&t.clerk_a, &format!("{base}/disbursements")).await;
    let (status, _) = app
        .staff_post(
            &t.clerk_a,
            &format!("{base}/disbursements/1/decide"),
            &[("csrf", &csrf_of(&clerk_html)), ("decision", "approve"), ("note", "x")],
        )
        .await;
    assert_eq!(status, 200, "sent back to the page");
    assert_eq!(
        app.get(&t.accountant, &format!("/api/v1/villages/{VILLAGE_A}/disbursements"))
            .await
            .body[0]["status"],
        "requested"
    );
    let (_, html) = app
        .staff_post(
            &t.accountant,
            &format!("{base}/disbursements/1/decide"),
            &[
                ("csrf", &csrf_a),
                ("decision", "approve"),
                ("note", "经村民代表会议同意"),
            ],
        )
        .await;
    assert!(html.contains("第 1 号支出申请已批准"), "{html}");
    let listed = app
        .get(&t.accountant, &format!("/api/v1/villages/{VILLAGE_A}/disbursements"))
        .await
        .body;
    assert_eq!(
        (listed[0]["status"].as_str(), listed[0]["requested_by_name"].as_str()),
        (Some("approved"), Some("clerk_a")),
        "{listed}"
    );
    // The accountant's own request waits for another approver.
    let own = app
        .post(&t.accountant, &format!("/api/v1/villages/{VILLAGE_A}/disbursements"), serde_json::json!({"account_id": account.parse::<i64>().unwrap(), "payee_name": "某某", "payee_account": "6228480000000000001", "amount": "10.00", "purpose": "邮费", "account_code": "521"}))
        .await;
    assert_eq!(own.status, 201, "{:?}", own.body);
    let (_, html) = app.staff_get(&t.accountant, &format!("{base}/disbursements")).await;
    assert!(html.contains("本人申请，须由其他会计审批"), "{html}");
    let (_, html) = app
        .staff_post(
            &t.accountant,
            &format!("{base}/disbursements/2/decide"),
            &[("csrf", &csrf_a), ("decision", "approve"), ("note", "")],
        )
        .await;
    assert!(
        html.contains(r#"class="notice error" id="message""#),
        "self-approval refused in words: {html}"
    );

    // The journal: an entry, reversed only with a reason.
    let today = beijing_today();
    let e = app
        .post(&t.accountant, &format!("/api/v1/villages/{VILLAGE_A}/entries"), serde_json::json!({"entry_date": today.to_string(), "memo": "收土地承包费", "lines": [{"account_code": "102.0001", "debit": "50.00", "credit": "0"}, {"account_code": "501", "debit": "0", "credit": "50.00"}]}))
        .await;
    assert_eq!(e.status, 201, "{:?}", e.body);
    let seq = e.body["seq"].as_i64().unwrap();
    let (_, html) = app.staff_get(&t.accountant, &format!("{base}/journal")).await;
    assert!(
        html.contains("收土地承包费") && html.contains(&format!(r#"id="reverse-{seq}""#)),
        "{html}"
    );
    let (_, clerk_journal) = app.staff_get(&t.clerk_a, &format!("{base}/journal")).await;
    assert!(
        clerk_journal.contains("收土地承包费") && !clerk_journal.contains("reverse-"),
        "a clerk reads the journal, reverses nothing"
    );
    let entries = count_rows(&app, "journal_entries");
    let (_, html) = app
        .staff_post(
            &t.accountant,
            &format!("{base}/journal/{seq}/reverse"),
            &[("csrf", &csrf_a), ("reason", "  ")],
        )
        .await;
    assert!(
        html.contains(r#"class="notice error" id="message""#),
        "a reversal needs a reason: {html}"
    );
    assert_eq!(count_rows(&app, "journal_entries"), entries);
    let (status, _) = app
        .staff_post(
            &t.clerk_a,
            &format!("{base}/journal/{seq}/reverse"),
            &[("csrf", &csrf_of(&clerk_html)), ("reason", "错了")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        count_rows(&app, "journal_entries"),
        entries,
        "a clerk's reversal changes nothing"
    );
    let (_, html) = app
        .staff_post(
            &t.accountant,
            &format!("{base}/journal/{seq}/reverse"),
            &[("csrf", &csrf_a), ("reason", "重复记账")],
        )
        .await;
    assert!(
        html.contains(&format!("第 {seq} 号凭证已冲销"))
            && html.contains(&format!("冲销第 {seq} 号"))
            && html.contains("已冲销"),
        "{html}"
    );

    // The trial balance, balanced; this month cannot be closed yet, last month is closed from it.
    let (_, html) = app.staff_get(&t.accountant, &format!("{base}/trial-balance")).await;
    assert!(
        html.contains("借贷平衡") && html.contains(r#"id="not-ended""#) && !html.contains(r#"id="close-month""#),
        "{html}"
    );
    let month = (chrono::Datelike::with_day(&today, 1).unwrap() - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string();
    let (_, html) = app
        .staff_get(&t.accountant, &format!("{base}/trial-balance?period={month}"))
        .await;
    assert!(
        html.contains("借贷平衡") && html.contains(r#"id="close-month""#),
        "{html}"
    );
    let (_, html) = app
        .staff_post(
            &t.accountant,
            &format!("{base}/periods/{month}/close"),
            &[("csrf", &csrf_a)],
        )
        .await;
    assert!(html.contains(r#"id="closed""#) && html.contains("已结账"), "{html}");
    let (_, html) = app
        .staff_post(
            &t.accountant,
            &format!("{base}/periods/{month}/close"),
            &[("csrf", &csrf_a)],
        )
        .await;
    assert!(
        html.contains(r#"class="notice error" id="message""#),
        "closing twice is refused in words: {html}"
    );
});
