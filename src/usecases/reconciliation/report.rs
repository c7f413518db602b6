//! The reconciliation report, derived from what is kept: every outcome of some days of an
//! account, and the same as a table for XLSX or CSV.

use super::*;

/// One thing reconciliation found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconItem {
    pub outcome: ReconOutcome,
    /// What the outcome means, in Chinese.
    pub label: String,
    pub critical: bool,
    pub rule: Option<MatchRule>,
    pub statement_line_id: Option<i64>,
    pub bank_transaction_id: Option<BankTransactionId>,
    /// The journal entry (by its number in the village) behind the money.
    pub entry_seq: Option<i64>,
    pub direction: Direction,
    #[schema(value_type = String)]
    pub amount: Money,
    /// The books' amount where it differs from the statement's.
    #[schema(value_type = Option<String>)]
    pub books_amount: Option<Money>,
    pub serial: Option<String>,
    pub counterparty: Option<String>,
    pub remark: Option<String>,
}

/// One business day of an account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayReport {
    pub date: NaiveDate,
    /// Whether a statement (a file or the bank's API) covering the day has been taken in; a day
    /// without one cannot be reconciled yet.
    pub statement_imported: bool,
    pub statement_lines: usize,
    /// The balance on the day's last statement line.
    #[schema(value_type = Option<String>)]
    pub statement_closing: Option<Money>,
    /// The books' balance of the account's 102 sub-account at the end of the day.
    #[schema(value_type = String)]
    pub books_closing: Money,
    /// Statement minus books, where the statement gives a balance and they differ.
    #[schema(value_type = Option<String>)]
    pub difference: Option<Money>,
    pub items: Vec<ReconItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconciliationReport {
    pub account_id: CorporateAccountId,
    /// Masked, as pages show it.
    pub account_no: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Outcomes counted over the range.
    pub counts: BTreeMap<String, usize>,
    pub critical: usize,
    pub days: Vec<DayReport>,
}

/// What reconciliation shows for an account and some days, derived from what is kept.
pub fn report(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    q: DaysQuery,
) -> AppResult<ReconciliationReport> {
    let q = q.check()?;
    // One snapshot: a reconciliation committing meanwhile is seen whole or not at all.
    db.snapshot(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let account = account_of(conn, &village, account)?;
        crate::store::with_large_cache(conn, |conn| build_report(conn, &account, q))
    })
}

