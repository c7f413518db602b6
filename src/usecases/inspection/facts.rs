//! One village's period, read for the rules: a handful of set-oriented queries, every time
//! turned into Beijing time.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::domain::ids::{BillId, VillageId};
use crate::domain::period::{business_time, stored_span};
use crate::domain::vocabulary::{CashStatus, Channel, PayInStatus};
use crate::domain::Money;
use crate::error::AppResult;
use crate::inspect::facts::*;
use crate::payments::allocation::find_reference;
use crate::store::billing::Contract;
use crate::store::inspection as q;
use crate::store::journal;
use crate::store::registry::Village;
use crate::store::DbConnection;
use crate::usecases::billing::annual_amount;
use crate::usecases::cash::cash_account_ids;
use crate::usecases::verify::verify_village;

/// A bill number as printed everywhere (`000001-000004-8`).
fn printed(reference: &str) -> String {
    crate::domain::BillReference::parse(reference).map_or_else(|_| reference.to_string(), |r| r.to_string())
}

fn local(t: NaiveDateTime) -> NaiveDateTime {
    business_time(t.and_utc())
}

/// What each village of a list collected by receipts between two Beijing days.
pub fn collections(
    conn: &mut DbConnection,
    villages: &[VillageId],
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<HashMap<VillageId, Collected>> {
    let (lo, hi) = stored_span(from, to);
    let mut out: HashMap<VillageId, Collected> = villages.iter().map(|v| (*v, Collected::default())).collect();
    for (v, channel, sum, n) in q::collections(conn, villages, lo, hi)? {
        let c = out.entry(v).or_default();
        c.total += sum;
        c.receipts += n;
        if channel == Channel::Cash {
            c.cash += sum;
            c.cash_receipts += n;
        }
    }
    Ok(out)
}

/// Reads everything the catalogue needs about `village` from `from` to `to`, judged at `as_of`
/// (Beijing time); `mix` is how it and its neighbours collected (see [`collections`]).
pub fn load(
    conn: &mut DbConnection,
    village: &Village,
    (from, to): (NaiveDate, NaiveDate),
    as_of: NaiveDateTime,
    mix: CollectionMix,
) -> AppResult<VillageFacts> {
    let (lo, hi) = stored_span(from, to);
    let cash: Vec<CashFact> = q::cash_between(conn, village.id, lo, hi)?
        .into_iter()
        .map(|c| CashFact {
            id: c.id,
            clerk: c.clerk_id,
            bill: c.bill_id,
            amount: c.amount,
            received: local(c.received_at),
            voided: c.status == CashStatus::Voided,
            pay_in: c.pay_in_id,
        })
        .collect();

    let pay_ins = q::pay_ins_since(conn, village.id, lo)?;
    let matched: Vec<_> = pay_ins.iter().filter_map(|p| p.bank_transaction_id).collect();
    let matched: HashMap<_, _> = q::transactions_by_ids(conn, &matched)?
        .into_iter()
        .map(|t| (t.id, (t.amount, local(t.paid_at))))
        .collect();
    let deposit_of: HashMap<_, _> = pay_ins
        .iter()
        .filter_map(|p| p.bank_transaction_id.map(|b| (b, p.id)))
        .collect();
    let pay_ins: Vec<PayInFact> = pay_ins
        .into_iter()
        .map(|p| PayInFact {
            id: p.id,
            clerk: p.clerk_id,
            amount: p.amount,
            declared: local(p.declared_at),
            credit: match (p.status, p.bank_transaction_id) {
                (PayInStatus::Matched, Some(b)) => matched.get(&b).map(|(m, t)| (b, *m, *t)),
                _ => None,
            },
            matched_by: p.matched_by,
        })
        .collect();

    // A year either side: a credit's receipt may be issued after New Year, a claim confirmed by a
    // credit of the next year.
    let receipts: Vec<ReceiptFact> = q::receipts_of_years(conn, village.id, from.year() - 1, to.year() + 1)?
        .into_iter()
        .map(|(r, voided)| ReceiptFact {
            id: r.id,
            year: r.year,
            number: r.number,
            bill: r.bill_id,
            payer: r.payer_id,
            amount: r.amount,
            channel: r.channel,
            status: r.status,
            issued: local(r.issued_at),
            issued_by: r.issued_by,
            bank_txn: r.bank_transaction_id,
            cash_record: r.cash_record_id,
            replaces: r.replaces_id,
            voided: voided.map(|(at, by)| (local(at), by)),
        })
        .collect();

    let transactions = q::credits_between(conn, village.id, lo, hi)?;
    // The bills the payments named (a bill no longer open is not linked to the transaction).
    let named: Vec<String> = transactions
        .iter()
        .filter(|t| t.bill_id.is_none())
        .filter_map(|t| t.reference.as_deref().and_then(find_reference))
        .map(|r| r.as_str().to_string())
        .collect();
    let named: HashMap<String, BillId> = q::bills_by_references(conn, village.id, &named)?.into_iter().collect();
    // A credit the accountant placed from suspense paid the bill it was placed on.
    let placed = crate::store::suspense::Placement::by_credit(conn, village.id)?;
    let refunded = crate::store::refunds::refunded(conn, village.id)?;
    // Each transferred credit with the account it went to, code and name, as an inspector reads
    // it.
    let names: HashMap<String, String> = crate::store::journal::LedgerAccount::of_village(conn, village.id)?
        .into_iter()
        .map(|a| (a.code, a.name))
        .collect();
    let transferred: HashMap<_, String> = crate::store::suspense::Transfer::credits_of(conn, village.id)?
        .into_iter()
        .map(|(credit, code)| {
            let shown = match names.get(&code) {
                Some(name) => format!("{code} {name}"),
                None => code,
            };
            (credit, shown)
        })
        .collect();
    let credits: Vec<CreditFact> = transactions
        .into_iter()
        .map(|t| CreditFact {
            id: t.id,
            amount: t.amount,
            paid: local(t.paid_at),
            // Placed, it paid a bill within what the bill owed: no longer money in suspense.
            outcome: if placed.contains_key(&t.id) {
                crate::domain::vocabulary::Outcome::Paid
            } else {
                t.outcome
            },
            bill: t.bill_id.or(placed.get(&t.id).map(|p| p.bill_id)),
            named_bill: t.bill_id.or(placed.get(&t.id).map(|p| p.bill_id)).or_else(|| {
                t.reference
                    .as_deref()
                    .and_then(find_reference)
                    .and_then(|r| named.get(r.as_str()).copied())
            }),
            pay_in: deposit_of.get(&t.id).copied(),
            refunded: refunded.contains(&t.id),
            transferred_to: transferred.get(&t.id).cloned(),
        })
        .collect();

    let debits: Vec<DebitFact> = q::debits_between(conn, village.id, from, to)?
        .into_iter()
        .map(|d| DebitFact {
            line: d.id,
            amount: d.amount,
            date: d.date,
            counterparty: d.counterparty.unwrap_or_default(),
            rule: d.rule,
            disbursement: d.disbursement,
        })
        .collect();

    let disbursements: Vec<DisbursementFact> = q::disbursements_between(conn, village.id, lo, hi)?
        .into_iter()
        .map(|d| DisbursementFact {
            id: d.id,
            payee_name: d.payee_name,
            payee_account: d.payee_account,
            amount: d.amount,
            requested_by: d.requested_by,
            requested: local(d.requested_at),
            decided_by: d.decided_by,
            decided: d.decided_at.map(local),
            status: d.status,
        })
        .collect();

    let entries: Vec<EntryFact> = q::staff_entries(conn, village.id, (from, to), (lo, hi))?
        .into_iter()
        .map(|e| EntryFact {
            id: e.id,
            seq: e.seq,
            date: e.date,
            created: local(e.created_at),
            source: e.source,
            created_by: e.created_by,
            amount: e.amount,
        })
        .collect();

    // Cash on hand (101): the closing balance of each day with postings, and before the period.
    let mut by_day: std::collections::BTreeMap<NaiveDate, Money> = std::collections::BTreeMap::new();
    for account in cash_account_ids(conn, village.id)? {
        for (day, sums) in journal::daily_sums_of_account(conn, account, to)? {
            *by_day.entry(day).or_default() += sums.debit - sums.credit;
        }
    }
    let mut cash_opening = Money::ZERO;
    let mut cash_days = Vec::new();
    let mut running = Money::ZERO;
    for (day, change) in by_day {
        running += change;
        if day < from {
            cash_opening = running;
        } else {
            cash_days.push((day, running));
        }
    }

    let bills: Vec<BillFact> = q::bills_owing_due(conn, village.id, from, to)?
        .into_iter()
        .map(|b| BillFact {
            id: b.id,
            reference: printed(&b.reference),
            amount: b.amount,
            paid: b.paid,
            status: b.status,
            due: b.due_date,
        })
        .collect();

    let report = verify_village(conn, village)?;
    let first_bad_entry = match report.first_bad_seq {
        Some(seq) => q::entry_by_seq(conn, village.id, seq)?,
        None => None,
    };
    let chain = ChainFact {
        ok: report.problems.is_empty() && report.first_bad_seq.is_none() && report.first_bad_bill.is_none(),
        entries: report.entries,
        first_bad_seq: report.first_bad_seq,
        first_bad_entry,
        problems: report.problems.into_iter().map(|p| p.what).collect(),
    };

    let payer_accounts = q::paid_from_accounts(conn, village.id, from, to)?
        .into_iter()
        .map(|p| PayerAccountFact {
            account: p.account,
            name: p.name.unwrap_or_default(),
            line: p.line,
            bank_txn: p.bank_txn,
            payer: p.payer,
            amount: p.amount,
            date: p.date,
        })
        .collect();

    let in_force = Contract::in_force(conn, village.id, from, to)?;
    let ids: Vec<i64> = in_force.iter().map(|c| c.id).collect();
    let mut billed: HashMap<i64, Vec<(String, BillId, Money)>> = HashMap::new();
    for (contract, label, bill, amount) in q::contract_bills(conn, &ids)? {
        billed.entry(contract).or_default().push((label, bill, amount));
    }
    let mut contracts = Vec::with_capacity(in_force.len());
    for c in in_force {
        contracts.push(ContractFact {
            id: c.id,
            annual: annual_amount(&c)?,
            contract_no: c.contract_no.clone(),
            schedule: c.schedule,
            start: c.start_date,
            end: c.end_date,
            billed: billed.remove(&c.id).unwrap_or_default(),
        });
    }

    let cancellations = q::cancellations_between(conn, village.id, lo, hi)?
        .into_iter()
        .map(|c| CancellationFact {
            bill: c.bill.id,
            reference: printed(&c.bill.reference),
            amount: c.bill.amount,
            due: c.bill.due_date,
            cancelled: local(c.at),
            by: c.actor,
            reason: serde_json::from_str::<serde_json::Value>(&c.details)
                .ok()
                .and_then(|d| d["reason"].as_str().map(str::to_string))
                .unwrap_or_default(),
            audit: c.audit_id,
        })
        .collect();

    let mut facts = VillageFacts {
        mix,
        payer_accounts,
        contracts,
        cancellations,
        village: village.id,
        village_code: village.code.clone(),
        from,
        to,
        as_of,
        cash_limits: crate::store::registry::cash_limits(conn, village)?,
        cash,
        pay_ins,
        receipts,
        credits,
        debits,
        disbursements,
        withdrawals: q::withdrawals_between(conn, village.id, lo, hi)?
            .into_iter()
            .map(|(disbursement, by, at)| WithdrawalFact {
                disbursement,
                by,
                at: local(at),
            })
            .collect(),
        entries,
        cash_opening,
        cash_days,
        bills,
        chain,
        staff: Default::default(),
    };
    let ids: Vec<crate::domain::ids::UserId> = facts.staff_ids().into_iter().collect();
    facts.staff = q::staff_names(conn, &ids)?.into_iter().collect();
    Ok(facts)
}
