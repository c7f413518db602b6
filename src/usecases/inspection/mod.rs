//! Inspection (纪检): run the rules over a county, township or village and a span of months,
//! keep what they find, and let the inspector work through it.
//!
//! - this file: the run. Each village is read in its own snapshot ([`facts::load`]), checked by
//!   the pure rules (`inspect`), and its findings written under the village's lock: a second
//!   run updates a finding (same village, rule and subject) instead of adding one, and marks
//!   the ones whose cause is gone. A village whose data a rule cannot read is reported and the
//!   run goes on with the others.
//! - [`findings`]: the list, one finding with its evidence and history, and the workflow.
//! - [`dashboard`]: the findings by rule, severity, township, village and month, with each
//!   village's cash share and deposit lag.
//! - [`village`]: one village in brief (books, cash at month ends, deposits, chain, findings).
//! - [`report`]: the same findings as text, JSON, XLSX (a summary sheet, a sheet per rule) or CSV.

pub mod dashboard;
pub mod facts;
pub mod findings;
pub mod report;
pub mod village;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access::{Action, Actor, Place, Scope};
use crate::domain::ids::VillageId;
use crate::domain::period::{self, business_time, Period};
use crate::domain::vocabulary::{FindingEventKind, FindingStatus, RuleId, ScopeKind};
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::inspect::facts::{Collected, CollectionMix};
use crate::inspect::thresholds::InspectionConfig;
use crate::inspect::{self, Flag};
use crate::store::inspection::{
    Finding, FindingEvent, InspectionRun, NewFinding, NewFindingEvent, NewInspectionRun, RunEnd,
};
use crate::store::lock::lock_village;
use crate::store::registry::{County, Township, Village, VillageFilter};
use crate::store::{Db, DbConnection, Page};

/// The longest span one run or report covers.
pub const MAX_MONTHS: i64 = 60;

/// A county, township or village, by its 12-digit code, as the inspector named it.
#[derive(Debug, Clone)]
pub struct ScopeRef {
    pub kind: ScopeKind,
    pub code: String,
    pub name: String,
    pub scope: Scope,
}

/// Finds the scope by code and checks the actor holds it; a scope outside theirs is "not
/// found", as if it did not exist.
pub(crate) fn scope_for(conn: &mut DbConnection, actor: Option<&Actor>, code: &str) -> AppResult<ScopeRef> {
    let code = code.trim();
    let not_found = || {
        AppError::new(
            ErrorCode::InspectionScopeNotFound,
            format!("找不到代码为 {code} 的县、乡镇或村，或它不在您的管辖范围内。"),
        )
    };
    let (found, place) = if let Some(c) = County::by_code(conn, code)? {
        let place = Place {
            county_id: c.id,
            township_id: None,
            village_id: None,
        };
        (
            ScopeRef {
                kind: ScopeKind::County,
                code: c.code,
                name: c.name,
                scope: Scope::County(c.id),
            },
            place,
        )
    } else if let Some(t) = Township::by_code(conn, code)? {
        let place = Place {
            county_id: t.county_id,
            township_id: Some(t.id),
            village_id: None,
        };
        (
            ScopeRef {
                kind: ScopeKind::Township,
                code: t.code,
                name: t.name,
                scope: Scope::Township(t.id),
            },
            place,
        )
    } else if let Some(p) = Village::place_by_code(conn, code)? {
        let v = p.village;
        let place = Place {
            county_id: p.county_id,
            township_id: Some(v.township_id),
            village_id: Some(v.id),
        };
        (
            ScopeRef {
                kind: ScopeKind::Village,
                code: v.code,
                name: v.name,
                scope: Scope::Village(v.id),
            },
            place,
        )
    } else {
        return Err(not_found());
    };
    if let Some(actor) = actor {
        actor.may(Action::Inspect, place).map_err(|d| match d {
            crate::domain::access::Denied::OutOfScope => not_found(),
            other => other.into(),
        })?;
    }
    Ok(found)
}

