//! The inspection rules' measured quality, on SQLite and PostgreSQL: a generated county with one
//! planted case of every rule (replayed through the use cases from its history file; the three
//! tamper rules planted by editing the database as an insider would) must have every case found
//! by its rule; a clean county of the same generator must raise no rule in more than 1% of its
//! villages. Both tables are printed.

mod common;

use common::*;
use qingzhang::domain::vocabulary::RuleId;
use qingzhang::inspect::thresholds::InspectionConfig;
use qingzhang::usecases::county::{self, CountySpec};
use qingzhang::usecases::inspection::{self, findings::FindingQuery, report, RunInput};
use std::collections::{BTreeMap, BTreeSet};

const KEY: &[u8] = b"test-server-key-0123456789abcdef";

fn build(app: &TestApp, spec: CountySpec) -> county::County {
    let profiles = qingzhang::reconcile::profile::Profiles::with(Vec::new()).unwrap();
    county::build(&app.db, KEY, &profiles, &spec)
        .expect("the county replays")
        .0
}

/// Runs every rule over the county's last twelve months; (rule, village) of each finding.
fn inspect(app: &TestApp, c: &county::County) -> Vec<(RuleId, String)> {
    let input = RunInput {
        scope: c.county.clone(),
        from: c.from.clone(),
        to: c.to.clone(),
        rules: None,
    };
    let run = inspection::run(
        &app.db,
        None,
        &input,
        &InspectionConfig::default(),
        qingzhang::domain::period::now(),
    )
    .expect("inspection runs");
    assert!(run.villages_failed.is_empty(), "{:?}", run.villages_failed);
    let q = FindingQuery {
        scope: c.county.clone(),
        from: c.from.clone(),
        to: c.to.clone(),
        ..Default::default()
    };
    report::report(&app.db, None, &q)
        .unwrap()
        .findings
        .into_iter()
        .map(|f| (f.rule, f.village))
        .collect()
}

/// What an insider editing the database would do, for the rules that watch for it.
fn tamper(app: &TestApp, p: &county::Planted) {
    use diesel::connection::SimpleConnection;
    let v = format!("(SELECT id FROM villages WHERE code = '{}')", p.village);
    let recent_qr = format!(
        "SELECT id FROM receipts WHERE village_id = {v} AND channel <> 'cash' AND status = 'issued' \
         AND replaces_id IS NULL AND id NOT IN (SELECT replaces_id FROM receipts WHERE replaces_id IS NOT NULL) ORDER BY id DESC"
    );
    let sql = match p.rule {
        RuleId::ReceiptGap => format!("DELETE FROM receipts WHERE id = ({recent_qr} LIMIT 1 OFFSET 3)"),
        RuleId::DuplicateUse => format!(
            "UPDATE receipts SET bank_transaction_id = (SELECT bank_transaction_id FROM receipts WHERE id = ({recent_qr} LIMIT 1 OFFSET 2)) \
             WHERE id = ({recent_qr} LIMIT 1 OFFSET 4)"
        ),
        RuleId::ChainBroken => {
            let drop = match app.backend {
                Backend::Sqlite => "DROP TRIGGER journal_postings_no_update",
                Backend::Postgres => "DROP TRIGGER journal_postings_immutable ON journal_postings",
            };
            format!(
                "{drop}; UPDATE journal_postings SET debit_fen = debit_fen + 100 WHERE id = \
                 (SELECT MAX(id) FROM journal_postings WHERE village_id = {v} AND debit_fen > 0)"
            )
        }
        other => panic!("{other} is not planted by tampering"),
    };
    app.db.conn().unwrap().batch_execute(&sql).unwrap();
}

both!(
    every_planted_case_is_found_and_a_clean_county_raises_no_false_alarms,
    |app| {
        let app = std::sync::Arc::new(app);
        let a = app.clone();
        let (county, found) = actix_web::rt::task::spawn_blocking(move || {
            let county = build(
                &a,
                CountySpec {
                    villages: RuleId::ALL.len() + 2,
                    years: 2,
                    seed: 7,
                    plant: true,
                    payers: 6,
                },
            );
            for p in county.planted.iter().filter(|p| p.tamper) {
                tamper(&a, p);
            }
            let found = inspect(&a, &county);
            (county, found)
        })
        .await
        .unwrap();
        assert_eq!(county.planted.len(), RuleId::ALL.len());
        let found: BTreeSet<(RuleId, String)> = found.into_iter().collect();
        let mut missed = Vec::new();
        println!(
            "recall ({}): rule, village, planted case, found",
            if app.backend == Backend::Sqlite {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        );
        for p in &county.planted {
            let hit = found.contains(&(p.rule, p.village.clone()));
            println!(
                "  {:<22} {} {:<60} {}",
                p.rule.as_str(),
                p.village,
                p.how,
                if hit { "found" } else { "MISSED" }
            );
            if !hit {
                missed.push(p.rule);
            }
        }
        assert!(missed.is_empty(), "missed: {missed:?}; found: {found:?}");
    }
);

both!(a_clean_county_raises_at_most_one_percent_false_alarms_per_rule, |app| {
    let app = std::sync::Arc::new(app);
    let a = app.clone();
    let (county, found) = actix_web::rt::task::spawn_blocking(move || {
        let county = build(
            &a,
            CountySpec {
                villages: 20,
                years: 2,
                seed: 11,
                plant: false,
                payers: 6,
            },
        );
        let found = inspect(&a, &county);
        (county, found)
    })
    .await
    .unwrap();
    let mut by_rule: BTreeMap<RuleId, BTreeSet<String>> = BTreeMap::new();
    for (rule, village) in found {
        by_rule.entry(rule).or_default().insert(village);
    }
    let n = county.villages.len();
    println!(
        "false alarms on a clean county of {n} villages ({} events):",
        county.events
    );
    for rule in RuleId::ALL {
        let flagged = by_rule.get(rule).map_or(0, |v| v.len());
        println!(
            "  {:<22} {flagged:>3} villages ({:.1}%)",
            rule.as_str(),
            100.0 * flagged as f64 / n as f64
        );
    }
    for (rule, villages) in &by_rule {
        assert!(
            villages.len() * 100 <= n,
            "{rule} flags {} of {n} clean villages: {villages:?}",
            villages.len()
        );
    }
});

// The benchmark's county (qingzhang-bench's bulk path, county_copy.rs): a few villages live
// their years through the use cases and the others are written as copies of them. The
// benchmark refuses to report unless the templates' chains and receipt codes recompute to what
// the use cases stored and `verify` passes on every copy; a small county of it, on both
// databases, keeps the bulk path in step with the schema.
#[test]
fn the_benchmark_county_s_copied_villages_pass_verify() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend) else { continue };
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qingzhang-bench"))
            .args([
                "--inspect-villages",
                "8",
                "--templates",
                "3",
                "--years",
                "1",
                "--households",
                "12",
            ])
            .args(["--database", &db.url])
            .output()
            .expect("the benchmark runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{backend:?}: {text}");
        assert!(text.contains("load: 5 villages copied"), "{backend:?}: {text}");
        assert!(text.contains("8 villages, all pass"), "{backend:?}: {text}");
    }
}
