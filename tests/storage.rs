//! Storage on both backends: migrations revert cleanly, the journal refuses UPDATE and DELETE,
//! tampering behind the service's back is named by verify, and concurrent postings in one
//! village stay gapless and chained.

mod common;

use common::{Backend, TestDb, COUNTY, TOWNSHIP, VILLAGE_A};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

use qingzhang::domain::access::{Actor, Role, Scope};
use qingzhang::domain::Money;
use qingzhang::store::db::{revert_all_migrations, revert_last_migration, run_migrations, run_next_migration};
use qingzhang::store::{Db, DbConnection};
use qingzhang::usecases::bookkeeping::{post_entry, LineInput, NewEntryInput};
use qingzhang::usecases::registry::{create_township, create_village, NewTownshipInput, NewVillageInput};
use qingzhang::usecases::verify::verify;

#[derive(QueryableByName, PartialEq, Eq, Debug, PartialOrd, Ord)]
struct SchemaRow {
    #[diesel(sql_type = Text)]
    item: String,
}

/// The schema as text: tables, columns, indexes and triggers, in a stable order.
fn schema_dump(conn: &mut DbConnection) -> Vec<String> {
    let sql = match conn {
        DbConnection::Sqlite(_) => "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') AS item FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY type, name"
            .to_string(),
        DbConnection::Pg(_) => "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS item \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> '__diesel_schema_migrations' \
             UNION ALL SELECT 'trigger ' || event_object_table || ' ' || trigger_name || ' ' || event_manipulation \
             FROM information_schema.triggers WHERE trigger_schema = current_schema() \
             UNION ALL SELECT 'function ' || routine_name FROM information_schema.routines WHERE routine_schema = current_schema() \
             ORDER BY 1"
            .to_string(),
    };
    let mut rows: Vec<SchemaRow> = diesel::sql_query(sql).load(conn).expect("schema dump");
    rows.sort();
    rows.into_iter().map(|r| r.item).collect()
}

fn migrations_revert_cleanly(backend: Backend) {
    let Some(t) = TestDb::new(backend) else { return };
    let db = Db::connect(&t.url, 2).unwrap();
    let mut conn = db.conn().unwrap();
    // Up one migration at a time, keeping the schema after each step...
    let mut dumps = vec![schema_dump(&mut conn)];
    while let Some(name) = run_next_migration(&mut conn).unwrap() {
        let dump = schema_dump(&mut conn);
        assert_ne!(&dump, dumps.last().unwrap(), "{name} changed nothing");
        dumps.push(dump);
    }
    let n = dumps.len() - 1;
    assert!(n >= 4, "the migrations so far: registry, ledger, access, payments");
    assert!(dumps[n].iter().any(|l| l.contains("journal_entries")));
    // ...then down one at a time: each revert restores exactly the schema before that migration.
    for step in (0..n).rev() {
        let name = revert_last_migration(&mut conn).unwrap();
        assert_eq!(schema_dump(&mut conn), dumps[step], "reverting {name}");
    }
    assert_eq!(dumps[0], Vec::<String>::new());
    // And up again gives the same schema as the first time.
    assert_eq!(run_migrations(&mut conn).unwrap().len(), n);
    assert_eq!(schema_dump(&mut conn), dumps[n]);
    assert_eq!(revert_all_migrations(&mut conn).unwrap().len(), n);
}

#[test]
fn migrations_revert_cleanly_sqlite() {
    migrations_revert_cleanly(Backend::Sqlite);
}
#[test]
fn migrations_revert_cleanly_postgres() {
    migrations_revert_cleanly(Backend::Postgres);
}

/// A county, township and village A, and an accountant acting in the township.
fn books(db: &Db) -> Actor {
    let admin = common::bootstrap_admin(db);
    let county_id = db
        .read(|c| qingzhang::store::registry::County::by_code(c, COUNTY))
        .unwrap()
        .unwrap()
        .id;
    let admin = Actor {
        user_id: admin.id,
        username: "admin".into(),
        role: Role::Admin,
        scope: Scope::County(county_id),
    };
    create_township(
        db,
        &admin,
        NewTownshipInput {
            code: TOWNSHIP.into(),
            name: "乔官镇".into(),
            county_code: COUNTY.into(),
        },
    )
    .unwrap();
    create_village(
        db,
        &admin,
        NewVillageInput {
            code: VILLAGE_A.into(),
            name: "北岩村".into(),
            township_code: TOWNSHIP.into(),
            cash_limit: None,
        },
    )
    .unwrap();
    Actor {
        role: Role::Accountant,
        ..admin
    }
}

