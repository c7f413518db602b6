//! Use cases: one function per user action, each in one transaction.
//!
//! A use case takes the database, the acting user and a parsed request; it checks the role and
//! scope, applies the domain and ledger rules, writes through the store, records the change in
//! the audit log, and returns a view for the caller to render. It knows nothing of HTTP.
//! Functions here are blocking: the web layer runs them on the blocking pool (`Db::run`). The
//! exception is [`orders`], which talks to gateways over HTTP between its transactions.

pub mod access;
pub mod billing;
pub mod bindings;
pub mod bookkeeping;
pub mod callbacks;
pub mod cash;
pub mod clearing;
pub mod collections;
pub mod county;
pub mod demo;
pub mod disbursements;
pub mod exports;
pub mod history;
pub mod input;
pub mod inspection;
pub mod orders;
pub mod qr_codes;
pub mod receipt_pdf;
pub mod receipts;
pub mod reconciliation;
pub mod refunds;
pub mod registry;
pub mod statements;
pub mod suspense;
pub mod transparency;
pub mod verify;

use crate::domain::access::{Action, Actor, Place};
use crate::domain::{period, VillageId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::audit::{self, AuditEvent};
use crate::store::lock::lock_village;
use crate::store::registry::Village;
use crate::store::DbConnection;

/// The village with this code, if the actor may do `action` there. Missing and out of scope
/// answer the same "not found", so a clerk learns nothing about other villages.
pub(crate) fn village_for(conn: &mut DbConnection, actor: &Actor, code: &str, action: Action) -> AppResult<Village> {
    let not_found = || {
        AppError::new(
            ErrorCode::VillageNotFound,
            format!("找不到代码为 {} 的村，或它不在您的管辖范围内。", code.trim()),
        )
    };
    let place = Village::place_by_code(conn, code.trim())?.ok_or_else(not_found)?;
    let village = place.village;
    let where_ = Place {
        county_id: place.county_id,
        township_id: Some(village.township_id),
        village_id: Some(village.id),
    };
    actor.may(action, where_).map_err(|d| match d {
        crate::domain::access::Denied::OutOfScope => not_found(),
        other => other.into(),
    })?;
    Ok(village)
}

/// The village a write use case changes: as [`village_for`], then the village's write lock
/// (`store::lock`), taken before anything the change depends on is read.
pub(crate) fn village_to_change(
    conn: &mut DbConnection,
    actor: &Actor,
    code: &str,
    action: Action,
) -> AppResult<Village> {
    let village = village_for(conn, actor, code, action)?;
    lock_village(conn, village.id)?;
    Ok(village)
}

/// Inside a write that acts on the user's own authority (cash taken, declared or claimed): the
/// user is still active with the role and scope the request signed in with. A session signed in
/// before the admin moved or disabled the user is refused here, and the user's row stays locked
/// (shared) until the write commits, so a move cannot slip between the check and the write.
pub(crate) fn still_assigned(conn: &mut DbConnection, actor: &Actor) -> AppResult<()> {
    let user = crate::store::access::User::locked(conn, actor.user_id, false)?;
    let same = user.is_some_and(|u| {
        u.active && u.role == actor.role && u.scope_kind == actor.scope.kind() && u.scope_id == actor.scope.id()
    });
    if !same {
        return Err(AppError::new(
            ErrorCode::Unauthenticated,
            "您的岗位或管辖范围已调整，或账号已停用；请重新登录。",
        ));
    }
    Ok(())
}

/// Records a state change in the audit log, in the caller's transaction.
pub(crate) fn audit(
    conn: &mut DbConnection,
    actor: Option<&Actor>,
    action: &str,
    object_type: &str,
    object_id: impl ToString,
    village_id: Option<VillageId>,
    details: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &AuditEvent {
            actor_id: actor.map(|a| a.user_id),
            action,
            object_type,
            object_id: object_id.to_string(),
            village_id,
            details,
        },
        period::now(),
    )?;
    Ok(())
}

/// Maps a unique violation to a specific conflict; other errors pass through.
pub(crate) fn on_unique(code: ErrorCode, message: String, field: &'static str) -> impl FnOnce(AppError) -> AppError {
    move |e| {
        if e.is(ErrorCode::AlreadyExists) {
            AppError::new(code, message).at(field)
        } else {
            e
        }
    }
}
