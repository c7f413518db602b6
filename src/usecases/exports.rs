//! Exports for the township accountant: a village's receipts and its cash book (库存现金日记账),
//! as XLSX (amounts as numbers; receipt, bill and account numbers as text, so a spreadsheet never
//! turns them into floats) and as CSV (UTF-8 with a BOM, which Excel needs to read Chinese).

use rust_xlsxwriter::{Format, Workbook};
use serde::Deserialize;

use super::cash::cash_account_ids;
use super::{receipts, village_for};
use crate::domain::access::{Action, Actor};
use crate::domain::EntryId;
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::journal::Entry;
use crate::store::{Db, Page};

/// One cell: text stays text, money is a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Money(Money),
}

/// A sheet: its name, header and rows.
pub struct Table {
    pub name: &'static str,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// Every receipt of the village, by number.
pub fn receipts_table(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Table> {
    let rows = receipts::all_details(db, actor, village_code)?
        .into_iter()
        .map(|(r, v)| {
            vec![
                t(&v.number),
                t(&v.issued_at),
                t(&v.payer_name),
                t(format!(
                    "{} {}",
                    v.fee_item,
                    crate::domain::schedule::shown_period(&v.period_label)
                )),
                t(v.bill_reference.clone().unwrap_or_default()),
                Cell::Money(r.amount),
                t(&v.amount_in_words),
                t(&v.channel_name),
                t(&v.evidence),
                t(v.status.label()),
                t(v.void_reason.clone().unwrap_or_default()),
                t(&v.clerk),
                t(v.verification_code.replace(' ', "")),
            ]
        })
        .collect();
    Ok(Table {
        name: "收据",
        header: vec![
            "收据号",
            "开具时间",
            "缴款人",
            "项目",
            "账单号",
            "金额",
            "大写",
            "方式",
            "款项依据",
            "状态",
            "作废原因",
            "经办人",
            "校验码",
        ],
        rows,
    })
}

/// The cash book: every posting on 101 in entry order, with the running balance.
pub fn cash_book_table(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Table> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let cash = cash_account_ids(conn, village.id)?;
        let mut rows = Vec::new();
        let mut balance = Money::ZERO;
        let mut after = 0;
        loop {
            let entries = Entry::list(conn, village.id, None, Page { after, limit: 500 })?;
            let Some(last) = entries.last() else { break };
            after = last.seq;
            let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
            let postings = Entry::postings_of(conn, &ids)?;
            for e in &entries {
                for (p, _, _) in postings
                    .iter()
                    .filter(|(p, _, _)| p.entry_id == e.id && cash.contains(&p.account_id))
                {
                    balance += p.debit - p.credit;
                    rows.push(vec![
                        t(e.entry_date.to_string()),
                        t(e.seq.to_string()),
                        t(&e.memo),
                        Cell::Money(p.debit),
                        Cell::Money(p.credit),
                        Cell::Money(balance),
                    ]);
                }
            }
        }
        Ok(Table {
            name: "库存现金日记账",
            header: vec!["日期", "凭证号", "摘要", "借方", "贷方", "余额"],
            rows,
        })
    })
}

/// CSV in UTF-8 with a BOM; money as plain decimals ("1678.38").
pub fn to_csv(table: &Table) -> AppResult<Vec<u8>> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.header)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        for row in &table.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => s.clone(),
                    Cell::Money(m) => m.to_string(),
                })
                .collect();
            w.write_record(&cells).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        w.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}

/// XLSX: money as numbers formatted `#,##0.00` (exact: fen / 100 is exact to the cent in a
/// double up to far beyond any village's amounts), everything else as text.
pub fn to_xlsx(table: &Table) -> AppResult<Vec<u8>> {
    to_xlsx_book(std::slice::from_ref(table))
}

/// Several tables as the sheets of one workbook, in order.
pub fn to_xlsx_book(tables: &[Table]) -> AppResult<Vec<u8>> {
    let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.name).map_err(err)?;
        for (c, h) in table.header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(err)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c as u16, s).map_err(err)?,
                    Cell::Money(m) => sheet
                        .write_number_with_format(r, c as u16, m.fen() as f64 / 100.0, &money)
                        .map_err(err)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
    }
    book.save_to_buffer().map_err(err)
}

