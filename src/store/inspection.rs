//! Inspection's reads and writes. The reads take one village's period in a few set-oriented
//! queries (one per kind of row, none per row); the writes keep the findings of each run (one
//! row per village, rule and subject) and their append-only history.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::billing::Bill;
use super::cash::{CashRecord, PayIn};
use super::disbursements::Disbursement;
use super::payments::{BankTransaction, Receipt};
use super::schema::{
    audit_log, bank_transactions, bills, cash_records, disbursements, finding_events, findings, inspection_runs,
    journal_entries, journal_postings, pay_ins, placement_undos, receipt_voids, receipts, statement_lines,
    statement_matches, suspense_placements,
};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{BankTransactionId, BillId, EntryId, PayerId, ReceiptId, UserId, VillageId};
use crate::domain::vocabulary::{
    BillStatus, Channel, Direction, EntrySource, FindingEventKind, FindingStatus, MatchRule, ReceiptStatus, RuleId,
    ScopeKind, Severity,
};
use crate::domain::Money;

/// How many ids one `IN (…)` list carries (SQLite's bound on parameters is far above).
const CHUNK: usize = 5000;

pub fn cash_between(
    conn: &mut DbConnection,
    v: VillageId,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<CashRecord>> {
    Ok(cash_records::table
        .filter(cash_records::village_id.eq(v))
        .filter(cash_records::received_at.between(lo, hi))
        .select(CashRecord::as_select())
        .order(cash_records::id)
        .load(conn)?)
}

/// Pay-ins declared from `lo` on (a deposit may come after the period its cash was taken in).
pub fn pay_ins_since(conn: &mut DbConnection, v: VillageId, lo: NaiveDateTime) -> StoreResult<Vec<PayIn>> {
    Ok(pay_ins::table
        .filter(pay_ins::village_id.eq(v))
        .filter(pay_ins::declared_at.ge(lo))
        .select(PayIn::as_select())
        .order(pay_ins::id)
        .load(conn)?)
}

/// When a receipt was voided, and by whom.
pub type Void = (NaiveDateTime, UserId);

/// Every receipt of the years given, with its void if voided.
pub fn receipts_of_years(
    conn: &mut DbConnection,
    v: VillageId,
    first: i32,
    last: i32,
) -> StoreResult<Vec<(Receipt, Option<Void>)>> {
    let rows: Vec<Receipt> = receipts::table
        .filter(receipts::village_id.eq(v))
        .filter(receipts::year.between(first, last))
        .select(Receipt::as_select())
        .order((receipts::year, receipts::number))
        .load(conn)?;
    let voids: Vec<(ReceiptId, NaiveDateTime, UserId)> = receipt_voids::table
        .inner_join(receipts::table.on(receipts::id.eq(receipt_voids::receipt_id)))
        .filter(receipts::village_id.eq(v))
        .filter(receipts::year.between(first, last))
        .select((
            receipt_voids::receipt_id,
            receipt_voids::voided_at,
            receipt_voids::voided_by,
        ))
        .load(conn)?;
    let voids: std::collections::HashMap<_, _> = voids.into_iter().map(|(r, at, by)| (r, (at, by))).collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let v = voids.get(&r.id).copied();
            (r, v)
        })
        .collect())
}

