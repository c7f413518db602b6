//! QR codes for paying a village, and what the pay page shows for one.
//!
//! A static code per corporate account (the payer types the amount) and a dynamic code per open
//! bill (amount and reference fixed, valid until 60 days after the later of today and the due
//! date). The pay page checks the code's signature before it shows anything, and shows only the
//! village, the masked account, the fee item, the amount and the payer's masked name.

use chrono::Duration;
use serde::Serialize;

use super::village_for;
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{CorporateAccountId, VillageId};
use crate::domain::{masking, period, BillReference, BillStatus, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::payments::qr::{self, epoch_day, PayToken};
use crate::store::billing::{Bill, FeeItem, Payer};
use crate::store::registry::{CorporateAccount, Village};
use crate::store::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Svg,
    Png,
}

/// How to render a code: image format and what the code says.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeOptions {
    /// svg (default) or png.
    #[serde(default)]
    pub format: Format,
    /// url (default: the signed pay-page URL) or emvco (an EMVCo merchant-presented payload).
    #[serde(default)]
    pub payload: Payload,
}

/// What the code says: the pay page's signed URL (default), or an EMVCo merchant-presented
/// payload for UnionPay-style acquirers (account, amount and the bill reference in tag 62-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Payload {
    #[default]
    Url,
    Emvco,
}

/// The EMVCo payload of an account (and bill): the account number under qingzhang's GUID in
/// tag 26, the names in ASCII and, in tag 64, in Chinese.
fn emvco_payload(village: &Village, account: &CorporateAccount, bill: Option<(&Bill, Money)>) -> AppResult<String> {
    let chars = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    bank_adapters::emvco::MerchantQr {
        account_tag: "26".into(),
        account_fields: vec![
            ("00".into(), "CN.QINGZHANG".into()),
            ("01".into(), account.account_no.clone()),
        ],
        mcc: "8398".into(),
        merchant_name: format!("QZ VILLAGE {}", village.code),
        merchant_city: "CN".into(),
        amount: bill.map(|(_, outstanding)| outstanding),
        reference: bill.map(|(b, _)| b.reference.clone()),
        chinese: Some((chars(&account.account_name, 25), chars(&village.name, 15))),
    }
    .to_payload()
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// A rendered code: its text (the URL) and the image.
pub struct Rendered {
    pub url: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

fn render(url: String, format: Format) -> AppResult<Rendered> {
    let (content_type, bytes) = match format {
        Format::Svg => (
            "image/svg+xml",
            qr::svg(&url, 240).map_err(AppError::Internal)?.into_bytes(),
        ),
        Format::Png => ("image/png", qr::png(&url, 8).map_err(AppError::Internal)?),
    };
    Ok(Rendered {
        url,
        content_type,
        bytes,
    })
}

/// The token of a bill's code: its outstanding amount, valid until 60 days after the later of
/// today and the due date.
fn bill_token(
    village_id: VillageId,
    account_id: CorporateAccountId,
    bill: &Bill,
    today: chrono::NaiveDate,
) -> PayToken {
    PayToken {
        village_id,
        account_id,
        bill_id: Some(bill.id),
        amount: Some(bill.amount - bill.paid),
        expires_day: Some(epoch_day(bill.due_date.max(today) + Duration::days(60))),
    }
}

fn pay_url(public_url: &str, token: &PayToken, key: &[u8]) -> String {
    format!("{}/pay/{}", public_url.trim_end_matches('/'), token.encode(key))
}

/// The static code of a corporate account.
pub fn account_code(
    db: &Db,
    actor: &Actor,
    key: &[u8],
    public_url: &str,
    village_code: &str,
    account_id: CorporateAccountId,
    options: CodeOptions,
) -> AppResult<Rendered> {
    let CodeOptions { format, payload } = options;
    let text = db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let account = CorporateAccount::of_village(conn, village.id)?
            .into_iter()
            .find(|a| a.id == account_id && a.active)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::AccountNotFound,
                    format!("本村没有编号为 {account_id} 的在用对公账户。"),
                )
            })?;
        if payload == Payload::Emvco {
            return emvco_payload(&village, &account, None);
        }
        let token = PayToken {
            village_id: village.id,
            account_id: account.id,
            bill_id: None,
            amount: None,
            expires_day: None,
        };
        Ok::<_, AppError>(pay_url(public_url, &token, key))
    })?;
    render(text, format)
}

