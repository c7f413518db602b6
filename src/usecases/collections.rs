//! What came in: bank transactions applied from callbacks (with their outcome: paid, part paid,
//! overpaid, suspense), the receipts issued for them, and the raw callback inbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::village_for;
use crate::domain::access::{Action, Actor, Place, Scope};
use crate::domain::ids::{BankTransactionId, BillId};
use crate::domain::{BillReference, Channel, InboxSource, InboxStatus, Money, Outcome, ReceiptStatus};
use crate::error::AppResult;
use crate::payments::receipt_code::receipt_number;
use crate::store::billing::{Bill, FeeItem, Payer};
use crate::store::journal::Entry;
use crate::store::payments::{self as store, BankTransaction, Binding, Receipt};
use crate::store::registry::{Township, Village};
use crate::store::{Db, Page};
use bank_adapters::Provider;

#[derive(Debug, Serialize, ToSchema)]
pub struct BankTransactionView {
    pub id: BankTransactionId,
    #[schema(value_type = String, example = "rural_bank")]
    pub provider: Provider,
    pub provider_txn_id: String,
    #[schema(value_type = String)]
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// As the provider shows the payer, masked.
    pub payer: Option<String>,
    /// What the payer wrote or the order carried.
    pub reference: Option<String>,
    pub bill_id: Option<BillId>,
    pub outcome: Outcome,
    pub note: String,
    /// The journal entry that booked it.
    pub entry_seq: i64,
    /// A credit that waited in suspense (`outcome` stays as it arrived): the bill the
    /// accountant placed it on.
    pub placed_on_bill_id: Option<BillId>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BankTransactionQuery {
    pub outcome: Option<Outcome>,
    pub after_id: Option<i64>,
    pub limit: Option<i64>,
}

pub fn list_bank_transactions(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    q: BankTransactionQuery,
) -> AppResult<Vec<BankTransactionView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let rows = BankTransaction::of_village(conn, village.id, q.outcome, Page::new(q.after_id, q.limit))?;
        let placed = crate::store::suspense::Placement::by_credit(conn, village.id)?;
        let mut out = Vec::with_capacity(rows.len());
        for t in rows {
            let entry_seq = Entry::by_id(conn, t.entry_id)?.seq;
            let placed_on_bill_id = placed.get(&t.id).map(|p| p.bill_id);
            out.push(BankTransactionView {
                id: t.id,
                provider: t.provider,
                provider_txn_id: t.provider_txn_id,
                amount: t.amount,
                paid_at: t.paid_at.and_utc(),
                payer: t.payer_masked,
                reference: t.reference,
                bill_id: t.bill_id,
                outcome: t.outcome,
                note: t.note,
                entry_seq,
                placed_on_bill_id,
            });
        }
        Ok(out)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    /// Village code, year and number: `370725102201-2026-000042`.
    pub number: String,
    #[schema(value_type = String)]
    pub amount: Money,
    /// The amount in Chinese capitals, as printed.
    pub amount_in_words: String,
    pub channel: Channel,
    pub status: ReceiptStatus,
    pub bill_reference: Option<String>,
    pub payer_name: Option<String>,
    pub fee_item: Option<String>,
    pub period_label: Option<String>,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub issued_at: DateTime<Utc>,
    pub verification_code: String,
}

pub fn list_receipts(
    db: &Db,
    actor: &Actor,
    village_code: &str,
    after_id: Option<i64>,
    limit: Option<i64>,
) -> AppResult<Vec<ReceiptView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        let rows = Receipt::of_village(conn, village.id, Page::new(after_id, limit))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let bill = match r.bill_id {
                Some(id) => Some(Bill::by_id(conn, id)?),
                None => None,
            };
            let payer = match r.payer_id {
                Some(id) => Payer::in_village(conn, village.id, id)?.map(|p| p.name),
                None => None,
            };
            let fee_item = match r.fee_item_id {
                Some(id) => FeeItem::in_village(conn, village.id, id)?.map(|f| f.name),
                None => None,
            };
            out.push(ReceiptView {
                number: receipt_number(&village.code, r.year, r.number),
                amount: r.amount,
                amount_in_words: r.amount.to_chinese_capital(),
                channel: r.channel,
                status: r.status,
                bill_reference: bill.as_ref().map(|b| BillReference::shown(&b.reference)),
                payer_name: payer,
                fee_item,
                period_label: bill.map(|b| b.period_label),
                bank_transaction_id: r.bank_transaction_id,
                issued_at: r.issued_at.and_utc(),
                verification_code: r.verification_code,
            });
        }
        Ok(out)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxView {
    pub id: i64,
    #[schema(value_type = String, example = "wechat")]
    pub provider: Provider,
    pub binding_id: Option<i64>,
    pub received_at: DateTime<Utc>,
    pub status: InboxStatus,
    pub reason: Option<String>,
    pub provider_txn_id: Option<String>,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub source: InboxSource,
    /// SHA-256 of the whole body as received (hex).
    pub body_sha256: Option<String>,
    /// The body's size in bytes as received.
    pub body_size: i64,
    /// False when only the first bytes were kept (a request nobody's key verified).
    pub body_whole: bool,
    /// The client address it came from.
    pub client: Option<String>,
}

/// The raw callbacks in the actor's scope; those that named no known binding are shown to
/// county-wide users only.
pub fn list_inbox(db: &Db, actor: &Actor, status: Option<InboxStatus>, page: Page) -> AppResult<Vec<InboxView>> {
    db.read(|conn| {
        let rows = store::inbox_list(conn, status, page)?;
        let mut out = Vec::new();
        for r in rows {
            let visible = match r.binding_id.map(|id| Binding::by_id(conn, id)).transpose()?.flatten() {
                Some(b) => {
                    let v = Village::by_id(conn, b.village_id)?;
                    let county_id = Township::by_id(conn, v.township_id)?.county_id;
                    actor
                        .may(
                            Action::Read,
                            Place {
                                county_id,
                                township_id: Some(v.township_id),
                                village_id: Some(v.id),
                            },
                        )
                        .is_ok()
                }
                None => matches!(actor.scope, Scope::County(_)),
            };
            if visible {
                out.push(InboxView {
                    id: r.id,
                    provider: r.provider,
                    binding_id: r.binding_id,
                    received_at: r.received_at.and_utc(),
                    status: r.status,
                    reason: r.reason,
                    provider_txn_id: r.provider_txn_id,
                    bank_transaction_id: r.bank_transaction_id,
                    source: r.source,
                    body_sha256: r.body_sha256,
                    body_size: r.body_size,
                    body_whole: r.body_whole,
                    client: r.client,
                });
            }
        }
        Ok(out)
    })
}
