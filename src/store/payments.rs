//! Payment storage: provider bindings, the callback inbox, applied bank transactions, receipts.
//!
//! `bank_transactions` is unique on (provider, provider_txn_id): that constraint, not any
//! process, is what makes a callback apply exactly once, whatever the network repeats.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::billing::Bill;
use super::schema::{bank_transactions, callback_inbox, provider_bindings, receipt_voids, receipts};
use super::StoreError;
use super::{DbConnection, Page, StoreResult};
use crate::domain::ids::{
    BankTransactionId, BillId, CashRecordId, CorporateAccountId, EntryId, FeeItemId, PayerId, ReceiptId, UserId,
    VillageId,
};
use crate::domain::vocabulary::Settlement;
use crate::domain::Money;
use crate::domain::{BillStatus, Channel, InboxSource, InboxStatus, Outcome, ReceiptStatus};
use bank_adapters::Provider;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = provider_bindings)]
pub struct Binding {
    pub id: i64,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub provider: Provider,
    pub account_ref: String,
    pub public_config: String,
    pub sealed_secrets: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Each payment its own credit, or the day's payments in one credit (T+1, less the fee).
    pub settlement: Settlement,
    /// The provider's fee per payment, parts per million (daily settlement only).
    pub fee_rate_ppm: i64,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = provider_bindings)]
pub struct NewBinding<'a> {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub provider: Provider,
    pub account_ref: &'a str,
    pub public_config: &'a str,
    pub sealed_secrets: &'a str,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Each payment its own credit, or the day's payments in one credit (T+1, less the fee).
    pub settlement: Settlement,
    /// The provider's fee per payment, parts per million (daily settlement only).
    pub fee_rate_ppm: i64,
}

impl Binding {
    pub fn insert(conn: &mut DbConnection, new: &NewBinding) -> StoreResult<Binding> {
        Ok(diesel::insert_into(provider_bindings::table)
            .values(new)
            .returning(provider_bindings::all_columns)
            .get_result(conn)?)
    }
    pub fn by_id(conn: &mut DbConnection, id: i64) -> StoreResult<Option<Binding>> {
        Ok(provider_bindings::table
            .find(id)
            .select(Binding::as_select())
            .first(conn)
            .optional()?)
    }
    /// Every active binding of one provider, in id order.
    pub fn active_of_provider(conn: &mut DbConnection, provider: Provider) -> StoreResult<Vec<Binding>> {
        Ok(provider_bindings::table
            .filter(provider_bindings::provider.eq(provider))
            .filter(provider_bindings::active.eq(true))
            .order(provider_bindings::id)
            .select(Binding::as_select())
            .load(conn)?)
    }
    pub fn of_village(conn: &mut DbConnection, village_id: VillageId) -> StoreResult<Vec<Binding>> {
        Ok(provider_bindings::table
            .filter(provider_bindings::village_id.eq(village_id))
            .order(provider_bindings::id)
            .select(Binding::as_select())
            .load(conn)?)
    }
    /// The binding a provider's credit to an account came through: the one of its merchant or
    /// app id (a credit naming only the account, as old books do, has none).
    pub fn for_credit(
        conn: &mut DbConnection,
        account: CorporateAccountId,
        provider: Provider,
        account_ref: &str,
    ) -> StoreResult<Option<Binding>> {
        Ok(provider_bindings::table
            .filter(provider_bindings::corporate_account_id.eq(account))
            .filter(provider_bindings::provider.eq(provider))
            .filter(provider_bindings::account_ref.eq(account_ref))
            .order(provider_bindings::id)
            .select(Binding::as_select())
            .first(conn)
            .optional()?)
    }
    /// Every binding of an account, in id order.
    pub fn of_account(conn: &mut DbConnection, account: CorporateAccountId) -> StoreResult<Vec<Binding>> {
        Ok(provider_bindings::table
            .filter(provider_bindings::corporate_account_id.eq(account))
            .order(provider_bindings::id)
            .select(Binding::as_select())
            .load(conn)?)
    }
    /// Replaces the keys (rotation) and the settlement terms: the new configuration must list
    /// every key still accepted.
    pub fn replace_config(
        conn: &mut DbConnection,
        id: i64,
        public_config: &str,
        sealed: &str,
        settlement: (Settlement, i64),
        now: NaiveDateTime,
    ) -> StoreResult<()> {
        diesel::update(provider_bindings::table.find(id))
            .set((
                provider_bindings::public_config.eq(public_config),
                provider_bindings::sealed_secrets.eq(sealed),
                provider_bindings::settlement.eq(settlement.0),
                provider_bindings::fee_rate_ppm.eq(settlement.1),
                provider_bindings::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = callback_inbox)]
pub struct InboxRow {
    pub id: i64,
    pub provider: Provider,
    pub binding_id: Option<i64>,
    pub received_at: NaiveDateTime,
    pub headers: String,
    pub body: Vec<u8>,
    pub status: InboxStatus,
    pub reason: Option<String>,
    pub provider_txn_id: Option<String>,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub processed_at: Option<NaiveDateTime>,
    pub source: InboxSource,
    pub body_sha256: Option<String>,
    pub body_size: i64,
    /// False when only the first bytes of the body were kept (a request nobody's key verified).
    pub body_whole: bool,
    /// The client address it came from.
    pub client: Option<String>,
}

/// One inbox row: a provider's request (or our query's signed answer) with what became of it.
#[derive(Debug, Insertable)]
#[diesel(table_name = callback_inbox)]
pub struct NewInboxRow<'a> {
    pub provider: Provider,
    pub binding_id: Option<i64>,
    pub received_at: NaiveDateTime,
    pub headers: &'a str,
    pub body: &'a [u8],
    pub status: InboxStatus,
    pub reason: Option<&'a str>,
    pub provider_txn_id: Option<&'a str>,
    pub bank_transaction_id: Option<BankTransactionId>,
    pub processed_at: Option<NaiveDateTime>,
    pub source: InboxSource,
    pub body_sha256: Option<&'a str>,
    pub body_size: i64,
    pub body_whole: bool,
    pub client: Option<&'a str>,
}

/// Stores a request together with what became of it, in the caller's transaction (the path of
/// a verified callback: its raw request becomes durable in the same commit as its effects).
pub fn inbox_insert_settled(conn: &mut DbConnection, row: &NewInboxRow) -> StoreResult<i64> {
    Ok(diesel::insert_into(callback_inbox::table)
        .values(row)
        .returning(callback_inbox::id)
        .get_result(conn)?)
}

/// Forgets the digests of refused requests nobody's key verified, received before `before`
/// (the retention job); verified requests and everything applied stay. Returns how many went.
pub fn inbox_purge_unverified(conn: &mut DbConnection, before: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(
        callback_inbox::table
            .filter(callback_inbox::status.eq(InboxStatus::Rejected))
            .filter(callback_inbox::body_whole.eq(false))
            .filter(callback_inbox::received_at.lt(before)),
    )
    .execute(conn)?)
}

