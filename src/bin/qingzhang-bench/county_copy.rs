//! The benchmark county's bulk path (issue #11).
//!
//! Replaying 600 villages' five years through the use cases would take hours here (about a
//! millisecond of CPU per event, some five million events), so the benchmark replays a few
//! template villages through the use cases and writes every other village as a copy of one of
//! them: the rows its template's life made, with the copy's own ids, village, corporate account,
//! clerk and accountant, bill numbers, receipt verification codes and hash chain. Each table is
//! copied set-wise (one `INSERT … SELECT` per table and village, the same SQL on both
//! databases); the few columns only Rust can compute (the chain, the bill numbers' check digits,
//! the receipts' HMAC codes, memos naming those) go through a scratch table first. One copy is
//! one transaction. The villages themselves, their accounts, charts and staff are made by the
//! registry's use cases beforehand, as for any village; `verify` passes on the result.
//!
//! The copies carry no audit lines of their own life: the audit log is one chain through the
//! whole county in time order. Of the rules only WRITTEN_OFF_LATE reads it (cancelled bills),
//! which the templates that are copied do not plant.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use qingzhang::domain::ids::{EntryId, LedgerAccountId, UserId, VillageId};
use qingzhang::domain::{BillReference, Money};
use qingzhang::ledger::chain::{self, ChainedEntry, ChainedPosting};
use qingzhang::payments::receipt_code::{verification_code, CodeFields};
use qingzhang::store::journal::{self, Entry, LedgerAccount};
use qingzhang::store::schema::{bank_transactions, bills, corporate_accounts, receipts, users, villages};
use qingzhang::store::{Backend, DbConnection};

diesel::table! {
    /// Per copied row (by its template's id) the texts Rust computed for the copy.
    qz_copy_text (old_id) {
        old_id -> BigInt,
        t1 -> Text,
        t2 -> Nullable<Text>,
        t3 -> Nullable<Text>,
    }
}

#[derive(Insertable)]
#[diesel(table_name = qz_copy_text)]
struct CopyText {
    old_id: i64,
    t1: String,
    t2: Option<String>,
    t3: Option<String>,
}

/// What a village is known by in the rows of its life.
#[derive(Debug, Clone)]
pub struct VillageKeys {
    pub id: i64,
    pub code: String,
    pub account_id: i64,
    pub clerk_id: i64,
    pub accountant_id: i64,
}

impl VillageKeys {
    /// Looks a village of the generated county up (its clerk is `clerk-{code}`).
    pub fn of(conn: &mut DbConnection, code: &str, accountant: &str) -> anyhow::Result<VillageKeys> {
        anyhow::ensure!(code.bytes().all(|b| b.is_ascii_digit()), "a village code is digits");
        let id: i64 = villages::table
            .filter(villages::code.eq(code))
            .select(villages::id)
            .first(conn)?;
        let account_id: i64 = corporate_accounts::table
            .filter(corporate_accounts::village_id.eq(id))
            .select(corporate_accounts::id)
            .first(conn)?;
        let user = |conn: &mut DbConnection, name: &str| -> anyhow::Result<i64> {
            Ok(users::table
                .filter(users::username.eq(name))
                .select(users::id)
                .first(conn)?)
        };
        Ok(VillageKeys {
            id,
            code: code.to_string(),
            account_id,
            clerk_id: user(conn, &format!("clerk-{code}"))?,
            accountant_id: user(conn, accountant)?,
        })
    }
}

/// How a column of a copied row is written.
#[derive(Clone, Copy)]
enum C {
    /// As the template's.
    Same,
    /// An id of that table: moved into the copy's id range.
    Id(&'static str),
    /// The copy's village.
    Village,
    /// A user: the template's clerk or accountant becomes the copy's; anyone else stays.
    User,
    /// A ledger account: the copy's account of the same code.
    Account,
    /// The corporate account: the copy's.
    Corporate,
    /// Text naming the village code: the copy's code.
    Code,
    /// Computed in Rust (`qz_copy_text.t1`, `t2`, `t3`).
    Text(u8),
}

use C::*;

/// A table copied row by row from its template's rows (`x`).
struct Copied {
    table: &'static str,
    /// `FROM …` selecting the template's rows as `x`; `{t}` is the template village's id, `{c}`
    /// the copy's.
    from: &'static str,
    columns: &'static [(&'static str, C)],
}

