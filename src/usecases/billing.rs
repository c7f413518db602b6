//! Payers, fee items, contracts and bills: what the village is owed and by whom.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use utoipa::ToSchema;

use super::registry::open_sub_account;
use super::{audit, input, on_unique, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{BillId, FeeItemId, PayerId};
use crate::domain::schedule::{self, Schedule};
use crate::domain::{masking, period, BillReference, Money};
pub use crate::domain::{BillStatus, ContractKind, PayerKind};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart::{self, Category};
use crate::store::billing::{Bill, BillFilter, Contract, FeeItem, NewBill, NewContract, NewFeeItem, NewPayer, Payer};
use crate::store::journal::LedgerAccount;
use crate::store::registry::Village;
use crate::store::{Db, DbConnection, Page};

// ---------- payers ----------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPayerInput {
    pub kind: PayerKind,
    pub name: String,
    /// 11-digit mobile number; stored whole, shown masked.
    pub phone: Option<String>,
    pub household_no: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayerView {
    pub id: PayerId,
    pub kind: PayerKind,
    pub name: String,
    /// Masked, e.g. 138****5678.
    pub phone: Option<String>,
    pub household_no: Option<String>,
    pub ledger_account_code: String,
}

fn payer_view(p: &Payer, ledger_code: String) -> PayerView {
    PayerView {
        id: p.id,
        kind: p.kind,
        name: p.name.clone(),
        phone: p.phone.as_deref().map(masking::phone),
        household_no: p.household_no.clone(),
        ledger_account_code: ledger_code,
    }
}

pub fn create_payer(db: &Db, actor: &Actor, village_code: &str, input: NewPayerInput) -> AppResult<PayerView> {
    let name = input::text("name", &input.name, 50)?;
    let phone = input::phone("phone", input.phone.as_deref())?;
    let household_no = input::optional_text("household_no", input.household_no.as_deref(), 30)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        let kind = input.kind;
        let parent = match kind {
            PayerKind::Member => chart::HOUSEHOLD_CODE,
            PayerKind::Outsider => chart::OUTSIDER_RECEIVABLE_CODE,
        };
        let ledger = open_sub_account(conn, &village, parent, &name)?;
        let payer = Payer::insert(
            conn,
            &NewPayer {
                village_id: village.id,
                kind,
                name: &name,
                phone: phone.as_deref(),
                household_no: household_no.as_deref(),
                ledger_account_id: ledger.id,
                created_at: period::now().naive_utc(),
            },
        )?;
        audit(
            conn,
            Some(actor),
            "payer.create",
            "payer",
            payer.id,
            Some(village.id),
            serde_json::json!({ "kind": kind, "ledger_account": ledger.code }),
        )?;
        Ok(payer_view(&payer, ledger.code))
    })
}

pub fn list_payers(db: &Db, actor: &Actor, village_code: &str, page: Page) -> AppResult<Vec<PayerView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let payers = Payer::list(conn, village.id, page)?;
        let ledger = LedgerAccount::of_village(conn, village.id)?;
        Ok(payers
            .iter()
            .map(|p| {
                payer_view(
                    p,
                    ledger
                        .iter()
                        .find(|l| l.id == p.ledger_account_id)
                        .map(|l| l.code.clone())
                        .unwrap_or_default(),
                )
            })
            .collect())
    })
}

fn payer_in(conn: &mut DbConnection, village: &Village, id: PayerId, field: &str) -> AppResult<Payer> {
    Payer::in_village(conn, village.id, id)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::PayerNotFound,
            format!("本村（{}）没有编号为 {id} 的缴款人。", village.code),
        )
        .at(field)
    })
}

// ---------- fee items ----------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewFeeItemInput {
    /// Short code, e.g. `land-contract`.
    pub code: String,
    /// Name shown on bills and receipts, e.g. 土地承包费.
    pub name: String,
    /// The income account the fee is credited to, e.g. 501 经营收入.
    pub income_account_code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeeItemView {
    pub id: FeeItemId,
    pub code: String,
    pub name: String,
    pub income_account_code: String,
}