/// The villages of a scope, by id.
pub(crate) fn villages_of(conn: &mut DbConnection, scope: Scope) -> AppResult<Vec<Village>> {
    let filter = match scope {
        Scope::County(c) => VillageFilter::County(c),
        Scope::Township(t) => VillageFilter::Township(t),
        Scope::Village(v) => VillageFilter::Village(v),
    };
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = Village::list(conn, filter, None, Page { after, limit: 1000 })?;
        let Some(last) = page.last() else { break };
        after = last.0.id.get();
        out.extend(page.into_iter().map(|(v, _)| v));
    }
    Ok(out)
}

/// The first day of `from` and the last day of `to` ("2026-01", "2026-12").
pub fn months(from: &str, to: &str) -> AppResult<(NaiveDate, NaiveDate)> {
    let bad = |field: &'static str| AppError::code(ErrorCode::PeriodInvalid).at(field);
    let f = Period::parse(from.trim()).map_err(|_| bad("from"))?;
    let t = Period::parse(to.trim()).map_err(|_| bad("to"))?;
    let (start, end) = (f.first_day(), t.next().first_day() - chrono::Duration::days(1));
    if start > end {
        return Err(AppError::new(ErrorCode::PeriodInvalid, "起始月份晚于结束月份。").at("from"));
    }
    let months = (t.year() - f.year()) as i64 * 12 + t.first_day().month() as i64 - f.first_day().month() as i64 + 1;
    if months > MAX_MONTHS {
        return Err(AppError::new(
            ErrorCode::PeriodInvalid,
            format!("一次最多检查 {MAX_MONTHS} 个月，请缩短期间。"),
        )
        .at("to"));
    }
    Ok((start, end))
}

/// Rule codes as a list ("CASH_LATE,RECEIPT_GAP"); empty: the configured default.
pub fn parse_rules(text: Option<&str>, config: &InspectionConfig) -> AppResult<Vec<RuleId>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(config.default_rules());
    };
    let mut rules = Vec::new();
    for name in text.split([',', ' ']).map(str::trim).filter(|n| !n.is_empty()) {
        let rule = name.to_ascii_uppercase().parse::<RuleId>().map_err(|_| {
            AppError::new(
                ErrorCode::RulesInvalid,
                format!(
                    "没有代码为 {name} 的检查规则；可用的有：{}。",
                    RuleId::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("、")
                ),
            )
            .at("rules")
        })?;
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    Ok(rules)
}

#[derive(Debug, Clone, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunInput {
    /// The 12-digit code of a county, township or village.
    pub scope: String,
    /// First month, `2026-01`.
    pub from: String,
    /// Last month, `2026-12`.
    pub to: String,
    /// Rule codes separated by commas; empty: every rule the county has switched on.
    #[serde(default)]
    pub rules: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VillageFailure {
    pub village: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleCount {
    pub rule: RuleId,
    pub label: String,
    /// Findings of the run with this rule.
    pub findings: i64,
    #[schema(value_type = String)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunSummary {
    pub run_id: i64,
    pub scope: String,
    pub scope_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rules: Vec<RuleId>,
    pub villages_checked: i64,
    /// Villages the rules could not read: the others were checked.
    pub villages_failed: Vec<VillageFailure>,
    /// Findings the run confirmed (new and seen again).
    pub findings: i64,
    pub findings_new: i64,
    /// Earlier findings of the period whose cause the data no longer shows.
    pub findings_gone: i64,
    pub by_rule: Vec<RuleCount>,
    /// One sentence for people.
    pub message: String,
}

/// What each village of a township collected.
type TownshipMix = HashMap<VillageId, Collected>;

/// How each township's villages collected, now and a year before, read once per township.
#[derive(Default)]
struct Mixes {
    townships: HashMap<i64, (TownshipMix, TownshipMix)>,
}

impl Mixes {
    fn of(
        &mut self,
        conn: &mut DbConnection,
        village: &Village,
        (from, to): (NaiveDate, NaiveDate),
    ) -> AppResult<CollectionMix> {
        let (now, before) = match self.townships.entry(village.township_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let ids: Vec<VillageId> = villages_of(conn, Scope::Township(village.township_id))?
                    .iter()
                    .map(|v| v.id)
                    .collect();
                let year_ago = |d: NaiveDate| d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d);
                let now = facts::collections(conn, &ids, from, to)?;
                let before = facts::collections(conn, &ids, year_ago(from), year_ago(to))?;
                slot.insert((now, before))
            }
        };
        Ok(CollectionMix {
            now: now.get(&village.id).copied().unwrap_or_default(),
            year_before: before.get(&village.id).copied().unwrap_or_default(),
            peers: now.iter().filter(|(v, _)| **v != village.id).map(|(_, c)| *c).collect(),
        })
    }
}

