//! Staff users and their API tokens (stored as SHA-256 hashes, never in clear).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{api_tokens, users};
use super::{DbConnection, Page, StoreResult};
use crate::domain::access::Scope;
use crate::domain::ids::UserId;
use crate::domain::{Role, ScopeKind};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub scope_kind: ScopeKind,
    pub scope_id: i64,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub scope_kind: ScopeKind,
    pub scope_id: i64,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl User {
    pub fn insert(conn: &mut DbConnection, new: &NewUser) -> StoreResult<User> {
        Ok(diesel::insert_into(users::table)
            .values(new)
            .returning(users::all_columns)
            .get_result(conn)?)
    }
    pub fn by_id(conn: &mut DbConnection, id: UserId) -> StoreResult<Option<User>> {
        Ok(users::table.find(id).select(User::as_select()).first(conn).optional()?)
    }

    /// The display names of these users, in one query (what a list shows beside each row).
    pub fn names(conn: &mut DbConnection, ids: &[UserId]) -> StoreResult<std::collections::HashMap<UserId, String>> {
        Ok(users::table
            .filter(users::id.eq_any(ids))
            .select((users::id, users::display_name))
            .load::<(UserId, String)>(conn)?
            .into_iter()
            .collect())
    }

    pub fn by_username(conn: &mut DbConnection, username: &str) -> StoreResult<Option<User>> {
        Ok(users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .first(conn)
            .optional()?)
    }
    pub fn list(conn: &mut DbConnection, page: Page) -> StoreResult<Vec<User>> {
        Ok(users::table
            .filter(users::id.gt(page.after))
            .order(users::id)
            .limit(page.limit)
            .select(User::as_select())
            .load(conn)?)
    }
    /// Enables or disables a user; false when nothing changed (it already was so).
    pub fn set_active(conn: &mut DbConnection, id: UserId, active: bool) -> StoreResult<bool> {
        let n = diesel::update(users::table.filter(users::id.eq(id)).filter(users::active.ne(active)))
            .set(users::active.eq(active))
            .execute(conn)?;
        Ok(n == 1)
    }
    /// The user's row, locked against a concurrent change of role or scope until the transaction
    /// ends: shared by the use cases that act on the user's authority (taking cash), exclusive
    /// for the admin who changes it. SQLite's single writer needs no row lock.
    pub fn locked(conn: &mut DbConnection, id: UserId, exclusive: bool) -> StoreResult<Option<User>> {
        let q = users::table.filter(users::id.eq(id));
        Ok(match conn {
            DbConnection::Pg(c) if exclusive => q.select(User::as_select()).for_update().first(c).optional()?,
            DbConnection::Pg(c) => q.select(User::as_select()).for_share().first(c).optional()?,
            DbConnection::Sqlite(c) => q.select(User::as_select()).first(c).optional()?,
        })
    }

    /// A new role and scope for a user.
    pub fn set_assignment(conn: &mut DbConnection, id: UserId, role: Role, scope: Scope) -> StoreResult<()> {
        diesel::update(users::table.filter(users::id.eq(id)))
            .set((
                users::role.eq(role),
                users::scope_kind.eq(scope.kind()),
                users::scope_id.eq(scope.id()),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_password_hash(conn: &mut DbConnection, id: UserId, hash: &str) -> StoreResult<()> {
        diesel::update(users::table.filter(users::id.eq(id)))
            .set(users::password_hash.eq(hash))
            .execute(conn)?;
        Ok(())
    }
    pub fn count(conn: &mut DbConnection) -> StoreResult<i64> {
        Ok(users::table.count().get_result(conn)?)
    }
}

pub fn insert_token(
    conn: &mut DbConnection,
    user_id: UserId,
    token_hash: &str,
    label: &str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::token_hash.eq(token_hash),
            api_tokens::label.eq(label),
            api_tokens::created_at.eq(created_at),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The active user behind a live token (not revoked, not expired).
pub fn user_by_token(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> StoreResult<Option<User>> {
    Ok(api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(token_hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Ends every live session of a user (disabled, or their password reset); how many.
pub fn revoke_all_tokens(conn: &mut DbConnection, user_id: UserId, now: NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?)
}

pub fn revoke_token(conn: &mut DbConnection, token_hash: &str, now: NaiveDateTime) -> StoreResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}
