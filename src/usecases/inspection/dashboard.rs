//! The inspector's dashboard of a scope and period: the findings by rule, severity, township,
//! village and month, and per village how much came in as cash and how long that cash took to
//! reach the bank (DESIGN.md §6: 坐收坐支 shows first as a high cash share and a slow deposit).

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::facts::collections;
use super::findings::FindingQuery;
use super::report::{report, InspectionReport};
use super::{scope_for, villages_of};
use crate::domain::access::Actor;
use crate::domain::ids::VillageId;
use crate::domain::period;
use crate::domain::vocabulary::Severity;
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::inspect::overview::{by_month, DepositLag, MonthCount};
use crate::store::inspection as q;
use crate::store::registry::Township;
use crate::store::{Db, DbConnection};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeverityCount {
    pub severity: Severity,
    pub label: String,
    pub findings: i64,
    #[schema(value_type = String)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TownshipCount {
    pub code: String,
    pub name: String,
    pub findings: i64,
    #[schema(value_type = String)]
    pub amount: Money,
}

/// One village of the scope: its findings, and how its money came in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VillageOverview {
    pub code: String,
    pub name: String,
    pub township: String,
    pub findings: i64,
    #[schema(value_type = String)]
    pub amount: Money,
    /// Money receipts took in during the period, and the part of it taken as cash.
    #[schema(value_type = String)]
    pub collected: Money,
    #[schema(value_type = String)]
    pub cash: Money,
    /// Cash over all collected, 0–1; none when nothing came in.
    pub cash_share: Option<f64>,
    pub deposit: DepositLag,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub report: InspectionReport,
    pub by_month: Vec<MonthCount>,
    pub by_severity: Vec<SeverityCount>,
    pub by_township: Vec<TownshipCount>,
    /// Every village of the scope, the most money at stake first.
    pub villages: Vec<VillageOverview>,
}

/// How long each village's cash of a span took to reach the bank, judged at `as_of` (Beijing
/// time): one read for all the villages, grouped here.
pub(super) fn deposit_lags(
    conn: &mut DbConnection,
    villages: &[VillageId],
    (from, to): (NaiveDate, NaiveDate),
    as_of: NaiveDateTime,
) -> AppResult<HashMap<VillageId, DepositLag>> {
    let (lo, hi) = period::stored_span(from, to);
    let local = |t: NaiveDateTime| period::business_time(t.and_utc());
    let mut by_village: HashMap<VillageId, Vec<(NaiveDateTime, Money, Option<NaiveDateTime>)>> = HashMap::new();
    for (v, received, amount, credited) in q::cash_deposits(conn, villages, lo, hi)? {
        by_village
            .entry(v)
            .or_default()
            .push((local(received), amount, credited.map(local)));
    }
    Ok(by_village
        .into_iter()
        .map(|(v, cash)| (v, DepositLag::of(&cash, as_of)))
        .collect())
}

/// The dashboard of the findings the query selects, and the money facts of its villages.
pub fn dashboard(db: &Db, actor: &Actor, query: &FindingQuery) -> AppResult<Dashboard> {
    let report = report(db, Some(actor), query)?;
    let (from, to) = (report.from, report.to);
    let as_of = period::business_time(period::now());
    let (villages, townships, money, deposits) = db.snapshot(|conn| {
        let scope = scope_for(conn, Some(actor), &query.scope)?;
        let mut villages = villages_of(conn, scope.scope)?;
        if let Some(code) = query.village.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            villages.retain(|v| v.code == code);
            if villages.is_empty() {
                return Err(AppError::code(ErrorCode::VillageNotFound).at("village"));
            }
        }
        let ids: Vec<_> = villages.iter().map(|v| v.id).collect();
        let mut township_ids: Vec<i64> = villages.iter().map(|v| v.township_id).collect();
        township_ids.sort_unstable();
        township_ids.dedup();
        let townships: BTreeMap<i64, (String, String)> = Township::list(conn, None, Some(&township_ids))?
            .into_iter()
            .map(|t| (t.id, (t.code, t.name)))
            .collect();
        let money = collections(conn, &ids, from, to)?;
        let deposits = deposit_lags(conn, &ids, (from, to), as_of)?;
        Ok((villages, townships, money, deposits))
    })?;

    let mut by_severity: BTreeMap<Severity, (i64, Money)> = BTreeMap::new();
    let mut by_village: BTreeMap<&str, (i64, Money)> = BTreeMap::new();
    for f in &report.findings {
        let s = by_severity.entry(f.severity).or_default();
        s.0 += 1;
        s.1 += f.amount;
        let v = by_village.entry(f.village.as_str()).or_default();
        v.0 += 1;
        v.1 += f.amount;
    }
    let mut overview: Vec<VillageOverview> = villages
        .iter()
        .map(|v| {
            let (findings, amount) = by_village.get(v.code.as_str()).copied().unwrap_or_default();
            let got = money.get(&v.id).copied().unwrap_or_default();
            VillageOverview {
                code: v.code.clone(),
                name: v.name.clone(),
                township: townships.get(&v.township_id).map(|t| t.1.clone()).unwrap_or_default(),
                findings,
                amount,
                collected: got.total,
                cash: got.cash,
                cash_share: got.cash_share(),
                deposit: deposits
                    .get(&v.id)
                    .cloned()
                    .unwrap_or_else(|| DepositLag::of(&[], as_of)),
            }
        })
        .collect();
    overview.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then(b.findings.cmp(&a.findings))
            .then(a.code.cmp(&b.code))
    });
    let mut by_township: BTreeMap<i64, TownshipCount> = BTreeMap::new();
    for v in &villages {
        let (code, name) = townships.get(&v.township_id).cloned().unwrap_or_default();
        let t = by_township.entry(v.township_id).or_insert_with(|| TownshipCount {
            code,
            name,
            findings: 0,
            amount: Money::ZERO,
        });
        let (n, a) = by_village.get(v.code.as_str()).copied().unwrap_or_default();
        t.findings += n;
        t.amount += a;
    }
    let starts: Vec<_> = report.findings.iter().map(|f| (f.period_start, f.amount)).collect();
    Ok(Dashboard {
        by_month: by_month(&starts, from, to),
        by_severity: Severity::ALL
            .iter()
            .rev()
            .map(|s| {
                let (findings, amount) = by_severity.get(s).copied().unwrap_or_default();
                SeverityCount {
                    severity: *s,
                    label: s.label().into(),
                    findings,
                    amount,
                }
            })
            .collect(),
        by_township: by_township.into_values().collect(),
        villages: overview,
        report,
    })
}