pub fn credits_between(
    conn: &mut DbConnection,
    v: VillageId,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<BankTransaction>> {
    Ok(bank_transactions::table
        .filter(bank_transactions::village_id.eq(v))
        .filter(bank_transactions::paid_at.between(lo, hi))
        .select(BankTransaction::as_select())
        .order(bank_transactions::id)
        .load(conn)?)
}

pub fn transactions_by_ids(conn: &mut DbConnection, ids: &[BankTransactionId]) -> StoreResult<Vec<BankTransaction>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            bank_transactions::table
                .filter(bank_transactions::id.eq_any(chunk.to_vec()))
                .select(BankTransaction::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// One debit line of a statement, with how reconciliation explained it and the disbursement
/// that paid it.
#[derive(Debug, Clone)]
pub struct DebitLine {
    pub id: i64,
    pub amount: Money,
    pub date: NaiveDate,
    pub counterparty: Option<String>,
    pub rule: Option<MatchRule>,
    pub disbursement: Option<i64>,
}

pub fn debits_between(
    conn: &mut DbConnection,
    v: VillageId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<DebitLine>> {
    let lines: Vec<(i64, Money, NaiveDate, Option<String>)> = statement_lines::table
        .filter(statement_lines::village_id.eq(v))
        .filter(statement_lines::direction.eq(Direction::Debit))
        .filter(statement_lines::business_date.between(from, to))
        .select((
            statement_lines::id,
            statement_lines::amount_fen,
            statement_lines::business_date,
            statement_lines::counterparty_name,
        ))
        .order(statement_lines::id)
        .load(conn)?;
    let ids: Vec<i64> = lines.iter().map(|l| l.0).collect();
    let mut rules = std::collections::HashMap::new();
    let mut paid = std::collections::HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let m: Vec<(i64, MatchRule)> = statement_matches::table
            .filter(statement_matches::statement_line_id.eq_any(chunk.to_vec()))
            .select((statement_matches::statement_line_id, statement_matches::rule))
            .load(conn)?;
        rules.extend(m);
        let d: Vec<(Option<i64>, i64)> = disbursements::table
            .filter(disbursements::statement_line_id.eq_any(chunk.to_vec()))
            .select((disbursements::statement_line_id, disbursements::id))
            .load(conn)?;
        paid.extend(d.into_iter().filter_map(|(l, d)| l.map(|l| (l, d))));
    }
    Ok(lines
        .into_iter()
        .map(|(id, amount, date, counterparty)| DebitLine {
            id,
            amount,
            date,
            counterparty,
            rule: rules.get(&id).copied(),
            disbursement: paid.get(&id).copied(),
        })
        .collect())
}

pub fn disbursements_between(
    conn: &mut DbConnection,
    v: VillageId,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<Disbursement>> {
    Ok(disbursements::table
        .filter(disbursements::village_id.eq(v))
        .filter(disbursements::requested_at.between(lo, hi))
        .select(Disbursement::as_select())
        .order(disbursements::id)
        .load(conn)?)
}

/// The approvals of the village withdrawn between two instants: (request, who, when).
pub fn withdrawals_between(
    conn: &mut DbConnection,
    v: VillageId,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<(i64, UserId, NaiveDateTime)>> {
    use super::schema::disbursement_withdrawals as w;
    Ok(w::table
        .filter(w::village_id.eq(v))
        .filter(w::withdrawn_at.between(lo, hi))
        .order(w::disbursement_id)
        .select((w::disbursement_id, w::withdrawn_by, w::withdrawn_at))
        .load(conn)?)
}

/// An entry a person made (see `staff_entries`), with its total.
#[derive(Debug, Clone)]
pub struct StaffEntry {
    pub id: EntryId,
    pub seq: i64,
    pub date: NaiveDate,
    pub created_at: NaiveDateTime,
    pub source: EntrySource,
    pub created_by: Option<UserId>,
    pub amount: Money,
}

/// Entries people made (manual entries and their reversals, placements from suspense, transfers
/// out of it) dated in the period or made in it.
pub fn staff_entries(
    conn: &mut DbConnection,
    v: VillageId,
    (from, to): (NaiveDate, NaiveDate),
    (lo, hi): (NaiveDateTime, NaiveDateTime),
) -> StoreResult<Vec<StaffEntry>> {
    type Row = (
        EntryId,
        i64,
        NaiveDate,
        NaiveDateTime,
        EntrySource,
        Option<UserId>,
        Money,
    );
    // A reversal counts as a person's own act only when it reverses a hand entry: the reversal
    // a void or an undone placement posts is counted through that void or undo already.
    let originals = diesel::alias!(journal_entries as originals);
    let hand_entries = originals
        .filter(originals.field(journal_entries::village_id).eq(v))
        .filter(originals.field(journal_entries::source).eq(EntrySource::Manual))
        .select(originals.field(journal_entries::id).nullable());
    let rows: Vec<Row> = journal_entries::table
        .inner_join(journal_postings::table)
        .filter(journal_entries::village_id.eq(v))
        .filter(
            journal_entries::source
                .eq_any([EntrySource::Manual, EntrySource::Placement, EntrySource::Transfer])
                .or(journal_entries::source
                    .eq(EntrySource::Reversal)
                    .and(journal_entries::reverses_entry_id.eq_any(hand_entries))),
        )
        .filter(
            journal_entries::entry_date
                .between(from, to)
                .or(journal_entries::created_at.between(lo, hi)),
        )
        .group_by((
            journal_entries::id,
            journal_entries::seq,
            journal_entries::entry_date,
            journal_entries::created_at,
            journal_entries::source,
            journal_entries::created_by,
        ))
        .select((
            journal_entries::id,
            journal_entries::seq,
            journal_entries::entry_date,
            journal_entries::created_at,
            journal_entries::source,
            journal_entries::created_by,
            sql::<BigInt>("CAST(COALESCE(SUM(journal_postings.debit_fen), 0) AS BIGINT)"),
        ))
        .order(journal_entries::id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, seq, date, created_at, source, created_by, amount)| StaffEntry {
            id,
            seq,
            date,
            created_at,
            source,
            created_by,
            amount,
        })
        .collect())
}

/// The id of a village's entry by its journal number.
pub fn entry_by_seq(conn: &mut DbConnection, v: VillageId, seq: i64) -> StoreResult<Option<EntryId>> {
    Ok(journal_entries::table
        .filter(journal_entries::village_id.eq(v))
        .filter(journal_entries::seq.eq(seq))
        .select(journal_entries::id)
        .first(conn)
        .optional()?)
}

/// Bills due in the period that still owe something.
pub fn bills_owing_due(
    conn: &mut DbConnection,
    v: VillageId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<Bill>> {
    Ok(bills::table
        .filter(bills::village_id.eq(v))
        .filter(bills::due_date.between(from, to))
        .filter(bills::status.eq_any([BillStatus::Open, BillStatus::PartPaid]))
        .select(Bill::as_select())
        .order(bills::id)
        .load(conn)?)
}

/// Money receipts took in per village and channel in a span: (village, channel, sum, count),
/// valid receipts only.
pub fn collections(
    conn: &mut DbConnection,
    villages: &[VillageId],
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<(VillageId, Channel, Money, i64)>> {
    let mut out = Vec::new();
    for chunk in villages.chunks(CHUNK) {
        out.extend(
            receipts::table
                .filter(receipts::village_id.eq_any(chunk.to_vec()))
                .filter(receipts::status.eq(ReceiptStatus::Issued))
                .filter(receipts::issued_at.between(lo, hi))
                .group_by((receipts::village_id, receipts::channel))
                .select((
                    receipts::village_id,
                    receipts::channel,
                    sql::<BigInt>("CAST(COALESCE(SUM(receipts.amount_fen), 0) AS BIGINT)"),
                    sql::<BigInt>("CAST(COUNT(*) AS BIGINT)"),
                ))
                .load::<(VillageId, Channel, Money, i64)>(conn)?,
        );
    }
    Ok(out)
}

/// One cash record for the deposit lag: (village, received, amount, when the bank credited it).
pub type CashDeposit = (VillageId, NaiveDateTime, Money, Option<NaiveDateTime>);

/// Cash the villages of a list took in a span, each with the time the bank credited the pay-in
/// it went into (None while it waits for one): (village, received, amount, credited). Voided
/// cash is left out. Three set-oriented reads, whatever the number of records.
pub fn cash_deposits(
    conn: &mut DbConnection,
    villages: &[VillageId],
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<CashDeposit>> {
    use crate::domain::ids::PayInId;
    use crate::domain::vocabulary::{CashStatus, PayInStatus};
    use std::collections::HashMap;
    let mut cash: Vec<(VillageId, NaiveDateTime, Money, Option<PayInId>)> = Vec::new();
    for chunk in villages.chunks(CHUNK) {
        cash.extend(
            cash_records::table
                .filter(cash_records::village_id.eq_any(chunk.to_vec()))
                .filter(cash_records::received_at.between(lo, hi))
                .filter(cash_records::status.ne(CashStatus::Voided))
                .select((
                    cash_records::village_id,
                    cash_records::received_at,
                    cash_records::amount_fen,
                    cash_records::pay_in_id,
                ))
                .load::<(VillageId, NaiveDateTime, Money, Option<PayInId>)>(conn)?,
        );
    }
    let mut pay_in_ids: Vec<PayInId> = cash.iter().filter_map(|c| c.3).collect();
    pay_in_ids.sort_unstable();
    pay_in_ids.dedup();
    let mut credit_of: HashMap<PayInId, BankTransactionId> = HashMap::new();
    for chunk in pay_in_ids.chunks(CHUNK) {
        credit_of.extend(
            pay_ins::table
                .filter(pay_ins::id.eq_any(chunk.to_vec()))
                .filter(pay_ins::status.eq(PayInStatus::Matched))
                .filter(pay_ins::bank_transaction_id.is_not_null())
                .select((pay_ins::id, pay_ins::bank_transaction_id.assume_not_null()))
                .load::<(PayInId, BankTransactionId)>(conn)?,
        );
    }
    let credit_ids: Vec<BankTransactionId> = credit_of.values().copied().collect();
    let mut paid_at: HashMap<BankTransactionId, NaiveDateTime> = HashMap::new();
    for chunk in credit_ids.chunks(CHUNK) {
        paid_at.extend(
            bank_transactions::table
                .filter(bank_transactions::id.eq_any(chunk.to_vec()))
                .select((bank_transactions::id, bank_transactions::paid_at))
                .load::<(BankTransactionId, NaiveDateTime)>(conn)?,
        );
    }
    Ok(cash
        .into_iter()
        .map(|(v, received, amount, pay_in)| {
            let credited = pay_in
                .and_then(|p| credit_of.get(&p))
                .and_then(|t| paid_at.get(t))
                .copied();
            (v, received, amount, credited)
        })
        .collect())
}

/// A statement credit that paid a bill, with the account it came from.
#[derive(Debug, Clone)]
pub struct PaidFromAccount {
    pub line: i64,
    pub account: String,
    pub name: Option<String>,
    pub date: NaiveDate,
    pub bank_txn: BankTransactionId,
    pub payer: PayerId,
    pub amount: Money,
}

/// Statement credits of the days that reconciliation matched to bank transactions paying
/// bills, with the paying account and the bill's payer: the bill the credit named, or the one the
/// accountant placed it on from suspense (a placement in force).
pub fn paid_from_accounts(
    conn: &mut DbConnection,
    v: VillageId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<PaidFromAccount>> {
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        NaiveDate,
        BankTransactionId,
        Option<PayerId>,
        Money,
    );
    let rows: Vec<Row> = statement_lines::table
        .inner_join(statement_matches::table.on(statement_matches::statement_line_id.eq(statement_lines::id)))
        .inner_join(
            bank_transactions::table.on(statement_matches::bank_transaction_id.eq(bank_transactions::id.nullable())),
        )
        .left_join(bills::table.on(bank_transactions::bill_id.eq(bills::id.nullable())))
        .filter(statement_lines::village_id.eq(v))
        .filter(statement_lines::direction.eq(Direction::Credit))
        .filter(statement_lines::business_date.between(from, to))
        .filter(statement_lines::counterparty_account.is_not_null())
        .select((
            statement_lines::id,
            statement_lines::counterparty_account,
            statement_lines::counterparty_name,
            statement_lines::business_date,
            bank_transactions::id,
            bills::payer_id.nullable(),
            statement_lines::amount_fen,
        ))
        .order(statement_lines::id)
        .load(conn)?;
    let unnamed: Vec<BankTransactionId> = rows.iter().filter(|r| r.5.is_none()).map(|r| r.4).collect();
    let mut placed_payer: std::collections::HashMap<BankTransactionId, PayerId> = std::collections::HashMap::new();
    for chunk in unnamed.chunks(CHUNK) {
        placed_payer.extend(
            suspense_placements::table
                .inner_join(bills::table.on(bills::id.eq(suspense_placements::bill_id)))
                .filter(suspense_placements::bank_transaction_id.eq_any(chunk))
                .filter(suspense_placements::id.ne_all(placement_undos::table.select(placement_undos::placement_id)))
                .select((suspense_placements::bank_transaction_id, bills::payer_id))
                .load::<(BankTransactionId, PayerId)>(conn)?,
        );
    }
    Ok(rows
        .into_iter()
        .filter_map(|(line, account, name, date, bank_txn, payer, amount)| {
            let payer = payer.or_else(|| placed_payer.get(&bank_txn).copied())?;
            Some(PaidFromAccount {
                line,
                account: account?,
                name,
                date,
                bank_txn,
                payer,
                amount,
            })
        })
        .collect())
}

/// The bills issued for some contracts and not cancelled: (contract, installment label, bill, amount).
pub fn contract_bills(conn: &mut DbConnection, contract_ids: &[i64]) -> StoreResult<Vec<(i64, String, BillId, Money)>> {
    let mut out = Vec::new();
    for chunk in contract_ids.chunks(CHUNK) {
        let rows: Vec<(Option<i64>, String, BillId, Money)> = bills::table
            .filter(bills::contract_id.eq_any(chunk.to_vec()))
            .filter(bills::status.ne(BillStatus::Cancelled))
            .select((bills::contract_id, bills::period_label, bills::id, bills::amount_fen))
            .load(conn)?;
        out.extend(rows.into_iter().filter_map(|(c, l, b, m)| c.map(|c| (c, l, b, m))));
    }
    Ok(out)
}

/// The village's bills of some references (as stored, digits only): (reference, id).
pub fn bills_by_references(
    conn: &mut DbConnection,
    v: VillageId,
    refs: &[String],
) -> StoreResult<Vec<(String, BillId)>> {
    let mut out = Vec::new();
    for chunk in refs.chunks(CHUNK) {
        out.extend(
            bills::table
                .filter(bills::village_id.eq(v))
                .filter(bills::reference.eq_any(chunk.to_vec()))
                .select((bills::reference, bills::id))
                .load::<(String, BillId)>(conn)?,
        );
    }
    Ok(out)
}

/// Display names of some users.
pub fn staff_names(conn: &mut DbConnection, ids: &[UserId]) -> StoreResult<Vec<(UserId, String)>> {
    use super::schema::users;
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            users::table
                .filter(users::id.eq_any(chunk.to_vec()))
                .select((users::id, users::display_name))
                .load::<(UserId, String)>(conn)?,
        );
    }
    Ok(out)
}

/// A bill's cancellation, from the audit log.
#[derive(Debug, Clone)]
pub struct Cancellation {
    pub audit_id: i64,
    pub at: NaiveDateTime,
    pub actor: Option<UserId>,
    pub details: String,
    pub bill: Bill,
}

pub fn cancellations_between(
    conn: &mut DbConnection,
    v: VillageId,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<Cancellation>> {
    let events: Vec<(i64, NaiveDateTime, Option<UserId>, String, String)> = audit_log::table
        .filter(audit_log::village_id.eq(v))
        .filter(audit_log::action.eq("bill.cancel"))
        .filter(audit_log::at.between(lo, hi))
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_id,
            audit_log::object_id,
            audit_log::details,
        ))
        .order(audit_log::id)
        .load(conn)?;
    let refs: Vec<String> = events.iter().map(|e| e.3.clone()).collect();
    let mut by_ref = std::collections::HashMap::new();
    for chunk in refs.chunks(CHUNK) {
        let found: Vec<Bill> = bills::table
            .filter(bills::village_id.eq(v))
            .filter(bills::reference.eq_any(chunk.to_vec()))
            .select(Bill::as_select())
            .load(conn)?;
        by_ref.extend(found.into_iter().map(|b| (b.reference.clone(), b)));
    }
    Ok(events
        .into_iter()
        .filter_map(|(audit_id, at, actor, reference, details)| {
            let bill = by_ref.get(&reference)?.clone();
            Some(Cancellation {
                audit_id,
                at,
                actor,
                details,
                bill,
            })
        })
        .collect())
}

// ---- Findings ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = findings)]
pub struct Finding {
    pub id: i64,
    pub village_id: VillageId,
    pub rule: RuleId,
    pub subject: String,
    pub severity: Severity,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub summary: String,
    /// JSON list of `inspect::Evidence`.
    pub evidence: String,
    pub status: FindingStatus,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub cause_gone_at: Option<NaiveDateTime>,
    pub last_run_id: i64,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = findings)]
pub struct NewFinding<'a> {
    pub village_id: VillageId,
    pub rule: RuleId,
    pub subject: &'a str,
    pub severity: Severity,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub summary: &'a str,
    pub evidence: &'a str,
    pub status: FindingStatus,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub last_run_id: i64,
}