fn fee_item_view(f: FeeItem) -> FeeItemView {
    FeeItemView {
        id: f.id,
        code: f.code,
        name: f.name,
        income_account_code: f.income_account_code,
    }
}

pub fn create_fee_item(db: &Db, actor: &Actor, village_code: &str, input: NewFeeItemInput) -> AppResult<FeeItemView> {
    let code = input::code("code", &input.code)?;
    let name = input::text("name", &input.name, 40)?;
    let account_code = input.income_account_code.trim().to_string();
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        // The fee must land in an income account of the chart in force that can take postings.
        let today = period::business_date(period::now());
        let version = chart::version_for(today).ok_or_else(|| AppError::Internal("no chart in force".into()))?;
        let is_income = version
            .account(account_code.split('.').next().unwrap_or_default())
            .is_some_and(|a| a.category == Category::ProfitAndLoss && a.normal_side == chart::Side::Credit);
        let postable = LedgerAccount::by_code(conn, village.id, version.id, &account_code)?.is_some_and(|a| a.postable && a.active);
        if !is_income || !postable {
            return Err(AppError::new(ErrorCode::FeeItemAccountInvalid, format!("income_account_code: '{account_code}' is not an income account of chart {} that takes postings (e.g. 501 经营收入)", version.id)).at("income_account_code"));
        }
        let item = FeeItem::insert(
            conn,
            &NewFeeItem { village_id: village.id, code: &code, name: &name, income_account_code: &account_code, created_at: period::now().naive_utc() },
        )
        .map_err(AppError::from)
        .map_err(on_unique(ErrorCode::FeeItemCodeTaken, format!("本村已有代码为 {code} 的收费项目。"), "code"))?;
        audit(conn, Some(actor), "fee_item.create", "fee_item", item.id, Some(village.id), serde_json::json!({ "code": code, "account": account_code }))?;
        Ok(fee_item_view(item))
    })
}

pub fn list_fee_items(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<FeeItemView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok(FeeItem::list(conn, village.id)?
            .into_iter()
            .map(fee_item_view)
            .collect())
    })
}

fn fee_item_in(conn: &mut DbConnection, village: &Village, id: FeeItemId, field: &str) -> AppResult<FeeItem> {
    FeeItem::in_village(conn, village.id, id)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::FeeItemNotFound,
            format!("本村（{}）没有编号为 {id} 的收费项目。", village.code),
        )
        .at(field)
    })
}

// ---------- contracts ----------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewContractInput {
    pub contract_no: String,
    pub kind: ContractKind,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    /// Area in mu (or m²), up to 4 decimals; with `unit_price`, the annual fee is area × unit price.
    pub area: Option<String>,
    /// Price per unit of area per year, in yuan.
    #[schema(value_type = Option<String>, example = "800.00")]
    pub unit_price: Option<Money>,
    /// A fixed fee per year, in yuan, instead of area × unit price.
    #[schema(value_type = Option<String>, example = "12000.00")]
    pub fixed_amount: Option<Money>,
    pub schedule: Schedule,
    /// First day of the contract, YYYY-MM-DD.
    pub start_date: String,
    /// Last day of the contract, YYYY-MM-DD.
    pub end_date: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub id: i64,
    pub contract_no: String,
    pub kind: ContractKind,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    pub area: Option<String>,
    #[schema(value_type = Option<String>)]
    pub unit_price: Option<Money>,
    #[schema(value_type = Option<String>)]
    pub fixed_amount: Option<Money>,
    /// The fee for a whole year, rounded half-up to the fen.
    #[schema(value_type = String)]
    pub annual_amount: Money,
    pub schedule: Schedule,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

pub(crate) fn annual_amount(c: &Contract) -> AppResult<Money> {
    match (&c.area, c.unit_price, c.fixed_amount) {
        (Some(area), Some(price), None) => {
            let area = Decimal::from_str(area).map_err(|e| AppError::Internal(format!("stored area '{area}': {e}")))?;
            Money::fee(area, price).map_err(|e| AppError::Internal(e.to_string()))
        }
        (None, None, Some(fixed)) => Ok(fixed),
        _ => Err(AppError::Internal(format!(
            "contract {} has neither area pricing nor a fixed amount",
            c.id
        ))),
    }
}