fn post(db: &Db, actor: &Actor, memo: &str, amount: &str) -> i64 {
    let m = Money::parse(amount).unwrap();
    post_entry(
        db,
        actor,
        VILLAGE_A,
        NewEntryInput {
            entry_date: common::beijing_today().to_string(),
            memo: memo.into(),
            lines: vec![
                LineInput {
                    account_code: "521".into(),
                    debit: Some(m),
                    credit: None,
                    memo: None,
                },
                LineInput {
                    account_code: "504".into(),
                    debit: None,
                    credit: Some(m),
                    memo: None,
                },
            ],
        },
    )
    .unwrap()
    .seq
}

fn exec(db: &Db, sql: &str) -> Result<(), String> {
    let mut c = db.conn().unwrap();
    c.batch_execute(sql).map_err(|e| e.to_string())
}

fn the_journal_refuses_update_and_delete(backend: Backend) {
    let Some(t) = TestDb::new(backend) else {
        return;
    };
    let db = t.connect();
    let actor = books(&db);
    post(&db, &actor, "现金收入", "80.00");
    for sql in [
        "UPDATE journal_postings SET debit_fen = 1",
        "DELETE FROM journal_postings",
        "UPDATE journal_entries SET memo = 'changed'",
        "DELETE FROM journal_entries",
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
    ] {
        let err = exec(&db, sql).expect_err(sql);
        assert!(err.contains("qz_immutable"), "{sql}: {err}");
    }
    assert!(verify(&db, None).unwrap().ok);
}

#[test]
fn the_journal_refuses_update_and_delete_sqlite() {
    the_journal_refuses_update_and_delete(Backend::Sqlite);
}
#[test]
fn the_journal_refuses_update_and_delete_postgres() {
    the_journal_refuses_update_and_delete(Backend::Postgres);
}

/// What a database administrator would do to edit history: drop the guard, then change rows.
fn drop_guards(db: &Db, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite => "DROP TRIGGER journal_postings_no_update; DROP TRIGGER journal_entries_no_update; \
                            DROP TRIGGER journal_entries_no_delete; DROP TRIGGER journal_postings_no_delete; DROP TRIGGER audit_log_no_update;",
        Backend::Postgres => "DROP TRIGGER journal_postings_immutable ON journal_postings; DROP TRIGGER journal_entries_immutable ON journal_entries; \
                              DROP TRIGGER audit_log_immutable ON audit_log;",
    };
    exec(db, sql).unwrap();
}

fn tampering_is_named_by_verify(backend: Backend) {
    let Some(t) = TestDb::new(backend) else {
        return;
    };
    let db = t.connect();
    let actor = books(&db);
    for (memo, amount) in [("一", "10.00"), ("二", "20.00"), ("三", "30.00"), ("四", "40.00")] {
        post(&db, &actor, memo, amount);
    }
    assert!(verify(&db, None).unwrap().ok);
    drop_guards(&db, backend);

    // An amount edited on entry 2, balanced on both sides so only the chain can tell.
    exec(&db, "UPDATE journal_postings SET debit_fen = 2100 WHERE entry_id = (SELECT id FROM journal_entries WHERE seq = 2) AND line_no = 1").unwrap();
    exec(&db, "UPDATE journal_postings SET credit_fen = 2100 WHERE entry_id = (SELECT id FROM journal_entries WHERE seq = 2) AND line_no = 2").unwrap();
    let report = verify(&db, Some(VILLAGE_A)).unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.villages[0].first_bad_seq,
        Some(2),
        "{:?}",
        report.villages[0].problems
    );
    assert!(report.villages[0]
        .problems
        .iter()
        .any(|p| p.what.contains("与其哈希不符")));
    assert!(
        report.villages[0].problems.iter().any(|p| p.what.contains("余额缓存")),
        "the cached balance disagrees too"
    );

    // The last entry deleted outright: the chain head gives it away.
    exec(&db, "UPDATE journal_postings SET debit_fen = 2000 WHERE entry_id = (SELECT id FROM journal_entries WHERE seq = 2) AND line_no = 1").unwrap();
    exec(&db, "UPDATE journal_postings SET credit_fen = 2000 WHERE entry_id = (SELECT id FROM journal_entries WHERE seq = 2) AND line_no = 2").unwrap();
    assert!(verify(&db, None).unwrap().ok, "restoring the rows restores the chain");
    exec(
        &db,
        "DELETE FROM journal_postings WHERE entry_id = (SELECT id FROM journal_entries WHERE seq = 4)",
    )
    .unwrap();
    exec(&db, "DELETE FROM journal_entries WHERE seq = 4").unwrap();
    let report = verify(&db, None).unwrap();
    assert!(
        report.villages[0].problems.iter().any(|p| p.what.contains("链头")),
        "{:?}",
        report.villages[0].problems
    );

    // The audit log: one edited record is named.
    exec(&db, "UPDATE audit_log SET action = 'village.rename' WHERE seq = 3").unwrap();
    let report = verify(&db, None).unwrap();
    assert_eq!(report.audit_problems[0].seq, Some(3), "{:?}", report.audit_problems);
}

