//! Importing a bank statement: a file an accountant downloaded from online banking (or an
//! answer of the bank's statement API), read into lines and kept once per corporate account.
//!
//! One file is one transaction: a file with one bad row imports nothing, and a file imported
//! twice (or a line that came from the API and from a file) adds nothing the second time and
//! says so. The import takes the village's lock (`store::lock`) so two imports of one account
//! cannot both decide a line is new.

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::bindings;
use super::{audit, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::CorporateAccountId;
use crate::domain::vocabulary::{Direction, StatementSource};
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::payments::sealing::SealingKeys;
use crate::reconcile::profile::Profiles;
use crate::reconcile::statement::{self, ParsedStatement, StatementError, StatementRow};
use crate::store::payments::Binding;
use crate::store::registry::{CorporateAccount, Village};
use crate::store::statements::{
    NewStatementImport, NewStatementLine, StatementImport, StatementLine, StatementLineBrief,
};
use crate::store::{Db, DbConnection};
use bank_adapters::{rural_bank, Provider};

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub import_id: i64,
    /// The layout the file was read with (`rural-netbank`).
    pub profile: String,
    pub profile_label: String,
    pub encoding: String,
    pub lines_total: usize,
    /// Lines not seen before, now kept.
    pub lines_new: usize,
    /// Lines already kept from an earlier import or the bank's API: unchanged.
    pub lines_known: usize,
    pub first_date: NaiveDate,
    pub last_date: NaiveDate,
    /// Rows whose balance does not follow from the line before (a broken statement).
    pub broken_rows: Vec<usize>,
    /// What to tell the accountant, in Chinese.
    pub message: String,
}

/// The corporate account `account` of the village, refused as not found when it is another
/// village's (nobody learns what exists elsewhere).
pub(crate) fn account_of(
    conn: &mut DbConnection,
    village: &Village,
    account: CorporateAccountId,
) -> AppResult<CorporateAccount> {
    match CorporateAccount::by_id(conn, account) {
        Ok(a) if a.village_id == village.id => Ok(a),
        Ok(_) | Err(crate::store::StoreError::NotFound) => {
            Err(AppError::code(ErrorCode::AccountNotFound).at("account"))
        }
        Err(e) => Err(e.into()),
    }
}

fn refusal(e: StatementError) -> AppError {
    let code = match e {
        StatementError::OtherAccount { .. } => ErrorCode::StatementOtherAccount,
        _ => ErrorCode::StatementInvalid,
    };
    AppError::new(code, format!("{e}。没有导入任何一行。")).at("file")
}

/// Reads a statement file and keeps its new lines, for the accountant.
pub fn import_file(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    file_name: &str,
    bytes: &[u8],
    profiles: &Profiles,
) -> AppResult<ImportReport> {
    // The account number is needed to read the file (a file of another account is refused).
    let account_no = db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Reconcile)?;
        Ok::<_, AppError>(account_of(conn, &village, account)?.account_no)
    })?;
    let parsed = statement::parse(bytes, profiles, &account_no).map_err(refusal)?;
    let file_name: String = file_name.chars().filter(|c| !c.is_control()).take(200).collect();
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::Reconcile)?;
        let account = account_of(conn, &village, account)?;
        let report = crate::store::with_large_cache(conn, |conn| {
            keep(
                conn,
                &village,
                &account,
                StatementSource::File,
                &file_name,
                bytes,
                &parsed,
                profiles,
                Some(actor),
                None,
            )
        })?;
        audit(
            conn,
            Some(actor),
            "statement.import",
            "statement_import",
            report.import_id,
            Some(village.id),
            serde_json::json!({"account_id": account.id, "file": file_name, "profile": report.profile,
                               "lines": report.lines_total, "new": report.lines_new}),
        )?;
        Ok(report)
    })
}

/// The code of the village a corporate account belongs to (for the command line, which names
/// only the account); the use case then checks the actor's scope as for any request.
pub fn village_code_of(db: &Db, account: CorporateAccountId) -> AppResult<String> {
    db.read(|conn| match CorporateAccount::by_id(conn, account) {
        Ok(a) => Ok(Village::by_id(conn, a.village_id)?.code),
        Err(crate::store::StoreError::NotFound) => Err(AppError::new(
            ErrorCode::AccountNotFound,
            format!("没有编号为 {account} 的对公账户 / no corporate account {account}"),
        )),
        Err(e) => Err(e.into()),
    })
}