/// How many rows the inbox holds, and the bytes of their bodies (the metric and the tests).
pub fn inbox_size(conn: &mut DbConnection) -> StoreResult<(i64, i64)> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    Ok(callback_inbox::table
        .select((
            sql::<BigInt>("CAST(COUNT(*) AS BIGINT)"),
            sql::<BigInt>("CAST(COALESCE(SUM(LENGTH(body)), 0) AS BIGINT)"),
        ))
        .first(conn)?)
}

pub fn inbox_list(conn: &mut DbConnection, status: Option<InboxStatus>, page: Page) -> StoreResult<Vec<InboxRow>> {
    let mut q = callback_inbox::table
        .filter(callback_inbox::id.gt(page.after))
        .order(callback_inbox::id)
        .limit(page.limit)
        .select(InboxRow::as_select())
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(callback_inbox::status.eq(s));
    }
    Ok(q.load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bank_transactions)]
pub struct BankTransaction {
    pub id: BankTransactionId,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub provider: Provider,
    pub provider_txn_id: String,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub paid_at: NaiveDateTime,
    pub payer_masked: Option<String>,
    pub reference: Option<String>,
    pub bill_id: Option<BillId>,
    pub entry_id: EntryId,
    pub outcome: Outcome,
    pub note: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = bank_transactions)]
pub struct NewBankTransaction<'a> {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub provider: Provider,
    pub provider_txn_id: &'a str,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub paid_at: NaiveDateTime,
    pub payer_masked: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub bill_id: Option<BillId>,
    pub entry_id: EntryId,
    pub outcome: Outcome,
    pub note: &'a str,
    pub created_at: NaiveDateTime,
}

