//! One village as an inspector looks at it over a span of months: its books in brief (the
//! trial balance's top-level accounts), cash on hand at each month's end, what it collected and
//! how fast its cash reached the bank, whether its chain verifies, and its findings.

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::facts::collections;
use super::findings::FindingQuery;
use super::report::{report, InspectionReport};
use super::scope_for;
use crate::domain::access::{Actor, Scope};
use crate::domain::period;
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::inspect::facts::Collected;
use crate::inspect::overview::{month_ends, DepositLag, MonthEnd};
use crate::ledger::trial_balance::TrialBalanceRow;
use crate::store::journal;
use crate::store::registry::{Township, Village};
use crate::store::Db;
use crate::usecases::bookkeeping::trial_balance_between;
use crate::usecases::cash::cash_account_ids;
use crate::usecases::verify::{verify_village, VillageReport};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VillageBrief {
    pub code: String,
    pub name: String,
    pub township: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The trial balance's top-level accounts that moved or hold a balance in the span.
    pub books: Vec<TrialBalanceRow>,
    pub books_balanced: bool,
    /// Cash on hand (101) at the end of each month, with the limit in force that day.
    pub cash_month_ends: Vec<MonthEnd>,
    /// The limit in force on the span's last day.
    #[schema(value_type = String)]
    pub cash_limit: Money,
    #[schema(value_type = String)]
    pub collected: Money,
    #[schema(value_type = String)]
    pub cash: Money,
    /// Cash over all collected, 0–1; none when nothing came in.
    pub cash_share: Option<f64>,
    pub receipts: i64,
    pub cash_receipts: i64,
    pub deposit: DepositLag,
    /// The hash chain and the bills' agreement with receipts and postings.
    pub chain: VillageReport,
    pub findings: InspectionReport,
}

/// The village `code` from the month `from` to the month `to` (`2026-01`), for an inspector
/// whose scope holds it.
pub fn village_brief(db: &Db, actor: &Actor, code: &str, from: &str, to: &str) -> AppResult<VillageBrief> {
    let query = FindingQuery {
        scope: code.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        include_gone: Some(true),
        ..Default::default()
    };
    let findings = report(db, Some(actor), &query)?;
    let (from, to) = (findings.from, findings.to);
    let as_of = period::business_time(period::now());
    db.snapshot(|conn| {
        let scope = scope_for(conn, Some(actor), code)?;
        let Scope::Village(id) = scope.scope else {
            return Err(AppError::new(
                ErrorCode::VillageNotFound,
                format!("{code} 是县或乡镇的代码；这一页只看一个村。"),
            ));
        };
        let village = Village::by_id(conn, id)?;
        let limits = crate::store::registry::cash_limits(conn, &village)?;
        let township = Township::by_id(conn, village.township_id)?.name;
        let tb = trial_balance_between(conn, id, from, to + Duration::days(1))?;
        let books = tb
            .rows
            .into_iter()
            .filter(|r| !r.code.contains('.'))
            .filter(|r| r.has_activity())
            .collect();
        let mut daily: Vec<(NaiveDate, Money)> = Vec::new();
        for account in cash_account_ids(conn, id)? {
            daily.extend(
                journal::daily_sums_of_account(conn, account, to)?
                    .into_iter()
                    .map(|(d, s)| (d, s.debit - s.credit)),
            );
        }
        daily.sort_by_key(|(d, _)| *d);
        let got: Collected = collections(conn, &[id], from, to)?.remove(&id).unwrap_or_default();
        let deposit = super::dashboard::deposit_lags(conn, &[id], (from, to), as_of)?
            .remove(&id)
            .unwrap_or_else(|| DepositLag::of(&[], as_of));
        Ok(VillageBrief {
            code: village.code.clone(),
            name: village.name.clone(),
            township,
            from,
            to,
            books,
            books_balanced: tb.balanced,
            cash_month_ends: month_ends(&daily, &limits, from, to),
            cash_limit: limits.on(to),
            collected: got.total,
            cash: got.cash,
            cash_share: got.cash_share(),
            receipts: got.receipts,
            cash_receipts: got.cash_receipts,
            deposit,
            chain: verify_village(conn, &village)?,
            findings: findings.clone(),
        })
    })
}
