//! Reading a bank's statement file into lines: the encodings banks really use (GBK, GB18030,
//! UTF-8 with or without BOM, UTF-16 with BOM), CSV or XLSX, title rows above the header and a
//! 合计 row below, the layout found from the header row (`profile`).
//!
//! Pure: bytes in, lines or one error out. An error names the row as the file shows it (1-based,
//! counting title rows) and the column by its header, in Chinese and in English, and a file with
//! one bad row yields no lines at all: the import is one transaction or nothing.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use sha2::{Digest, Sha256};

use super::profile::{Field, Layout, Profile, Profiles};
use crate::domain::vocabulary::Direction;
use crate::domain::Money;

/// The largest file taken: a year of a busy account is far below it.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The most lines one file may hold.
pub const MAX_LINES: usize = 2_000_000;
/// Text fields are kept to this many characters (the raw row keeps everything).
const MAX_TEXT: usize = 200;

/// One line of a statement, as the bank booked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    /// The row in the file (1-based, as a spreadsheet shows it).
    pub row: usize,
    pub business_date: NaiveDate,
    /// Beijing time, where the bank gives one.
    pub value_time: Option<NaiveDateTime>,
    pub serial: Option<String>,
    pub direction: Direction,
    /// Always positive; `direction` says which way.
    pub amount: Money,
    pub balance: Option<Money>,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub summary: Option<String>,
    pub remark: Option<String>,
    /// The row's cells as the file had them (JSON array), kept as evidence.
    pub raw: String,
}

impl StatementRow {
    /// What makes two copies of a line one line: the bank's serial, or where a file has none,
    /// a hash of what the bank printed (date, direction, amount, balance, counterparty, remark)
    /// with the occurrence among identical lines of its file.
    pub fn key(&self, occurrence: usize) -> String {
        if let Some(s) = &self.serial {
            return format!("s:{s}");
        }
        let mut h = Sha256::new();
        for part in [
            self.business_date.to_string(),
            self.direction.as_str().to_string(),
            self.amount.fen().to_string(),
            self.balance.map(|b| b.fen().to_string()).unwrap_or_default(),
            self.counterparty_name.clone().unwrap_or_default(),
            self.counterparty_account.clone().unwrap_or_default(),
            self.remark.clone().unwrap_or_default(),
        ] {
            h.update(part.as_bytes());
            h.update([0x1f]);
        }
        format!("h:{}:{occurrence}", hex::encode(&h.finalize()[..16]))
    }

    /// The signed effect on the balance.
    pub fn signed(&self) -> Money {
        match self.direction {
            Direction::Credit => self.amount,
            Direction::Debit => Money::from_fen(-self.amount.fen()),
        }
    }
}

/// Keys for a file's lines, in order (identical lines without a serial get 0, 1, 2…).
pub fn keys(lines: &[StatementRow]) -> Vec<String> {
    let mut seen = std::collections::HashMap::new();
    lines
        .iter()
        .map(|l| {
            let n = seen.entry(l.key(0)).or_insert(0usize);
            let k = l.key(*n);
            *n += 1;
            k
        })
        .collect()
}