const WHERE_VILLAGE: &str = "WHERE x.village_id = {t}";

/// The tables in the order their references need.
const TABLES: &[Copied] = &[
    Copied {
        table: "ledger_accounts",
        from: "WHERE x.village_id = {t} AND NOT EXISTS (SELECT 1 FROM ledger_accounts o WHERE o.village_id = {c} AND o.code = x.code AND o.chart_version = x.chart_version)",
        columns: &[
            ("id", Id("ledger_accounts")),
            ("village_id", Village),
            ("chart_version", Same),
            ("code", Same),
            ("name", Same),
            ("category", Same),
            ("normal_side", Same),
            ("parent_code", Same),
            ("postable", Same),
            ("active", Same),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "payers",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("payers")),
            ("village_id", Village),
            ("kind", Same),
            ("name", Same),
            ("phone", Same),
            ("household_no", Same),
            ("ledger_account_id", Account),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "fee_items",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("fee_items")),
            ("village_id", Village),
            ("code", Same),
            ("name", Same),
            ("income_account_code", Same),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "contracts",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("contracts")),
            ("village_id", Village),
            ("contract_no", Code),
            ("kind", Same),
            ("payer_id", Id("payers")),
            ("fee_item_id", Id("fee_items")),
            ("area", Same),
            ("unit_price_fen", Same),
            ("fixed_amount_fen", Same),
            ("schedule", Same),
            ("start_date", Same),
            ("end_date", Same),
            ("created_by", User),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "bills",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("bills")),
            ("village_id", Village),
            ("seq", Same),
            ("reference", Text(1)),
            ("payer_id", Id("payers")),
            ("fee_item_id", Id("fee_items")),
            ("contract_id", Id("contracts")),
            ("period_label", Same),
            ("amount_fen", Same),
            ("paid_fen", Same),
            ("status", Same),
            ("due_date", Same),
            ("note", Same),
            ("created_by", User),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "journal_entries",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("journal_entries")),
            ("village_id", Village),
            ("seq", Same),
            ("entry_date", Same),
            ("period", Same),
            ("memo", Text(1)),
            ("source", Same),
            ("reverses_entry_id", Id("journal_entries")),
            ("created_by", User),
            ("created_at", Same),
            ("prev_hash", Text(2)),
            ("hash", Text(3)),
        ],
    },
    Copied {
        table: "journal_postings",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("journal_postings")),
            ("entry_id", Id("journal_entries")),
            ("village_id", Village),
            ("line_no", Same),
            ("account_id", Account),
            ("debit_fen", Same),
            ("credit_fen", Same),
            ("memo", Same),
        ],
    },
    Copied {
        table: "account_balances",
        from: WHERE_VILLAGE,
        columns: &[
            ("account_id", Account),
            ("village_id", Village),
            ("debit_fen", Same),
            ("credit_fen", Same),
        ],
    },
    Copied {
        table: "closed_periods",
        from: WHERE_VILLAGE,
        columns: &[
            ("village_id", Village),
            ("period", Same),
            ("closed_by", User),
            ("closed_at", Same),
        ],
    },
    Copied {
        table: "village_counters",
        from: WHERE_VILLAGE,
        columns: &[("village_id", Village), ("name", Same), ("last_value", Same)],
    },
    Copied {
        table: "bank_transactions",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("bank_transactions")),
            ("village_id", Village),
            ("corporate_account_id", Corporate),
            ("provider", Same),
            ("provider_txn_id", Code),
            ("amount_fen", Same),
            ("paid_at", Same),
            ("payer_masked", Same),
            ("reference", Text(1)),
            ("bill_id", Id("bills")),
            ("entry_id", Id("journal_entries")),
            ("outcome", Same),
            ("note", Same),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "pay_ins",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("pay_ins")),
            ("village_id", Village),
            ("clerk_id", User),
            ("corporate_account_id", Corporate),
            ("amount_fen", Same),
            ("declared_at", Same),
            ("status", Same),
            ("bank_transaction_id", Id("bank_transactions")),
            ("entry_id", Id("journal_entries")),
            ("matched_by", User),
            ("matched_at", Same),
        ],
    },
    Copied {
        table: "cash_records",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("cash_records")),
            ("village_id", Village),
            ("clerk_id", User),
            ("bill_id", Id("bills")),
            ("amount_fen", Same),
            ("received_at", Same),
            ("entry_id", Id("journal_entries")),
            ("status", Same),
            ("pay_in_id", Id("pay_ins")),
            ("reversal_entry_id", Id("journal_entries")),
        ],
    },
    Copied {
        table: "receipts",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("receipts")),
            ("village_id", Village),
            ("year", Same),
            ("number", Same),
            ("bill_id", Id("bills")),
            ("payer_id", Id("payers")),
            ("fee_item_id", Id("fee_items")),
            ("bank_transaction_id", Id("bank_transactions")),
            ("amount_fen", Same),
            ("channel", Same),
            ("status", Same),
            ("issued_at", Same),
            ("issued_by", User),
            ("verification_code", Text(1)),
            ("cash_record_id", Id("cash_records")),
            ("replaces_id", Id("receipts")),
        ],
    },
    Copied {
        table: "receipt_voids",
        from: "JOIN receipts r ON r.id = x.receipt_id WHERE r.village_id = {t}",
        columns: &[
            ("receipt_id", Id("receipts")),
            ("reason", Same),
            ("voided_by", User),
            ("voided_at", Same),
            ("printed_payer_name", Same),
        ],
    },
    Copied {
        table: "statement_imports",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("statement_imports")),
            ("village_id", Village),
            ("corporate_account_id", Corporate),
            ("source", Same),
            ("profile", Same),
            ("file_name", Same),
            ("file_sha256", Same),
            ("file_size", Same),
            ("encoding", Same),
            ("lines_total", Same),
            ("lines_new", Same),
            ("first_date", Same),
            ("last_date", Same),
            ("broken_rows", Same),
            ("imported_by", User),
            ("imported_at", Same),
        ],
    },
    Copied {
        table: "statement_lines",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("statement_lines")),
            ("village_id", Village),
            ("corporate_account_id", Corporate),
            ("line_key", Code),
            ("business_date", Same),
            ("booked_at", Same),
            ("position", Same),
            ("value_time", Same),
            ("serial", Code),
            ("direction", Same),
            ("amount_fen", Same),
            ("balance_fen", Same),
            ("counterparty_name", Same),
            ("counterparty_account", Same),
            ("summary", Same),
            ("remark", Same),
            ("source", Same),
            ("import_id", Id("statement_imports")),
            ("row_no", Same),
            ("raw", Code),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "statement_matches",
        from: WHERE_VILLAGE,
        columns: &[
            ("statement_line_id", Id("statement_lines")),
            ("village_id", Village),
            ("corporate_account_id", Corporate),
            ("bank_transaction_id", Id("bank_transactions")),
            ("entry_id", Id("journal_entries")),
            ("rule", Same),
            ("amount_differs", Same),
            ("business_date", Same),
            ("created_at", Same),
        ],
    },
    Copied {
        table: "disbursements",
        from: WHERE_VILLAGE,
        columns: &[
            ("id", Id("disbursements")),
            ("village_id", Village),
            ("corporate_account_id", Corporate),
            ("payee_name", Same),
            ("payee_account", Same),
            ("amount_fen", Same),
            ("purpose", Same),
            ("account_code", Same),
            ("attachments", Same),
            ("status", Same),
            ("requested_by", User),
            ("requested_at", Same),
            ("decided_by", User),
            ("decided_at", Same),
            ("decision_note", Same),
            ("statement_line_id", Id("statement_lines")),
            ("entry_id", Id("journal_entries")),
        ],
    },
];

