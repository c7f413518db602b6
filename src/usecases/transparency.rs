//! 村务公开: what a village collected and paid out, for anyone, without a login (DESIGN.md §6
//! Transparency). Sums by month, fee item and channel, and each payment out by its purpose;
//! no payer and no payee is named. The page also publishes the chain head signed today, and
//! lets anyone check later that an entry of a head they noted down is still the same.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::period;
use crate::domain::vocabulary::Channel;
use crate::domain::Money;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::store::billing::FeeItem;
use crate::store::journal::{self, Entry, LedgerAccount};
use crate::store::public;
use crate::store::registry::{Township, Village};
use crate::store::{Db, DbConnection};
use crate::usecases::bookkeeping::{signed_head, ChainHeadView};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicMonth {
    /// `2026-03`.
    pub month: String,
    #[schema(value_type = String)]
    pub total: Money,
    /// In the order of [`PublicVillage::items`].
    #[schema(value_type = Vec<String>)]
    pub by_item: Vec<Money>,
    /// In the order of [`PublicVillage::channels`].
    #[schema(value_type = Vec<String>)]
    pub by_channel: Vec<Money>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaidOut {
    pub date: NaiveDate,
    pub purpose: String,
    /// The account it was booked to, by name (管理费用…).
    pub account: String,
    #[schema(value_type = String)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicVillage {
    pub code: String,
    pub name: String,
    pub township: String,
    pub year: i32,
    pub items: Vec<String>,
    pub channels: Vec<String>,
    /// January up to this month (the whole year for a past year).
    pub months: Vec<PublicMonth>,
    #[schema(value_type = String)]
    pub collected: Money,
    #[schema(value_type = String)]
    pub cash: Money,
    /// Cash over all collected, 0–1; none when nothing came in.
    pub cash_share: Option<f64>,
    pub paid_out: Vec<PaidOut>,
    #[schema(value_type = String)]
    pub paid_out_total: Money,
    /// Money sent back to whoever paid it by mistake or too much (never the village's, so not
    /// spending): refunds paid out of 211.9999.
    #[schema(value_type = String)]
    pub refunded: Money,
    /// Money that left the account with no approved request, still being looked into.
    #[schema(value_type = String)]
    pub unexplained_out: Money,
    pub head: ChainHeadView,
}

fn village_by_code(conn: &mut DbConnection, code: &str) -> AppResult<Village> {
    Village::by_code(conn, code.trim())?.ok_or_else(|| {
        AppError::new(
            ErrorCode::VillageNotFound,
            format!("没有代码为 {} 的村，请核对村代码。", code.trim()),
        )
    })
}

/// The village `code` in `year` (this year when none is given), as anyone may read it.
pub fn public_village(db: &Db, key: &[u8], code: &str, year: Option<i32>) -> AppResult<PublicVillage> {
    let today = period::business_date(period::now());
    let year = year.unwrap_or(today.year());
    if !(2000..=today.year()).contains(&year) {
        return Err(AppError::new(
            ErrorCode::PeriodInvalid,
            format!("{year} 年没有可公开的账目：请选 2000 年到今年之间的年份。"),
        )
        .at("year"));
    }
    let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January");
    let to = if year == today.year() {
        today
    } else {
        NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December")
    };
    db.snapshot(|conn| {
        let village = village_by_code(conn, code)?;
        let township = Township::by_id(conn, village.township_id)?.name;
        let fee_items = FeeItem::list(conn, village.id)?;
        let mut items: Vec<String> = fee_items.iter().map(|f| f.name.clone()).collect();
        items.push("其他".into());
        let channels: Vec<String> = Channel::ALL.iter().map(|c| c.label().to_string()).collect();
        let (lo, hi) = period::stored_span(from, to);
        let rows = public::receipts_between(conn, village.id, lo, hi)?;
        let mut months: Vec<PublicMonth> = (1..=to.month())
            .map(|m| PublicMonth {
                month: format!("{year}-{m:02}"),
                total: Money::ZERO,
                by_item: vec![Money::ZERO; items.len()],
                by_channel: vec![Money::ZERO; channels.len()],
            })
            .collect();
        let (mut collected, mut cash) = (Money::ZERO, Money::ZERO);
        for (issued, item, channel, amount) in rows {
            let local = period::business_time(issued.and_utc());
            let Some(m) = months.get_mut(local.month0() as usize) else {
                continue;
            };
            let i = item
                .and_then(|id| fee_items.iter().position(|f| f.id == id))
                .unwrap_or(items.len() - 1);
            let c = Channel::ALL.iter().position(|x| *x == channel).unwrap_or(0);
            m.total += amount;
            m.by_item[i] += amount;
            m.by_channel[c] += amount;
            collected += amount;
            if channel == Channel::Cash {
                cash += amount;
            }
        }
        // Leave out "其他" when nothing fell there.
        if months.iter().all(|m| m.by_item.last().is_some_and(|x| x.is_zero())) {
            items.pop();
            months.iter_mut().for_each(|m| {
                m.by_item.pop();
            });
        }
        let accounts = LedgerAccount::of_village(conn, village.id)?;
        let name_of = |code: &str| {
            accounts
                .iter()
                .find(|a| a.code == code)
                .map_or_else(|| code.to_string(), |a| a.name.clone())
        };
        // Refunds (booked to 211.9999) returned money that was never the village's: they are
        // not spending, and their purpose names the payer; the public reads only their sum.
        let (refunds, spent): (Vec<_>, Vec<_>) = public::paid_out_between(conn, village.id, from, to)?
            .into_iter()
            .partition(|(_, _, account, _)| account == chart::SUSPENSE_CODE);
        let refunded: Money = refunds.iter().map(|r| r.3).sum();
        let paid_out: Vec<PaidOut> = spent
            .into_iter()
            .map(|(date, purpose, account, amount)| PaidOut {
                date,
                purpose,
                account: name_of(&account),
                amount,
            })
            .collect();
        // Money out nobody approved, still unexplained: what 211.9998 holds at the end of the
        // span (every chart's account of that code; a debit explained later is credited back).
        let suspense: Vec<_> = accounts
            .iter()
            .filter(|a| a.code == chart::UNEXPLAINED_DEBITS_CODE)
            .map(|a| a.id)
            .collect();
        let unexplained_out: Money = journal::sums_by_account(conn, village.id, None, to.succ_opt())?
            .into_iter()
            .filter(|(a, _)| suspense.contains(a))
            .map(|(_, s)| s.debit - s.credit)
            .sum();
        Ok(PublicVillage {
            code: village.code.clone(),
            name: village.name.clone(),
            township,
            year,
            items,
            channels,
            months,
            collected,
            cash,
            cash_share: crate::inspect::facts::Collected {
                cash,
                total: collected,
                ..Default::default()
            }
            .cash_share(),
            paid_out_total: paid_out.iter().map(|p| p.amount).sum(),
            refunded,
            paid_out,
            unexplained_out,
            head: signed_head(conn, &village, key)?,
        })
    })
}

/// What a check of a noted-down chain head found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeadCheck {
    pub village: String,
    pub seq: i64,
    /// The entry exists and still has the hash that was noted down.
    pub intact: bool,
    pub entry_date: Option<NaiveDate>,
    /// One sentence for people.
    pub message: String,
}