/// What the village's public poster carries: the address of its public page, and the static
/// code of its account in use (none while it has no account). Both are meant to hang on the
/// noticeboard, so anyone may have them.
#[derive(Debug, Clone)]
pub struct Poster {
    pub village_name: String,
    pub township: String,
    pub page_url: String,
    pub pay_url: Option<String>,
}

pub fn poster(db: &Db, key: &[u8], public_url: &str, village_code: &str) -> AppResult<Poster> {
    db.read(|conn| {
        let village = crate::store::registry::Village::by_code(conn, village_code.trim())?
            .ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?;
        let township = crate::store::registry::Township::by_id(conn, village.township_id)?.name;
        let account = CorporateAccount::of_village(conn, village.id)?
            .into_iter()
            .find(|a| a.active);
        let pay_url = account.map(|a| {
            let token = PayToken {
                village_id: village.id,
                account_id: a.id,
                bill_id: None,
                amount: None,
                expires_day: None,
            };
            pay_url(public_url, &token, key)
        });
        Ok(Poster {
            page_url: format!("{}/v/{}", public_url.trim_end_matches('/'), village.code),
            village_name: village.name,
            township,
            pay_url,
        })
    })
}

/// The dynamic code of an open bill, for its outstanding amount.
pub fn bill_code(
    db: &Db,
    actor: &Actor,
    key: &[u8],
    public_url: &str,
    village_code: &str,
    reference: &str,
    options: CodeOptions,
) -> AppResult<Rendered> {
    let CodeOptions { format, payload } = options;
    let r = BillReference::parse(reference)
        .map_err(|e| AppError::new(ErrorCode::BillReferenceInvalid, e.to_string()).at("reference"))?;
    let text = db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let bill = Bill::by_reference(conn, r.as_str())?
            .filter(|b| b.village_id == village.id)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::BillNotFound,
                    format!("本村（{}）没有账单 {r}，请核对账单号。", village.code),
                )
            })?;
        if !bill.status.takes_payment() {
            return Err(AppError::new(
                ErrorCode::BillNotOpen,
                format!("账单 {r} {}，无需再付款。", bill.status.label()),
            ));
        }
        let account = CorporateAccount::of_village(conn, village.id)?
            .into_iter()
            .find(|a| a.active)
            .ok_or_else(|| AppError::code(ErrorCode::NoCorporateAccount))?;
        if payload == Payload::Emvco {
            return emvco_payload(&village, &account, Some((&bill, bill.amount - bill.paid)));
        }
        let today = period::business_date(period::now());
        Ok(pay_url(
            public_url,
            &bill_token(village.id, account.id, &bill, today),
            key,
        ))
    })?;
    render(text, format)
}

/// What the pay page shows for a code.
#[derive(Debug, Serialize)]
pub struct PayView {
    pub village_name: String,
    pub bank_name: String,
    pub account_name: String,
    pub account_no_masked: String,
    pub fee_item: Option<String>,
    pub period_label: Option<String>,
    pub amount: Option<Money>,
    pub amount_in_words: Option<String>,
    pub bill_reference: Option<String>,
    pub payer_masked: Option<String>,
    /// The bill was paid since the code was printed.
    pub already_paid: bool,
}