/// The most threads a run checks villages on: each holds a connection of the pool.
const MAX_THREADS: usize = 4;

/// `f` of every item, on up to [`MAX_THREADS`] threads (no more than the machine's cores nor
/// `connections`, so that none waits for one), in the items' order.
fn in_parallel<T: Sync, R: Send>(items: &[T], connections: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS)
        .min(connections)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<R>>> = items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was taken by a thread")
        })
        .collect()
}

/// Rules that judge a whole period (a share, a distribution) rather than single records.
const PATTERN_RULES: [RuleId; 3] = [RuleId::CashShare, RuleId::RoundAmounts, RuleId::Benford];

/// What one village's findings came to.
#[derive(Default)]
struct Kept {
    new: i64,
    gone: i64,
}

/// Runs the rules over a scope and period and keeps their findings. `actor` is None for the
/// nightly run and the command line; `now` is the run's clock.
pub fn run(
    db: &Db,
    actor: Option<&Actor>,
    input: &RunInput,
    config: &InspectionConfig,
    now: DateTime<Utc>,
) -> AppResult<RunSummary> {
    let (from, to) = months(&input.from, &input.to)?;
    let rules = parse_rules(input.rules.as_deref(), config)?;
    let (scope, villages) = db.read(|conn| {
        let scope = scope_for(conn, actor, &input.scope)?;
        let villages = villages_of(conn, scope.scope)?;
        Ok::<_, AppError>((scope, villages))
    })?;
    let as_of = business_time(now);
    let started = now.naive_utc();
    let rule_list = rules.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
    let run = db.write(|conn| {
        Ok::<_, AppError>(InspectionRun::insert(
            conn,
            &NewInspectionRun {
                scope_kind: scope.kind,
                scope_code: &scope.code,
                period_from: from,
                period_to: to,
                rules: &rule_list,
                as_of: started,
                started_at: started,
                villages_checked: 0,
                villages_failed: "[]",
                flags: 0,
                findings_new: 0,
                findings_gone: 0,
                run_by: actor.map(|a| a.user_id),
            },
        )?)
    })?;

    // Villages are read and checked on a few threads at once (each in its own snapshot, on its
    // own connection, no more threads than the pool has connections); their findings are then
    // kept one village after another in the villages' order, so a run writes the same rows in
    // the same order whatever the threads did first.
    let mixes = std::sync::Mutex::new(Mixes::default());
    let check_one = |village: &Village| -> AppResult<Vec<Flag>> {
        let thresholds = config.for_village(&village.code);
        let facts = db.snapshot(|conn| {
            let mix = mixes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .of(conn, village, (from, to))?;
            facts::load(conn, village, (from, to), as_of, mix)
        })?;
        std::panic::catch_unwind(|| inspect::check(&facts, &thresholds, &rules))
            .map_err(|_| AppError::Internal(format!("a rule failed on village {}", village.code)))
    };
    let results = in_parallel(&villages, db.readers(), check_one);

    let mut failed = Vec::new();
    let mut kept = Kept::default();
    let mut by_rule: BTreeMap<RuleId, (i64, Money)> = BTreeMap::new();
    let mut flags_total = 0i64;
    for (village, checked) in villages.iter().zip(results) {
        let checked = checked.and_then(|flags| {
            let k = db.write(|conn| keep(conn, village, &rules, (from, to), &flags, run.id, started))?;
            Ok((flags, k))
        });
        match checked {
            Ok((flags, k)) => {
                kept.new += k.new;
                kept.gone += k.gone;
                flags_total += flags.len() as i64;
                for f in flags {
                    let slot = by_rule.entry(f.rule).or_default();
                    slot.0 += 1;
                    slot.1 += f.amount;
                }
            }
            Err(e) => {
                tracing::warn!(village = %village.code, error = %e, "inspection: village not checked");
                failed.push(VillageFailure {
                    village: village.code.clone(),
                    error: e.to_string(),
                });
            }
        }
    }
    let failed_json = serde_json::to_string(&failed).unwrap_or_else(|_| "[]".into());
    let checked = villages.len() as i64 - failed.len() as i64;
    db.write(|conn| {
        InspectionRun::finish(
            conn,
            run.id,
            &RunEnd {
                finished_at: period::now().naive_utc(),
                villages_checked: checked,
                villages_failed: failed_json.clone(),
                flags: flags_total,
                findings_new: kept.new,
                findings_gone: kept.gone,
            },
        )?;
        crate::usecases::audit(
            conn,
            actor,
            "inspection.run",
            "inspection_run",
            run.id,
            None,
            serde_json::json!({
                "scope": scope.code, "from": from, "to": to, "rules": rule_list,
                "villages_checked": checked, "villages_failed": failed.len(), "findings": flags_total,
            }),
        )
    })?;
    let message = if villages.is_empty() {
        format!("{}没有村，没有可检查的数据。", scope.name)
    } else if flags_total == 0 {
        format!("{}（{} 个村）在 {from} 至 {to} 期间没有发现问题。", scope.name, checked)
    } else {
        format!(
            "{}（{} 个村）在 {from} 至 {to} 期间共有 {flags_total} 条发现，其中新发现 {} 条；{} 条以前的发现已因数据变化消除。",
            scope.name, checked, kept.new, kept.gone
        )
    };
    Ok(RunSummary {
        run_id: run.id,
        scope: scope.code,
        scope_name: scope.name,
        from,
        to,
        rules,
        villages_checked: checked,
        villages_failed: failed,
        findings: flags_total,
        findings_new: kept.new,
        findings_gone: kept.gone,
        by_rule: by_rule
            .into_iter()
            .map(|(rule, (n, amount))| RuleCount {
                rule,
                label: rule.label().into(),
                findings: n,
                amount,
            })
            .collect(),
        message,
    })
}