fn contract_view(c: &Contract) -> AppResult<ContractView> {
    Ok(ContractView {
        id: c.id,
        contract_no: c.contract_no.clone(),
        kind: c.kind,
        payer_id: c.payer_id,
        fee_item_id: c.fee_item_id,
        area: c.area.clone(),
        unit_price: c.unit_price,
        fixed_amount: c.fixed_amount,
        annual_amount: annual_amount(c)?,
        schedule: c.schedule,
        start_date: c.start_date,
        end_date: c.end_date,
    })
}

fn area(text: &str) -> AppResult<Decimal> {
    let bad = || {
        AppError::new(
            ErrorCode::AreaInvalid,
            format!("面积“{text}”有误：请填写大于零的数，最多四位小数。"),
        )
        .at("area")
    };
    let d = Decimal::from_str(text.trim()).map_err(|_| bad())?;
    if d <= Decimal::ZERO || d.scale() > 4 || d > Decimal::from(10_000_000) {
        return Err(bad());
    }
    Ok(d.normalize())
}

pub fn create_contract(db: &Db, actor: &Actor, village_code: &str, input: NewContractInput) -> AppResult<ContractView> {
    let contract_no = input::text("contract_no", &input.contract_no, 40)?;
    let start = input::date("start_date", &input.start_date)?;
    let end = input::date("end_date", &input.end_date)?;
    if end < start {
        return Err(AppError::code(ErrorCode::ContractDatesInvalid).at("end_date"));
    }
    let (area, unit_price, fixed) = match (input.area.as_deref(), input.unit_price, input.fixed_amount) {
        (Some(a), Some(p), None) => {
            let p = p
                .ensure_positive()
                .map_err(|e| AppError::new(ErrorCode::AmountInvalid, format!("单价有误：{e}。")).at("unit_price"))?;
            let a = area(a)?;
            Money::fee(a, p).map_err(|e| {
                AppError::new(ErrorCode::AmountInvalid, format!("面积乘单价的金额有误：{e}。")).at("unit_price")
            })?;
            (Some(a.to_string()), Some(p), None)
        }
        (None, None, Some(f)) => {
            let f = f.ensure_positive().map_err(|e| {
                AppError::new(ErrorCode::AmountInvalid, format!("固定金额有误：{e}。")).at("fixed_amount")
            })?;
            (None, None, Some(f))
        }
        _ => return Err(AppError::code(ErrorCode::ContractPricingInvalid).at("fixed_amount")),
    };
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        payer_in(conn, &village, input.payer_id, "payer_id")?;
        fee_item_in(conn, &village, input.fee_item_id, "fee_item_id")?;
        let c = Contract::insert(
            conn,
            &NewContract {
                village_id: village.id,
                contract_no: &contract_no,
                kind: input.kind,
                payer_id: input.payer_id,
                fee_item_id: input.fee_item_id,
                area: area.clone(),
                unit_price,
                fixed_amount: fixed,
                schedule: input.schedule,
                start_date: start,
                end_date: end,
                created_by: Some(actor.user_id),
                created_at: period::now().naive_utc(),
            },
        )
        .map_err(AppError::from)
        .map_err(on_unique(
            ErrorCode::ContractNoTaken,
            format!("本村已有合同编号 {contract_no}。"),
            "contract_no",
        ))?;
        audit(
            conn,
            Some(actor),
            "contract.create",
            "contract",
            c.id,
            Some(village.id),
            serde_json::json!({ "contract_no": c.contract_no }),
        )?;
        contract_view(&c)
    })
}

pub fn list_contracts(db: &Db, actor: &Actor, village_code: &str, page: Page) -> AppResult<Vec<ContractView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Contract::list(conn, village.id, page)?
            .iter()
            .map(contract_view)
            .collect()
    })
}

