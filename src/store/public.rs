//! Reads for the public village page (村务公开): what receipts took in and what money went out,
//! as rows with no person in them. Each is one query bounded by one village and one span.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{disbursements, journal_entries, receipts};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{FeeItemId, VillageId};
use crate::domain::vocabulary::{Channel, DisbursementStatus, ReceiptStatus};
use crate::domain::Money;

/// A receipt as the public page sums it: (issued, fee item, channel, amount).
pub type ReceiptSum = (NaiveDateTime, Option<FeeItemId>, Channel, Money);

/// Valid receipts of a village issued in a span: (issued, fee item, channel, amount).
pub fn receipts_between(
    conn: &mut DbConnection,
    v: VillageId,
    lo: NaiveDateTime,
    hi: NaiveDateTime,
) -> StoreResult<Vec<ReceiptSum>> {
    Ok(receipts::table
        .filter(receipts::village_id.eq(v))
        .filter(receipts::status.eq(ReceiptStatus::Issued))
        .filter(receipts::issued_at.between(lo, hi))
        .select((
            receipts::issued_at,
            receipts::fee_item_id,
            receipts::channel,
            receipts::amount_fen,
        ))
        .order(receipts::issued_at)
        .load(conn)?)
}

/// Approved payments out that the bank paid and the books posted, by the day of their entry:
/// (day, purpose, the account it was booked to, amount). The payee is left out on purpose.
pub fn paid_out_between(
    conn: &mut DbConnection,
    v: VillageId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<(NaiveDate, String, String, Money)>> {
    Ok(disbursements::table
        .inner_join(journal_entries::table.on(disbursements::entry_id.eq(journal_entries::id.nullable())))
        .filter(disbursements::village_id.eq(v))
        .filter(disbursements::status.eq(DisbursementStatus::Paid))
        .filter(journal_entries::entry_date.between(from, to))
        .select((
            journal_entries::entry_date,
            disbursements::purpose,
            disbursements::account_code,
            disbursements::amount_fen,
        ))
        .order((journal_entries::entry_date, disbursements::id))
        .load(conn)?)
}
