//! The inspection figures (issue #11): a generated county (`usecases::county`) loaded through the
//! use cases from its history file, then the whole catalogue run over it: the last twelve months
//! of every village, every year of the history, and one village-year alone.
//!
//! The county is loaded the slow, honest way (every event replayed through the use cases, one
//! transaction for the file); the load time is reported, not part of the inspection figures.

use std::time::Instant;

use diesel::connection::SimpleConnection;
use qingzhang::inspect::thresholds::InspectionConfig;
use qingzhang::reconcile::profile::Profiles;
use qingzhang::store::Db;
use qingzhang::usecases::county::{self, CountySpec};
use qingzhang::usecases::inspection::{self, RunInput};

use super::{peak_rss_mb, Measured};

pub fn run(name: &str, url: &str, spec: &CountySpec) -> anyhow::Result<Vec<Measured>> {
    eprintln!(
        "== inspection on {name}: {} villages, {} years, {} households each",
        spec.villages, spec.years, spec.payers
    );
    let db = Db::connect(url, 8)?;
    db.migrate()?;
    let profiles = Profiles::with(Vec::new()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let (c, _) = county::build(&db, b"bench-server-key", &profiles, spec)?;
    let load = started.elapsed().as_secs_f64();
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
    let mut out = vec![Measured {
        name: format!("load: {} events replayed ({name})", c.events),
        per_second: c.events as f64 / load,
        p50_ms: load * 1000.0,
        p99_ms: None,
        note: format!("{postings} postings, {} villages", c.villages.len()),
    }];
    let config = InspectionConfig::default();
    let now = qingzhang::domain::period::now();
    let first_month = {
        let to = chrono::NaiveDate::parse_from_str(&format!("{}-01", c.to), "%Y-%m-%d")?;
        to.checked_sub_months(chrono::Months::new(12 * spec.years - 1))
            .unwrap_or(to)
            .format("%Y-%m")
            .to_string()
    };
    for (what, scope, from) in [
        ("catalogue, county, last 12 months", c.county.clone(), c.from.clone()),
        ("catalogue, county, whole history", c.county.clone(), first_month),
        (
            "catalogue, one village, 12 months",
            c.villages[c.villages.len() - 1].clone(),
            c.from.clone(),
        ),
    ] {
        let input = RunInput {
            scope,
            from,
            to: c.to.clone(),
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
    eprintln!("   peak resident set so far: {} MB", peak_rss_mb());
    Ok(out)
}