/// Keeps the new lines of a parsed statement and records the import, in the caller's
/// transaction (which holds the village's lock).
#[allow(clippy::too_many_arguments)]
pub(crate) fn keep(
    conn: &mut DbConnection,
    village: &Village,
    account: &CorporateAccount,
    source: StatementSource,
    file_name: &str,
    bytes: &[u8],
    parsed: &ParsedStatement,
    profiles: &Profiles,
    actor: Option<&Actor>,
    covers: Option<NaiveDate>,
) -> AppResult<ImportReport> {
    let keys = statement::keys(&parsed.lines);
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let known = match (
        parsed.lines.iter().map(|l| l.business_date).min(),
        parsed.lines.iter().map(|l| l.business_date).max(),
    ) {
        (Some(from), Some(to)) => StatementLine::known_keys(conn, account.id, from, to)?,
        _ => Default::default(),
    };
    let fresh: Vec<(&StatementRow, &str)> = parsed
        .lines
        .iter()
        .zip(&key_refs)
        .filter(|(_, k)| !known.contains(**k))
        .map(|(l, k)| (l, *k))
        .collect();
    // An answer of the bank's API covers its day even without lines.
    let first_date = parsed
        .lines
        .iter()
        .map(|l| l.business_date)
        .min()
        .or(covers)
        .unwrap_or_default();
    let last_date = parsed
        .lines
        .iter()
        .map(|l| l.business_date)
        .max()
        .or(covers)
        .unwrap_or_default();
    let now = crate::domain::period::now().naive_utc();
    let broken = serde_json::to_string(&parsed.broken_at).unwrap_or_else(|_| "[]".into());
    let sha = hex::encode(Sha256::digest(bytes));
    let import = StatementImport::insert(
        conn,
        &NewStatementImport {
            village_id: village.id,
            corporate_account_id: account.id,
            source,
            profile: &parsed.profile,
            file_name,
            file_sha256: &sha,
            file_size: bytes.len() as i64,
            encoding: parsed.encoding,
            lines_total: parsed.lines.len() as i64,
            lines_new: fresh.len() as i64,
            first_date,
            last_date,
            broken_rows: &broken,
            imported_by: actor.map(|a| a.user_id),
            imported_at: now,
        },
    )?;
    let rows: Vec<NewStatementLine> = fresh
        .iter()
        .enumerate()
        .map(|(position, (l, key))| NewStatementLine {
            village_id: village.id,
            corporate_account_id: account.id,
            line_key: key,
            business_date: l.business_date,
            booked_at: l
                .value_time
                .unwrap_or_else(|| l.business_date.and_time(chrono::NaiveTime::MIN)),
            position: position as i64,
            value_time: l.value_time,
            serial: l.serial.as_deref(),
            direction: l.direction,
            amount: l.amount,
            balance: l.balance,
            counterparty_name: l.counterparty_name.as_deref(),
            counterparty_account: l.counterparty_account.as_deref(),
            summary: l.summary.as_deref(),
            remark: l.remark.as_deref(),
            source,
            import_id: import.id,
            row_no: l.row as i64,
            raw: &l.raw,
            created_at: now,
        })
        .collect();
    StatementLine::insert_all(conn, &rows)?;
    crate::store::statements::refresh_statistics(conn, crate::store::statements::Grown::Lines, rows.len())?;
    let label = match profiles.named(&parsed.profile) {
        Some(p) => p.label.clone(),
        None if parsed.profile == statement::API_PROFILE => "银行对账接口".to_string(),
        None => parsed.profile.clone(),
    };
    let lines_known = parsed.lines.len() - fresh.len();
    let mut message = if parsed.lines.is_empty() {
        format!("银行对账单显示 {first_date} 这个账户没有交易。")
    } else if fresh.is_empty() {
        format!("这份对账单的 {} 笔交易都已导入过，没有任何变化。", parsed.lines.len())
    } else {
        format!(
            "已导入 {} 笔交易（{first_date} 至 {last_date}）；另有 {lines_known} 笔以前已导入，未重复记录。",
            fresh.len()
        )
    };
    if !parsed.broken_at.is_empty() {
        message.push_str(&format!(
            "注意：第 {} 行的余额与上一笔余额加减发生额不符，对账单可能不完整或被改动。",
            parsed
                .broken_at
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    Ok(ImportReport {
        import_id: import.id,
        profile: parsed.profile.clone(),
        profile_label: label,
        encoding: parsed.encoding.to_string(),
        lines_total: parsed.lines.len(),
        lines_new: fresh.len(),
        lines_known,
        first_date,
        last_date,
        broken_rows: parsed.broken_at.clone(),
        message,
    })
}

/// A statement line as the accountant reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLineView {
    pub id: i64,
    pub business_date: NaiveDate,
    /// Beijing time, to the minute (`2026-11-30 10:15`).
    pub value_time: Option<String>,
    pub serial: Option<String>,
    pub direction: Direction,
    #[schema(value_type = String)]
    pub amount: Money,
    #[schema(value_type = Option<String>)]
    pub balance: Option<Money>,
    pub counterparty_name: Option<String>,
    pub counterparty_account: Option<String>,
    pub summary: Option<String>,
    pub remark: Option<String>,
    pub source: StatementSource,
    pub import_id: i64,
    pub row_no: i64,
}

impl From<StatementLineBrief> for StatementLineView {
    fn from(l: StatementLineBrief) -> Self {
        StatementLineView {
            id: l.id,
            business_date: l.business_date,
            value_time: l.value_time.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
            serial: l.serial,
            direction: l.direction,
            amount: l.amount,
            balance: l.balance,
            counterparty_name: l.counterparty_name,
            counterparty_account: l.counterparty_account,
            summary: l.summary,
            remark: l.remark,
            source: l.source,
            import_id: l.import_id,
            row_no: l.row_no,
        }
    }
}

/// An account's statement lines of some days, in the bank's booking order.
pub fn lines(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    account: CorporateAccountId,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<StatementLineView>> {
    if to < from || (to - from).num_days() > 366 {
        return Err(AppError::new(
            ErrorCode::DateInvalid,
            "日期范围有误：结束日期不能早于开始日期，且最长一年。",
        )
        .at("to"));
    }
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let account = account_of(conn, &village, account)?;
        Ok(StatementLineBrief::of_days(conn, account.id, from, to)?
            .into_iter()
            .map(StatementLineView::from)
            .collect())
    })
}

/// Fetches one business day's statement of an account from the bank's statement API (signed
/// request, signed answer) and keeps its new lines, as the accountant (`actor`) or as the
/// nightly job (None). An answer that does not verify, a timeout, a 5xx or a garbled body is an
/// error (`bank_statement_failed`), never "no transactions": nothing is kept, and the nightly
/// job tries again later.
#[allow(clippy::too_many_arguments)]
pub async fn fetch(
    db: &Db,
    sealing: &SealingKeys,
    http: &reqwest::Client,
    profiles: &Profiles,
    actor: Option<Actor>,
    village_code: String,
    account: CorporateAccountId,
    date: NaiveDate,
) -> AppResult<ImportReport> {
    let today = crate::domain::period::business_date(crate::domain::period::now());
    // Today's statement is the day so far (fetching it again later adds what came since).
    if date > today {
        return Err(AppError::new(ErrorCode::DateInvalid, "不能获取未来日期的对账单。").at("date"));
    }
    let who = actor.clone();
    let code = village_code.clone();
    let (account_no, binding) = db
        .run(move |db| {
            db.read(|conn| {
                let village = match &who {
                    Some(a) => village_for(conn, a, &code, Action::Reconcile)?,
                    None => Village::by_code(conn, &code)?.ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?,
                };
                let account = account_of(conn, &village, account)?;
                let binding = Binding::of_village(conn, village.id)?
                    .into_iter()
                    .find(|b| b.active && b.provider == Provider::RuralBank && b.corporate_account_id == account.id);
                Ok::<_, AppError>((account.account_no, binding))
            })
        })
        .await?;
    let api = match binding {
        Some(b) => bindings::statement_api(&b, sealing)?,
        None => None,
    };
    let Some((base, key)) = api else {
        return Err(AppError::code(ErrorCode::StatementApiMissing));
    };
    let failed = |why: String| {
        metrics::counter!("qz_statement_fetch_failures_total").increment(1);
        tracing::warn!(account = %account, %date, why = %why, "statement fetch failed");
        AppError::new(
            ErrorCode::BankStatementFailed,
            format!("银行对账接口没有给出可验证的应答（{why}），没有导入任何交易；稍后会再试。"),
        )
    };
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        rural_bank::fetch_statement(http, &base, &key, &account_no, date),
    )
    .await
    .map_err(|_| failed("timeout".into()))?
    .map_err(|e| failed(e.to_string().chars().take(200).collect()))?;
    let parsed = statement::from_api(&answer, &account_no, date).map_err(|e| failed(e.to_string()))?;
    let bytes = serde_json::to_vec(&answer).unwrap_or_default();
    let profiles = profiles.clone();
    db.run(move |db| {
        db.write(|conn| {
            let village = match &actor {
                Some(a) => village_to_change(conn, a, &village_code, Action::Reconcile)?,
                None => {
                    let v = Village::by_code(conn, &village_code)?
                        .ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?;
                    crate::store::lock::lock_village(conn, v.id)?;
                    v
                }
            };
            let account = account_of(conn, &village, account)?;
            let name = format!("bank-api {date}");
            let report = keep(
                conn,
                &village,
                &account,
                StatementSource::Api,
                &name,
                &bytes,
                &parsed,
                &profiles,
                actor.as_ref(),
                Some(date),
            )?;
            audit(
                conn,
                actor.as_ref(),
                "statement.fetch",
                "statement_import",
                report.import_id,
                Some(village.id),
                serde_json::json!({"account_id": account.id, "date": date, "lines": report.lines_total, "new": report.lines_new}),
            )?;
            Ok(report)
        })
    })
    .await
}

/// Corporate accounts whose bank binding has a statement API, with their village's code and
/// whether the bank's answer for `date` is already kept: what the nightly job fetches.
pub fn accounts_to_fetch(
    db: &Db,
    sealing: &SealingKeys,
    date: NaiveDate,
) -> AppResult<Vec<(String, CorporateAccountId)>> {
    db.read(|conn| {
        let mut out = Vec::new();
        for b in Binding::active_of_provider(conn, Provider::RuralBank)? {
            if bindings::statement_api(&b, sealing)?.is_none() {
                continue;
            }
            let fetched = StatementImport::of_account(conn, b.corporate_account_id, 50)?
                .iter()
                .any(|i| i.source == StatementSource::Api && i.first_date <= date && i.last_date >= date);
            if !fetched {
                out.push((Village::by_id(conn, b.village_id)?.code, b.corporate_account_id));
            }
        }
        Ok(out)
    })
}