/// Writes one village's flags as findings: new ones with a "found" event, known ones updated
/// (and "found again" if their cause had gone), and the village's findings of these rules and
/// days that no run finds any more marked as resolved by data.
fn keep(
    conn: &mut DbConnection,
    village: &Village,
    rules: &[RuleId],
    (from, to): (NaiveDate, NaiveDate),
    flags: &[Flag],
    run: i64,
    now: chrono::NaiveDateTime,
) -> AppResult<Kept> {
    lock_village(conn, village.id)?;
    let mut kept = Kept::default();
    let existing: HashMap<(RuleId, String), Finding> = Finding::of_village(conn, village.id, rules, from, to)?
        .into_iter()
        .map(|f| ((f.rule, f.subject.clone()), f))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for flag in flags {
        let evidence = serde_json::to_string(&flag.evidence).map_err(|e| AppError::Internal(e.to_string()))?;
        let row = NewFinding {
            village_id: village.id,
            rule: flag.rule,
            subject: &flag.subject,
            severity: flag.severity,
            period_start: flag.start,
            period_end: flag.end,
            amount: flag.amount.max(Money::ZERO),
            summary: &flag.summary,
            evidence: &evidence,
            status: FindingStatus::Open,
            first_seen: now,
            last_seen: now,
            last_run_id: run,
        };
        seen.insert((flag.rule, flag.subject.clone()));
        let known = match existing.get(&(flag.rule, flag.subject.clone())) {
            Some(f) => Some(f.clone()),
            // A finding of another period with the same subject (a chain, a reissue loop).
            None => Finding::by_subject(conn, village.id, flag.rule, &flag.subject)?,
        };
        match known {
            Some(f) => {
                Finding::seen_again(conn, f.id, &row)?;
                if f.cause_gone_at.is_some() {
                    event(conn, f.id, FindingEventKind::CauseBack, run, now, "数据中再次出现")?;
                } else if f.status != FindingStatus::Open && (f.evidence != evidence || f.amount != row.amount) {
                    // The inspector's decision was about the evidence then; say that it changed.
                    let note = format!("证据或金额有变化，请重新查看：{}", flag.summary);
                    event(conn, f.id, FindingEventKind::CauseBack, run, now, &note)?;
                }
            }
            None => {
                let f = Finding::insert(conn, &row)?;
                event(conn, f.id, FindingEventKind::Found, run, now, &flag.summary)?;
                kept.new += 1;
            }
        }
    }
    for ((rule, subject), f) in existing {
        // A pattern over a whole period is judged again only over the same period; a finding
        // another run has just seen (after this one read its facts) is that run's to keep.
        let inside = if PATTERN_RULES.contains(&rule) {
            f.period_start == from && f.period_end == to
        } else {
            f.period_start >= from && f.period_end <= to
        };
        if inside && f.last_seen <= now && f.cause_gone_at.is_none() && !seen.contains(&(rule, subject)) {
            Finding::cause_gone(conn, f.id, now, run)?;
            event(
                conn,
                f.id,
                FindingEventKind::CauseGone,
                run,
                now,
                "重新检查时数据中已不再出现",
            )?;
            kept.gone += 1;
        }
    }
    Ok(kept)
}

