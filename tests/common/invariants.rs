//! The books' invariants, checked straight from the tables, independently of the service's own
//! `verify`: a story that ends with `assert_books_agree` fails if money was doubled, lost or
//! numbered twice, whatever the service itself believes.

use diesel::prelude::*;
use qingzhang::store::schema::{
    bank_transactions, bills, callback_inbox, cash_records, closed_periods, disbursements, journal_entries,
    journal_postings, ledger_accounts, pay_ins, placement_undos, receipts, suspense_placements, suspense_refunds,
    suspense_transfers,
};
use qingzhang::store::{Db, DbConnection};
use std::collections::{BTreeMap, HashMap};

const SUSPENSE: &str = "211.9999";

/// Every disagreement found, one line each; empty when the books agree.
pub fn disagreements(db: &Db) -> Vec<String> {
    db.read(|conn| -> Result<Vec<String>, qingzhang::error::AppError> { Ok(check(conn)) })
        .expect("read the books")
}

/// Panics with every disagreement.
pub fn assert_books_agree(db: &Db) {
    let found = disagreements(db);
    assert!(found.is_empty(), "the books disagree:\n  {}", found.join("\n  "));
}

fn check(conn: &mut DbConnection) -> Vec<String> {
    let mut out = Vec::new();
    // Bills: (id, village, amount, paid, status).
    let all_bills: Vec<(i64, i64, i64, i64, String)> = bills::table
        .select((
            bills::id,
            bills::village_id,
            bills::amount_fen,
            bills::paid_fen,
            bills::status,
        ))
        .load(conn)
        .unwrap();
    // Valid (issued) receipts per bill.
    type ReceiptRow = (i64, Option<i64>, i64, String, Option<i64>, Option<i64>, i64, i32, i64);
    let rows: Vec<ReceiptRow> = receipts::table
        .select((
            receipts::id,
            receipts::bill_id,
            receipts::amount_fen,
            receipts::status,
            receipts::bank_transaction_id,
            receipts::cash_record_id,
            receipts::village_id,
            receipts::year,
            receipts::number,
        ))
        .load(conn)
        .unwrap();
    let mut receipted: HashMap<i64, i64> = HashMap::new();
    let mut numbers: BTreeMap<(i64, i32), Vec<i64>> = BTreeMap::new();
    let mut txn_receipts: HashMap<i64, usize> = HashMap::new();
    let mut cash_receipts: HashMap<i64, usize> = HashMap::new();
    for (id, bill, amount, status, txn, cash, village, year, number) in &rows {
        numbers.entry((*village, *year)).or_default().push(*number);
        if status == "issued" {
            if let Some(b) = bill {
                *receipted.entry(*b).or_default() += amount;
            }
            match (txn, cash) {
                (Some(t), _) => *txn_receipts.entry(*t).or_default() += 1,
                (None, Some(c)) => *cash_receipts.entry(*c).or_default() += 1,
                (None, None) => out.push(format!("receipt {id} is issued but rests on no money")),
            }
        }
    }
    for ((village, year), mut ns) in numbers {
        ns.sort_unstable();
        let expected: Vec<i64> = (1..=ns.len() as i64).collect();
        if ns != expected {
            out.push(format!(
                "village {village} {year}: receipt numbers are not 1..n: {ns:?}"
            ));
        }
    }
    for (t, n) in txn_receipts.iter().filter(|(_, n)| **n > 1) {
        out.push(format!("bank transaction {t} carries {n} valid receipts"));
    }
    for (c, n) in cash_receipts.iter().filter(|(_, n)| **n > 1) {
        out.push(format!("cash record {c} carries {n} valid receipts"));
    }
    // Money posted to each bill: cash not voided, and the non-suspense credit of each bank
    // transaction's entry.
    let cash: Vec<(i64, i64, i64, String)> = cash_records::table
        .select((
            cash_records::id,
            cash_records::bill_id,
            cash_records::amount_fen,
            cash_records::status,
        ))
        .load(conn)
        .unwrap();
    let mut posted: HashMap<i64, i64> = HashMap::new();
    for (_, bill, amount, status) in &cash {
        if status != "voided" {
            *posted.entry(*bill).or_default() += amount;
        }
    }
    let bank_to_bills: Vec<(Option<i64>, i64)> = bank_transactions::table
        .inner_join(journal_postings::table.on(journal_postings::entry_id.eq(bank_transactions::entry_id)))
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(ledger_accounts::code.ne(SUSPENSE))
        .filter(journal_postings::credit_fen.gt(0))
        .select((bank_transactions::bill_id, journal_postings::credit_fen))
        .load(conn)
        .unwrap();
    for (bill, fen) in bank_to_bills {
        match bill {
            Some(b) => *posted.entry(b).or_default() += fen,
            None => out.push(format!("{fen} fen of a bank credit went to income without a bill")),
        }
    }
    // A credit placed from suspense: its placement's entry put it to the bill's income, unless
    // the placement was undone (its entry reversed, the bill owing again).
    let undone: Vec<i64> = placement_undos::table
        .select(placement_undos::placement_id)
        .load(conn)
        .unwrap();
    let placed: Vec<(i64, i64)> = suspense_placements::table
        .filter(suspense_placements::id.ne_all(undone.clone()))
        .inner_join(journal_postings::table.on(journal_postings::entry_id.eq(suspense_placements::entry_id)))
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(ledger_accounts::code.ne(SUSPENSE))
        .filter(journal_postings::credit_fen.gt(0))
        .select((suspense_placements::bill_id, journal_postings::credit_fen))
        .load(conn)
        .unwrap();
    for (bill, fen) in placed {
        *posted.entry(bill).or_default() += fen;
    }
    for (id, _, amount, paid, status) in &all_bills {
        let r = receipted.get(id).copied().unwrap_or(0);
        let p = posted.get(id).copied().unwrap_or(0);
        if paid > amount {
            out.push(format!("bill {id}: paid {paid} fen of {amount}"));
        }
        if r != *paid || p != *paid {
            out.push(format!(
                "bill {id}: paid {paid} fen, valid receipts {r} fen, posted to it {p} fen"
            ));
        }
        let expected = match (*paid, status.as_str()) {
            (0, "cancelled") => "cancelled",
            (0, _) => "open",
            (p, _) if p == *amount => "paid",
            _ => "part_paid",
        };
        if status != expected {
            out.push(format!("bill {id}: status {status} with {paid} of {amount} fen paid"));
        }
    }
    // An entry that money rests on is never reversed, except a voided cash record's own.
    let reversed: Vec<(i64, i64)> = journal_entries::table
        .filter(journal_entries::reverses_entry_id.is_not_null())
        .select((
            journal_entries::id,
            journal_entries::reverses_entry_id.assume_not_null(),
        ))
        .load(conn)
        .unwrap();
    let backing: Vec<(i64, String)> = cash_records::table
        .select((cash_records::entry_id, cash_records::status))
        .load::<(i64, String)>(conn)
        .unwrap()
        .into_iter()
        .chain(
            bank_transactions::table
                .select(bank_transactions::entry_id)
                .load::<i64>(conn)
                .unwrap()
                .into_iter()
                .map(|e| (e, "bank".to_string())),
        )
        .chain(
            pay_ins::table
                .filter(pay_ins::entry_id.is_not_null())
                .select(pay_ins::entry_id.assume_not_null())
                .load::<i64>(conn)
                .unwrap()
                .into_iter()
                .map(|e| (e, "pay-in".to_string())),
        )
        .collect();
    // A placement's entry is reversed exactly when the placement was undone, and a credit has at
    // most one placement in force.
    let placements: Vec<(i64, i64, i64)> = suspense_placements::table
        .select((
            suspense_placements::id,
            suspense_placements::entry_id,
            suspense_placements::bank_transaction_id,
        ))
        .load(conn)
        .unwrap();
    let mut in_force: HashMap<i64, usize> = HashMap::new();
    for (id, entry, txn) in &placements {
        let is_reversed = reversed.iter().any(|(_, original)| original == entry);
        let is_undone = undone.contains(id);
        if is_reversed != is_undone {
            out.push(format!(
                "placement {id}: entry reversed {is_reversed}, placement undone {is_undone}"
            ));
        }
        if !is_undone {
            *in_force.entry(*txn).or_default() += 1;
        }
    }
    for (txn, n) in in_force.iter().filter(|(_, n)| **n > 1) {
        out.push(format!("bank transaction {txn} has {n} placements in force"));
    }
    // Money in suspense is spoken for at most once: per credit, what its own entry put into
    // 211.9999 covers its placement in force, its pay-in and its active refund together; and a
    // refund paid out debits 211.9999 by exactly its amount.
    let mut put_in: HashMap<i64, i64> = HashMap::new();
    let suspense_lines: Vec<(i64, i64, i64)> = bank_transactions::table
        .inner_join(journal_postings::table.on(journal_postings::entry_id.eq(bank_transactions::entry_id)))
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(ledger_accounts::code.eq(SUSPENSE))
        .select((
            bank_transactions::id,
            journal_postings::credit_fen,
            journal_postings::debit_fen,
        ))
        .load(conn)
        .unwrap();
    for (txn, credit, debit) in suspense_lines {
        *put_in.entry(txn).or_default() += credit - debit;
    }
    let mut spoken: HashMap<i64, (i64, usize)> = HashMap::new();
    let in_force_amounts: Vec<(i64, i64)> = suspense_placements::table
        .filter(suspense_placements::id.ne_all(undone.clone()))
        .select((
            suspense_placements::bank_transaction_id,
            suspense_placements::amount_fen,
        ))
        .load(conn)
        .unwrap();
    let deposits: Vec<(i64, i64)> = pay_ins::table
        .filter(pay_ins::bank_transaction_id.is_not_null())
        .select((pay_ins::bank_transaction_id.assume_not_null(), pay_ins::amount_fen))
        .load(conn)
        .unwrap();
    type RefundRow = (i64, i64, String, Option<i64>);
    let refunds: Vec<RefundRow> = suspense_refunds::table
        .inner_join(disbursements::table.on(disbursements::id.eq(suspense_refunds::disbursement_id)))
        .select((
            suspense_refunds::bank_transaction_id,
            suspense_refunds::amount_fen,
            disbursements::status,
            disbursements::entry_id,
        ))
        .load(conn)
        .unwrap();
    let active = refunds.iter().filter(|r| r.2 != "rejected").map(|r| (r.0, r.1));
    // (credit, amount, entry): a transfer to the account the money belongs to.
    let transfers: Vec<(i64, i64, i64)> = suspense_transfers::table
        .select((
            suspense_transfers::bank_transaction_id,
            suspense_transfers::amount_fen,
            suspense_transfers::entry_id,
        ))
        .load(conn)
        .unwrap();
    for (txn, amount, entry) in &transfers {
        let debited: i64 = journal_postings::table
            .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
            .filter(journal_postings::entry_id.eq(*entry))
            .filter(ledger_accounts::code.eq(SUSPENSE))
            .select(journal_postings::debit_fen - journal_postings::credit_fen)
            .load::<i64>(conn)
            .unwrap()
            .iter()
            .sum();
        if debited != *amount {
            out.push(format!(
                "transfer of bank transaction {txn}: {amount} fen transferred, 211.9999 debited {debited} fen"
            ));
        }
        if reversed.iter().any(|(_, original)| original == entry) {
            out.push(format!(
                "transfer of bank transaction {txn}: its entry {entry} was reversed"
            ));
        }
    }
    let transferred = transfers.iter().map(|(txn, amount, _)| (*txn, *amount));
    for (txn, amount) in in_force_amounts
        .into_iter()
        .chain(deposits)
        .chain(active)
        .chain(transferred)
    {
        let s = spoken.entry(txn).or_default();
        s.0 += amount;
        s.1 += 1;
    }
    for (txn, (amount, uses)) in &spoken {
        let there = put_in.get(txn).copied().unwrap_or(0);
        if *uses > 1 || *amount > there {
            out.push(format!(
                "bank transaction {txn}: {there} fen put into suspense, {amount} fen spoken for by {uses} uses"
            ));
        }
    }
    for (txn, amount, status, entry) in &refunds {
        if status != "paid" {
            continue;
        }
        let debited: i64 = journal_postings::table
            .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
            .filter(journal_postings::entry_id.nullable().eq(*entry))
            .filter(ledger_accounts::code.eq(SUSPENSE))
            .select(journal_postings::debit_fen)
            .load::<i64>(conn)
            .unwrap()
            .iter()
            .sum();
        if debited != *amount {
            out.push(format!(
                "refund of bank transaction {txn}: {amount} fen paid, 211.9999 debited {debited} fen"
            ));
        }
    }
    for (reversal, original) in &reversed {
        if let Some((_, what)) = backing.iter().find(|(e, what)| e == original && what != "voided") {
            out.push(format!(
                "entry {original}, which {what} money rests on, was reversed by entry {reversal}"
            ));
        }
    }
    // Cash: 101 equals cash on hand plus pay-ins on their way, per village.
    let cash_postings: Vec<(i64, i64, i64)> = journal_postings::table
        .inner_join(ledger_accounts::table.on(ledger_accounts::id.eq(journal_postings::account_id)))
        .filter(ledger_accounts::code.eq("101").or(ledger_accounts::code.like("101.%")))
        .select((
            journal_postings::village_id,
            journal_postings::debit_fen,
            journal_postings::credit_fen,
        ))
        .load(conn)
        .unwrap();
    let mut ledger_101: BTreeMap<i64, i64> = BTreeMap::new();
    for (v, d, c) in cash_postings {
        *ledger_101.entry(v).or_default() += d - c;
    }
    let mut on_hand: BTreeMap<i64, i64> = BTreeMap::new();
    let on_hand_rows: Vec<(i64, i64)> = cash_records::table
        .filter(cash_records::status.eq("on_hand"))
        .select((cash_records::village_id, cash_records::amount_fen))
        .load(conn)
        .unwrap();
    for (v, a) in on_hand_rows {
        *on_hand.entry(v).or_default() += a;
    }
    let transit_rows: Vec<(i64, i64)> = pay_ins::table
        .filter(pay_ins::status.eq("declared"))
        .select((pay_ins::village_id, pay_ins::amount_fen))
        .load(conn)
        .unwrap();
    for (v, a) in transit_rows {
        *on_hand.entry(v).or_default() += a;
    }
    let villages: std::collections::BTreeSet<i64> = ledger_101.keys().chain(on_hand.keys()).copied().collect();
    for v in villages {
        let (l, h) = (
            ledger_101.get(&v).copied().unwrap_or(0),
            on_hand.get(&v).copied().unwrap_or(0),
        );
        if l != h {
            out.push(format!(
                "village {v}: 101 holds {l} fen, cash on hand and on its way is {h} fen"
            ));
        }
    }
    // Pay-ins: a matched pay-in's cash records are all paid in, and add up to it.
    let matched: Vec<(i64, i64, String)> = pay_ins::table
        .select((pay_ins::id, pay_ins::amount_fen, pay_ins::status))
        .load(conn)
        .unwrap();
    for (id, amount, _) in &matched {
        let covered: Vec<(i64, String)> = cash_records::table
            .filter(cash_records::pay_in_id.eq(*id))
            .select((cash_records::amount_fen, cash_records::status))
            .load(conn)
            .unwrap();
        let sum: i64 = covered.iter().map(|c| c.0).sum();
        if sum != *amount || covered.iter().any(|c| c.1 != "paid_in") {
            out.push(format!(
                "pay-in {id} of {amount} fen covers {sum} fen of cash ({covered:?})"
            ));
        }
    }
    // Each applied provider transaction has exactly one applied inbox row.
    let txns: Vec<(String, String)> = bank_transactions::table
        .select((bank_transactions::provider, bank_transactions::provider_txn_id))
        .load(conn)
        .unwrap();
    let applied: Vec<(String, Option<String>)> = callback_inbox::table
        .filter(callback_inbox::status.eq("applied"))
        .select((callback_inbox::provider, callback_inbox::provider_txn_id))
        .load(conn)
        .unwrap();
    let mut applied_count: HashMap<(String, String), usize> = HashMap::new();
    for (p, t) in applied {
        *applied_count.entry((p, t.unwrap_or_default())).or_default() += 1;
    }
    for key in &txns {
        let n = applied_count.get(key).copied().unwrap_or(0);
        // Credits taken from a statement have no inbox row; every other one has exactly one.
        if n > 1 {
            out.push(format!("{} {} was applied {n} times", key.0, key.1));
        }
    }
    // Every entry balances, and each village's trial balance with it.
    let sums: Vec<(i64, i64, i64)> = journal_postings::table
        .select((
            journal_postings::entry_id,
            journal_postings::debit_fen,
            journal_postings::credit_fen,
        ))
        .load(conn)
        .unwrap();
    let mut by_entry: HashMap<i64, (i64, i64)> = HashMap::new();
    for (e, d, c) in sums {
        let s = by_entry.entry(e).or_default();
        s.0 += d;
        s.1 += c;
    }
    for (e, (d, c)) in by_entry {
        if d != c || d <= 0 {
            out.push(format!("entry {e} does not balance: {d} / {c} fen"));
        }
    }
    // Closed months took no entry after they were closed.
    let closed: Vec<(i64, String, chrono::NaiveDateTime)> = closed_periods::table
        .select((
            closed_periods::village_id,
            closed_periods::period,
            closed_periods::closed_at,
        ))
        .load(conn)
        .unwrap();
    for (v, period, at) in closed {
        let late: i64 = journal_entries::table
            .filter(journal_entries::village_id.eq(v))
            .filter(journal_entries::period.eq(&period))
            .filter(journal_entries::created_at.gt(at))
            .count()
            .get_result(conn)
            .unwrap();
        if late > 0 {
            out.push(format!(
                "village {v}: {late} entries dated in {period} were posted after it closed"
            ));
        }
    }
    out
}
