//! One village's money records as `verify` checks them (`payments::consistency`): bills,
//! receipts, cash, pay-ins and bank credits, read in a few set-oriented queries, never a query
//! per row.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::collections::{HashMap, HashSet};

use super::schema::{
    bank_transactions, bills, callback_inbox, cash_records, journal_entries, journal_postings, ledger_accounts,
    pay_ins, receipts,
};
use super::{DbConnection, StoreResult};
use crate::domain::{
    BankTransactionId, BillReference, EntryId, EntrySource, InboxStatus, Money, ReceiptStatus, VillageId,
};
use crate::ledger::chart;
use crate::payments::consistency::{BillFact, CashFact, CreditFact, PayInFact, ReceiptFact, VillageBooks};
use crate::payments::receipt_code::receipt_number;

/// Everything `payments::consistency::check` needs of one village.
pub fn village_books(conn: &mut DbConnection, village_id: VillageId, village_code: &str) -> StoreResult<VillageBooks> {
    let printed = BillReference::shown;
    let bill_rows: Vec<(crate::domain::BillId, String, Money, Money, crate::domain::BillStatus)> = bills::table
        .filter(bills::village_id.eq(village_id))
        .order(bills::id)
        .select((
            bills::id,
            bills::reference,
            bills::amount_fen,
            bills::paid_fen,
            bills::status,
        ))
        .load(conn)?;
    let bills = bill_rows
        .into_iter()
        .map(|(id, reference, amount, paid, status)| BillFact {
            id,
            reference: printed(&reference),
            amount,
            paid,
            status,
        })
        .collect();
    type ReceiptRow = (
        i32,
        i64,
        Option<crate::domain::BillId>,
        Money,
        ReceiptStatus,
        Option<BankTransactionId>,
        Option<crate::domain::CashRecordId>,
    );
    let receipt_rows: Vec<ReceiptRow> = receipts::table
        .filter(receipts::village_id.eq(village_id))
        .order(receipts::id)
        .select((
            receipts::year,
            receipts::number,
            receipts::bill_id,
            receipts::amount_fen,
            receipts::status,
            receipts::bank_transaction_id,
            receipts::cash_record_id,
        ))
        .load(conn)?;
    let receipts = receipt_rows
        .into_iter()
        .map(
            |(year, number, bill_id, amount, status, bank_transaction_id, cash_record_id)| ReceiptFact {
                number: receipt_number(village_code, year, number),
                bill_id,
                amount,
                status,
                bank_transaction_id,
                cash_record_id,
            },
        )
        .collect();
    let cash_rows: Vec<super::cash::CashRecord> = cash_records::table
        .filter(cash_records::village_id.eq(village_id))
        .select(super::cash::CashRecord::as_select())
        .load(conn)?;
    let cash_reversals = cash_rows
        .iter()
        .filter_map(|c| c.reversal_entry_id.map(|e| (c.id, e)))
        .collect();
    let cash = cash_rows
        .into_iter()
        .map(|c| CashFact {
            id: c.id,
            bill_id: c.bill_id,
            amount: c.amount,
            status: c.status,
            entry_id: c.entry_id,
            pay_in_id: c.pay_in_id,
        })
        .collect();
    let pay_ins = pay_ins::table
        .filter(pay_ins::village_id.eq(village_id))
        .select(super::cash::PayIn::as_select())
        .load::<super::cash::PayIn>(conn)?
        .into_iter()
        .map(|p| PayInFact {
            id: p.id,
            amount: p.amount,
            status: p.status,
            bank_transaction_id: p.bank_transaction_id,
            entry_id: p.entry_id,
        })
        .collect();
    // What each credit's entry put to income: its credit lines other than suspense.
    let to_bill: HashMap<BankTransactionId, Money> = bank_transactions::table
        .inner_join(journal_postings::table.on(journal_postings::entry_id.eq(bank_transactions::entry_id)))
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(bank_transactions::village_id.eq(village_id))
        .filter(ledger_accounts::code.ne(chart::SUSPENSE_CODE))
        .filter(journal_postings::credit_fen.gt(0))
        .group_by(bank_transactions::id)
        .select((
            bank_transactions::id,
            sql::<BigInt>("CAST(SUM(journal_postings.credit_fen) AS BIGINT)"),
        ))
        .load::<(BankTransactionId, i64)>(conn)?
        .into_iter()
        .map(|(id, fen)| (id, Money::from_fen(fen)))
        .collect();
    let applied: HashMap<BankTransactionId, i64> = callback_inbox::table
        .inner_join(
            bank_transactions::table.on(bank_transactions::id.nullable().eq(callback_inbox::bank_transaction_id)),
        )
        .filter(bank_transactions::village_id.eq(village_id))
        .filter(callback_inbox::status.eq(InboxStatus::Applied))
        .group_by(bank_transactions::id)
        .select((bank_transactions::id, sql::<BigInt>("CAST(COUNT(*) AS BIGINT)")))
        .load::<(BankTransactionId, i64)>(conn)?
        .into_iter()
        .collect();
    // A credit placed from suspense onto a bill counts as having paid that bill, its placement's
    // entry being the one that put it to income.
    let placed = super::suspense::Placement::by_credit(conn, village_id)?;
    let credits = bank_transactions::table
        .filter(bank_transactions::village_id.eq(village_id))
        .order(bank_transactions::id)
        .select(super::payments::BankTransaction::as_select())
        .load::<super::payments::BankTransaction>(conn)?
        .into_iter()
        .map(|t| {
            let placement = placed.get(&t.id).map(|p| (p.bill_id, p.amount, p.entry_id));
            CreditFact {
                to_bill: to_bill.get(&t.id).copied().unwrap_or_default() + placement.map_or(Money::ZERO, |p| p.1),
                applied_rows: applied.get(&t.id).copied().unwrap_or(0),
                id: t.id,
                provider_txn_id: t.provider_txn_id,
                bill_id: t.bill_id.or(placement.map(|p| p.0)),
                amount: t.amount,
                entry_id: t.entry_id,
                placement_entry_id: placement.map(|p| p.2),
            }
        })
        .collect();
    let reversed = journal_entries::table
        .filter(journal_entries::village_id.eq(village_id))
        .filter(journal_entries::reverses_entry_id.is_not_null())
        .select((
            journal_entries::reverses_entry_id.assume_not_null(),
            journal_entries::id,
        ))
        .load::<(EntryId, EntryId)>(conn)?
        .into_iter()
        .collect();
    let ledger_cash = journal_postings::table
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(journal_postings::village_id.eq(village_id))
        // The village's accounts first: the planner then reads their postings by account
        // instead of every posting of the county.
        .filter(ledger_accounts::village_id.eq(village_id))
        .filter(
            ledger_accounts::code
                .eq(chart::CASH_CODE)
                .or(ledger_accounts::code.like(format!("{}.%", chart::CASH_CODE))),
        )
        .select(sql::<BigInt>(
            "CAST(COALESCE(SUM(journal_postings.debit_fen - journal_postings.credit_fen), 0) AS BIGINT)",
        ))
        .first::<i64>(conn)
        .map(Money::from_fen)?;
    let placements = super::suspense::Placement::all_with_undos(conn, village_id)?
        .into_iter()
        .map(
            |(credit, entry_id, undone_by)| crate::payments::consistency::PlacementFact {
                credit,
                entry_id,
                undone_by,
            },
        )
        .collect();
    let refunds = super::refunds::Refund::of_village(conn, village_id, i64::MAX)?
        .into_iter()
        .map(|(r, d)| crate::payments::consistency::RefundFact {
            credit: r.bank_transaction_id,
            disbursement_id: d.id,
            amount: r.amount,
            disbursed: d.amount,
            books_to_suspense: d.account_code == chart::SUSPENSE_CODE,
            active: d.status != crate::domain::vocabulary::DisbursementStatus::Rejected,
            paid: d.status == crate::domain::vocabulary::DisbursementStatus::Paid,
        })
        .collect();
    let transfers = super::suspense::Transfer::with_suspense_debits(conn, village_id)?
        .into_iter()
        .map(|(t, debited)| crate::payments::consistency::TransferFact {
            credit: t.bank_transaction_id,
            amount: t.amount,
            entry_id: t.entry_id,
            debited,
        })
        .collect();
    let SuspenseLines {
        posted: suspense_held,
        by_hand: suspense_by_hand,
        hand_entries: suspense_hand_entries,
    } = suspense_lines(conn, village_id)?;
    let untied_suspense_disbursements = super::refunds::untied_suspense_disbursements(conn, village_id)?;
    let clearing = clearing_facts(conn, village_id)?;
    Ok(VillageBooks {
        clearing,
        placements,
        refunds,
        transfers,
        untied_suspense_disbursements,
        suspense_held,
        suspense_by_hand,
        suspense_hand_entries,
        bills,
        receipts,
        cash,
        pay_ins,
        credits,
        reversed,
        cash_reversals,
        ledger_cash,
    })
}

