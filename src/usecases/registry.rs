//! The county tree and corporate accounts: townships, villages (with their books opened), the
//! village's corporate bank accounts (each with its 102 sub-account).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{audit, input, on_unique, village_for, village_to_change};
use crate::domain::access::{Action, Actor, Place, Scope};
use crate::domain::admin_code::{AdminCode, Level};
use crate::domain::ids::CorporateAccountId;
use crate::domain::ids::VillageId;
use crate::domain::{masking, period, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chain;
use crate::ledger::chart::{self, Breakdown};
use crate::store::access::User;
use crate::store::journal::{self, LedgerAccount, NewLedgerAccount};
use crate::store::registry::{
    limits_of, CashLimitChange, CorporateAccount, County, NewCashLimitChange, NewCorporateAccount, NewCounty,
    NewTownship, NewVillage, Township, Village, VillageFilter,
};
use crate::store::{Db, DbConnection, Page};

#[derive(Debug, Serialize, ToSchema)]
pub struct CountyView {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewTownshipInput {
    /// 12-digit code ending in exactly three zeros, inside the county's code.
    pub code: String,
    pub name: String,
    /// The county's 12-digit code.
    pub county_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TownshipView {
    pub code: String,
    pub name: String,
    pub county_code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewVillageInput {
    /// 12-digit village code, beginning with its township's first nine digits.
    pub code: String,
    pub name: String,
    pub township_code: String,
    /// Cash on hand above this is flagged (default 5000.00).
    #[schema(value_type = Option<String>, example = "5000.00")]
    pub cash_limit: Option<Money>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VillageView {
    pub code: String,
    pub name: String,
    pub township_code: String,
    /// The cash limit in force today.
    #[schema(value_type = String)]
    pub cash_limit: Money,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CashLimitInput {
    /// The new limit (0: no limit).
    #[schema(value_type = String, example = "8000.00")]
    pub limit: Money,
    /// The first day it applies, today or later (Beijing date); past days keep their limit.
    #[schema(value_type = String, format = Date)]
    pub effective_from: chrono::NaiveDate,
    /// Why, e.g. the township's document that set it.
    pub note: String,
}

/// A village's cash limit as registered and every change since, in the order made.
#[derive(Debug, Serialize, ToSchema)]
pub struct CashLimitHistory {
    #[schema(value_type = String)]
    pub first: Money,
    /// In force today.
    #[schema(value_type = String)]
    pub today: Money,
    pub changes: Vec<CashLimitChangeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CashLimitChangeView {
    #[schema(value_type = String, format = Date)]
    pub effective_from: chrono::NaiveDate,
    #[schema(value_type = String)]
    pub limit: Money,
    pub note: String,
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCorporateAccountInput {
    pub bank_name: String,
    /// The name on the account, usually the village's economic cooperative.
    pub account_name: String,
    /// The full account number, digits only (spaces are ignored); shown masked afterwards.
    pub account_no: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CorporateAccountView {
    pub id: CorporateAccountId,
    pub bank_name: String,
    pub account_name: String,
    /// Masked: first four and last four digits.
    pub account_no: String,
    /// The 102 sub-account that books this account's money.
    pub ledger_account_code: String,
    pub active: bool,
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// `changes`: the village's limit changes (others' are skipped), in the order made.
pub(crate) fn village_view(v: &Village, township_code: &str, changes: &[CashLimitChange]) -> VillageView {
    VillageView {
        code: v.code.clone(),
        name: v.name.clone(),
        township_code: township_code.to_string(),
        cash_limit: limits_of(v, changes).on(period::business_date(period::now())),
        created_at: utc(v.created_at),
    }
}

fn code_at(field: &str, text: &str, level: Level) -> AppResult<AdminCode> {
    AdminCode::parse_at(text, level).map_err(|e| AppError::new(ErrorCode::AdminCodeInvalid, e.to_string()).at(field))
}

/// Creates a county (CLI bootstrap only: the API's admins live inside a county).
pub fn ensure_county(conn: &mut DbConnection, code: &str, name: &str) -> AppResult<County> {
    let code = code_at("county_code", code, Level::County)?;
    if let Some(c) = County::by_code(conn, code.as_str())? {
        return Ok(c);
    }
    let name = input::text("county_name", name, 50)?;
    let county = County::insert(
        conn,
        &NewCounty {
            code: code.as_str(),
            name: &name,
            created_at: period::now().naive_utc(),
        },
    )?;
    audit(
        conn,
        None,
        "county.create",
        "county",
        &county.code,
        None,
        serde_json::json!({ "name": county.name }),
    )?;
    Ok(county)
}

pub fn list_counties(db: &Db, actor: &Actor) -> AppResult<Vec<CountyView>> {
    db.read(|conn| {
        let county_id = county_of_scope(conn, actor.scope)?;
        let rows = County::list(conn, Some(&[county_id]))?;
        Ok(rows
            .into_iter()
            .map(|c| CountyView {
                code: c.code,
                name: c.name,
            })
            .collect())
    })
}

/// The county a scope lies in.
pub(crate) fn county_of_scope(conn: &mut DbConnection, scope: Scope) -> AppResult<i64> {
    Ok(match scope {
        Scope::County(c) => c,
        Scope::Township(t) => Township::by_id(conn, t)?.county_id,
        Scope::Village(v) => {
            let township = Village::by_id(conn, v)?.township_id;
            Township::by_id(conn, township)?.county_id
        }
    })
}

pub fn create_township(db: &Db, actor: &Actor, input: NewTownshipInput) -> AppResult<TownshipView> {
    let code = code_at("code", &input.code, Level::Township)?;
    let county_code = code_at("county_code", &input.county_code, Level::County)?;
    code.ensure_within(&county_code)
        .map_err(|e| AppError::new(ErrorCode::AdminCodeNotWithin, e.to_string()).at("code"))?;
    let name = input::text("name", &input.name, 50)?;
    db.write(|conn| {
        let county = County::by_code(conn, county_code.as_str())?
            .ok_or_else(|| AppError::new(ErrorCode::CountyNotFound, format!("找不到代码为 {county_code} 的县。")))?;
        actor.may(
            Action::ManageRegistry,
            Place {
                county_id: county.id,
                township_id: None,
                village_id: None,
            },
        )?;
        let t = Township::insert(
            conn,
            &NewTownship {
                county_id: county.id,
                code: code.as_str(),
                name: &name,
                created_at: period::now().naive_utc(),
            },
        )
        .map_err(AppError::from)
        .map_err(on_unique(
            ErrorCode::TownshipCodeTaken,
            format!("乡镇代码 {code} 已经登记过。"),
            "code",
        ))?;
        audit(
            conn,
            Some(actor),
            "township.create",
            "township",
            &t.code,
            None,
            serde_json::json!({ "name": t.name }),
        )?;
        Ok(TownshipView {
            code: t.code,
            name: t.name,
            county_code: county.code,
        })
    })
}

pub fn list_townships(db: &Db, actor: &Actor) -> AppResult<Vec<TownshipView>> {
    db.read(|conn| {
        let county_id = county_of_scope(conn, actor.scope)?;
        let county = County::by_id(conn, county_id)?;
        let rows = match actor.scope {
            Scope::County(c) => Township::list(conn, Some(&[c]), None)?,
            Scope::Township(t) => Township::list(conn, None, Some(&[t]))?,
            Scope::Village(v) => {
                let t = Village::by_id(conn, v)?.township_id;
                Township::list(conn, None, Some(&[t]))?
            }
        };
        Ok(rows
            .into_iter()
            .map(|t| TownshipView {
                code: t.code,
                name: t.name,
                county_code: county.code.clone(),
            })
            .collect())
    })
}

pub fn create_village(db: &Db, actor: &Actor, input: NewVillageInput) -> AppResult<VillageView> {
    let code = code_at("code", &input.code, Level::Village)?;
    let town_code = code_at("township_code", &input.township_code, Level::Township)?;
    code.ensure_within(&town_code)
        .map_err(|e| AppError::new(ErrorCode::AdminCodeNotWithin, e.to_string()).at("code"))?;
    let name = input::text("name", &input.name, 50)?;
    let cash_limit = input.cash_limit.unwrap_or(Money::from_fen(500_000));
    if cash_limit.is_negative() {
        return Err(AppError::new(ErrorCode::AmountInvalid, "库存现金限额不能为负数。").at("cash_limit"));
    }
    db.write(|conn| {
        let town = Township::by_code(conn, town_code.as_str())?.ok_or_else(|| {
            AppError::new(
                ErrorCode::TownshipNotFound,
                format!("找不到代码为 {town_code} 的乡镇，或它不在您的管辖范围内。"),
            )
        })?;
        actor.may(
            Action::ManageRegistry,
            Place {
                county_id: town.county_id,
                township_id: Some(town.id),
                village_id: None,
            },
        )?;
        let village = Village::insert(
            conn,
            &NewVillage {
                township_id: town.id,
                code: code.as_str(),
                name: &name,
                cash_limit,
                created_at: period::now().naive_utc(),
            },
        )
        .map_err(AppError::from)
        .map_err(on_unique(
            ErrorCode::VillageCodeTaken,
            format!("村代码 {code} 已经登记过。"),
            "code",
        ))?;
        open_books(conn, &village)?;
        audit(
            conn,
            Some(actor),
            "village.create",
            "village",
            &village.code,
            Some(village.id),
            serde_json::json!({ "name": village.name }),
        )?;
        Ok(village_view(&village, &town.code, &[]))
    })
}

/// Opens a new village's books: the accounts of the chart in force, the fixed sub-accounts
/// (including the suspense account), and the start of its hash chain.
fn open_books(conn: &mut DbConnection, village: &Village) -> AppResult<()> {
    let today = period::business_date(period::now());
    let version =
        chart::version_for(today).ok_or_else(|| AppError::Internal(format!("no chart in force on {today}")))?;
    let now = period::now().naive_utc();
    for a in version.accounts {
        let subs: &[(&str, &str)] = match a.breakdown {
            Breakdown::Fixed(subs) => subs,
            _ => &[],
        };
        LedgerAccount::insert(
            conn,
            &NewLedgerAccount {
                village_id: village.id,
                chart_version: version.id,
                code: a.code,
                name: a.name,
                category: a.category.as_str(),
                normal_side: a.normal_side.as_str(),
                parent_code: None,
                postable: a.breakdown == Breakdown::None,
                active: true,
                created_at: now,
            },
        )?;
        for (code, name) in subs {
            LedgerAccount::insert(
                conn,
                &NewLedgerAccount {
                    village_id: village.id,
                    chart_version: version.id,
                    code,
                    name,
                    category: a.category.as_str(),
                    normal_side: a.normal_side.as_str(),
                    parent_code: Some(a.code),
                    postable: true,
                    active: true,
                    created_at: now,
                },
            )?;
        }
    }
    journal::create_head(conn, village.id, &chain::genesis(&village.code))?;
    Ok(())
}

/// Opens the next sub-account of `parent_code` (102, 112 or 113) in a village's current chart.
pub(crate) fn open_sub_account(
    conn: &mut DbConnection,
    village: &Village,
    parent_code: &str,
    name: &str,
) -> AppResult<LedgerAccount> {
    let today = period::business_date(period::now());
    let version =
        chart::version_for(today).ok_or_else(|| AppError::Internal(format!("no chart in force on {today}")))?;
    let parent = version
        .account(parent_code)
        .ok_or_else(|| AppError::Internal(format!("chart {} has no {parent_code}", version.id)))?;
    let n = Village::next_number(conn, village.id, &format!("sub:{parent_code}"))?;
    let code = chart::sub_account_code(parent_code, n);
    Ok(LedgerAccount::insert(
        conn,
        &NewLedgerAccount {
            village_id: village.id,
            chart_version: version.id,
            code: &code,
            name,
            category: parent.category.as_str(),
            normal_side: parent.normal_side.as_str(),
            parent_code: Some(parent_code),
            postable: true,
            active: true,
            created_at: period::now().naive_utc(),
        },
    )?)
}

pub fn list_villages(db: &Db, actor: &Actor, township_code: Option<&str>, page: Page) -> AppResult<Vec<VillageView>> {
    db.read(|conn| {
        let township = match township_code {
            Some(c) => match Township::by_code(conn, c.trim())? {
                Some(t) => Some(t.id),
                None => return Ok(vec![]),
            },
            None => None,
        };
        let filter = match actor.scope {
            Scope::County(c) => VillageFilter::County(c),
            Scope::Township(t) => VillageFilter::Township(t),
            Scope::Village(v) => VillageFilter::Village(v),
        };
        let rows = Village::list(conn, filter, township, page)?;
        let ids: Vec<VillageId> = rows.iter().map(|(v, _)| v.id).collect();
        let changes = CashLimitChange::of_villages(conn, &ids)?;
        Ok(rows
            .iter()
            .map(|(v, township_code)| village_view(v, township_code, &changes))
            .collect())
    })
}

pub fn get_village(db: &Db, actor: &Actor, code: &str) -> AppResult<VillageView> {
    db.read(|conn| {
        let v = village_for(conn, actor, code, Action::Read)?;
        let t = Township::by_id(conn, v.township_id)?;
        let changes = CashLimitChange::of_villages(conn, &[v.id])?;
        Ok(village_view(&v, &t.code, &changes))
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RenameVillageInput {
    /// The village's new name.
    #[schema(example = "北岩新村")]
    pub name: String,
    /// Why: the document that renamed or merged the village.
    #[schema(example = "县政府文件第 3 号")]
    pub note: String,
}

/// Renames a village (the admin). The code, the books, the receipts and the chain are keyed by
/// the code and stay as they are; receipts already printed keep the old name on paper, which is
/// why the audit log keeps both names and the document.
pub fn rename_village(db: &Db, actor: &Actor, code: &str, input: RenameVillageInput) -> AppResult<VillageView> {
    let name = input::text("name", &input.name, 50)?;
    let note = input::text("note", &input.note, 100)?;
    db.write(|conn| {
        // Read again once the lock is held: the row read before it may be a rename that
        // committed while this one waited (PostgreSQL reads committed rows per statement).
        let id = village_to_change(conn, actor, code, Action::ManageRegistry)?.id;
        let v = Village::by_id(conn, id)?;
        if v.name == name {
            return Err(AppError::new(ErrorCode::FieldInvalid, format!("村名已经是“{name}”，无需更改。")).at("name"));
        }
        Village::rename(conn, v.id, &name)?;
        audit(
            conn,
            Some(actor),
            "village.rename",
            "village",
            v.id.get(),
            Some(v.id),
            serde_json::json!({"from": v.name, "to": name, "note": note}),
        )?;
        let t = Township::by_id(conn, v.township_id)?;
        let changes = CashLimitChange::of_villages(conn, &[v.id])?;
        Ok(village_view(
            &Village {
                name: name.clone(),
                ..v
            },
            &t.code,
            &changes,
        ))
    })
}

/// The village's cash limit as registered and every change since.
pub fn cash_limit_history(db: &Db, actor: &Actor, code: &str) -> AppResult<CashLimitHistory> {
    db.read(|conn| {
        let v = village_for(conn, actor, code, Action::Read)?;
        history_of(conn, &v)
    })
}

fn history_of(conn: &mut DbConnection, v: &Village) -> AppResult<CashLimitHistory> {
    let changes = CashLimitChange::of_villages(conn, &[v.id])?;
    let today = limits_of(v, &changes).on(period::business_date(period::now()));
    let names = User::names(conn, &changes.iter().map(|c| c.set_by).collect::<Vec<_>>())?;
    let views = changes
        .into_iter()
        .map(|c| CashLimitChangeView {
            effective_from: c.effective_from,
            set_by: names.get(&c.set_by).cloned().unwrap_or_default(),
            limit: c.limit,
            note: c.note,
            set_at: utc(c.set_at),
        })
        .collect();
    Ok(CashLimitHistory {
        first: v.first_cash_limit,
        today,
        changes: views,
    })
}

/// Changes the village's cash limit from a day on (the admin): today or later, never a past day,
/// so the days already checked keep the limit they were checked against.
pub fn set_cash_limit(db: &Db, actor: &Actor, code: &str, input: CashLimitInput) -> AppResult<CashLimitHistory> {
    let limit = Money::within_bound(input.limit)
        .map_err(|e| AppError::new(ErrorCode::AmountInvalid, e.to_string()).at("limit"))?;
    if limit.is_negative() {
        return Err(AppError::new(ErrorCode::AmountInvalid, "库存现金限额不能为负数。").at("limit"));
    }
    let note = input::text("note", &input.note, 100)?;
    db.write(|conn| {
        // Under the village's lock, so that of two changes made at once the one committed
        // later is also the later row (the one in force) and the later line of the audit log.
        let v = village_to_change(conn, actor, code, Action::ManageRegistry)?;
        // Today is read inside the transaction, just before the write: a request at 23:59:59
        // must not commit after midnight a change to a day that has ended.
        let today = period::business_date(period::now());
        if input.effective_from < today {
            return Err(AppError::new(
                ErrorCode::FieldInvalid,
                format!("新限额最早从今天（{today}）起生效；过去的日子按当时的限额检查，不能追溯调整。"),
            )
            .at("effective_from"));
        }
        if input.effective_from > today + chrono::Duration::days(366) {
            return Err(
                AppError::new(ErrorCode::FieldInvalid, "新限额的生效日期不能晚于一年以后。").at("effective_from"),
            );
        }
        CashLimitChange::insert(
            conn,
            &NewCashLimitChange {
                village_id: v.id,
                effective_from: input.effective_from,
                limit,
                note: &note,
                set_by: actor.user_id,
                set_at: period::now().naive_utc(),
            },
        )?;
        audit(
            conn,
            Some(actor),
            "village.cash_limit",
            "village",
            v.id.get(),
            Some(v.id),
            serde_json::json!({"limit": limit.to_string(), "effective_from": input.effective_from, "note": note}),
        )?;
        history_of(conn, &v)
    })
}

fn account_no(field: &str, text: &str) -> AppResult<String> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !(8..=32).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::new(
            ErrorCode::AccountNoInvalid,
            format!("{field}：银行账号为 8 到 32 位数字。"),
        )
        .at(field));
    }
    Ok(digits)
}

fn account_view(a: &CorporateAccount, ledger_code: String) -> CorporateAccountView {
    CorporateAccountView {
        id: a.id,
        bank_name: a.bank_name.clone(),
        account_name: a.account_name.clone(),
        account_no: masking::account_no(&a.account_no),
        ledger_account_code: ledger_code,
        active: a.active,
    }
}

pub fn add_corporate_account(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    input: NewCorporateAccountInput,
) -> AppResult<CorporateAccountView> {
    let bank_name = input::text("bank_name", &input.bank_name, 60)?;
    let account_name = input::text("account_name", &input.account_name, 60)?;
    let no = account_no("account_no", &input.account_no)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageRegistry)?;
        if CorporateAccount::by_account_no(conn, &no)?.is_some() {
            return Err(AppError::code(ErrorCode::AccountNoTaken).at("account_no"));
        }
        let ledger = open_sub_account(
            conn,
            &village,
            chart::BANK_CODE,
            &format!("{bank_name} {}", masking::account_no(&no)),
        )?;
        let account = CorporateAccount::insert(
            conn,
            &NewCorporateAccount {
                village_id: village.id,
                bank_name: &bank_name,
                account_name: &account_name,
                account_no: &no,
                ledger_account_id: ledger.id,
                active: true,
                created_at: period::now().naive_utc(),
            },
        )
        .map_err(AppError::from)
        .map_err(on_unique(
            ErrorCode::AccountNoTaken,
            "这个账号已经登记过。".into(),
            "account_no",
        ))?;
        audit(
            conn,
            Some(actor),
            "corporate_account.create",
            "corporate_account",
            account.id,
            Some(village.id),
            serde_json::json!({ "account_no": masking::account_no(&no), "ledger_account": ledger.code }),
        )?;
        Ok(account_view(&account, ledger.code))
    })
}

pub fn list_corporate_accounts(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<CorporateAccountView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let accounts = CorporateAccount::of_village(conn, village.id)?;
        let ledger = LedgerAccount::of_village(conn, village.id)?;
        Ok(accounts
            .iter()
            .map(|a| {
                let code = ledger
                    .iter()
                    .find(|l| l.id == a.ledger_account_id)
                    .map(|l| l.code.clone())
                    .unwrap_or_default();
                account_view(a, code)
            })
            .collect())
    })
}