impl BankTransaction {
    pub fn insert(conn: &mut DbConnection, new: &NewBankTransaction) -> StoreResult<BankTransaction> {
        Ok(diesel::insert_into(bank_transactions::table)
            .values(new)
            .returning(bank_transactions::all_columns)
            .get_result(conn)?)
    }
    pub fn by_id(conn: &mut DbConnection, id: BankTransactionId) -> StoreResult<Option<BankTransaction>> {
        Ok(bank_transactions::table
            .find(id)
            .select(BankTransaction::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn by_provider_txn(
        conn: &mut DbConnection,
        provider: Provider,
        txn: &str,
    ) -> StoreResult<Option<BankTransaction>> {
        Ok(bank_transactions::table
            .filter(bank_transactions::provider.eq(provider))
            .filter(bank_transactions::provider_txn_id.eq(txn))
            .select(BankTransaction::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn of_village(
        conn: &mut DbConnection,
        village_id: VillageId,
        outcome: Option<Outcome>,
        page: Page,
    ) -> StoreResult<Vec<BankTransaction>> {
        let mut q = bank_transactions::table
            .filter(bank_transactions::village_id.eq(village_id))
            .filter(bank_transactions::id.gt(page.after))
            .order(bank_transactions::id)
            .limit(page.limit)
            .select(BankTransaction::as_select())
            .into_boxed();
        if let Some(o) = outcome {
            q = q.filter(bank_transactions::outcome.eq(o));
        }
        Ok(q.load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = receipts)]
pub struct Receipt {
    pub id: ReceiptId,
    pub village_id: VillageId,
    pub year: i32,
    pub number: i64,
    pub bill_id: Option<BillId>,
    pub payer_id: Option<PayerId>,
    pub fee_item_id: Option<FeeItemId>,
    pub bank_transaction_id: Option<BankTransactionId>,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub channel: Channel,
    pub status: ReceiptStatus,
    pub issued_at: NaiveDateTime,
    pub issued_by: Option<UserId>,
    pub verification_code: String,
    pub cash_record_id: Option<CashRecordId>,
    /// The receipt this one reissues (a void keeps its number; the reissue gets a new one).
    pub replaces_id: Option<ReceiptId>,
}

/// Why and by whom a receipt was voided.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = receipt_voids)]
pub struct ReceiptVoid {
    pub receipt_id: ReceiptId,
    pub reason: String,
    pub voided_by: UserId,
    pub voided_at: NaiveDateTime,
    pub printed_payer_name: String,
}

impl ReceiptVoid {
    pub fn of(conn: &mut DbConnection, receipt_id: ReceiptId) -> StoreResult<Option<ReceiptVoid>> {
        Ok(receipt_voids::table
            .find(receipt_id)
            .select(ReceiptVoid::as_select())
            .first(conn)
            .optional()?)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = receipts)]
pub struct NewReceipt<'a> {
    pub village_id: VillageId,
    pub year: i32,
    pub number: i64,
    pub bill_id: Option<BillId>,
    pub payer_id: Option<PayerId>,
    pub fee_item_id: Option<FeeItemId>,
    pub bank_transaction_id: Option<BankTransactionId>,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub channel: Channel,
    pub status: ReceiptStatus,
    pub issued_at: NaiveDateTime,
    pub issued_by: Option<UserId>,
    pub verification_code: &'a str,
    pub cash_record_id: Option<CashRecordId>,
    pub replaces_id: Option<ReceiptId>,
}

impl Receipt {
    pub fn insert(conn: &mut DbConnection, new: &NewReceipt) -> StoreResult<Receipt> {
        Ok(diesel::insert_into(receipts::table)
            .values(new)
            .returning(receipts::all_columns)
            .get_result(conn)?)
    }
    pub fn by_number(
        conn: &mut DbConnection,
        village_id: VillageId,
        year: i32,
        number: i64,
    ) -> StoreResult<Option<Receipt>> {
        Ok(receipts::table
            .filter(receipts::village_id.eq(village_id))
            .filter(receipts::year.eq(year))
            .filter(receipts::number.eq(number))
            .select(Receipt::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn by_id(conn: &mut DbConnection, id: ReceiptId) -> StoreResult<Receipt> {
        Ok(receipts::table.find(id).select(Receipt::as_select()).first(conn)?)
    }

    /// Voids a receipt that is not voided yet, with its reason; false if it already was (a
    /// concurrent void: nothing is written).
    pub fn void(conn: &mut DbConnection, v: &ReceiptVoid) -> StoreResult<bool> {
        let n = diesel::update(
            receipts::table
                .find(v.receipt_id)
                .filter(receipts::status.ne(ReceiptStatus::Voided)),
        )
        .set(receipts::status.eq(ReceiptStatus::Voided))
        .execute(conn)?;
        if n == 1 {
            diesel::insert_into(receipt_voids::table).values(v).execute(conn)?;
        }
        Ok(n == 1)
    }

    /// The receipt that reissues this one, if any.
    pub fn reissue_of(conn: &mut DbConnection, id: ReceiptId) -> StoreResult<Option<Receipt>> {
        Ok(receipts::table
            .filter(receipts::replaces_id.eq(id))
            .select(Receipt::as_select())
            .first(conn)
            .optional()?)
    }

    /// How many 待核实 receipts a user issued that still wait for their money.
    pub fn pending_issued_by(conn: &mut DbConnection, user: UserId) -> StoreResult<i64> {
        Ok(receipts::table
            .filter(receipts::issued_by.eq(user))
            .filter(receipts::status.eq(ReceiptStatus::Pending))
            .count()
            .get_result(conn)?)
    }

    /// A 待核实 receipt of a bill waiting for its money, for this amount.
    pub fn pending_for_bill(conn: &mut DbConnection, bill_id: BillId, amount: Money) -> StoreResult<Option<Receipt>> {
        Ok(receipts::table
            .filter(receipts::bill_id.eq(bill_id))
            .filter(receipts::status.eq(ReceiptStatus::Pending))
            .filter(receipts::amount_fen.eq(amount))
            .order(receipts::id)
            .select(Receipt::as_select())
            .first(conn)
            .optional()?)
    }

    /// A pending receipt's money arrived: it rests on that bank transaction now.
    pub fn confirm(
        conn: &mut DbConnection,
        id: ReceiptId,
        bank_transaction_id: BankTransactionId,
        code: &str,
    ) -> StoreResult<()> {
        diesel::update(
            receipts::table
                .find(id)
                .filter(receipts::status.eq(ReceiptStatus::Pending)),
        )
        .set((
            receipts::status.eq(ReceiptStatus::Issued),
            receipts::bank_transaction_id.eq(Some(bank_transaction_id)),
            receipts::verification_code.eq(code),
        ))
        .execute(conn)?;
        Ok(())
    }

    /// The receipt issued against a bank transaction, if any.
    /// The receipt that rests on a credit now: the one not voided, else the latest (a credit's
    /// receipt may have been voided and reissued, or voided when its placement was undone).
    pub fn of_bank_transaction(
        conn: &mut DbConnection,
        bank_transaction_id: BankTransactionId,
    ) -> StoreResult<Option<Receipt>> {
        let all: Vec<Receipt> = receipts::table
            .filter(receipts::bank_transaction_id.eq(bank_transaction_id))
            .order(receipts::id.desc())
            .select(Receipt::as_select())
            .load(conn)?;
        let in_force = all.iter().position(|r| r.status != ReceiptStatus::Voided);
        Ok(all.into_iter().nth(in_force.unwrap_or(0)))
    }

    pub fn of_village(conn: &mut DbConnection, village_id: VillageId, page: Page) -> StoreResult<Vec<Receipt>> {
        Ok(receipts::table
            .filter(receipts::village_id.eq(village_id))
            .filter(receipts::id.gt(page.after))
            .order(receipts::id)
            .limit(page.limit)
            .select(Receipt::as_select())
            .load(conn)?)
    }
}

/// Adds a payment (negative: takes one back) to a bill as it was read, and sets its status from
/// what is then paid. The update checks that the bill still holds what was read: under the
/// village's lock it always does, and if it ever did not, the transaction is retried rather
/// than a payment counted on a stale amount.
pub fn bill_add_payment(conn: &mut DbConnection, bill: &Bill, amount: Money) -> StoreResult<()> {
    use super::schema::bills;
    let paid = bill.paid + amount;
    let changed = diesel::update(bills::table.find(bill.id).filter(bills::paid_fen.eq(bill.paid)))
        .set((
            bills::paid_fen.eq(paid),
            bills::status.eq(BillStatus::from_paid(paid, bill.amount)),
        ))
        .execute(conn)?;
    if changed != 1 {
        return Err(StoreError::Retry(format!(
            "bill {} changed while a payment was recorded",
            bill.id
        )));
    }
    Ok(())
}
