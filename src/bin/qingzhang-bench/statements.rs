//! The statement figures (issue #10): a 100,000-line GBK statement imported, the same rows
//! inserted bare (the batched INSERT the import ends in, without reading, decoding, checking or
//! de-duplicating) for the ratio, and a year of one account — N statement lines against a
//! ledger of N credits — reconciled through the use case, in 60-day runs.
//!
//! The ledger's N bank transactions are written by one INSERT … SELECT (they all rest on one
//! posted entry: the matcher reads bank transactions, not postings), so the setup takes seconds
//! and what is timed is the service's own work.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use qingzhang::domain::access::{Actor, Role, Scope};
use qingzhang::domain::ids::CorporateAccountId;
use qingzhang::payments::sealing::SealingKeys;
use qingzhang::reconcile::profile::Profiles;
use qingzhang::store::{Backend, Db};
use qingzhang::usecases::reconciliation::{self, DaysQuery};
use qingzhang::usecases::statements;

use super::{peak_rss_mb, seed, Measured};

const DAYS: i64 = 360;
const FILE_LINES: usize = 100_000;

fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
}

fn yuan(fen: i64) -> String {
    let (y, f) = (fen / 100, fen % 100);
    let digits = y.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{f:02}")
}

/// The credit `g` of the year: its day, Beijing time, amount (fen) and serial.
fn credit(g: i64) -> (NaiveDate, String, i64, String) {
    let day = first_day() + Duration::days(g % DAYS);
    let secs = g % 7200;
    let time = format!("{:02}:{:02}:{:02}", 10 + secs / 3600, (secs / 60) % 60, secs % 60);
    (day, time, 10_000 + g % 5_000, format!("BT{g}"))
}

/// The year's statement as GBK files of the rural bank's layout, at most `FILE_LINES` lines
/// each, in booking order with running balances.
fn statement_files(lines: i64) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut text = String::new();
    let mut in_file = 0;
    let mut balance = 0i64;
    let header = "账户明细查询\r\n账号：9150010100000000001\r\n交易日期,交易时间,摘要,支出金额,收入金额,账户余额,对方账号,对方户名,交易流水号,附言\r\n";
    let per_day = lines / DAYS + 1;
    for d in 0..DAYS {
        // The credits of day d in time order.
        let mut day: Vec<i64> = (0..per_day).map(|j| d + DAYS * j).filter(|g| *g < lines).collect();
        day.sort_by_key(|g| g % 7200);
        for g in day {
            if in_file == 0 {
                text.push_str(header);
            }
            let (date, time, fen, serial) = credit(g);
            balance += fen;
            text.push_str(&format!(
                "{},{time},转账收入,,\"{}\",\"{}\",6228480000000000001,张建国,{serial},缴费\r\n",
                date.format("%Y%m%d"),
                yuan(fen),
                yuan(balance)
            ));
            in_file += 1;
            if in_file == FILE_LINES {
                text.push_str("合计,,,,,,,,,\r\n");
                files.push(encoding_rs::GBK.encode(&text).0.into_owned());
                text.clear();
                in_file = 0;
            }
        }
    }
    if in_file > 0 {
        text.push_str("合计,,,,,,,,,\r\n");
        files.push(encoding_rs::GBK.encode(&text).0.into_owned());
    }
    files
}