/// One account code of a village as `verify` reads it, from its postings (not the cached
/// balances), over every chart's account of that code, debit-positive: what it holds; what
/// entries made by hand (and their reversals) moved there; and, by their number in the
/// journal, the hand entries still in force with what each moved.
pub struct HandLines {
    pub posted: Money,
    pub by_hand: Money,
    pub hand_entries: std::collections::BTreeMap<i64, Money>,
}

/// Reads `HandLines` of `code` in one query.
pub fn hand_lines(conn: &mut DbConnection, village_id: VillageId, code: &str) -> StoreResult<HandLines> {
    let lines: Vec<(EntryId, i64, EntrySource, Option<EntryId>, i64)> = journal_postings::table
        .inner_join(journal_entries::table)
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(journal_postings::village_id.eq(village_id))
        // See `village_books`: the village's account of that code leads.
        .filter(ledger_accounts::village_id.eq(village_id))
        .filter(ledger_accounts::code.eq(code))
        .select((
            journal_entries::id,
            journal_entries::seq,
            journal_entries::source,
            journal_entries::reverses_entry_id,
            journal_postings::debit_fen - journal_postings::credit_fen,
        ))
        .load(conn)?;
    // A reversal mirrors its original's lines, so the original of a reversal read here is read
    // here too.
    let manual: HashSet<EntryId> = lines
        .iter()
        .filter(|l| l.2 == EntrySource::Manual)
        .map(|l| l.0)
        .collect();
    let reversed: HashSet<EntryId> = lines.iter().filter_map(|l| l.3).collect();
    let net = lines
        .iter()
        .filter(|(id, _, _, reverses, _)| manual.contains(id) || reverses.is_some_and(|o| manual.contains(&o)))
        .map(|l| l.4)
        .sum();
    let mut standing = std::collections::BTreeMap::new();
    for l in lines
        .iter()
        .filter(|l| manual.contains(&l.0) && !reversed.contains(&l.0))
    {
        *standing.entry(l.1).or_insert(Money::ZERO) += Money::from_fen(l.4);
    }
    Ok(HandLines {
        posted: Money::from_fen(lines.iter().map(|l| l.4).sum()),
        by_hand: Money::from_fen(net),
        hand_entries: standing,
    })
}