pub fn pay_view(db: &Db, key: &[u8], token_text: &str) -> AppResult<PayView> {
    let today = epoch_day(period::business_date(period::now()));
    let token = PayToken::decode(token_text, key, today)?;
    db.read(|conn| {
        let village = Village::by_id(conn, token.village_id)?;
        let account = CorporateAccount::by_id(conn, token.account_id)?;
        if account.village_id != village.id {
            return Err(AppError::code(ErrorCode::PayCodeInvalid));
        }
        let bill = match token.bill_id {
            Some(id) => Some(Bill::by_id(conn, id)?),
            None => None,
        };
        let fee_item = match &bill {
            Some(b) => FeeItem::in_village(conn, village.id, b.fee_item_id)?,
            None => None,
        };
        let payer = match &bill {
            Some(b) => Payer::in_village(conn, village.id, b.payer_id)?,
            None => None,
        };
        let amount = token.amount;
        Ok(PayView {
            village_name: village.name,
            bank_name: account.bank_name,
            account_name: account.account_name,
            account_no_masked: masking::account_no(&account.account_no),
            fee_item: fee_item.map(|f| f.name),
            period_label: bill.as_ref().map(|b| b.period_label.clone()),
            amount,
            amount_in_words: amount.map(|a| a.to_chinese_capital()),
            bill_reference: bill
                .as_ref()
                .and_then(|b| BillReference::parse(&b.reference).ok())
                .map(|r| r.grouped()),
            payer_masked: payer.map(|p| masking::person_name(&p.name)),
            already_paid: bill.as_ref().is_some_and(|b| b.status == BillStatus::Paid),
        })
    })
}

/// One code on a printed sheet.
pub struct SheetItem {
    pub payer: String,
    pub fee_item: String,
    pub period_label: String,
    pub amount: Money,
    pub reference: String,
    pub svg: String,
    /// The pay page the code leads to, as a path on this service (`/pay/…`): a link for
    /// someone at a desktop, which works on whatever address they opened the sheet, where the
    /// code's own address (the public URL) may only be reachable from the server itself.
    pub path: String,
}

/// A printable sheet: every open bill of a village with its code, for the clerk to hand out.
pub struct Sheet {
    pub village_name: String,
    pub items: Vec<SheetItem>,
}

/// Codes for the village's open and part-paid bills (at most 2,000, by bill number).
pub fn bill_sheet(db: &Db, actor: &Actor, key: &[u8], public_url: &str, village_code: &str) -> AppResult<Sheet> {
    use crate::store::billing::BillFilter;
    use crate::store::Page;
    let (village, rows) = db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let account = CorporateAccount::of_village(conn, village.id)?
            .into_iter()
            .find(|a| a.active)
            .ok_or_else(|| AppError::code(ErrorCode::NoCorporateAccount))?;
        let mut rows = Vec::new();
        for status in [BillStatus::Open, BillStatus::PartPaid] {
            let filter = BillFilter {
                status: Some(status),
                ..Default::default()
            };
            for b in Bill::list(conn, village.id, &filter, Page { after: 0, limit: 2000 })? {
                let payer = Payer::in_village(conn, village.id, b.payer_id)?
                    .map(|p| p.name)
                    .unwrap_or_default();
                let item = FeeItem::in_village(conn, village.id, b.fee_item_id)?
                    .map(|f| f.name)
                    .unwrap_or_default();
                rows.push((b, payer, item));
            }
        }
        rows.sort_by_key(|(b, _, _)| b.seq);
        rows.truncate(2000);
        Ok::<_, AppError>(((village, account), rows))
    })?;
    let ((village, account), rows) = (village, rows);
    let today = period::business_date(period::now());
    let items = rows
        .into_iter()
        .map(|(b, payer, item)| {
            let outstanding = b.amount - b.paid;
            let token = bill_token(village.id, account.id, &b, today);
            let path = pay_url("", &token, key);
            let svg =
                qr::svg(&format!("{}{path}", public_url.trim_end_matches('/')), 160).map_err(AppError::Internal)?;
            Ok(SheetItem {
                payer: masking::person_name(&payer),
                fee_item: item,
                period_label: b.period_label,
                amount: outstanding,
                reference: BillReference::shown(&b.reference),
                svg,
                path,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Sheet {
        village_name: village.name,
        items,
    })
}