/// Tables a village's life may write that the copy does not know how to copy: the templates
/// must have none (the generator makes none), or the copy would be incomplete.
const NOT_COPIED: &[&str] = &[
    "suspense_placements",
    "placement_undos",
    "suspense_transfers",
    "suspense_refunds",
    "disbursement_withdrawals",
    "settlements",
    "clearing_items",
    "gateway_orders",
    "provider_bindings",
];

/// The id ranges: a copy of generation `g` takes its template's ids plus `g × stride`.
pub struct Strides(HashMap<&'static str, i64>);

impl Strides {
    /// Measured once the templates are loaded and before any copy.
    pub fn measure(conn: &mut DbConnection, templates: &[VillageKeys]) -> anyhow::Result<Strides> {
        let ids: Vec<String> = templates.iter().map(|t| t.id.to_string()).collect();
        for table in NOT_COPIED {
            let n = count(
                conn,
                &format!(
                    "SELECT COUNT(*) AS n FROM {table} WHERE village_id IN ({})",
                    ids.join(",")
                ),
            )?;
            anyhow::ensure!(
                n == 0,
                "the templates have {n} rows in {table}, which the copy does not know"
            );
        }
        let mut out = HashMap::new();
        for c in TABLES {
            for (_, kind) in c.columns {
                if let Id(t) = kind {
                    if !out.contains_key(t) {
                        let max = count(conn, &format!("SELECT COALESCE(MAX(id), 0) AS n FROM {t}"))?;
                        out.insert(*t, max + 1);
                    }
                }
            }
        }
        Ok(Strides(out))
    }
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(conn: &mut DbConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
}

/// A template village's life as Rust needs it to compute a copy's texts: its chain, bills,
/// receipts and credits.
pub struct Template {
    keys: VillageKeys,
    /// Each entry with the sequence number it reverses and its lines.
    entries: Vec<(Entry, Option<i64>, Vec<Line>)>,
    bills: Vec<(i64, i64)>,
    credits: Vec<(i64, Option<String>)>,
    receipts: Vec<TemplateReceipt>,
}

/// A posting as the chain covers it: line, account code, debit, credit, memo.
type Line = (i32, String, Money, Money, String);

struct TemplateReceipt {
    id: i64,
    year: i32,
    number: i64,
    amount: i64,
    channel: String,
    issued_at: chrono::NaiveDateTime,
    bank_txn: Option<String>,
    cash_record_id: Option<i64>,
    code: String,
}

impl Template {
    /// Reads the template's life and checks that recomputing its own chain and receipt codes
    /// gives what the use cases stored (else a copy's would be wrong too).
    pub fn read(conn: &mut DbConnection, keys: VillageKeys, key: &[u8]) -> anyhow::Result<Template> {
        let village = VillageId(keys.id);
        let codes: HashMap<LedgerAccountId, String> = LedgerAccount::of_village(conn, village)?
            .into_iter()
            .map(|a| (a.id, a.code))
            .collect();
        let list = journal::entries_after(conn, village, 0, i64::MAX)?;
        let seq_of: HashMap<EntryId, i64> = list.iter().map(|e| (e.id, e.seq)).collect();
        let mut lines: HashMap<EntryId, Vec<_>> = HashMap::new();
        for chunk in list.chunks(1000) {
            let ids: Vec<EntryId> = chunk.iter().map(|e| e.id).collect();
            for (p, _, _) in Entry::postings_of(conn, &ids)? {
                let code = codes.get(&p.account_id).cloned().unwrap_or_default();
                lines
                    .entry(p.entry_id)
                    .or_default()
                    .push((p.line_no, code, p.debit, p.credit, p.memo));
            }
        }
        let entries = list
            .into_iter()
            .map(|e| {
                let reverses = e.reverses_entry_id.map(|id| seq_of[&id]);
                let mut l = lines.remove(&e.id).unwrap_or_default();
                l.sort_by_key(|p| p.0);
                (e, reverses, l)
            })
            .collect();
        let bills = bills::table
            .filter(bills::village_id.eq(keys.id))
            .select((bills::id, bills::seq))
            .load(conn)?;
        let credits: Vec<(i64, Option<String>, String)> = bank_transactions::table
            .filter(bank_transactions::village_id.eq(keys.id))
            .select((
                bank_transactions::id,
                bank_transactions::reference,
                bank_transactions::provider_txn_id,
            ))
            .load(conn)?;
        let txn_of: HashMap<i64, String> = credits.iter().map(|c| (c.0, c.2.clone())).collect();
        type Row = (
            i64,
            i32,
            i64,
            i64,
            String,
            chrono::NaiveDateTime,
            Option<i64>,
            Option<i64>,
            String,
        );
        let rows: Vec<Row> = receipts::table
            .filter(receipts::village_id.eq(keys.id))
            .select((
                receipts::id,
                receipts::year,
                receipts::number,
                receipts::amount_fen,
                receipts::channel,
                receipts::issued_at,
                receipts::bank_transaction_id,
                receipts::cash_record_id,
                receipts::verification_code,
            ))
            .load(conn)?;
        let receipts = rows
            .into_iter()
            .map(|r| TemplateReceipt {
                id: r.0,
                year: r.1,
                number: r.2,
                amount: r.3,
                channel: r.4,
                issued_at: r.5,
                bank_txn: r.6.map(|id| txn_of[&id].clone()),
                cash_record_id: r.7,
                code: r.8,
            })
            .collect();
        let t = Template {
            keys,
            entries,
            bills,
            credits: credits.into_iter().map(|c| (c.0, c.1)).collect(),
            receipts,
        };
        // The same computation over the template itself must give what the use cases stored.
        let own = Copy::of(&t, &t.keys, 0);
        let (_, _, texts) = own.journal(&t, 0);
        for ((e, _, _), text) in t.entries.iter().zip(&texts) {
            anyhow::ensure!(
                text.t3.as_deref() == Some(e.hash.as_str()),
                "recomputing template {}'s entry {} does not give its stored hash",
                t.keys.code,
                e.seq
            );
        }
        for (r, text) in t.receipts.iter().zip(own.receipts(&t, key, 0)) {
            anyhow::ensure!(
                text.t1 == r.code,
                "recomputing template {}'s receipt {} does not give its stored code",
                t.keys.code,
                r.number
            );
        }
        Ok(t)
    }

    pub fn postings(&self) -> usize {
        self.entries.iter().map(|e| e.2.len()).sum()
    }
}

/// One copy: its keys, its template's, and its generation.
struct Copy<'a> {
    to: &'a VillageKeys,
    from: &'a VillageKeys,
    generation: i64,
}

impl<'a> Copy<'a> {
    fn of(t: &'a Template, to: &'a VillageKeys, generation: i64) -> Copy<'a> {
        Copy {
            to,
            from: &t.keys,
            generation,
        }
    }

    fn user(&self, id: Option<i64>) -> Option<i64> {
        id.map(|u| match u {
            u if u == self.from.clerk_id => self.to.clerk_id,
            u if u == self.from.accountant_id => self.to.accountant_id,
            u => u,
        })
    }

    /// The copy's bill number for the template's bill of sequence `seq`.
    fn reference(&self, seq: i64) -> anyhow::Result<String> {
        Ok(BillReference::new(self.to.id, seq)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .as_str()
            .to_string())
    }

    /// A text of the template's life as the copy's: its village code, its bill numbers (as
    /// shown, `000012-000345-7`) and ids moved by `shift` after the words that name them.
    fn text(&self, text: &str, pay_in_shift: i64) -> String {
        let mut out = text.replace(&self.from.code, &self.to.code);
        let from_prefix = format!("{:06}-", self.from.id);
        if out.contains(&from_prefix) {
            // `000012-000345-7`: the bill of sequence 345, shown; the copy's has its village id.
            out = rewrite_after(&out, &from_prefix, |rest| {
                let b = rest.as_bytes();
                let seq: i64 = rest.get(..6)?.parse().ok()?;
                (b.get(6) == Some(&b'-') && b.get(7).is_some_and(u8::is_ascii_digit)).then_some(())?;
                Some((BillReference::shown(&self.reference(seq).ok()?), 8))
            });
        }
        if out.contains("代交 ") {
            // `代交 123`: the pay-in's id, moved into the copy's range.
            out = rewrite_after(&out, "代交 ", |rest| {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let id: i64 = rest[..digits].parse().ok()?;
                Some((format!("代交 {}", id + pay_in_shift), digits))
            });
        }
        out
    }

    /// The copy's chain: per template entry (in sequence order) its memo, previous and own
    /// hash; and the head. Pay-in ids named in memos move by `pay_in_shift`.
    fn journal(&self, t: &Template, pay_in_shift: i64) -> (i64, String, Vec<CopyText>) {
        let mut prev = chain::genesis(&self.to.code);
        let mut last_seq = 0;
        let mut out = Vec::with_capacity(t.entries.len());
        for (e, reverses_seq, lines) in &t.entries {
            let memo = self.text(&e.memo, pay_in_shift);
            let chained = ChainedEntry {
                village_code: &self.to.code,
                seq: e.seq,
                entry_date: e.entry_date,
                memo: &memo,
                source: e.source.as_str(),
                reverses_seq: *reverses_seq,
                created_by: self.user(e.created_by.map(UserId::get)),
                created_at: e.created_at.and_utc(),
                postings: lines
                    .iter()
                    .map(|(line_no, code, debit, credit, memo)| ChainedPosting {
                        line_no: *line_no,
                        account_code: code,
                        debit: *debit,
                        credit: *credit,
                        memo,
                    })
                    .collect(),
            };
            let hash = chain::link_hash(&prev, &chained);
            out.push(CopyText {
                old_id: e.id.get(),
                t1: memo,
                t2: Some(prev),
                t3: Some(hash.clone()),
            });
            prev = hash;
            last_seq = e.seq;
        }
        (last_seq, prev, out)
    }

    /// The copy's receipt verification codes; a cash receipt's cash record id moves by
    /// `cash_shift`.
    fn receipts(&self, t: &Template, key: &[u8], cash_shift: i64) -> Vec<CopyText> {
        t.receipts
            .iter()
            .map(|r| {
                let evidence = match (&r.bank_txn, r.cash_record_id) {
                    (Some(txn), _) => txn.replace(&self.from.code, &self.to.code),
                    (None, Some(id)) => format!("CASH-{}", id + cash_shift),
                    (None, None) => "PENDING".to_string(),
                };
                let code = verification_code(
                    key,
                    &CodeFields {
                        village_code: &self.to.code,
                        year: r.year,
                        number: r.number,
                        amount: Money::from_fen(r.amount),
                        channel: &r.channel,
                        bank_txn: &evidence,
                        issued_at: &r.issued_at.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                    },
                );
                CopyText {
                    old_id: r.id,
                    t1: code,
                    t2: None,
                    t3: None,
                }
            })
            .collect()
    }
}