#[test]
fn tampering_is_named_by_verify_sqlite() {
    tampering_is_named_by_verify(Backend::Sqlite);
}
#[test]
fn tampering_is_named_by_verify_postgres() {
    tampering_is_named_by_verify(Backend::Postgres);
}

fn concurrent_postings_stay_gapless_and_chained(backend: Backend) {
    let Some(t) = TestDb::new(backend) else {
        return;
    };
    let db = t.connect();
    let actor = books(&db);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            let actor = actor.clone();
            std::thread::spawn(move || {
                for j in 0..10 {
                    post(&db, &actor, &format!("并发 {i}-{j}"), "1.01");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let report = verify(&db, None).unwrap();
    assert!(report.ok, "{:?}", report.villages);
    assert_eq!(report.villages[0].entries, 80);
    let village = db
        .read(|c| qingzhang::store::registry::Village::by_code(c, VILLAGE_A))
        .unwrap()
        .unwrap();
    let accounts = db
        .read(|c| qingzhang::store::journal::LedgerAccount::with_balances(c, village.id))
        .unwrap();
    let cash = accounts
        .iter()
        .find(|(a, _, _)| a.code == "521")
        .map(|(_, d, c)| (*d, *c));
    assert_eq!(
        cash,
        Some((qingzhang::domain::Money::from_fen(8080), qingzhang::domain::Money::ZERO)),
        "80 postings of 1.01 on 521"
    );
}

#[test]
fn concurrent_postings_stay_gapless_and_chained_sqlite() {
    concurrent_postings_stay_gapless_and_chained(Backend::Sqlite);
}
#[test]
fn concurrent_postings_stay_gapless_and_chained_postgres() {
    concurrent_postings_stay_gapless_and_chained(Backend::Postgres);
}

fn concurrent_bills_get_unique_gapless_references(backend: Backend) {
    use qingzhang::usecases::billing::{
        create_bill, create_fee_item, create_payer, NewBillInput, NewFeeItemInput, NewPayerInput, PayerKind,
    };
    let Some(t) = TestDb::new(backend) else { return };
    let db = t.connect();
    let actor = books(&db);
    let payer = create_payer(
        &db,
        &actor,
        VILLAGE_A,
        NewPayerInput {
            kind: PayerKind::Member,
            name: "张三".into(),
            phone: None,
            household_no: None,
        },
    )
    .unwrap();
    let item = create_fee_item(
        &db,
        &actor,
        VILLAGE_A,
        NewFeeItemInput {
            code: "rent".into(),
            name: "租金".into(),
            income_account_code: "501".into(),
        },
    )
    .unwrap();
    // Eight clerks at once, from the very first bill: the counter row is created under contention.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (db, actor) = (db.clone(), actor.clone());
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| {
                        let input = NewBillInput {
                            payer_id: payer.id,
                            fee_item_id: item.id,
                            amount: "100.00".into(),
                            period_label: "2026".into(),
                            due_date: "2026-12-31".into(),
                            note: None,
                        };
                        create_bill(&db, &actor, VILLAGE_A, input).unwrap().reference
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut refs: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 80, "80 distinct references");
    let seqs: Vec<i64> = refs.iter().map(|r| r[7..13].parse().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=80).collect::<Vec<i64>>(),
        "sequence numbers 1..80 without a gap"
    );
}

#[test]
fn concurrent_bills_get_unique_gapless_references_sqlite() {
    concurrent_bills_get_unique_gapless_references(Backend::Sqlite);
}
#[test]
fn concurrent_bills_get_unique_gapless_references_postgres() {
    concurrent_bills_get_unique_gapless_references(Backend::Postgres);
}
