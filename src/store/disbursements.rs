//! Disbursements (money out): requested, decided by another person, paid when the bank's
//! statement shows the debit. A status only moves forward, by a conditional UPDATE that checks
//! the status it moves from, under the village's lock.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{disbursement_withdrawals, disbursements};
use super::{DbConnection, StoreResult};
use crate::domain::ids::{CorporateAccountId, EntryId, UserId, VillageId};
use crate::domain::vocabulary::DisbursementStatus;
use crate::domain::Money;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = disbursements)]
pub struct Disbursement {
    pub id: i64,
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub payee_name: String,
    pub payee_account: String,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub purpose: String,
    pub account_code: String,
    pub attachments: String,
    pub status: DisbursementStatus,
    pub requested_by: UserId,
    pub requested_at: NaiveDateTime,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    pub statement_line_id: Option<i64>,
    pub entry_id: Option<EntryId>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = disbursements)]
pub struct NewDisbursement<'a> {
    pub village_id: VillageId,
    pub corporate_account_id: CorporateAccountId,
    pub payee_name: &'a str,
    pub payee_account: &'a str,
    #[diesel(column_name = amount_fen)]
    pub amount: Money,
    pub purpose: &'a str,
    pub account_code: &'a str,
    pub attachments: &'a str,
    pub status: DisbursementStatus,
    pub requested_by: UserId,
    pub requested_at: NaiveDateTime,
}

impl Disbursement {
    pub fn insert(conn: &mut DbConnection, new: &NewDisbursement) -> StoreResult<Disbursement> {
        Ok(diesel::insert_into(disbursements::table)
            .values(new)
            .returning(disbursements::all_columns)
            .get_result(conn)?)
    }

    pub fn in_village(conn: &mut DbConnection, village: VillageId, id: i64) -> StoreResult<Option<Disbursement>> {
        Ok(disbursements::table
            .filter(disbursements::village_id.eq(village))
            .filter(disbursements::id.eq(id))
            .select(Disbursement::as_select())
            .first(conn)
            .optional()?)
    }

    /// A village's requests, newest first, optionally of one status.
    pub fn of_village(
        conn: &mut DbConnection,
        village: VillageId,
        status: Option<DisbursementStatus>,
        limit: i64,
    ) -> StoreResult<Vec<Disbursement>> {
        let mut q = disbursements::table
            .filter(disbursements::village_id.eq(village))
            .into_boxed();
        if let Some(s) = status {
            q = q.filter(disbursements::status.eq(s));
        }
        Ok(q.order(disbursements::id.desc())
            .limit(limit)
            .select(Disbursement::as_select())
            .load(conn)?)
    }

    /// Approved and not yet paid, of one account: what a debit on the statement may be.
    pub fn approved_unpaid(conn: &mut DbConnection, account: CorporateAccountId) -> StoreResult<Vec<Disbursement>> {
        Ok(disbursements::table
            .filter(disbursements::corporate_account_id.eq(account))
            .filter(disbursements::status.eq(DisbursementStatus::Approved))
            .order(disbursements::id)
            .select(Disbursement::as_select())
            .load(conn)?)
    }

    /// Approves or rejects a request still waiting; false if it was decided meanwhile.
    pub fn decide(
        conn: &mut DbConnection,
        id: i64,
        to: DisbursementStatus,
        by: UserId,
        at: NaiveDateTime,
        note: &str,
    ) -> StoreResult<bool> {
        let n = diesel::update(
            disbursements::table
                .filter(disbursements::id.eq(id))
                .filter(disbursements::status.eq(DisbursementStatus::Requested)),
        )
        .set((
            disbursements::status.eq(to),
            disbursements::decided_by.eq(Some(by)),
            disbursements::decided_at.eq(Some(at)),
            disbursements::decision_note.eq(Some(note)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Withdraws the approval of a request the bank has not paid (the bank could not pay the
    /// payee's account): it ends rejected, the approval's own fields untouched, and who withdrew
    /// it, when and why kept in their own row; false if it was paid or changed meanwhile.
    pub fn withdraw(
        conn: &mut DbConnection,
        d: &Disbursement,
        by: UserId,
        at: NaiveDateTime,
        note: &str,
    ) -> StoreResult<bool> {
        let n = diesel::update(
            disbursements::table
                .filter(disbursements::id.eq(d.id))
                .filter(disbursements::status.eq(DisbursementStatus::Approved))
                .filter(disbursements::statement_line_id.is_null()),
        )
        .set(disbursements::status.eq(DisbursementStatus::Rejected))
        .execute(conn)?;
        if n != 1 {
            return Ok(false);
        }
        diesel::insert_into(disbursement_withdrawals::table)
            .values((
                disbursement_withdrawals::disbursement_id.eq(d.id),
                disbursement_withdrawals::village_id.eq(d.village_id),
                disbursement_withdrawals::withdrawn_by.eq(by),
                disbursement_withdrawals::withdrawn_at.eq(at),
                disbursement_withdrawals::note.eq(note),
            ))
            .execute(conn)?;
        Ok(true)
    }

    /// The withdrawals of these requests' approvals, by request: (who, when, why); one query.
    pub fn withdrawals(
        conn: &mut DbConnection,
        ids: &[i64],
    ) -> StoreResult<std::collections::HashMap<i64, (UserId, NaiveDateTime, String)>> {
        Ok(disbursement_withdrawals::table
            .filter(disbursement_withdrawals::disbursement_id.eq_any(ids))
            .select((
                disbursement_withdrawals::disbursement_id,
                disbursement_withdrawals::withdrawn_by,
                disbursement_withdrawals::withdrawn_at,
                disbursement_withdrawals::note,
            ))
            .load::<(i64, UserId, NaiveDateTime, String)>(conn)?
            .into_iter()
            .map(|(id, by, at, note)| (id, (by, at, note)))
            .collect())
    }

    /// Marks an approved request paid by a statement line and its entry.
    pub fn mark_paid(conn: &mut DbConnection, id: i64, line: i64, entry: EntryId) -> StoreResult<bool> {
        let n = diesel::update(
            disbursements::table
                .filter(disbursements::id.eq(id))
                .filter(disbursements::status.eq(DisbursementStatus::Approved)),
        )
        .set((
            disbursements::status.eq(DisbursementStatus::Paid),
            disbursements::statement_line_id.eq(Some(line)),
            disbursements::entry_id.eq(Some(entry)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}
