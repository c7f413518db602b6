//! `qingzhang verify`: recompute every village's hash chain from the stored rows, check that
//! every entry balances and that the cached balances equal the ones derived from postings, check
//! what the receipts promise against the money (`payments::consistency`: bills, receipts,
//! postings, cash, pay-ins), and walk the audit log's chain. Names the first bad entry and the
//! first bill that disagrees, of each village.

use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

use crate::domain::access::{Action, Actor};
use crate::domain::Money;
use crate::domain::{EntryId, LedgerAccountId, UserId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chain::{self, ChainedEntry, ChainedPosting};
use crate::payments::consistency;
use crate::store::audit::AuditRecord;
use crate::store::books;
use crate::store::journal::{self, Entry, LedgerAccount};
use crate::store::registry::Village;
use crate::store::{Db, DbConnection, Page};

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Problem {
    /// The entry (or audit record) at fault, when there is one.
    pub seq: Option<i64>,
    /// The bill at fault, as printed, when there is one.
    pub bill: Option<String>,
    pub what: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VillageReport {
    pub village_code: String,
    pub entries: i64,
    /// The first entry whose link does not verify.
    pub first_bad_seq: Option<i64>,
    /// The first bill whose receipts, postings or status disagree.
    pub first_bad_bill: Option<String>,
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
            problems.push(Problem { seq, bill: None, what });
        }
    };
    let mut expected_prev = chain::genesis(&village.code);
    let mut expected_seq = 1i64;
    let mut derived: HashMap<LedgerAccountId, (Money, Money)> = HashMap::new();
    let mut seq_of: HashMap<EntryId, i64> = HashMap::new();
    loop {
        let entries = journal::entries_after(conn, village.id, expected_seq - 1, CHUNK)?;
        if entries.is_empty() {
            break;
        }
        let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
        let postings = Entry::lines_of(conn, &ids)?;
        let mut by_entry: HashMap<EntryId, Vec<_>> = HashMap::new();
        for p in postings {
            by_entry.entry(p.entry_id).or_default().push(p);
        }
        for e in &entries {
            if e.seq != expected_seq {
                say(
                    Some(expected_seq),
                    format!("第 {expected_seq} 号凭证缺失（其后存在的是第 {} 号）", e.seq),
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
                        "第 {} 号凭证借贷不平：{} 行，借方 {debit}，贷方 {credit}",
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
                        "第 {} 号凭证与第 {} 号凭证的链接断了（之前的凭证被改动或删除）",
                        e.seq,
                        e.seq - 1
                    ),
                );
            }
            // A reversal comes after what it reverses: its sequence number was read already.
            let reverses_seq = match e.reverses_entry_id {
                Some(id) => match seq_of.get(&id) {
                    Some(seq) => Some(*seq),
                    None => Some(Entry::by_id(conn, id)?.seq),
                },
                None => None,
            };
            seq_of.insert(e.id, e.seq);
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
                    format!("第 {} 号凭证的内容与其哈希不符（记账后被改动）", e.seq),
                );
            }
            expected_prev = e.hash.clone();
            expected_seq = e.seq + 1;
        }
    }
    let entries = expected_seq - 1;
    let (head_seq, head_hash) = journal::head(conn, village.id)?;
    if head_seq != entries || head_hash != expected_prev {
        say(
            None,
            format!("链头记有 {head_seq} 张凭证，实际只有 {entries} 张：末尾的凭证被删除，或链头被改动"),
        );
    }
    for (account_id, d, c) in journal::cached_balances(conn, village.id)? {
        let (dd, dc) = derived.get(&account_id).copied().unwrap_or_default();
        if (d, c) != (dd, dc) {
            let code = codes.get(&account_id).cloned().unwrap_or_default();
            say(
                None,
                format!("科目 {code} 的余额缓存（借 {d} / 贷 {c}）与分录合计（借 {dd} / 贷 {dc}）不符"),
            );
        }
    }
    for d in consistency::check(&books::village_books(conn, village.id, &village.code)?) {
        if problems.len() < MAX_PROBLEMS {
            problems.push(Problem {
                seq: None,
                bill: d.bill,
                what: d.what,
            });
        }
    }
    let first_bad_seq = problems.iter().find_map(|p| p.seq);
    let first_bad_bill = problems.iter().find_map(|p| p.bill.clone());
    Ok(VillageReport {
        village_code: village.code.clone(),
        entries,
        first_bad_seq,
        first_bad_bill,
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
                    bill: None,
                    seq: Some(expected),
                    what: format!("第 {expected} 条操作日志缺失"),
                });
            }
            if r.prev_hash != prev || r.recompute_hash() != r.hash {
                problems.push(Problem {
                    bill: None,
                    seq: Some(r.seq),
                    what: format!("第 {} 条操作日志写入后被改动", r.seq),
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
            bill: None,
            what: "操作日志的链头与最后一条记录不符：有记录被删除".into(),
        });
    }
    Ok((expected - 1, problems))
}
