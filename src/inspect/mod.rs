//! Inspection (纪检): pure rules that read one village's period and say where money may have
//! gone wrong, with the evidence an inspector needs to look for themselves.
//!
//! - [`facts`]: what a rule reads, as the store hands it over (times in Beijing time).
//! - [`thresholds`]: each rule's limits, configured per county with per-village overrides.
//! - [`rules`]: one module per rule of the catalogue (DESIGN.md §6), each with its explanation.
//! - [`workdays`]: the working-day arithmetic the cash rules share.
//! - [`overview`]: the dashboard's arithmetic (findings by month, how long cash took to the bank).
//!
//! No I/O: `usecases::inspection` loads the facts in a few set-oriented queries per village,
//! runs [`check`] and keeps the findings.

pub mod facts;
pub mod overview;
pub mod rules;
pub mod thresholds;
pub mod workdays;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::vocabulary::{EvidenceKind, RuleId, Severity};
use crate::domain::Money;
pub use facts::VillageFacts;
pub use thresholds::Thresholds;

/// One thing the finding points at: an entry, a receipt, a bank transaction…
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub id: i64,
}

impl Evidence {
    pub fn new(kind: EvidenceKind, id: impl Into<i64>) -> Evidence {
        Evidence { kind, id: id.into() }
    }
}

/// What a rule found in one village: kept as a finding, keyed by (village, rule, subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub rule: RuleId,
    /// What the flag is about, stable across runs ("clerk:7:2026-03", "receipt:42"), so a
    /// second run updates the finding instead of adding one.
    pub subject: String,
    pub severity: Severity,
    /// The days the cause lies in.
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The money at stake (zero where the rule measures a pattern, not an amount).
    pub amount: Money,
    /// One sentence in Chinese: what was found, with the figures.
    pub summary: String,
    pub evidence: Vec<Evidence>,
}

/// Runs the rules asked for over one village's facts; flags in rule order, then subject.
pub fn check(facts: &VillageFacts, thresholds: &Thresholds, rules: &[RuleId]) -> Vec<Flag> {
    let mut out = Vec::new();
    for rule in rules {
        let mut flags = rules::run(*rule, facts, thresholds);
        for f in &mut flags {
            f.evidence.sort();
            f.evidence.dedup();
        }
        flags.sort_by(|a, b| a.subject.cmp(&b.subject));
        out.extend(flags);
    }
    out
}

/// "2026年3月", as findings name a month.
pub fn month_label(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月", d.year(), d.month())
}

/// "2026-03", as subjects name a month.
pub fn month_key(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}
