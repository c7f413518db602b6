//! `qingzhang verify`: recompute every village's hash chain from the stored rows, check that
//! every entry balances and that the cached balances equal the ones derived from postings, and
//! walk the audit log's chain. Names the first bad entry of each village.

use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

use crate::domain::access::{Action, Actor};
use crate::domain::Money;
use crate::domain::{EntryId, LedgerAccountId, UserId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chain::{self, ChainedEntry, ChainedPosting};
use crate::store::audit::AuditRecord;
use crate::store::journal::{self, Entry, LedgerAccount};
use crate::store::registry::Village;
use crate::store::{Db, DbConnection, Page};

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Problem {
    /// The entry (or audit record) at fault, when there is one.
    pub seq: Option<i64>,
    pub what: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VillageReport {
    pub village_code: String,
    pub entries: i64,
    /// The first entry whose link does not verify.
    pub first_bad_seq: Option<i64>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyReport {
    pub ok: bool,
    pub villages: Vec<VillageReport>,
    pub audit_records: i64,
    pub audit_problems: Vec<Problem>,
}

const CHUNK: i64 = 1000;
const MAX_PROBLEMS: usize = 50;

/// Verifies one village (by code) or all, plus the audit log.
pub fn verify(db: &Db, village_code: Option<&str>) -> AppResult<VerifyReport> {
    db.read(|conn| {
        let villages = match village_code {
            Some(code) => vec![Village::by_code(conn, code.trim())?
                .ok_or_else(|| AppError::new(ErrorCode::VillageNotFound, format!("找不到代码为 {code} 的村。")))?],
            None => Village::all(conn)?,
        };
        let mut reports = Vec::with_capacity(villages.len());
        for v in &villages {
            reports.push(verify_village(conn, v)?);
        }
        let (audit_records, audit_problems) = verify_audit(conn)?;
        let ok = audit_problems.is_empty() && reports.iter().all(|r| r.problems.is_empty());
        Ok(VerifyReport {
            ok,
            villages: reports,
            audit_records,
            audit_problems,
        })
    })
}

/// One village's report, for a user who may read that village.
pub fn verify_in_scope(db: &Db, actor: &Actor, village_code: &str) -> AppResult<VillageReport> {
    db.read(|conn| {
        let village = super::village_for(conn, actor, village_code, Action::Read)?;
        verify_village(conn, &village)
    })
}

pub fn verify_village(conn: &mut DbConnection, village: &Village) -> AppResult<VillageReport> {
    let codes: HashMap<LedgerAccountId, String> = LedgerAccount::of_village(conn, village.id)?
        .into_iter()
        .map(|a| (a.id, a.code))
        .collect();
    let mut problems: Vec<Problem> = Vec::new();
    let mut say = |seq: Option<i64>, what: String| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(Problem { seq, what });
        }
    };
    let mut expected_prev = chain::genesis(&village.code);
    let mut expected_seq = 1i64;
    let mut derived: HashMap<LedgerAccountId, (Money, Money)> = HashMap::new();
    loop {
        let entries = journal::entries_after(conn, village.id, expected_seq - 1, CHUNK)?;
        if entries.is_empty() {
            break;
        }
        let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
        let postings = Entry::postings_of(conn, &ids)?;
        let mut by_entry: HashMap<EntryId, Vec<_>> = HashMap::new();
        for (p, _, _) in postings {
            by_entry.entry(p.entry_id).or_default().push(p);
        }
        for e in &entries {
            if e.seq != expected_seq {
                say(
                    Some(expected_seq),
                    format!("entry {expected_seq} is missing (the next stored entry is {})", e.seq),
                );
            }
            let lines = by_entry.remove(&e.id).unwrap_or_default();
            let (debit, credit) = lines
                .iter()
                .fold((Money::ZERO, Money::ZERO), |(d, c), p| (d + p.debit, c + p.credit));
            if lines.len() < 2 || debit != credit || debit <= Money::ZERO {
                say(
                    Some(e.seq),
                    format!(
                        "entry {} does not balance: {} lines, debits {debit}, credits {credit}",
                        e.seq,
                        lines.len()
                    ),
                );
            }
            for p in &lines {
                let d = derived.entry(p.account_id).or_default();
                d.0 += p.debit;
                d.1 += p.credit;
            }
            if e.prev_hash != expected_prev {
                say(
                    Some(e.seq),
                    format!(
                        "entry {}: its link to entry {} is broken (an entry before it was changed or removed)",
                        e.seq,
                        e.seq - 1
                    ),
                );
            }
            let reverses_seq = match e.reverses_entry_id {
                Some(id) => Some(Entry::by_id(conn, id)?.seq),
                None => None,
            };
            let chained = ChainedEntry {
                village_code: &village.code,
                seq: e.seq,
                entry_date: e.entry_date,
                memo: &e.memo,
                source: e.source.as_str(),
                reverses_seq,
                created_by: e.created_by.map(UserId::get),
                created_at: e.created_at.and_utc(),
                postings: lines
                    .iter()
                    .map(|p| ChainedPosting {
                        line_no: p.line_no,
                        account_code: codes.get(&p.account_id).map(String::as_str).unwrap_or("?"),
                        debit: p.debit,
                        credit: p.credit,
                        memo: &p.memo,
                    })
                    .collect(),
            };
            if chain::link_hash(&e.prev_hash, &chained) != e.hash {
                say(
                    Some(e.seq),
                    format!(
                        "entry {}: its contents no longer match its hash (changed after posting)",
                        e.seq
                    ),
                );
            }
            expected_prev = e.hash.clone();
            expected_seq = e.seq + 1;
        }
    }
    let entries = expected_seq - 1;
    let (head_seq, head_hash) = journal::head(conn, village.id)?;
    if head_seq != entries || head_hash != expected_prev {
        say(None, format!("the chain head says {head_seq} entries but {entries} were found: entries at the end were removed or the head was changed"));
    }
    for (account_id, d, c) in journal::cached_balances(conn, village.id)? {
        let (dd, dc) = derived.get(&account_id).copied().unwrap_or_default();
        if (d, c) != (dd, dc) {
            let code = codes.get(&account_id).cloned().unwrap_or_default();
            say(
                None,
                format!("account {code}: cached totals {d}/{c} differ from its postings {dd}/{dc}"),
            );
        }
    }
    let first_bad_seq = problems.iter().find_map(|p| p.seq);
    Ok(VillageReport {
        village_code: village.code.clone(),
        entries,
        first_bad_seq,
        problems,
    })
}

fn verify_audit(conn: &mut DbConnection) -> AppResult<(i64, Vec<Problem>)> {
    let mut problems = Vec::new();
    let mut prev = "genesis".to_string();
    let mut expected = 1i64;
    loop {
        let rows = AuditRecord::list(
            conn,
            None,
            Page {
                after: expected - 1,
                limit: CHUNK,
            },
        )?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            if problems.len() >= MAX_PROBLEMS {
                break;
            }
            if r.seq != expected {
                problems.push(Problem {
                    seq: Some(expected),
                    what: format!("audit record {expected} is missing"),
                });
            }
            if r.prev_hash != prev || r.recompute_hash() != r.hash {
                problems.push(Problem {
                    seq: Some(r.seq),
                    what: format!("audit record {} was changed after it was written", r.seq),
                });
            }
            prev = r.hash.clone();
            expected = r.seq + 1;
        }
    }
    let (head_seq, head_hash) = AuditRecord::head(conn)?;
    if head_seq != expected - 1 || head_hash != prev {
        problems.push(Problem {
            seq: None,
            what: "the audit head does not match the last record: records were removed".into(),
        });
    }
    Ok((expected - 1, problems))
}