fn build_report(conn: &mut DbConnection, account: &CorporateAccount, q: DaysQuery) -> AppResult<ReconciliationReport> {
    let lines = StatementLine::of_days(conn, account.id, q.from, q.to)?;
    let matches: HashMap<i64, StatementMatch> = StatementMatch::of_days(conn, account.id, q.from, q.to)?
        .into_iter()
        .map(|m| (m.statement_line_id, m))
        .collect();
    // The books' credits a line of these days may be matched to (the matcher's window), in one
    // query: their entries' numbers, which are matched, and which wait in clearing (those are
    // never expected singly on the statement).
    let window = credits_in_window(
        conn,
        account.id,
        utc_start(q.from - Duration::days(WINDOW_DAYS)),
        utc_start(q.to + Duration::days(WINDOW_DAYS + 1)),
    )?;
    let (day_start, day_end) = (utc_start(q.from), utc_start(q.to + Duration::days(1)));
    let mut seqs: HashMap<crate::domain::ids::EntryId, i64> =
        window.iter().map(|c| (c.txn.entry_id, c.entry_seq)).collect();
    let open_of_days: Vec<BankTransactionId> = window
        .iter()
        .filter(|c| c.txn.paid_at >= day_start && c.txn.paid_at < day_end && !c.matched && !c.held)
        .map(|c| c.txn.id)
        .collect();
    let settlements: HashMap<i64, SettlementBatch> = {
        let settled: Vec<i64> = matches
            .values()
            .filter(|m| m.rule == MatchRule::Settlement)
            .map(|m| m.statement_line_id)
            .collect();
        SettlementBatch::of_lines(conn, &settled)?
            .into_iter()
            .map(|s| (s.statement_line_id, s))
            .collect()
    };
    let unsettled = unsettled_days(conn, account, q)?;
    let all_txns: HashMap<BankTransactionId, BankTransaction> = window.into_iter().map(|c| (c.txn.id, c.txn)).collect();
    // The entries reconciliation posted itself (taken in, money out, settlements).
    let posted: Vec<_> = {
        let mut ids: Vec<_> = matches
            .values()
            .filter_map(|m| m.entry_id)
            .filter(|e| !seqs.contains_key(e))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    seqs.extend(journal::seqs_of(conn, &posted)?);
    // Which days a statement covers, and broken statements (rows of imports touching these days).
    let imports: Vec<StatementImport> = StatementImport::of_account(conn, account.id, 10_000)?
        .into_iter()
        .filter(|i| i.last_date >= q.from && i.first_date <= q.to)
        .collect();
    let broken: Vec<(NaiveDate, i64, usize)> = imports
        .iter()
        .flat_map(|i| {
            let rows: Vec<usize> = serde_json::from_str(&i.broken_rows).unwrap_or_default();
            rows.into_iter().map(move |r| (i.first_date.max(q.from), i.id, r))
        })
        .collect();
    // The books' 102 balance at the end of each day.
    let daily = journal::daily_sums_of_account(conn, account.ledger_account_id, q.to)?;
    let closing = |day: NaiveDate| -> Money {
        daily
            .iter()
            .filter(|(d, _)| *d <= day)
            .fold(Money::ZERO, |acc, (_, s)| acc + s.debit - s.credit)
    };
    let today = period::business_date(period::now());
    let mut days = Vec::new();
    // Lines and the books' unmatched credits grouped by business day, once.
    let mut lines_by_day: BTreeMap<NaiveDate, Vec<&StatementLine>> = BTreeMap::new();
    for l in &lines {
        lines_by_day.entry(l.business_date).or_default().push(l);
    }
    let mut open_by_day: BTreeMap<NaiveDate, Vec<&BankTransaction>> = BTreeMap::new();
    for t in open_of_days.iter().filter_map(|id| all_txns.get(id)) {
        open_by_day
            .entry(period::business_date(Utc.from_utc_datetime(&t.paid_at)))
            .or_default()
            .push(t);
    }
    let mut day = q.from;
    while day <= q.to {
        let of_day: Vec<&StatementLine> = lines_by_day.remove(&day).unwrap_or_default();
        let mut items = Vec::new();
        for l in &of_day {
            let m = matches.get(&l.id);
            let txn = m.and_then(|m| m.bank_transaction_id).and_then(|id| all_txns.get(&id));
            let settled = settlements.get(&l.id);
            let outcome = match m.map(|m| (m.rule, m.amount_differs)) {
                None if l.direction == Direction::Debit => ReconOutcome::UnexplainedDebit,
                None => ReconOutcome::StatementOnlyCredit,
                Some((MatchRule::Settlement, true)) => ReconOutcome::SettlementMismatch,
                Some((_, true)) => ReconOutcome::AmountMismatch,
                Some((MatchRule::TakenIn, _)) => ReconOutcome::StatementOnlyCredit,
                Some((MatchRule::UnexplainedDebit, _)) => ReconOutcome::UnexplainedDebit,
                Some(_) => ReconOutcome::Matched,
            };
            let label = match settled {
                Some(s) if outcome == ReconOutcome::SettlementMismatch => format!(
                    "{}：应结 {} 元（{} 笔 {} 元，手续费 {} 元），实结 {} 元，差 {} 元",
                    outcome.label(),
                    s.expected,
                    s.payments,
                    s.gross,
                    s.fee,
                    s.amount,
                    s.amount - s.expected
                ),
                Some(s) => format!(
                    "{}（{} 笔 {} 元，手续费 {} 元）",
                    outcome.label(),
                    s.payments,
                    s.gross,
                    s.fee
                ),
                None => outcome.label().to_string(),
            };
            items.push(ReconItem {
                outcome,
                label,
                critical: outcome.critical(),
                rule: m.map(|m| m.rule),
                statement_line_id: Some(l.id),
                bank_transaction_id: txn.map(|t| t.id),
                entry_seq: m
                    .and_then(|m| m.entry_id)
                    .or(txn.map(|t| t.entry_id))
                    .and_then(|e| seqs.get(&e).copied()),
                direction: l.direction,
                amount: l.amount,
                books_amount: txn
                    .filter(|t| t.amount != l.amount)
                    .map(|t| t.amount)
                    .or(settled.filter(|s| s.expected != s.amount).map(|s| s.expected)),
                serial: l.serial.clone(),
                counterparty: l.counterparty_name.clone(),
                remark: l.remark.clone(),
            });
        }
        // Credits of this day the statement does not show: pending until T+1 has passed.
        for t in open_by_day.remove(&day).unwrap_or_default() {
            let outcome = if today > day + Duration::days(1) {
                ReconOutcome::LedgerOnlyCredit
            } else {
                ReconOutcome::LedgerOnlyPending
            };
            items.push(ReconItem {
                outcome,
                label: outcome.label().to_string(),
                critical: outcome.critical(),
                rule: None,
                statement_line_id: None,
                bank_transaction_id: Some(t.id),
                entry_seq: seqs.get(&t.entry_id).copied(),
                direction: Direction::Credit,
                amount: t.amount,
                books_amount: None,
                serial: Some(t.provider_txn_id.clone()),
                counterparty: t.payer_masked.clone(),
                remark: t.reference.clone(),
            });
        }
        // Payments still waiting for their provider's settlement: a day's own, and on the first
        // day of the range those of earlier days (a missing settlement never drops out of view).
        for u in unsettled.iter().filter(|u| u.day.max(q.from) == day) {
            let outcome = if today > u.day + Duration::days(SETTLEMENT_DAYS) {
                ReconOutcome::SettlementMissing
            } else {
                ReconOutcome::SettlementPending
            };
            items.push(ReconItem {
                outcome,
                label: format!(
                    "{}：{} {} 的收款 {} 笔 {} 元，扣手续费 {} 元后应结 {} 元",
                    outcome.label(),
                    u.provider.label(),
                    u.day,
                    u.payments,
                    u.gross,
                    u.fee,
                    u.gross - u.fee
                ),
                critical: outcome.critical(),
                rule: None,
                statement_line_id: None,
                bank_transaction_id: None,
                entry_seq: None,
                direction: Direction::Credit,
                amount: u.gross - u.fee,
                books_amount: Some(u.gross),
                serial: None,
                counterparty: Some(u.provider.label().to_string()),
                remark: None,
            });
        }
        for (_, import, row) in broken.iter().filter(|(d, _, _)| *d == day) {
            items.push(ReconItem {
                outcome: ReconOutcome::BrokenStatement,
                label: format!("第 {import} 次导入的对账单第 {row} 行的余额与上一笔不连续"),
                critical: false,
                rule: None,
                statement_line_id: None,
                bank_transaction_id: None,
                entry_seq: None,
                direction: Direction::Credit,
                amount: Money::ZERO,
                books_amount: None,
                serial: None,
                counterparty: None,
                remark: None,
            });
        }
        let statement_closing = of_day.iter().rev().find_map(|l| l.balance);
        let books_closing = closing(day);
        let difference = statement_closing
            .filter(|s| *s != books_closing)
            .map(|s| s - books_closing);
        if let Some(diff) = difference {
            items.push(ReconItem {
                outcome: ReconOutcome::BalanceMismatch,
                label: format!("银行余额比账面多 {diff} 元"),
                critical: false,
                rule: None,
                statement_line_id: None,
                bank_transaction_id: None,
                entry_seq: None,
                direction: Direction::Credit,
                amount: diff,
                books_amount: Some(books_closing),
                serial: None,
                counterparty: None,
                remark: None,
            });
        }
        days.push(DayReport {
            date: day,
            statement_imported: imports.iter().any(|i| i.first_date <= day && i.last_date >= day),
            statement_lines: of_day.len(),
            statement_closing,
            books_closing,
            difference,
            items,
        });
        day += Duration::days(1);
    }
    let mut counts = BTreeMap::new();
    let mut critical = 0;
    for item in days.iter().flat_map(|d| &d.items) {
        *counts.entry(item.outcome.as_str().to_string()).or_insert(0) += 1;
        critical += usize::from(item.critical);
    }
    Ok(ReconciliationReport {
        account_id: account.id,
        account_no: masking::account_no(&account.account_no),
        from: q.from,
        to: q.to,
        counts,
        critical,
        days,
    })
}

/// One binding's payments of one day still in clearing.
struct Unsettled {
    day: NaiveDate,
    provider: bank_adapters::Provider,
    payments: usize,
    gross: Money,
    fee: Money,
}

/// The account's payment days up to the end of the range with payments not yet settled, per
/// binding.
fn unsettled_days(conn: &mut DbConnection, account: &CorporateAccount, q: DaysQuery) -> AppResult<Vec<Unsettled>> {
    if !ClearingItem::any_of_account(conn, account.id)? {
        return Ok(Vec::new());
    }
    let providers: HashMap<i64, bank_adapters::Provider> = Binding::of_account(conn, account.id)?
        .into_iter()
        .map(|b| (b.id, b.provider))
        .collect();
    let mut days: BTreeMap<(NaiveDate, i64), Unsettled> = BTreeMap::new();
    for item in ClearingItem::open_of_account(conn, account.id)?
        .into_iter()
        .filter(|i| i.business_date <= q.to)
    {
        let provider = providers
            .get(&item.binding_id)
            .copied()
            .ok_or_else(|| AppError::Internal(format!("binding {} is missing", item.binding_id)))?;
        let u = days.entry((item.business_date, item.binding_id)).or_insert(Unsettled {
            day: item.business_date,
            provider,
            payments: 0,
            gross: Money::ZERO,
            fee: Money::ZERO,
        });
        u.payments += 1;
        u.gross += item.amount;
        u.fee += item.fee;
    }
    Ok(days.into_values().collect())
}

/// The report as a table for XLSX or CSV: one row per outcome, amounts as numbers, serials and
/// entry numbers as text.
pub fn report_table(report: &ReconciliationReport) -> crate::usecases::exports::Table {
    use crate::usecases::exports::{Cell, Table};
    let text = |s: Option<&str>| Cell::Text(s.unwrap_or("").to_string());
    let mut rows = Vec::new();
    for day in &report.days {
        for i in &day.items {
            rows.push(vec![
                Cell::Text(day.date.to_string()),
                Cell::Text(i.label.clone()),
                text(i.rule.map(|r| r.label())),
                Cell::Text(if i.critical { "重点" } else { "" }.into()),
                Cell::Text(i.direction.label().into()),
                Cell::Money(i.amount),
                i.books_amount.map_or(Cell::Text(String::new()), Cell::Money),
                text(i.serial.as_deref()),
                text(i.counterparty.as_deref()),
                text(i.remark.as_deref()),
                text(i.entry_seq.map(|s| s.to_string()).as_deref()),
            ]);
        }
        rows.push(vec![
            Cell::Text(day.date.to_string()),
            Cell::Text("当日余额".into()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            day.statement_closing
                .map_or(Cell::Text("（无对账单余额）".into()), Cell::Money),
            Cell::Money(day.books_closing),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Text(
                if day.statement_imported {
                    ""
                } else {
                    "未导入对账单"
                }
                .into(),
            ),
            Cell::Text(String::new()),
        ]);
    }
    Table {
        name: "对账",
        header: vec![
            "日期",
            "结果",
            "规则",
            "重点",
            "收支",
            "金额",
            "账面金额",
            "流水号",
            "对方户名",
            "附言",
            "凭证号",
        ],
        rows,
    }
}