pub fn run(name: &str, url: &str, lines: usize) -> anyhow::Result<Vec<Measured>> {
    eprintln!("== statements on {name}: {lines} lines against {lines} credits");
    let db = Db::connect(url, 8)?;
    db.migrate()?;
    let sealing = SealingKeys::new(vec![("bench".into(), [3; 32])]);
    seed(&db, &sealing, 2)?;
    let county = db
        .read(|c| qingzhang::store::registry::County::by_code(c, "370725000000"))?
        .map(|c| c.id)
        .unwrap_or_default();
    let accountant = Actor {
        user_id: qingzhang::domain::UserId(1),
        username: "bench".into(),
        role: Role::Accountant,
        scope: Scope::County(county),
    };
    let (code, account, other) = db.read(|c| -> Result<_, qingzhang::AppError> {
        let villages = qingzhang::store::registry::Village::all(c)?;
        let a = qingzhang::store::registry::CorporateAccount::of_village(c, villages[0].id)?;
        let b = qingzhang::store::registry::CorporateAccount::of_village(c, villages[1].id)?;
        Ok((villages[0].code.clone(), a[0].clone(), b[0].clone()))
    })?;
    // The statement files name this number on their title row.
    let account_no = "9150010100000000001";
    let sql_no = format!(
        "UPDATE corporate_accounts SET account_no = '{account_no}' WHERE id = {}",
        account.id
    );
    let manual = qingzhang::usecases::bookkeeping::post_entry(
        &db,
        &accountant,
        &code,
        serde_json::from_value(serde_json::json!({"entry_date": "2025-01-01", "memo": "bench",
            "lines": [{"account_code": "521", "debit": "1.00"}, {"account_code": "211.0001", "credit": "1.00"}]}))?,
    )?;
    let entry_id: i64 = db.read(|c| -> Result<i64, qingzhang::AppError> {
        use diesel::prelude::*;
        use qingzhang::store::schema::journal_entries;
        Ok(journal_entries::table
            .filter(journal_entries::seq.eq(manual.seq))
            .select(journal_entries::id)
            .first(c)?)
    })?;
    // The ledger: N credits of the account over the year, 10:00–12:00 Beijing (02:00 UTC on),
    // written in the order they were paid, as callbacks write them (ids follow time).
    let n = lines as i64;
    let ledger_sql = match db.backend() {
        Backend::Postgres => format!(
            "INSERT INTO bank_transactions (village_id, corporate_account_id, provider, provider_txn_id, amount_fen, paid_at, \
             payer_masked, reference, bill_id, entry_id, outcome, note, created_at) \
             SELECT {v}, {a}, 'rural_bank', 'BT' || g, 10000 + g % 5000, \
             TIMESTAMP '2025-01-01 02:00:00' + (g % {DAYS}) * INTERVAL '1 day' + (g % 7200) * INTERVAL '1 second', \
             '张*国', NULL, NULL, {entry_id}, 'suspense', 'bench', now() FROM generate_series(0, {last}) g \
             ORDER BY g % {DAYS}, g % 7200, g",
            v = account.village_id,
            a = account.id,
            last = n - 1
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {last}) \
             INSERT INTO bank_transactions (village_id, corporate_account_id, provider, provider_txn_id, amount_fen, paid_at, \
             payer_masked, reference, bill_id, entry_id, outcome, note, created_at) \
             SELECT {v}, {a}, 'rural_bank', 'BT' || g, 10000 + g % 5000, \
             strftime('%Y-%m-%d %H:%M:%f', '2025-01-01 02:00:00', '+' || (g % {DAYS}) || ' days', '+' || (g % 7200) || ' seconds'), \
             '张*国', NULL, NULL, {entry_id}, 'suspense', 'bench', '2025-01-01 00:00:00' FROM s \
             ORDER BY g % {DAYS}, g % 7200, g",
            v = account.village_id,
            a = account.id,
            last = n - 1
        ),
    };
    let started = Instant::now();
    db.write(|c| -> Result<(), qingzhang::AppError> {
        c.batch_execute(&sql_no).map_err(qingzhang::store::StoreError::from)?;
        c.batch_execute(&ledger_sql)
            .map_err(qingzhang::store::StoreError::from)?;
        Ok(())
    })?;
    // Fresh statistics, as a database that grew over a year would have.
    db.write(|c| -> Result<(), qingzhang::AppError> {
        c.batch_execute("ANALYZE").map_err(qingzhang::store::StoreError::from)?;
        Ok(())
    })?;
    eprintln!(
        "   ledger of {n} credits written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let files = statement_files(n);
    let profiles = Profiles::built_in();
    let mut results = Vec::new();

    // The first file: a 100,000-line GBK import, and the same rows inserted bare.
    let started = Instant::now();
    let first = statements::import_file(&db, &accountant, &code, account.id, "y1.csv", &files[0], &profiles)?;
    let import_s = started.elapsed().as_secs_f64();
    let parsed =
        qingzhang::reconcile::statement::parse(&files[0], &profiles, account_no).map_err(|e| anyhow::anyhow!("{e}"))?;
    let keys = qingzhang::reconcile::statement::keys(&parsed.lines);
    let bare_s = bare_insert(&db, &other.id, other.village_id, &parsed, &keys, first.import_id)?;
    results.push(Measured {
        name: format!("statement import, {} GBK lines", first.lines_total),
        per_second: first.lines_total as f64 / import_s,
        p50_ms: import_s * 1000.0,
        p99_ms: None,
        note: format!(
            "{:.2} s; bare batched INSERT of the same rows {:.2} s ({:.1}x); {} KB file",
            import_s,
            bare_s,
            import_s / bare_s,
            files[0].len() / 1024
        ),
    });
    // The rest of the year.
    let started = Instant::now();
    let mut imported = first.lines_total;
    for (i, f) in files.iter().enumerate().skip(1) {
        imported +=
            statements::import_file(&db, &accountant, &code, account.id, &format!("y{i}.csv"), f, &profiles)?.lines_new;
    }
    let rest_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(imported == lines, "{imported} lines imported of {lines}");
    eprintln!("   the other {} files imported in {rest_s:.1} s", files.len() - 1);

    // Reconciling the year, 60 days at a time, as the accountant would (the matching and its
    // postings; the report is timed on its own below).
    let started = Instant::now();
    let mut matched = 0;
    let mut day = first_day();
    let last = first_day() + Duration::days(DAYS - 1);
    while day <= last {
        let to = (day + Duration::days(59)).min(last);
        let run = reconciliation::match_days(
            &db,
            &accountant,
            &code,
            account.id,
            DaysQuery { from: day, to },
            b"bench",
        )?;
        anyhow::ensure!(
            run.taken_in == 0 && run.unexplained_debits == 0,
            "{day}: every line is a credit of the ledger"
        );
        matched += run.matched;
        day = to + Duration::days(1);
    }
    let match_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(matched == lines, "{matched} matched of {lines}");
    // The report alone, for the first run's days (what an accountant's page asks for).
    let started = Instant::now();
    let q = DaysQuery {
        from: first_day(),
        to: first_day() + Duration::days(59),
    };
    let report = reconciliation::report(&db, &accountant, &code, account.id, q)?;
    let report_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(report.critical == 0, "a clean year has nothing critical");
    results.push(Measured {
        name: format!("reconciliation, {lines} lines vs {lines} credits"),
        per_second: lines as f64 / match_s,
        p50_ms: match_s * 1000.0,
        p99_ms: None,
        note: format!(
            "{match_s:.2} s in 60-day runs (a 60-day report: {report_s:.2} s); peak RSS {} MB",
            peak_rss_mb()
        ),
    });
    Ok(results)
}