/// An export by name: `receipts` or `cash-book`, in either format; returns (bytes, content
/// type, file name).
pub fn export(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    what: &str,
    format: ExportFormat,
) -> AppResult<(Vec<u8>, &'static str, String)> {
    let table = match what {
        "receipts" => receipts_table(db, actor, village_code)?,
        "cash-book" => cash_book_table(db, actor, village_code)?,
        other => {
            return Err(AppError::new(
                ErrorCode::ExportNotFound,
                format!("没有“{other}”这种导出；可导出 receipts（收据）或 cash-book（现金日记账）。"),
            ))
        }
    };
    let name = format!("{village_code}-{what}");
    Ok(match format {
        ExportFormat::Xlsx => (
            to_xlsx(&table)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{name}.xlsx"),
        ),
        ExportFormat::Csv => (to_csv(&table)?, "text/csv; charset=utf-8", format!("{name}.csv")),
    })
}

/// `receipts.xlsx` → ("receipts", Xlsx).
pub fn parse_file(name: &str) -> AppResult<(String, ExportFormat)> {
    let bad = || {
        AppError::new(
            ErrorCode::ExportNotFound,
            format!("没有“{name}”这种导出文件；可导出 receipts.xlsx、receipts.csv、cash-book.xlsx 或 cash-book.csv。"),
        )
    };
    let (what, ext) = name.rsplit_once('.').ok_or_else(bad)?;
    let format = match ext {
        "xlsx" => ExportFormat::Xlsx,
        "csv" => ExportFormat::Csv,
        _ => return Err(bad()),
    };
    Ok((what.to_string(), format))
}

/// The village's journal of a year as a Beancount file, for outside auditors (see
/// `ledger::beancount`): read in one snapshot; the closing assertions come from the books' own
/// sums per account. `actor` is None on the command line.
pub fn beancount(db: &Db, actor: Option<&Actor>, village_code: &str, year: i32) -> AppResult<String> {
    use crate::ledger::beancount::{self, Account, Posting, Transaction, Year};
    use crate::store::journal::{self, LedgerAccount};
    use std::collections::BTreeMap;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::new(ErrorCode::YearInvalid, format!("年度 {year} 不在 2000 到 2100 之间。")).at("year"));
    }
    db.read(|conn| {
        let village = match actor {
            Some(a) => village_for(conn, a, village_code, Action::Read)?,
            None => crate::store::registry::Village::by_code(conn, village_code.trim())?
                .ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?,
        };
        let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        let next = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid year");
        let accounts: Vec<Account> = LedgerAccount::of_village(conn, village.id)?
            .into_iter()
            .filter(|a| a.postable)
            .map(|a| Account {
                id: a.id.get(),
                code: a.code,
                name: a.name,
                chart_version: a.chart_version,
                category: a.category,
                normal_side: a.normal_side,
            })
            .collect();
        let balances = |conn: &mut crate::store::DbConnection, to| -> AppResult<BTreeMap<i64, Money>> {
            Ok(journal::sums_by_account(conn, village.id, None, Some(to))?
                .into_iter()
                .map(|(id, s)| (id.get(), s.debit - s.credit))
                .collect())
        };
        let opening = balances(conn, first)?;
        let closing = balances(conn, next)?;
        let mut transactions = Vec::new();
        let mut after = 0;
        loop {
            let entries = journal::entries_dated(conn, village.id, (first, next), after, 1000)?;
            let Some(last) = entries.last() else { break };
            after = last.seq;
            let ids: Vec<EntryId> = entries.iter().map(|e| e.id).collect();
            let mut postings: BTreeMap<EntryId, Vec<Posting>> = BTreeMap::new();
            for (p, _, _) in Entry::postings_of(conn, &ids)? {
                postings.entry(p.entry_id).or_default().push(Posting {
                    account: p.account_id.get(),
                    debit: p.debit,
                    credit: p.credit,
                    memo: p.memo,
                });
            }
            for e in entries {
                transactions.push(Transaction {
                    seq: e.seq,
                    date: e.entry_date,
                    source: e.source.label().to_string(),
                    memo: e.memo,
                    hash: e.hash,
                    postings: postings.remove(&e.id).unwrap_or_default(),
                });
            }
        }
        Ok(beancount::render(
            &Year {
                village_code: &village.code,
                village_name: &village.name,
                year,
                accounts: &accounts,
                opening: &opening,
                closing: &closing,
            },
            transactions,
        ))
    })
}