/// Whether entry `seq` of the village's chain still has `hash`: each entry's hash covers every
/// entry before it, so a head noted down from a poster or a screen proves later that nothing up
/// to it was rewritten.
pub fn check_head(db: &Db, code: &str, seq: i64, hash: &str) -> AppResult<HeadCheck> {
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::new(
            ErrorCode::FieldInvalid,
            "校验值应是 64 位的十六进制数字（0-9、a-f），请照原样抄写。",
        )
        .at("hash"));
    }
    db.read(|conn| {
        let village = village_by_code(conn, code)?;
        let entry = Entry::by_seq(conn, village.id, seq)?;
        let (intact, entry_date, message) = match entry {
            Some(e) if e.hash == hash => (
                true,
                Some(e.entry_date),
                format!("相符：第 {seq} 号凭证（{}）及其之前的全部账目，与记下这串校验值时完全一致。", e.entry_date),
            ),
            Some(e) => (
                false,
                Some(e.entry_date),
                format!("不符：第 {seq} 号凭证现在的校验值与您记下的不同。请核对是否抄错；如果没有抄错，说明账目被改动过，请向乡镇纪委反映。"),
            ),
            None => (
                false,
                None,
                format!("本村的账上没有第 {seq} 号凭证。请核对编号；记下过的凭证不会消失。"),
            ),
        };
        Ok(HeadCheck {
            village: village.code,
            seq,
            intact,
            entry_date,
            message,
        })
    })
}