/// 211.9999 of a village, credit-positive (it holds what the village owes until placed): what
/// it holds, what hand entries moved there before such entries were refused (naming no
/// credit), and the hand entries still in force that took money out.
pub struct SuspenseLines {
    pub posted: Money,
    pub by_hand: Money,
    pub hand_entries: Vec<i64>,
}

pub fn suspense_lines(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<SuspenseLines> {
    let h = hand_lines(conn, village_id, chart::SUSPENSE_CODE)?;
    Ok(SuspenseLines {
        posted: -h.posted,
        by_hand: -h.by_hand,
        // Out of a credit balance is a debit.
        hand_entries: h
            .hand_entries
            .into_iter()
            .filter(|(_, m)| *m > Money::ZERO)
            .map(|(seq, _)| seq)
            .collect(),
    })
}

/// The providers' clearing accounts (112.990x) of a village as `verify` reads them, one per
/// provider that settles daily, used or not: their postings, and what the clearing items and
/// settlements of that provider's bindings say they must hold.
pub fn clearing_facts(
    conn: &mut DbConnection,
    village_id: VillageId,
) -> StoreResult<Vec<crate::payments::consistency::ClearingFact>> {
    use super::schema::{clearing_items, provider_bindings, settlements};
    let mut out = Vec::new();
    for (code, provider) in [
        (chart::CLEARING_WECHAT_CODE, bank_adapters::Provider::Wechat),
        (chart::CLEARING_ALIPAY_CODE, bank_adapters::Provider::Alipay),
    ] {
        let paid_in: Vec<i64> = clearing_items::table
            .inner_join(provider_bindings::table.on(provider_bindings::id.eq(clearing_items::binding_id)))
            .filter(clearing_items::village_id.eq(village_id))
            .filter(provider_bindings::provider.eq(provider))
            .select(clearing_items::amount_fen)
            .load(conn)?;
        let settled: Vec<(i64, i64, i64)> = settlements::table
            .inner_join(provider_bindings::table.on(provider_bindings::id.eq(settlements::binding_id)))
            .filter(settlements::village_id.eq(village_id))
            .filter(provider_bindings::provider.eq(provider))
            .select((settlements::amount_fen, settlements::fee_fen, settlements::expected_fen))
            .load(conn)?;
        let lines = hand_lines(conn, village_id, code)?;
        out.push(crate::payments::consistency::ClearingFact {
            code: code.to_string(),
            held: lines.posted,
            by_hand: lines.by_hand,
            hand_entries: lines
                .hand_entries
                .into_iter()
                .filter(|(_, m)| m.is_negative())
                .map(|(seq, _)| seq)
                .collect(),
            paid_in: Money::from_fen(paid_in.iter().sum()),
            settled_out: Money::from_fen(settled.iter().map(|s| s.0 + s.1).sum()),
            // What each settlement paid short of its days less their fee, and so left behind.
            left_short: Money::from_fen(settled.iter().map(|s| (s.2 - s.0).max(0)).sum()),
        });
    }
    Ok(out)
}