fn event(
    conn: &mut DbConnection,
    finding: i64,
    kind: FindingEventKind,
    run: i64,
    at: chrono::NaiveDateTime,
    note: &str,
) -> AppResult<()> {
    FindingEvent::insert(
        conn,
        &NewFindingEvent {
            finding_id: finding,
            at,
            kind,
            actor_id: None,
            from_status: None,
            to_status: None,
            note,
            run_id: Some(run),
        },
    )?;
    Ok(())
}

/// The county's inspection settings, checked in full: thresholds, rule names, and that every
/// village an override names exists. A bad setting stops the start, naming its key.
pub fn check_config(db: &Db, config: &InspectionConfig) -> Result<(), String> {
    config.validate()?;
    let missing = db
        .read(|conn| {
            let mut missing = Vec::new();
            for code in config.villages.keys() {
                if Village::by_code(conn, code)?.is_none() {
                    missing.push(code.clone());
                }
            }
            Ok::<_, AppError>(missing)
        })
        .map_err(|e| e.to_string())?;
    match missing.first() {
        Some(code) => Err(format!(
            "inspection.villages.\"{code}\": there is no village with this code"
        )),
        None => Ok(()),
    }
}

/// The nightly run's period: the last twelve months, this one included (Beijing time), so a
/// cause whose grace runs past New Year is still seen.
pub fn last_twelve_months(now: DateTime<Utc>) -> (String, String) {
    let today = period::business_date(now);
    let first = today.checked_sub_months(chrono::Months::new(11)).unwrap_or(today);
    (first.format("%Y-%m").to_string(), today.format("%Y-%m").to_string())
}

/// Every county, for the nightly run.
pub fn counties(db: &Db) -> AppResult<Vec<String>> {
    db.read(|conn| Ok(County::list(conn, None)?.into_iter().map(|c| c.code).collect()))
}

/// The scopes an inspector may choose, their own first: (code, label). A township's villages
/// follow it, indented.
pub fn scope_choices(db: &Db, actor: &Actor) -> AppResult<Vec<(String, String)>> {
    db.read(|conn| {
        let own = match actor.scope {
            Scope::County(c) => {
                let c = County::by_id(conn, c)?;
                (c.code, c.name)
            }
            Scope::Township(t) => {
                let t = Township::by_id(conn, t)?;
                (t.code, t.name)
            }
            Scope::Village(v) => {
                let v = Village::by_id(conn, v)?;
                (v.code, v.name)
            }
        };
        scope_for(conn, Some(actor), &own.0)?;
        let mut out = vec![(own.0.clone(), format!("{}（全部）", own.1))];
        if let Scope::Village(_) = actor.scope {
            return Ok(out);
        }
        let villages = villages_of(conn, actor.scope)?;
        let mut township_ids: Vec<i64> = villages.iter().map(|v| v.township_id).collect();
        township_ids.dedup();
        for t in Township::list(conn, None, Some(&township_ids))? {
            if matches!(actor.scope, Scope::County(_)) {
                out.push((t.code.clone(), t.name.clone()));
            }
            for v in villages.iter().filter(|v| v.township_id == t.id) {
                out.push((v.code.clone(), format!("　{}", v.name)));
            }
        }
        Ok(out)
    })
}