/// Which findings a list shows.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub villages: Vec<VillageId>,
    /// Findings whose days overlap these.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub rules: Vec<RuleId>,
    pub statuses: Vec<FindingStatus>,
    pub severities: Vec<Severity>,
    pub min_amount: Option<Money>,
    /// Include findings whose cause is gone.
    pub include_gone: bool,
    pub after: i64,
    pub limit: i64,
}

impl Finding {
    pub fn insert(conn: &mut DbConnection, new: &NewFinding) -> StoreResult<Finding> {
        Ok(diesel::insert_into(findings::table)
            .values(new)
            .returning(findings::all_columns)
            .get_result(conn)?)
    }

    pub fn by_id(conn: &mut DbConnection, id: i64) -> StoreResult<Option<Finding>> {
        Ok(findings::table
            .find(id)
            .select(Finding::as_select())
            .first(conn)
            .optional()?)
    }

    /// A village's findings of some rules whose days overlap the period.
    pub fn of_village(
        conn: &mut DbConnection,
        v: VillageId,
        rules: &[RuleId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<Finding>> {
        Ok(findings::table
            .filter(findings::village_id.eq(v))
            .filter(findings::rule.eq_any(rules.to_vec()))
            .filter(findings::period_start.le(to))
            .filter(findings::period_end.ge(from))
            .select(Finding::as_select())
            .load(conn)?)
    }

    /// A village's finding of a rule and subject, whatever its days.
    pub fn by_subject(
        conn: &mut DbConnection,
        v: VillageId,
        rule: RuleId,
        subject: &str,
    ) -> StoreResult<Option<Finding>> {
        Ok(findings::table
            .filter(findings::village_id.eq(v))
            .filter(findings::rule.eq(rule))
            .filter(findings::subject.eq(subject))
            .select(Finding::as_select())
            .first(conn)
            .optional()?)
    }

    /// What a new run found for an existing finding: its figures and evidence, seen again now.
    /// The inspector's status is left as it is.
    pub fn seen_again(conn: &mut DbConnection, id: i64, f: &NewFinding) -> StoreResult<()> {
        diesel::update(findings::table.find(id))
            .set((
                findings::severity.eq(f.severity),
                findings::period_start.eq(f.period_start),
                findings::period_end.eq(f.period_end),
                findings::amount_fen.eq(f.amount),
                findings::summary.eq(f.summary),
                findings::evidence.eq(f.evidence),
                findings::last_seen.eq(f.last_seen),
                findings::last_run_id.eq(f.last_run_id),
                findings::cause_gone_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn cause_gone(conn: &mut DbConnection, id: i64, at: NaiveDateTime, run: i64) -> StoreResult<()> {
        diesel::update(findings::table.find(id))
            .set((findings::cause_gone_at.eq(Some(at)), findings::last_run_id.eq(run)))
            .execute(conn)?;
        Ok(())
    }

    /// Moves the status if it is still `from`; false if someone moved it first.
    pub fn move_status(conn: &mut DbConnection, id: i64, from: FindingStatus, to: FindingStatus) -> StoreResult<bool> {
        let n = diesel::update(findings::table.find(id).filter(findings::status.eq(from)))
            .set(findings::status.eq(to))
            .execute(conn)?;
        Ok(n == 1)
    }

    pub fn list(conn: &mut DbConnection, f: &FindingFilter) -> StoreResult<Vec<Finding>> {
        let mut q = findings::table
            .select(Finding::as_select())
            .filter(findings::id.gt(f.after))
            .order(findings::id)
            .limit(f.limit)
            .into_boxed();
        q = q.filter(findings::village_id.eq_any(f.villages.clone()));
        if let Some(from) = f.from {
            q = q.filter(findings::period_end.ge(from));
        }
        if let Some(to) = f.to {
            q = q.filter(findings::period_start.le(to));
        }
        if !f.rules.is_empty() {
            q = q.filter(findings::rule.eq_any(f.rules.clone()));
        }
        if !f.statuses.is_empty() {
            q = q.filter(findings::status.eq_any(f.statuses.clone()));
        }
        if !f.severities.is_empty() {
            q = q.filter(findings::severity.eq_any(f.severities.clone()));
        }
        if let Some(m) = f.min_amount {
            q = q.filter(findings::amount_fen.ge(m));
        }
        if !f.include_gone {
            q = q.filter(findings::cause_gone_at.is_null());
        }
        Ok(q.load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = finding_events)]
pub struct FindingEvent {
    pub id: i64,
    pub finding_id: i64,
    pub at: NaiveDateTime,
    pub kind: FindingEventKind,
    pub actor_id: Option<UserId>,
    pub from_status: Option<FindingStatus>,
    pub to_status: Option<FindingStatus>,
    pub note: String,
    pub run_id: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = finding_events)]
pub struct NewFindingEvent<'a> {
    pub finding_id: i64,
    pub at: NaiveDateTime,
    pub kind: FindingEventKind,
    pub actor_id: Option<UserId>,
    pub from_status: Option<FindingStatus>,
    pub to_status: Option<FindingStatus>,
    pub note: &'a str,
    pub run_id: Option<i64>,
}

impl FindingEvent {
    pub fn insert(conn: &mut DbConnection, e: &NewFindingEvent) -> StoreResult<()> {
        diesel::insert_into(finding_events::table).values(e).execute(conn)?;
        Ok(())
    }
    pub fn of_finding(conn: &mut DbConnection, finding: i64) -> StoreResult<Vec<FindingEvent>> {
        Ok(finding_events::table
            .filter(finding_events::finding_id.eq(finding))
            .select(FindingEvent::as_select())
            .order(finding_events::id)
            .load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = inspection_runs)]
pub struct InspectionRun {
    pub id: i64,
    pub scope_kind: ScopeKind,
    pub scope_code: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub rules: String,
    pub as_of: NaiveDateTime,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    pub villages_checked: i64,
    pub villages_failed: String,
    pub flags: i64,
    pub findings_new: i64,
    pub findings_gone: i64,
    pub run_by: Option<UserId>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = inspection_runs)]
pub struct NewInspectionRun<'a> {
    pub scope_kind: ScopeKind,
    pub scope_code: &'a str,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub rules: &'a str,
    pub as_of: NaiveDateTime,
    pub started_at: NaiveDateTime,
    pub villages_checked: i64,
    pub villages_failed: &'a str,
    pub flags: i64,
    pub findings_new: i64,
    pub findings_gone: i64,
    pub run_by: Option<UserId>,
}

impl InspectionRun {
    pub fn insert(conn: &mut DbConnection, new: &NewInspectionRun) -> StoreResult<InspectionRun> {
        Ok(diesel::insert_into(inspection_runs::table)
            .values(new)
            .returning(inspection_runs::all_columns)
            .get_result(conn)?)
    }

    /// Records how the run ended.
    pub fn finish(conn: &mut DbConnection, id: i64, end: &RunEnd) -> StoreResult<()> {
        diesel::update(inspection_runs::table.find(id))
            .set((
                inspection_runs::finished_at.eq(Some(end.finished_at)),
                inspection_runs::villages_checked.eq(end.villages_checked),
                inspection_runs::villages_failed.eq(&end.villages_failed),
                inspection_runs::flags.eq(end.flags),
                inspection_runs::findings_new.eq(end.findings_new),
                inspection_runs::findings_gone.eq(end.findings_gone),
            ))
            .execute(conn)?;
        Ok(())
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub finished_at: NaiveDateTime,
    pub villages_checked: i64,
    pub villages_failed: String,
    pub flags: i64,
    pub findings_new: i64,
    pub findings_gone: i64,
}
