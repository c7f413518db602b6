//! The audit log: every state change, append-only and hash-chained like the journal, so a
//! quiet edit of who did what breaks the chain that `verify` walks.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{audit_heads, audit_log};
use super::{DbConnection, Page, StoreResult};
use crate::domain::ids::{UserId, VillageId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: i64,
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub village_id: Option<VillageId>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// One state change to record.
pub struct AuditEvent<'a> {
    pub actor_id: Option<UserId>,
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub village_id: Option<VillageId>,
    /// JSON with what changed; never secrets or personal data beyond ids.
    pub details: serde_json::Value,
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u32).to_be_bytes());
    h.update(bytes);
}

/// The link hash of one audit record after `prev_hash`.
pub fn audit_hash(
    prev_hash: &str,
    seq: i64,
    at: NaiveDateTime,
    r: (&Option<i64>, &str, &str, &str, &Option<i64>, &str),
) -> String {
    let (actor, action, object_type, object_id, village, details) = r;
    let mut h = Sha256::new();
    field(&mut h, b"qz-audit-v1");
    field(&mut h, prev_hash.as_bytes());
    field(&mut h, &seq.to_be_bytes());
    field(&mut h, at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string().as_bytes());
    field(&mut h, actor.map(|a| a.to_string()).unwrap_or_default().as_bytes());
    field(&mut h, action.as_bytes());
    field(&mut h, object_type.as_bytes());
    field(&mut h, object_id.as_bytes());
    field(&mut h, village.map(|v| v.to_string()).unwrap_or_default().as_bytes());
    field(&mut h, details.as_bytes());
    hex::encode(h.finalize())
}

/// Appends an event in the caller's transaction. The head row serialises writers, which is
/// fine for staff actions; bulk machine traffic (callbacks) has its own inbox instead.
pub fn record(conn: &mut DbConnection, e: &AuditEvent, at: DateTime<Utc>) -> StoreResult<i64> {
    let (seq, prev): (i64, String) = diesel::update(audit_heads::table.find(1))
        .set(audit_heads::last_seq.eq(audit_heads::last_seq + 1))
        .returning((audit_heads::last_seq, audit_heads::last_hash))
        .get_result(conn)?;
    let at = at.naive_utc();
    let details = e.details.to_string();
    let hash = audit_hash(
        &prev,
        seq,
        at,
        (
            &e.actor_id.map(UserId::get),
            e.action,
            e.object_type,
            &e.object_id,
            &e.village_id.map(VillageId::get),
            &details,
        ),
    );
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::seq.eq(seq),
            audit_log::at.eq(at),
            audit_log::actor_id.eq(e.actor_id),
            audit_log::action.eq(e.action),
            audit_log::object_type.eq(e.object_type),
            audit_log::object_id.eq(&e.object_id),
            audit_log::village_id.eq(e.village_id),
            audit_log::details.eq(&details),
            audit_log::prev_hash.eq(&prev),
            audit_log::hash.eq(&hash),
        ))
        .execute(conn)?;
    diesel::update(audit_heads::table.find(1))
        .set(audit_heads::last_hash.eq(&hash))
        .execute(conn)?;
    Ok(seq)
}

impl AuditRecord {
    /// Records by sequence; `villages` limits them to those villages (None: all records).
    pub fn list(conn: &mut DbConnection, villages: Option<&[VillageId]>, page: Page) -> StoreResult<Vec<AuditRecord>> {
        let mut q = audit_log::table
            .filter(audit_log::seq.gt(page.after))
            .order(audit_log::seq)
            .limit(page.limit)
            .select(AuditRecord::as_select())
            .into_boxed();
        if let Some(v) = villages {
            q = q.filter(audit_log::village_id.eq_any(v.to_vec()));
        }
        Ok(q.load(conn)?)
    }

    pub fn head(conn: &mut DbConnection) -> StoreResult<(i64, String)> {
        Ok(audit_heads::table
            .find(1)
            .select((audit_heads::last_seq, audit_heads::last_hash))
            .first(conn)?)
    }

    pub fn recompute_hash(&self) -> String {
        audit_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            (
                &self.actor_id.map(UserId::get),
                &self.action,
                &self.object_type,
                &self.object_id,
                &self.village_id.map(VillageId::get),
                &self.details,
            ),
        )
    }
}