/// `text` with every `marker` (not preceded by a digit) and what follows it rewritten where `f`
/// recognises it: `f` gets what follows the marker and returns the replacement of the marker and
/// the bytes it used, or `None` to leave them.
fn rewrite_after(text: &str, marker: &str, f: impl Fn(&str) -> Option<(String, usize)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        out.push_str(&rest[..at]);
        let glued = out.as_bytes().last().is_some_and(u8::is_ascii_digit);
        match f(after).filter(|_| !glued) {
            Some((replacement, used)) => {
                out.push_str(&replacement);
                rest = &after[used..];
            }
            None => {
                out.push_str(marker);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Creates the scratch tables (once per connection).
pub fn prepare(conn: &mut DbConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "CREATE TEMP TABLE qz_copy_text (old_id BIGINT PRIMARY KEY, t1 TEXT NOT NULL, t2 TEXT, t3 TEXT);
         CREATE TEMP TABLE qz_copy_account (old_id BIGINT PRIMARY KEY, new_id BIGINT NOT NULL);",
    )?;
    Ok(())
}

/// Writes village `to` as a copy (generation `generation` ≥ 1) of template `t`, in one
/// transaction.
pub fn copy_village(
    conn: &mut DbConnection,
    t: &Template,
    to: &VillageKeys,
    generation: i64,
    strides: &Strides,
    key: &[u8],
) -> anyhow::Result<()> {
    let copy = Copy::of(t, to, generation);
    let shift = |table: &str| generation * strides.0[table];
    let (last_seq, head, journal) = copy.journal(t, shift("pay_ins"));
    let receipts = copy.receipts(t, key, shift("cash_records"));
    let bills: Vec<CopyText> = t
        .bills
        .iter()
        .map(|(id, seq)| {
            Ok(CopyText {
                old_id: *id,
                t1: copy.reference(*seq)?,
                t2: None,
                t3: None,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let template_refs: HashMap<String, String> = t
        .bills
        .iter()
        .map(|(_, seq)| {
            Ok((
                BillReference::new(t.keys.id, *seq)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .as_str()
                    .to_string(),
                copy.reference(*seq)?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let credits: Vec<CopyText> = t
        .credits
        .iter()
        .filter_map(|(id, reference)| {
            reference.as_ref().map(|r| CopyText {
                old_id: *id,
                t1: template_refs.get(r).cloned().unwrap_or_else(|| copy.text(r, 0)),
                t2: None,
                t3: None,
            })
        })
        .collect();
    let texts: HashMap<&str, &[CopyText]> = [
        ("bills", &bills[..]),
        ("journal_entries", &journal[..]),
        ("bank_transactions", &credits[..]),
        ("receipts", &receipts[..]),
    ]
    .into_iter()
    .collect();
    let conn_backend = match conn {
        DbConnection::Pg(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    };
    conn.transaction(|conn| -> anyhow::Result<()> {
        // The copy's own registry rows (made by the use cases) that its life replaces.
        conn.batch_execute(&format!(
            "DELETE FROM account_balances WHERE village_id = {c};
             DELETE FROM village_counters WHERE village_id = {c};",
            c = to.id
        ))?;
        // Emptied by TRUNCATE on PostgreSQL: nothing vacuums a temporary table, and the dead
        // rows DELETE leaves would pile up over the copies (SQLite's unfiltered DELETE truncates).
        let empty = |table: &str| match conn_backend {
            Backend::Postgres => format!("TRUNCATE {table};"),
            Backend::Sqlite => format!("DELETE FROM {table};"),
        };
        for table in TABLES {
            if table.table == "payers" {
                // Every ledger account of the template (the chart from the registry, the
                // households' from its life) and the copy's account of the same code.
                conn.batch_execute(&format!(
                    "{}
                     INSERT INTO qz_copy_account (old_id, new_id)
                     SELECT x.id, o.id FROM ledger_accounts x JOIN ledger_accounts o
                       ON o.village_id = {c} AND o.code = x.code AND o.chart_version = x.chart_version
                     WHERE x.village_id = {t};",
                    empty("qz_copy_account"),
                    t = t.keys.id,
                    c = to.id
                ))?;
            }
            let rows = texts.get(table.table).copied().unwrap_or_default();
            conn.batch_execute(&empty("qz_copy_text"))?;
            insert_texts(conn, rows)?;
            let sql = copy_sql(table, &copy, strides);
            diesel::sql_query(sql).execute(conn)?;
        }
        diesel::sql_query(format!(
            "UPDATE ledger_heads SET last_seq = {last_seq}, last_hash = '{head}' WHERE village_id = {}",
            to.id
        ))
        .execute(conn)?;
        Ok(())
    })
}

fn insert_texts(conn: &mut DbConnection, rows: &[CopyText]) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    // The same multi-row INSERT on each backend: diesel's MultiConnection has none of its own.
    match conn {
        DbConnection::Pg(c) => {
            for chunk in rows.chunks(2000) {
                diesel::insert_into(qz_copy_text::table).values(chunk).execute(c)?;
            }
        }
        DbConnection::Sqlite(c) => {
            for chunk in rows.chunks(2000) {
                diesel::insert_into(qz_copy_text::table).values(chunk).execute(c)?;
            }
        }
    }
    Ok(())
}

/// `INSERT INTO table (…) SELECT … FROM table x …` for one copy.
fn copy_sql(c: &Copied, copy: &Copy, strides: &Strides) -> String {
    let columns: Vec<&str> = c.columns.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = c
        .columns
        .iter()
        .map(|(n, kind)| match kind {
            Same => format!("x.{n}"),
            Id(t) => format!("x.{n} + {}", copy.generation * strides.0[t]),
            Village => copy.to.id.to_string(),
            User => format!(
                "CASE WHEN x.{n} = {} THEN {} WHEN x.{n} = {} THEN {} ELSE x.{n} END",
                copy.from.clerk_id, copy.to.clerk_id, copy.from.accountant_id, copy.to.accountant_id
            ),
            Account => format!("(SELECT m.new_id FROM qz_copy_account m WHERE m.old_id = x.{n})"),
            Corporate => format!("CASE WHEN x.{n} IS NULL THEN NULL ELSE {} END", copy.to.account_id),
            Code => format!("replace(x.{n}, '{}', '{}')", copy.from.code, copy.to.code),
            Text(k) => format!("y.t{k}"),
        })
        .collect();
    let texts = c.columns.iter().any(|(_, k)| matches!(k, Text(_)));
    let join = if texts {
        " LEFT JOIN qz_copy_text y ON y.old_id = x.id".to_string()
    } else {
        String::new()
    };
    let filter = c
        .from
        .replace("{t}", &copy.from.id.to_string())
        .replace("{c}", &copy.to.id.to_string());
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {table} x{join} {filter}",
        columns.join(", "),
        values.join(", "),
        table = c.table
    )
}

/// After the copies: PostgreSQL's sequences continue after the highest id written.
pub fn reset_sequences(conn: &mut DbConnection) -> anyhow::Result<()> {
    if let DbConnection::Pg(_) = conn {
        for c in TABLES {
            if c.columns.first().map(|(n, _)| *n) == Some("id") {
                conn.batch_execute(&format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))",
                    t = c.table
                ))?;
            }
        }
    }
    Ok(())
}