/// A file read into lines.
#[derive(Debug, Clone)]
pub struct ParsedStatement {
    pub profile: String,
    pub encoding: &'static str,
    /// In the bank's booking order (oldest first), whatever order the file listed them in.
    pub lines: Vec<StatementRow>,
    /// Rows where the balance does not follow from the previous line's balance and amount.
    pub broken_at: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("文件是空的 / the file is empty")]
    Empty,
    #[error("文件太大（超过 {0} MB）/ the file is larger than {0} MB")]
    TooLarge(usize),
    #[error("文件行数超过 {0} / the file has more than {0} lines")]
    TooManyLines(usize),
    #[error("无法识别文件编码：请导出为 CSV（UTF-8 或 GBK）或 XLSX / unknown encoding: export as CSV (UTF-8 or GBK) or XLSX")]
    Encoding,
    #[error("无法读取 XLSX 文件 / cannot read the XLSX file: {0}")]
    Xlsx(String),
    #[error("第 {row} 行无法读取 / row {row} cannot be read: {why}")]
    Csv { row: usize, why: String },
    #[error("找不到表头：前 30 行没有一行符合已知的对账单版式（{known}）/ no header row of a known layout in the first 30 rows ({known})")]
    UnknownLayout { known: String },
    #[error("第 {row} 行“{column}”列：{why}（“{value}”）/ row {row}, column {column}: {why_en} ('{value}')")]
    Cell {
        row: usize,
        column: String,
        value: String,
        why: &'static str,
        why_en: &'static str,
    },
    #[error("第 {row} 行收入和支出都有金额 / row {row} has both a debit and a credit")]
    BothSides { row: usize },
    #[error("第 {row} 行没有收入或支出金额 / row {row} has neither a debit nor a credit")]
    NoAmount { row: usize },
    #[error("这是账号 {found} 的对账单，不是 {expected} 的（第 {row} 行）/ this statement is of account {found}, not {expected} (row {row})")]
    OtherAccount {
        row: usize,
        found: String,
        expected: String,
    },
    #[error("文件中没有交易 / the file holds no transactions")]
    NoLines,
    #[error("第 {row} 行的流水号 {serial} 与第 {first} 行重复 / row {row} repeats the serial {serial} of row {first}")]
    SerialTwice { row: usize, first: usize, serial: String },
}

/// Text from the encodings Chinese banks export in, strictly: bytes that are not valid in any
/// of them are refused, never replaced.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), StatementError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), "UTF-8 (BOM)"))
            .map_err(|_| StatementError::Encoding);
    }
    for (bom, enc, name) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE, "UTF-16LE"),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return enc
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| (s.into_owned(), name))
                .ok_or(StatementError::Encoding);
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "UTF-8"));
    }
    // GB18030 is a superset of GBK (and GB2312): one decoder reads all three.
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| (s.into_owned(), "GBK/GB18030"))
        .ok_or(StatementError::Encoding)
}

/// The cells of a CSV text, every row (title rows included).
fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, StatementError> {
    let head: String = text.lines().take(30).collect();
    let delimiter = if head.matches('\t').count() > head.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| StatementError::Csv {
            row: i + 1,
            why: e.to_string(),
        })?;
        if rows.len() > MAX_LINES + 100 {
            return Err(StatementError::TooManyLines(MAX_LINES));
        }
        rows.push(record.iter().map(clean_cell).collect());
    }
    Ok(rows)
}

/// Banks protect long numbers from spreadsheets as `="6222…"` or with a trailing tab.
fn clean_cell(cell: &str) -> String {
    let t = cell.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let t = t.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')).unwrap_or(t);
    t.trim().to_string()
}

/// The cells of the first sheet of an XLSX file.
fn xlsx_rows(bytes: &[u8]) -> Result<Vec<Vec<String>>, StatementError> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| StatementError::Xlsx(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| StatementError::Xlsx("no sheet".into()))?
        .map_err(|e| StatementError::Xlsx(e.to_string()))?;
    if range.height() > MAX_LINES + 100 {
        return Err(StatementError::TooManyLines(MAX_LINES));
    }
    // Rows as the sheet numbers them: a sheet whose data starts below row 1 keeps its numbers.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = vec![Vec::new(); first_row];
    for row in range.rows() {
        rows.push(
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => clean_cell(s),
                    Data::Int(i) => i.to_string(),
                    // The shortest text that reads back as the same double: what was typed.
                    Data::Float(f) => format!("{f}"),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => {
                        let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
                        if d.as_f64().fract() == 0.0 {
                            format!("{y:04}-{mo:02}-{da:02}")
                        } else {
                            format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}")
                        }
                    }
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => format!("#{e}"),
                })
                .collect(),
        );
    }
    Ok(rows)
}

fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads a statement file for the account `account_no`.
pub fn parse(bytes: &[u8], profiles: &Profiles, account_no: &str) -> Result<ParsedStatement, StatementError> {
    if bytes.is_empty() {
        return Err(StatementError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(StatementError::TooLarge(MAX_FILE_BYTES / 1024 / 1024));
    }
    let (rows, encoding) = if is_xlsx(bytes) {
        (xlsx_rows(bytes)?, "XLSX")
    } else {
        let (text, encoding) = decode(bytes)?;
        (csv_rows(&text)?, encoding)
    };
    let (profile, layout) = profiles.detect(&rows).ok_or_else(|| StatementError::UnknownLayout {
        known: profiles
            .all()
            .iter()
            .map(|p| p.label.as_str())
            .collect::<Vec<_>>()
            .join("、"),
    })?;
    check_title_rows(&rows[..layout.header_row], account_no)?;
    let mut lines = Vec::new();
    for (i, cells) in rows.iter().enumerate().skip(layout.header_row + 1) {
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let first = cells.iter().find(|c| !c.is_empty()).map_or("", |c| c.as_str());
        if ["合计", "总计", "本页合计", "小计", "共计"]
            .iter()
            .any(|t| first.starts_with(t))
        {
            break;
        }
        if lines.len() >= MAX_LINES {
            return Err(StatementError::TooManyLines(MAX_LINES));
        }
        lines.push(parse_row(profile, &layout, i + 1, cells, account_no)?);
    }
    if lines.is_empty() {
        return Err(StatementError::NoLines);
    }
    // A bank's serial names one booking: the same serial twice is a damaged file.
    let mut serials = std::collections::HashMap::new();
    for l in &lines {
        if let Some(s) = &l.serial {
            if let Some(first) = serials.insert(s.as_str(), l.row) {
                return Err(StatementError::SerialTwice {
                    row: l.row,
                    first,
                    serial: s.chars().take(40).collect(),
                });
            }
        }
    }
    // Some banks list the newest line first: the booking order is the one the balances follow.
    let forward = breaks(&lines);
    let mut reversed = lines.clone();
    reversed.reverse();
    let backward = breaks(&reversed);
    let (lines, broken_at) = if backward.len() < forward.len()
        || (backward.len() == forward.len()
            && lines.first().map(|l| l.business_date) > lines.last().map(|l| l.business_date))
    {
        (reversed, backward)
    } else {
        (lines, forward)
    };
    Ok(ParsedStatement {
        profile: profile.name.clone(),
        encoding,
        lines,
        broken_at,
    })
}

/// The lines of one business day from the bank's statement API (already verified as the bank's
/// by its signature). Every line must be of that day and that account, with a serial, a
/// direction and an amount, or the whole answer is refused: a garbled answer is never "no
/// transactions". A day without lines is a valid answer.
pub fn from_api(
    statement: &bank_adapters::rural_bank::Statement,
    account_no: &str,
    date: NaiveDate,
) -> Result<ParsedStatement, StatementError> {
    if statement.account_no != account_no {
        return Err(StatementError::OtherAccount {
            row: 0,
            found: mask(&statement.account_no),
            expected: mask(account_no),
        });
    }
    let mut lines = Vec::with_capacity(statement.lines.len());
    for (i, l) in statement.lines.iter().enumerate() {
        let row = i + 1;
        let fail = |column: &str, value: &str, why: &'static str, why_en: &'static str| StatementError::Cell {
            row,
            column: column.to_string(),
            value: value.chars().take(40).collect(),
            why,
            why_en,
        };
        let at = chrono::DateTime::parse_from_rfc3339(&l.value_time)
            .map(|t| crate::domain::period::business_time(t.with_timezone(&chrono::Utc)))
            .map_err(|_| fail("value_time", &l.value_time, "不是有效的时间", "not an RFC 3339 time"))?;
        if at.date() != date {
            return Err(fail(
                "value_time",
                &l.value_time,
                "不是所查询那一天的交易",
                "not of the day asked for",
            ));
        }
        let direction = Direction::parse(&l.direction).ok_or_else(|| {
            fail(
                "direction",
                &l.direction,
                "应为 credit 或 debit",
                "must be credit or debit",
            )
        })?;
        let amount = Money::parse_positive(&l.amount)
            .ok()
            .and_then(|m| m.within_bound().ok())
            .ok_or_else(|| fail("amount", &l.amount, "不是有效的金额", "not a valid amount"))?;
        let balance = match l.balance.as_deref() {
            None => None,
            Some(b) => Some(Money::parse(b).map_err(|_| fail("balance", b, "不是有效的金额", "not a valid amount"))?),
        };
        let serial = l.txn_id.trim();
        if serial.is_empty() || serial.len() > 64 || serial.chars().any(char::is_control) {
            return Err(fail("txn_id", serial, "流水号有误", "not a serial"));
        }
        let text = |t: &Option<String>| -> Option<String> {
            t.as_deref()
                .map(|t| t.chars().filter(|c| !c.is_control()).take(MAX_TEXT).collect::<String>())
                .filter(|t| !t.trim().is_empty())
        };
        lines.push(StatementRow {
            row,
            business_date: date,
            value_time: Some(at),
            serial: Some(serial.to_string()),
            direction,
            amount,
            balance,
            counterparty_name: text(&l.counterparty_name),
            counterparty_account: text(&l.counterparty_account),
            summary: None,
            remark: text(&l.remark),
            raw: serde_json::to_string(l).unwrap_or_default(),
        });
    }
    let mut serials = std::collections::HashSet::new();
    if let Some(twice) = lines.iter().find(|l| !serials.insert(l.serial.clone())) {
        return Err(StatementError::SerialTwice {
            row: twice.row,
            first: 0,
            serial: twice.serial.clone().unwrap_or_default(),
        });
    }
    let broken_at = breaks(&lines);
    Ok(ParsedStatement {
        profile: API_PROFILE.into(),
        encoding: "JSON",
        lines,
        broken_at,
    })
}

/// The profile name kept with lines from the bank's statement API.
pub const API_PROFILE: &str = "bank-api";

/// Rows whose balance does not follow from the line before it (both balances given).
pub fn breaks(lines: &[StatementRow]) -> Vec<usize> {
    lines
        .windows(2)
        .filter_map(|w| match (w[0].balance, w[1].balance) {
            (Some(prev), Some(this)) if prev.fen() + w[1].signed().fen() != this.fen() => Some(w[1].row),
            _ => None,
        })
        .collect()
}

/// A title row that says `账号：…` must name the account being imported.
fn check_title_rows(rows: &[Vec<String>], account_no: &str) -> Result<(), StatementError> {
    for (i, row) in rows.iter().enumerate() {
        for cell in row {
            let Some(pos) = cell.find("账号") else { continue };
            let digits: String = cell[pos + "账号".len()..]
                .trim_start_matches([':', '：', ' '])
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if digits.len() >= 8 && digits != account_no {
                return Err(StatementError::OtherAccount {
                    row: i + 1,
                    found: mask(&digits),
                    expected: mask(account_no),
                });
            }
        }
    }
    Ok(())
}

/// An account number as messages show it: the last four digits.
fn mask(account: &str) -> String {
    let tail: String = account
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

fn parse_row(
    profile: &Profile,
    layout: &Layout,
    row: usize,
    cells: &[String],
    account_no: &str,
) -> Result<StatementRow, StatementError> {
    let cell = |f: Field| -> &str { layout.index(f).and_then(|i| cells.get(i)).map_or("", |s| s.as_str()) };
    let fail = |f: Field, why: &'static str, why_en: &'static str| StatementError::Cell {
        row,
        column: layout.header(f).unwrap_or("?").to_string(),
        value: cell(f).chars().take(40).collect(),
        why,
        why_en,
    };
    let text = |f: Field| -> Option<String> {
        let t = cell(f).trim();
        (!t.is_empty()).then(|| t.chars().filter(|c| !c.is_control()).take(MAX_TEXT).collect())
    };
    let (business_date, value_time) = if layout.index(Field::DateTime).is_some() {
        let at = parse_datetime(cell(Field::DateTime), &profile.formats.datetime)
            .ok_or_else(|| fail(Field::DateTime, "不是有效的日期时间", "not a valid date and time"))?;
        (at.date(), Some(at))
    } else {
        let date = parse_date(cell(Field::Date), &profile.formats.date)
            .ok_or_else(|| fail(Field::Date, "不是有效的日期", "not a valid date"))?;
        let time = match layout.index(Field::Time) {
            Some(_) if !cell(Field::Time).is_empty() => Some(
                parse_time(cell(Field::Time), &profile.formats.time)
                    .ok_or_else(|| fail(Field::Time, "不是有效的时间", "not a valid time"))?,
            ),
            _ => None,
        };
        (date, time.map(|t| date.and_time(t)))
    };
    let money = |f: Field| -> Result<Option<Money>, StatementError> {
        let t: String = cell(f).chars().filter(|c| !c.is_whitespace()).collect();
        if t.is_empty() || t == "-" || t == "--" {
            return Ok(None);
        }
        let m = Money::parse(&t).map_err(|_| fail(f, "不是有效的金额", "not a valid amount"))?;
        Ok((!m.is_zero()).then_some(m))
    };
    let debit = money(Field::Debit)?.map(|m| Money::from_fen(m.fen().abs()));
    let credit = money(Field::Credit)?;
    if credit.is_some_and(|c| c.is_negative()) {
        return Err(fail(
            Field::Credit,
            "收入金额不能为负（冲正请按支出记）",
            "a credit cannot be negative",
        ));
    }
    let (direction, amount) = match (debit, credit) {
        (Some(_), Some(_)) => return Err(StatementError::BothSides { row }),
        (None, None) => return Err(StatementError::NoAmount { row }),
        (Some(d), None) => (Direction::Debit, d),
        (None, Some(c)) => (Direction::Credit, c),
    };
    // A balance may be zero; an empty cell is no balance.
    let balance_text: String = cell(Field::Balance).chars().filter(|c| !c.is_whitespace()).collect();
    let balance = match balance_text.as_str() {
        "" | "-" | "--" => None,
        t => Some(Money::parse(t).map_err(|_| fail(Field::Balance, "不是有效的金额", "not a valid amount"))?),
    };
    if let Some(own) = text(Field::OwnAccount) {
        let own: String = own.chars().filter(char::is_ascii_digit).collect();
        if own != account_no {
            return Err(StatementError::OtherAccount {
                row,
                found: mask(&own),
                expected: mask(account_no),
            });
        }
    }
    let raw = serde_json::to_string(cells).unwrap_or_default();
    Ok(StatementRow {
        row,
        business_date,
        value_time,
        serial: text(Field::Serial),
        direction,
        amount,
        balance,
        counterparty_name: text(Field::CounterpartyName),
        counterparty_account: text(Field::CounterpartyAccount),
        summary: text(Field::Summary),
        remark: text(Field::Remark),
        raw,
    })
}

/// A date in one of the profile's formats, or as XLSX date cells read (ISO).
fn parse_date(t: &str, formats: &[String]) -> Option<NaiveDate> {
    let t = t.trim();
    formats
        .iter()
        .map(String::as_str)
        .chain(["%Y-%m-%d"])
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .filter(|d| d.year_ce().1 >= 2000 && d.year_ce().1 <= 2100)
}

fn parse_time(t: &str, formats: &[String]) -> Option<NaiveTime> {
    let t = t.trim();
    formats.iter().find_map(|f| NaiveTime::parse_from_str(t, f).ok())
}

fn parse_datetime(t: &str, formats: &[String]) -> Option<NaiveDateTime> {
    let t = t.trim();
    formats
        .iter()
        .map(String::as_str)
        .chain(["%Y-%m-%d %H:%M:%S"])
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .filter(|d| (2000..=2100).contains(&d.date().year_ce().1))
}

use chrono::Datelike;

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "9150010100001234567";

    fn gbk(text: &str) -> Vec<u8> {
        let (bytes, _, bad) = encoding_rs::GBK.encode(text);
        assert!(!bad, "the fixture is GBK");
        bytes.into_owned()
    }

    fn netbank(rows: &str) -> String {
        format!(
            "账户明细查询\n账号：{ACCOUNT},户名：东岭村股份经济合作社\n查询期间：20261101-20261130\n\
             交易日期,交易时间,摘要,支出金额,收入金额,账户余额,对方账号,对方户名,交易流水号,附言\n{rows}合计,,,\"1,000.00\",\"3,000.50\",,,,,\n"
        )
    }

    #[test]
    fn a_gbk_netbank_export_with_title_and_total_rows_reads_line_by_line() {
        let text = netbank(
            "20261102,09:15:02,转账收入,,\"3,000.50\",\"13,000.50\",6228480000000000001,张建国,RCB001,账单000001-000004-8\n\
             20261103,101500,转账支出,\"1,000.00\",,\"12,000.50\",6228480000000000009,某某建材店,RCB002,购水泥\n",
        );
        let p = parse(&gbk(&text), &Profiles::built_in(), ACCOUNT).unwrap();
        assert_eq!((p.profile.as_str(), p.encoding), ("rural-netbank", "GBK/GB18030"));
        assert_eq!(p.lines.len(), 2, "the 合计 row ends the table");
        let first = &p.lines[0];
        assert_eq!(first.row, 5);
        assert_eq!(first.direction, Direction::Credit);
        assert_eq!(first.amount, Money::from_fen(300_050));
        assert_eq!(first.balance, Some(Money::from_fen(1_300_050)));
        assert_eq!(first.counterparty_name.as_deref(), Some("张建国"));
        assert_eq!(first.serial.as_deref(), Some("RCB001"));
        assert_eq!(p.lines[1].direction, Direction::Debit);
        assert_eq!(p.lines[1].value_time.unwrap().to_string(), "2026-11-03 10:15:00");
        assert!(p.broken_at.is_empty());
    }

    #[test]
    fn utf8_with_and_without_bom_and_utf16_read_the_same() {
        let text = netbank("20261102,09:15:02,转账收入,,100.00,100.00,,张建国,RCB001,\n");
        let plain = parse(text.as_bytes(), &Profiles::built_in(), ACCOUNT).unwrap();
        let bom = parse(
            &[b"\xEF\xBB\xBF", text.as_bytes()].concat(),
            &Profiles::built_in(),
            ACCOUNT,
        )
        .unwrap();
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        let wide = parse(&utf16, &Profiles::built_in(), ACCOUNT).unwrap();
        assert_eq!(plain.lines, bom.lines);
        assert_eq!(plain.lines, wide.lines);
        assert_eq!(bom.encoding, "UTF-8 (BOM)");
    }

    #[test]
    fn gb18030_keeps_a_name_outside_gbk() {
        // 𠮷 (U+20BB7) has no GBK code; GB18030 writes it in four bytes.
        let text = netbank("20261102,09:15:02,转账收入,,100.00,100.00,,𠮷祥,RCB001,\n");
        let (bytes, _, bad) = encoding_rs::GB18030.encode(&text);
        assert!(!bad);
        assert!(encoding_rs::GBK.encode(&text).2, "not representable in GBK");
        let p = parse(&bytes, &Profiles::built_in(), ACCOUNT).unwrap();
        assert_eq!(p.lines[0].counterparty_name.as_deref(), Some("𠮷祥"));
    }

    #[test]
    fn bad_input_names_the_row_and_the_column() {
        let err = |rows: &str| parse(netbank(rows).as_bytes(), &Profiles::built_in(), ACCOUNT).unwrap_err();
        let e = err("20261102,09:15:02,转账收入,,12元,100.00,,张建国,RCB001,\n");
        assert!(
            matches!(&e, StatementError::Cell { row: 5, column, .. } if column == "收入金额"),
            "{e}"
        );
        assert!(e.to_string().contains("第 5 行“收入金额”列"), "{e}");
        let e = err("20261131,09:15:02,转账收入,,12.00,100.00,,张建国,RCB001,\n");
        assert!(
            matches!(&e, StatementError::Cell { column, .. } if column == "交易日期"),
            "{e}"
        );
        let e = err("20261102,09:15:02,转账,5.00,12.00,100.00,,张建国,RCB001,\n");
        assert_eq!(e, StatementError::BothSides { row: 5 });
        let e = err("20261102,09:15:02,转账,,,100.00,,张建国,RCB001,\n");
        assert_eq!(e, StatementError::NoAmount { row: 5 });
        let e = err("20261102,09:15:02,转账,,1.00,101.00,,张建国,RCB001,\n20261102,09:16:02,转账,,1.00,102.00,,张建国,RCB001,\n");
        assert!(matches!(e, StatementError::SerialTwice { row: 6, first: 5, .. }), "{e}");
        let e = parse(b"\xFF\xFF\xFF\x80", &Profiles::built_in(), ACCOUNT).unwrap_err();
        assert_eq!(e, StatementError::Encoding);
        let e = parse(
            "日期,金额\n2026-11-02,1.00\n".as_bytes(),
            &Profiles::built_in(),
            ACCOUNT,
        )
        .unwrap_err();
        assert!(matches!(e, StatementError::UnknownLayout { .. }));
        let e = parse(netbank("").as_bytes(), &Profiles::built_in(), ACCOUNT).unwrap_err();
        assert_eq!(e, StatementError::NoLines);
    }

    #[test]
    fn a_statement_of_another_account_is_refused() {
        let text = netbank("20261102,09:15:02,转账收入,,100.00,100.00,,张建国,RCB001,\n");
        let e = parse(text.as_bytes(), &Profiles::built_in(), "9150010100002345678").unwrap_err();
        assert!(matches!(e, StatementError::OtherAccount { row: 2, .. }), "{e}");
        let bigfour = "本方账号,交易时间,借方发生额,贷方发生额,余额,对方单位名称,对方账号,摘要,用途\n\
                       9150010100002345678,2026-11-02 09:00:00,,100.00,100.00,张建国,,转账,\n";
        let e = parse(bigfour.as_bytes(), &Profiles::built_in(), ACCOUNT).unwrap_err();
        assert!(matches!(e, StatementError::OtherAccount { row: 2, .. }), "{e}");
    }

    #[test]
    fn newest_first_files_are_put_in_booking_order_and_breaks_are_flagged() {
        let bigfour = format!(
            "本方账号,交易时间,借方发生额,贷方发生额,余额,对方单位名称,对方账号,摘要,用途\n\
             {ACCOUNT},2026-11-03 09:00:00,30.00,,170.00,某店,,转账,\n\
             {ACCOUNT},2026-11-02 09:00:00,,100.00,200.00,张建国,,转账,\n"
        );
        let p = parse(bigfour.as_bytes(), &Profiles::built_in(), ACCOUNT).unwrap();
        assert_eq!(p.profile, "bigfour-corporate");
        assert_eq!(p.lines[0].row, 3, "oldest first");
        assert!(p.broken_at.is_empty());
        let broken = netbank(
            "20261102,09:15:02,转账收入,,100.00,100.00,,张建国,RCB001,\n\
             20261102,09:16:02,转账收入,,100.00,250.00,,李四,RCB002,\n",
        );
        let p = parse(broken.as_bytes(), &Profiles::built_in(), ACCOUNT).unwrap();
        assert_eq!(p.broken_at, vec![6]);
    }

    #[test]
    fn identical_lines_without_a_serial_stay_two_lines_and_reimport_to_the_same_keys() {
        let rows = vec![
            StatementRow {
                row: 2,
                business_date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
                value_time: None,
                serial: None,
                direction: Direction::Credit,
                amount: Money::from_fen(100),
                balance: None,
                counterparty_name: Some("张建国".into()),
                counterparty_account: None,
                summary: None,
                remark: None,
                raw: String::new(),
            };
            2
        ];
        let k = keys(&rows);
        assert_ne!(k[0], k[1]);
        assert_eq!(k, keys(&rows));
    }
}