// ---------- bills ----------

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBillInput {
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    #[schema(value_type = String, example = "1200.00")]
    pub amount: String,
    /// What the bill is for, e.g. 2026 or 2026年春季.
    pub period_label: String,
    /// YYYY-MM-DD.
    pub due_date: String,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GenerateBillsInput {
    /// The year to bill every contract in force for.
    pub year: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GenerateBillsResult {
    pub created: Vec<BillView>,
    /// Installments that already had a bill (generation is safe to repeat).
    pub skipped: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelBillInput {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BillView {
    pub id: BillId,
    /// Grouped for reading, e.g. 000012-000345-7; its last digit is a check digit.
    pub reference: String,
    pub payer_id: PayerId,
    pub fee_item_id: FeeItemId,
    pub contract_id: Option<i64>,
    pub period_label: String,
    #[schema(value_type = String)]
    pub amount: Money,
    #[schema(value_type = String)]
    pub paid: Money,
    #[schema(value_type = String)]
    pub outstanding: Money,
    pub status: BillStatus,
    pub due_date: NaiveDate,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

fn bill_view(b: &Bill) -> BillView {
    let (amount, paid) = (b.amount, b.paid);
    BillView {
        id: b.id,
        reference: BillReference::shown(&b.reference),
        payer_id: b.payer_id,
        fee_item_id: b.fee_item_id,
        contract_id: b.contract_id,
        period_label: b.period_label.clone(),
        amount,
        paid,
        outstanding: amount.checked_sub(paid).unwrap_or_default(),
        status: b.status,
        due_date: b.due_date,
        note: b.note.clone(),
        created_at: b.created_at.and_utc(),
    }
}

struct BillDraft<'a> {
    payer_id: PayerId,
    fee_item_id: FeeItemId,
    contract_id: Option<i64>,
    period_label: &'a str,
    amount: Money,
    due_date: NaiveDate,
    note: &'a str,
}

/// Numbers and inserts one bill; the reference comes from the village's bill counter.
fn insert_bill(conn: &mut DbConnection, actor: &Actor, village: &Village, d: BillDraft) -> AppResult<Bill> {
    let seq = Village::next_number(conn, village.id, "bill")?;
    let reference = BillReference::new(village.id.get(), seq).map_err(|e| AppError::Internal(e.to_string()))?;
    let bill = Bill::insert(
        conn,
        &NewBill {
            village_id: village.id,
            seq,
            reference: reference.as_str(),
            payer_id: d.payer_id,
            fee_item_id: d.fee_item_id,
            contract_id: d.contract_id,
            period_label: d.period_label,
            amount: d.amount,
            paid: Money::ZERO,
            status: BillStatus::Open,
            due_date: d.due_date,
            note: d.note,
            created_by: Some(actor.user_id),
            created_at: period::now().naive_utc(),
        },
    )?;
    audit(
        conn,
        Some(actor),
        "bill.create",
        "bill",
        &bill.reference,
        Some(village.id),
        serde_json::json!({ "amount": d.amount.to_string(), "period": d.period_label, "contract_id": d.contract_id }),
    )?;
    Ok(bill)
}

pub fn create_bill(db: &Db, actor: &Actor, village_code: &str, input: NewBillInput) -> AppResult<BillView> {
    let amount = input::positive_money("amount", &input.amount)?;
    let label = input::text("period_label", &input.period_label, 30)?;
    let due = input::date("due_date", &input.due_date)?;
    let note = input::optional_text("note", input.note.as_deref(), 200)?.unwrap_or_default();
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        payer_in(conn, &village, input.payer_id, "payer_id")?;
        fee_item_in(conn, &village, input.fee_item_id, "fee_item_id")?;
        let bill = insert_bill(
            conn,
            actor,
            &village,
            BillDraft {
                payer_id: input.payer_id,
                fee_item_id: input.fee_item_id,
                contract_id: None,
                period_label: &label,
                amount,
                due_date: due,
                note: &note,
            },
        )?;
        Ok(bill_view(&bill))
    })
}

/// Bills every installment of `year` of every contract in force that has no bill yet.
pub fn generate_bills(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    input: GenerateBillsInput,
) -> AppResult<GenerateBillsResult> {
    if !(2000..=2100).contains(&input.year) {
        return Err(AppError::new(
            ErrorCode::YearInvalid,
            format!("年度 {} 不在 2000 到 2100 之间。", input.year),
        )
        .at("year"));
    }
    let year = input.year;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid year");
        let mut created = Vec::new();
        let mut skipped = 0;
        for c in Contract::in_force(conn, village.id, from, to)? {
            let annual = annual_amount(&c)?;
            let sched = c.schedule;
            for inst in schedule::installments(sched, year, annual) {
                if inst.ends < c.start_date || inst.starts > c.end_date {
                    continue;
                }
                if Bill::exists_for(conn, c.id, &inst.label)? {
                    skipped += 1;
                    continue;
                }
                let note = format!("合同 {}", c.contract_no);
                let bill = insert_bill(
                    conn,
                    actor,
                    &village,
                    BillDraft {
                        payer_id: c.payer_id,
                        fee_item_id: c.fee_item_id,
                        contract_id: Some(c.id),
                        period_label: &inst.label,
                        amount: inst.amount,
                        due_date: inst.starts.max(c.start_date),
                        note: &note,
                    },
                )?;
                created.push(bill_view(&bill));
            }
        }
        Ok(GenerateBillsResult { created, skipped })
    })
}

