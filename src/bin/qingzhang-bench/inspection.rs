//! The inspection figures (issue #11): a generated county (`usecases::county`), then the whole
//! catalogue run over it: the last twelve months of every village, every year of the history,
//! and one village-year alone; then `verify` over the whole county, which must pass.
//!
//! The county's registry (townships, villages, accounts, staff) is made by the use cases. The
//! first `templates` villages live their years through the use cases from a history file per
//! village (one transaction per file on SQLite, as `import-history` does; one per event on
//! PostgreSQL, see `history::import_event_by_event`); every other village is written as a copy
//! of one of them by the bulk path (`county_copy.rs`). The load times are reported, not part of
//! the inspection figures.

use std::time::Instant;

use diesel::connection::SimpleConnection;
use qingzhang::inspect::thresholds::InspectionConfig;
use qingzhang::reconcile::profile::Profiles;
use qingzhang::store::Db;
use qingzhang::usecases::county::{self, CountySpec};
use qingzhang::usecases::inspection::{self, RunInput};

use super::county_copy::{self, Strides, Template, VillageKeys};
use super::{peak_rss_mb, Measured};

const KEY: &[u8] = b"bench-server-key";

pub fn run(name: &str, url: &str, spec: &CountySpec, templates: usize) -> anyhow::Result<Vec<Measured>> {
    let templates = templates.clamp(1, spec.villages);
    eprintln!(
        "== inspection on {name}: {} villages ({templates} lived through the use cases, the rest copied), {} years, {} households each",
        spec.villages, spec.years, spec.payers
    );
    let db = Db::connect(url, 8)?;
    db.migrate()?;
    let profiles = Profiles::with(Vec::new()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = Vec::new();

    let started = Instant::now();
    let villages = county::setup(&db, spec)?;
    let secs = started.elapsed().as_secs_f64();
    out.push(Measured {
        name: format!("load: registry of {} villages, use cases ({name})", villages.len()),
        per_second: villages.len() as f64 / secs,
        p50_ms: secs * 1000.0,
        p99_ms: None,
        note: "townships, villages, accounts, staff".into(),
    });

    let started = Instant::now();
    let today = qingzhang::domain::period::business_date(qingzhang::domain::period::now());
    let lived = CountySpec {
        villages: templates,
        ..spec.clone()
    };
    let (history, planted, end) = county::plan(&lived, &villages[..templates], today);
    // One file per village, as villages adopting the service bring their own books. One file
    // for the county would be one transaction, in which PostgreSQL keeps every version of the
    // rows each event updates (the chain heads, the counters) and walks them on every update.
    let mut files: Vec<String> = vec![String::new(); templates];
    for line in history.lines() {
        let village = serde_json::from_str::<serde_json::Value>(line)?["village"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_default();
        let i = villages[..templates]
            .iter()
            .position(|v| v.code == village)
            .ok_or_else(|| anyhow::anyhow!("an event of an unknown village {village}"))?;
        files[i].push_str(line);
        files[i].push('\n');
    }
    let mut events = 0;
    for file in &files {
        events += match db.backend() {
            // One transaction per file, as `import-history` does.
            qingzhang::store::Backend::Sqlite => qingzhang::usecases::history::import(&db, KEY, &profiles, file)?,
            // A transaction per event: PostgreSQL slows down over thousands in one (see there).
            qingzhang::store::Backend::Postgres => {
                qingzhang::usecases::history::import_event_by_event(&db, KEY, &profiles, file)?
            }
        }
        .events;
    }
    let secs = started.elapsed().as_secs_f64();
    out.push(Measured {
        name: format!("load: {templates} villages' history replayed ({name})"),
        per_second: events as f64 / secs,
        p50_ms: secs * 1000.0,
        p99_ms: None,
        note: format!("{events} events, {} cases planted", planted.len()),
    });

    // The planner's statistics of the templates' tables, and new connections: PostgreSQL keeps
    // the plans of its foreign-key checks per connection, and a plan made for the empty tables
    // scans them (DESIGN.md §10), which made the copy slow down as it wrote.
    db.conn()?.batch_execute("ANALYZE")?;
    let db = Db::connect(url, 8)?;
    let started = Instant::now();
    let mut conn = db.conn()?;
    let keys = villages
        .iter()
        .map(|v| VillageKeys::of(&mut conn, &v.code, &v.accountant))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let strides = Strides::measure(&mut conn, &keys[..templates])?;
    let lives = keys[..templates]
        .iter()
        .map(|k| Template::read(&mut conn, k.clone(), KEY))
        .collect::<anyhow::Result<Vec<_>>>()?;
    county_copy::prepare(&mut conn)?;
    for (i, to) in keys.iter().enumerate().skip(templates) {
        let generation = (i / templates) as i64;
        county_copy::copy_village(&mut conn, &lives[i % templates], to, generation, &strides, KEY)?;
    }
    county_copy::reset_sequences(&mut conn)?;
    let secs = started.elapsed().as_secs_f64();
    let copied = keys.len() - templates;
    let copied_postings: usize = (templates..keys.len()).map(|i| lives[i % templates].postings()).sum();
    out.push(Measured {
        name: format!("load: {copied} villages copied, bulk path ({name})"),
        per_second: copied_postings as f64 / secs,
        p50_ms: secs * 1000.0,
        p99_ms: None,
        note: format!("{copied_postings} postings written (per s: postings)"),
    });
    // Planner statistics of the loaded tables (DESIGN.md §10), on both databases.
    let mut conn = db.conn()?;
    conn.batch_execute("ANALYZE")?;
    let postings: i64 = {
        use diesel::prelude::*;
        qingzhang::store::schema::journal_postings::table
            .count()
            .get_result(&mut *conn)?
    };
    drop(conn);
    eprintln!("   {postings} postings in the county");
    let config = InspectionConfig::default();
    let now = qingzhang::domain::period::now();
    let to_month = end.format("%Y-%m").to_string();
    let from_month = end
        .checked_sub_months(chrono::Months::new(11))
        .unwrap_or(end)
        .format("%Y-%m")
        .to_string();
    let first_month = end
        .checked_sub_months(chrono::Months::new(12 * spec.years - 1))
        .unwrap_or(end)
        .format("%Y-%m")
        .to_string();
    let county_code = county::COUNTY.to_string();
    let last_village = villages[villages.len() - 1].code.clone();
    for (what, scope, from) in [
        (
            "catalogue, county, last 12 months",
            county_code.clone(),
            from_month.clone(),
        ),
        ("catalogue, county, whole history", county_code.clone(), first_month),
        ("catalogue, one village, 12 months", last_village, from_month.clone()),
    ] {
        let input = RunInput {
            scope,
            from,
            to: to_month.clone(),
            rules: None,
        };
        let started = Instant::now();
        let run = inspection::run(&db, None, &input, &config, now)?;
        let secs = started.elapsed().as_secs_f64();
        out.push(Measured {
            name: format!("{what} ({name})"),
            per_second: run.villages_checked as f64 / secs,
            p50_ms: secs * 1000.0,
            p99_ms: None,
            note: format!(
                "{} villages checked, {} findings, {} not checked",
                run.villages_checked,
                run.findings,
                run.villages_failed.len()
            ),
        });
    }
    // The bulk path must have written books that hold: every chain, balance and receipt.
    let started = Instant::now();
    let report = qingzhang::usecases::verify::verify(&db, None)?;
    let secs = started.elapsed().as_secs_f64();
    let bad: Vec<_> = report
        .villages
        .iter()
        .filter(|v| !v.problems.is_empty())
        .map(|v| format!("{}: {:?}", v.village_code, v.problems.first()))
        .take(5)
        .collect();
    anyhow::ensure!(
        report.ok,
        "verify failed on the benchmark county: {bad:?}, audit {:?}",
        report.audit_problems.first()
    );
    out.push(Measured {
        name: format!("verify, whole county ({name})"),
        per_second: report.villages.len() as f64 / secs,
        p50_ms: secs * 1000.0,
        p99_ms: None,
        note: format!("{} villages, all pass", report.villages.len()),
    });
    eprintln!("   peak resident set so far: {} MB", peak_rss_mb());
    Ok(out)
}