/// The parsed rows inserted as they are into another account's lines, one transaction:
/// the floor under the import (no decoding, checking, key lookup or audit).
fn bare_insert(
    db: &Db,
    account: &CorporateAccountId,
    village: qingzhang::domain::VillageId,
    parsed: &qingzhang::reconcile::statement::ParsedStatement,
    keys: &[String],
    import_id: i64,
) -> anyhow::Result<f64> {
    use qingzhang::store::statements::{NewStatementLine, StatementLine};
    let now = chrono::Utc::now().naive_utc();
    let rows: Vec<NewStatementLine> = parsed
        .lines
        .iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (l, k))| NewStatementLine {
            village_id: village,
            corporate_account_id: *account,
            line_key: k,
            business_date: l.business_date,
            booked_at: l.value_time.unwrap_or_default(),
            position: i as i64,
            value_time: l.value_time,
            serial: l.serial.as_deref(),
            direction: l.direction,
            amount: l.amount,
            balance: l.balance,
            counterparty_name: l.counterparty_name.as_deref(),
            counterparty_account: l.counterparty_account.as_deref(),
            summary: l.summary.as_deref(),
            remark: l.remark.as_deref(),
            source: qingzhang::domain::vocabulary::StatementSource::File,
            import_id,
            row_no: l.row as i64,
            raw: &l.raw,
            created_at: now,
        })
        .collect();
    let started = Instant::now();
    db.write(|c| -> Result<usize, qingzhang::AppError> { Ok(StatementLine::insert_all(c, &rows)?) })?;
    Ok(started.elapsed().as_secs_f64())
}