#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BillQuery {
    pub status: Option<BillStatus>,
    pub payer_id: Option<PayerId>,
    pub contract_id: Option<i64>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

pub fn list_bills(db: &Db, actor: &Actor, village_code: &str, q: BillQuery) -> AppResult<Vec<BillView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let filter = BillFilter {
            status: q.status,
            payer_id: q.payer_id,
            contract_id: q.contract_id,
        };
        Ok(Bill::list(conn, village.id, &filter, Page::new(q.after_id, q.limit))?
            .iter()
            .map(bill_view)
            .collect())
    })
}

/// A bill by its reference; a mistyped reference is caught by the check digit before any lookup.
pub fn get_bill(db: &Db, actor: &Actor, village_code: &str, reference: &str) -> AppResult<BillView> {
    let r = BillReference::parse(reference)
        .map_err(|e| AppError::new(ErrorCode::BillReferenceInvalid, e.to_string()).at("reference"))?;
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        match Bill::by_reference(conn, r.as_str())? {
            Some(b) if b.village_id == village.id => Ok(bill_view(&b)),
            _ => Err(AppError::new(
                ErrorCode::BillNotFound,
                format!("本村（{}）没有账单 {r}，请核对账单号。", village.code),
            )),
        }
    })
}

/// Cancels an open bill that nothing has been paid on; the bill stays, marked cancelled.
pub fn cancel_bill(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    reference: &str,
    input: CancelBillInput,
) -> AppResult<BillView> {
    let r = BillReference::parse(reference)
        .map_err(|e| AppError::new(ErrorCode::BillReferenceInvalid, e.to_string()).at("reference"))?;
    let reason = input::text("reason", &input.reason, 200)?;
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageBilling)?;
        let bill = match Bill::by_reference(conn, r.as_str())? {
            Some(b) if b.village_id == village.id => b,
            _ => {
                return Err(AppError::new(
                    ErrorCode::BillNotFound,
                    format!("本村（{}）没有账单 {r}，请核对账单号。", village.code),
                ))
            }
        };
        if !Bill::cancel(conn, bill.id, &format!("作废：{reason}"))? {
            return Err(AppError::new(
                ErrorCode::BillNotOpen,
                format!("账单 {r} {}，不能作废；只有未缴的账单可以作废。", bill.status.label()),
            ));
        }
        audit(
            conn,
            Some(actor),
            "bill.cancel",
            "bill",
            &bill.reference,
            Some(village.id),
            serde_json::json!({ "reason": reason }),
        )?;
        let updated = Bill::by_reference(conn, r.as_str())?.ok_or(AppError::Internal("bill vanished".into()))?;
        Ok(bill_view(&updated))
    })
}
