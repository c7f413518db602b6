//! Staff access: passwords (argon2id), login tokens (random, stored as SHA-256), users with a
//! role and a scope, and reading the audit log.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::registry::county_of_scope;
use super::{audit, input, on_unique};
use crate::domain::access::{Action, Actor, Place, Role, Scope, ScopeKind};
use crate::domain::ids::{UserId, VillageId};
use crate::domain::period;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::access::{self as store, NewUser, User};
use crate::store::audit::AuditRecord;
use crate::store::registry::{County, Township, Village, VillageFilter};
use crate::store::{Db, DbConnection, Page};
use bank_adapters::Secret;

pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn hash_password(password: &Secret<String>) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

fn password_matches(password: &Secret<String>, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.expose().as_bytes(), &h)
            .is_ok()
    })
}

/// A hash that verifies nothing, checked when the username is unknown so that the answer takes
/// as long as for a known user with a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&Secret::new("not-a-real-password".into())).unwrap_or_default())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    pub username: String,
    #[schema(value_type = String, format = Password)]
    pub password: Secret<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResult {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserView,
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone)]
pub struct ScopeRef {
    pub kind: ScopeKind,
    /// The 12-digit code of the county, township or village.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: ScopeRef,
    pub active: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String, format = Password)]
    pub password: Secret<String>,
    pub role: Role,
    pub scope: ScopeRef,
}

fn actor_of(u: &User) -> AppResult<Actor> {
    Ok(Actor {
        user_id: u.id,
        username: u.username.clone(),
        role: u.role,
        scope: Scope::from_parts(u.scope_kind, u.scope_id),
    })
}

fn scope_ref(conn: &mut DbConnection, scope: Scope) -> AppResult<ScopeRef> {
    let code = match scope {
        Scope::County(id) => County::by_id(conn, id)?.code,
        Scope::Township(id) => Township::by_id(conn, id)?.code,
        Scope::Village(id) => Village::by_id(conn, id)?.code,
    };
    Ok(ScopeRef {
        kind: scope.kind(),
        code,
    })
}

fn user_view(conn: &mut DbConnection, u: &User) -> AppResult<UserView> {
    let actor = actor_of(u)?;
    Ok(UserView {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: actor.role,
        scope: scope_ref(conn, actor.scope)?,
        active: u.active,
    })
}

/// Resolves a scope given by kind and code, with where it lies.
fn resolve_scope(conn: &mut DbConnection, s: &ScopeRef) -> AppResult<(Scope, Place)> {
    let code = s.code.trim();
    let missing = || {
        AppError::new(
            ErrorCode::ScopeNotFound,
            format!("找不到代码为 {code} 的{}。", s.kind.label()),
        )
        .at("scope")
    };
    match s.kind {
        ScopeKind::County => {
            let c = County::by_code(conn, code)?.ok_or_else(missing)?;
            Ok((
                Scope::County(c.id),
                Place {
                    county_id: c.id,
                    township_id: None,
                    village_id: None,
                },
            ))
        }
        ScopeKind::Township => {
            let t = Township::by_code(conn, code)?.ok_or_else(missing)?;
            Ok((
                Scope::Township(t.id),
                Place {
                    county_id: t.county_id,
                    township_id: Some(t.id),
                    village_id: None,
                },
            ))
        }
        ScopeKind::Village => {
            let p = Village::place_by_code(conn, code)?.ok_or_else(missing)?;
            let v = p.village;
            Ok((
                Scope::Village(v.id),
                Place {
                    county_id: p.county_id,
                    township_id: Some(v.township_id),
                    village_id: Some(v.id),
                },
            ))
        }
    }
}

fn check_new_user(username: &str, display_name: &str, password: &Secret<String>) -> AppResult<(String, String)> {
    let username = username.trim().to_string();
    let ok = (3..=32).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.' || b == b'-');
    if !ok {
        return Err(AppError::code(ErrorCode::UsernameInvalid).at("username"));
    }
    let display_name = input::text("display_name", display_name, 40)?;
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::new(
            ErrorCode::PasswordTooShort,
            format!("密码至少 {MIN_PASSWORD_CHARS} 位。"),
        )
        .at("password"));
    }
    Ok((username, display_name))
}

/// Inserts a user after the checks; `actor` is None for the CLI's first admin.
pub(crate) fn insert_user(conn: &mut DbConnection, actor: Option<&Actor>, input: &NewUserInput) -> AppResult<UserView> {
    let (username, display_name) = check_new_user(&input.username, &input.display_name, &input.password)?;
    let (scope, place) = resolve_scope(conn, &input.scope)?;
    if let Some(a) = actor {
        // An admin creates users only inside their own scope, never above it.
        a.may(Action::ManageUsers, place)
            .map_err(|_| AppError::code(ErrorCode::ScopeNotAllowed).at("scope"))?;
    }
    if input.role == Role::Clerk && !matches!(scope, Scope::Village(_)) {
        return Err(AppError::code(ErrorCode::ScopeInvalid).at("scope"));
    }
    let hash = hash_password(&input.password)?;
    let user = User::insert(
        conn,
        &NewUser {
            username: &username,
            display_name: &display_name,
            password_hash: &hash,
            role: input.role,
            scope_kind: scope.kind(),
            scope_id: scope.id(),
            active: true,
            created_at: period::now().naive_utc(),
        },
    )
    .map_err(AppError::from)
    .map_err(on_unique(
        ErrorCode::UsernameTaken,
        format!("用户名 {username} 已被使用。"),
        "username",
    ))?;
    audit(
        conn,
        actor,
        "user.create",
        "user",
        &user.username,
        place.village_id,
        serde_json::json!({ "role": user.role, "scope": input.scope.kind, "scope_code": input.scope.code }),
    )?;
    user_view(conn, &user)
}

/// The command line's `user add`: no acting user (it runs on the server itself); with
/// `county_name`, a county scope that does not exist yet is created first.
pub fn bootstrap_user(db: &Db, input: NewUserInput, county_name: Option<&str>) -> AppResult<UserView> {
    db.write(|conn| {
        if let (Some(name), ScopeKind::County) = (county_name, input.scope.kind) {
            super::registry::ensure_county(conn, &input.scope.code, name)?;
        }
        insert_user(conn, None, &input)
    })
}

pub fn create_user(db: &Db, actor: &Actor, input: NewUserInput) -> AppResult<UserView> {
    db.write(|conn| insert_user(conn, Some(actor), &input))
}

/// Users whose scope lies inside the admin's scope.
pub fn list_users(db: &Db, actor: &Actor, page: Page) -> AppResult<Vec<UserView>> {
    db.read(|conn| {
        actor.may(Action::ManageUsers, own_place(conn, actor.scope)?)?;
        // Users of other counties are skipped, so read on until the page is full of the
        // actor's own (or none are left): a page is `limit` users the actor may manage.
        let mut out = Vec::new();
        let mut after = page.after;
        loop {
            let batch = User::list(conn, Page { after, limit: 500 })?;
            let Some(last) = batch.last() else { break };
            after = last.id.0;
            for u in batch {
                let view = user_view(conn, &u)?;
                let (_, place) = resolve_scope(conn, &view.scope)?;
                if actor.may(Action::ManageUsers, place).is_ok() {
                    out.push(view);
                    if out.len() as i64 == page.limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    })
}

/// A user the admin may manage: inside the admin's scope, and not the admin themself (an admin
/// who locks themself out needs another admin anyway).
fn user_to_manage(conn: &mut DbConnection, actor: &Actor, id: UserId) -> AppResult<User> {
    let not_found = || AppError::new(ErrorCode::NotFound, format!("没有编号为 {} 的用户。", id.0));
    let user = User::by_id(conn, id)?.ok_or_else(not_found)?;
    let view = user_view(conn, &user)?;
    let (_, place) = resolve_scope(conn, &view.scope)?;
    actor.may(Action::ManageUsers, place).map_err(|d| match d {
        crate::domain::access::Denied::OutOfScope => not_found(),
        other => other.into(),
    })?;
    if user.id == actor.user_id {
        return Err(AppError::new(
            ErrorCode::FieldInvalid,
            "不能在这里停用自己、重设自己的密码或调整自己的岗位；请由另一位管理员办理。",
        ));
    }
    Ok(user)
}

/// An admin who set an inspector's or another admin's password could act as them: the
/// inspector who watches the admin, or a peer whose actions the log would name. Those accounts
/// are replaced (a new user added, the old one disabled), never taken over.
fn resettable(user: &User) -> AppResult<()> {
    if matches!(user.role, Role::Inspector | Role::Admin) {
        return Err(AppError::new(
            ErrorCode::FieldInvalid,
            format!(
                "不能为{}重设密码，以免账号被他人冒用：请为本人添加新账号，并停用旧账号。",
                user.role.label()
            ),
        ));
    }
    Ok(())
}

/// Disables a user (their sessions end at once; nothing they did is removed) or enables them
/// again.
pub fn set_user_active(db: &Db, actor: &Actor, id: UserId, active: bool) -> AppResult<UserView> {
    db.write(|conn| {
        let user = user_to_manage(conn, actor, id)?;
        if !User::set_active(conn, user.id, active)? {
            return Err(AppError::new(
                ErrorCode::FieldInvalid,
                format!("用户 {} 已经{}。", user.username, if active { "启用" } else { "停用" }),
            ));
        }
        let ended = if active {
            0
        } else {
            store::revoke_all_tokens(conn, user.id, period::now().naive_utc())?
        };
        audit(
            conn,
            Some(actor),
            if active { "user.enable" } else { "user.disable" },
            "user",
            &user.username,
            None,
            serde_json::json!({ "sessions_ended": ended }),
        )?;
        let user = User::by_id(conn, user.id)?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
        user_view(conn, &user)
    })
}

/// Sets a new password for a user who forgot theirs; their sessions end. The hash is computed
/// before the transaction (it is the slow part) and only an admin may ask for it.
pub fn reset_password(db: &Db, actor: &Actor, id: UserId, password: &Secret<String>) -> AppResult<UserView> {
    if password.expose().chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::new(
            ErrorCode::PasswordTooShort,
            format!("密码至少 {MIN_PASSWORD_CHARS} 位。"),
        )
        .at("password"));
    }
    // Checked once before hashing, so nobody outside the admin's scope costs us a hash.
    db.read(|conn| user_to_manage(conn, actor, id).and_then(|u| resettable(&u)))?;
    let hash = hash_password(password)?;
    db.write(|conn| {
        let user = user_to_manage(conn, actor, id)?;
        resettable(&user)?;
        User::set_password_hash(conn, user.id, &hash)?;
        let ended = store::revoke_all_tokens(conn, user.id, period::now().naive_utc())?;
        audit(
            conn,
            Some(actor),
            "user.reset_password",
            "user",
            &user.username,
            None,
            serde_json::json!({ "sessions_ended": ended }),
        )?;
        user_view(conn, &user)
    })
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignmentInput {
    pub role: Role,
    pub scope: ScopeRef,
}

/// Gives a clerk or accountant another post or place (a clerk moves to another village, a clerk
/// becomes the township's accountant). Their sessions end, so the new authority takes effect at
/// once. Refused, in words, for what would blur who answers for what:
/// - inspectors and admins keep their posts (a new account is added, the old one disabled), and
///   nobody becomes an inspector or admin this way: a person does not come to inspect or
///   administer work they did under the same name;
/// - a clerk's desk is cleared first: cash still on hand or a pay-in the bank has not shown yet
///   stays with the village it was taken for, and a 待核实 receipt they issued is not left for
///   them to confirm in a new post.
///
/// The user's row is locked first: a cash write signed in before the move either finishes
/// before the checks see it, or is refused (`still_assigned`).
pub fn reassign_user(db: &Db, actor: &Actor, id: UserId, input: AssignmentInput) -> AppResult<UserView> {
    db.write(|conn| {
        store::User::locked(conn, id, true)?;
        let user = user_to_manage(conn, actor, id)?;
        let working = |r: Role| matches!(r, Role::Clerk | Role::Accountant);
        if !working(user.role) || !working(input.role) {
            return Err(AppError::new(
                ErrorCode::FieldInvalid,
                "只能在村报账员和乡镇会计之间调整岗位和范围；纪检人员和管理员请添加新账号，并停用旧账号。",
            )
            .at("role"));
        }
        let (scope, place) = resolve_scope(conn, &input.scope)?;
        actor.may(Action::ManageUsers, place).map_err(|_| {
            AppError::new(ErrorCode::ScopeNotAllowed, "只能把用户调到您管辖范围内的村、乡镇或县。").at("scope")
        })?;
        if input.role == Role::Clerk && !matches!(scope, Scope::Village(_)) {
            return Err(AppError::code(ErrorCode::ScopeInvalid).at("scope"));
        }
        let before = user_view(conn, &user)?;
        if before.role == input.role
            && before.scope.kind == input.scope.kind
            && before.scope.code == input.scope.code.trim()
        {
            return Err(AppError::new(
                ErrorCode::FieldInvalid,
                format!("用户 {} 已经是这个岗位和范围。", user.username),
            )
            .at("scope"));
        }
        let desk = |what: String| {
            AppError::new(
                ErrorCode::FieldInvalid,
                format!("{}{what}；办完后再调整岗位或范围。", user.display_name),
            )
            .at("scope")
        };
        let (records, held) = crate::store::cash::CashRecord::held_by(conn, user.id)?;
        if records > 0 {
            return Err(desk(format!(
                " 手上还有 {records} 笔现金共 ¥{held} 没有交存银行：请先交存，并在银行到账后对上"
            )));
        }
        let (declared, on_way) = crate::store::cash::PayIn::declared_by(conn, user.id)?;
        if declared > 0 {
            return Err(desk(format!(
                " 有 {declared} 笔代交共 ¥{on_way} 还没有对上银行到账：请等银行到账后对上"
            )));
        }
        let claims = crate::store::payments::Receipt::pending_issued_by(conn, user.id)?;
        if claims > 0 {
            return Err(desk(format!(
                " 开的 {claims} 张待核实收据还没有核实：请等款项到账确认，或作废收错的"
            )));
        }
        store::User::set_assignment(conn, user.id, input.role, scope)?;
        let ended = store::revoke_all_tokens(conn, user.id, period::now().naive_utc())?;
        audit(
            conn,
            Some(actor),
            "user.reassign",
            "user",
            &user.username,
            place.village_id,
            serde_json::json!({
                "from": {"role": before.role, "scope": before.scope.kind, "scope_code": before.scope.code},
                "to": {"role": input.role, "scope": input.scope.kind, "scope_code": input.scope.code.trim()},
                "sessions_ended": ended,
            }),
        )?;
        let user = User::by_id(conn, user.id)?.ok_or_else(|| AppError::code(ErrorCode::NotFound))?;
        user_view(conn, &user)
    })
}

/// Whether a name could be a username at all (the rule `check_new_user` enforces): anything
/// else is refused without a database lookup or a password hash.
fn plausible_username(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.' || b == b'-')
}

/// Who is trying to log in: the active user of that name, if there is one. Logging in takes
/// three steps so that the password hash, the expensive part, holds neither a database
/// connection nor an async worker: find the user (a quick read), check the password (on the
/// blocking pool, through the web layer's bound on concurrent hashes), start the session (a quick
/// write).
/// An active user acting from the command line on the server (`--as USERNAME`): the same role
/// and scope as when they log in, and the audit log names them.
pub fn actor_by_username(db: &Db, username: &str) -> AppResult<Actor> {
    match login_candidate(db, username)? {
        Some(u) => actor_of(&u),
        None => Err(AppError::new(
            ErrorCode::NotFound,
            format!("没有启用中的用户 {username} / no active user {username}"),
        )),
    }
}

pub fn login_candidate(db: &Db, username: &str) -> AppResult<Option<User>> {
    let username = username.trim();
    if !plausible_username(username) {
        return Ok(None);
    }
    db.read(|conn| Ok(User::by_username(conn, username)?.filter(|u| u.active)))
}

/// Whether `password` is the user's. Without a user a dummy hash is checked, so the answer takes
/// as long as for a real user with a wrong password. CPU and memory heavy (argon2id).
pub fn password_matches_user(user: Option<&User>, password: &Secret<String>) -> bool {
    match user {
        Some(u) => password_matches(password, &u.password_hash),
        None => {
            let _ = password_matches(password, dummy_hash());
            false
        }
    }
}

/// A session for a user whose password matched: a token valid for `ttl`, audited.
pub fn start_session(db: &Db, user: &User, ttl: Duration) -> AppResult<LoginResult> {
    db.write(|conn| {
        let raw: [u8; 32] = rand::random();
        let token = format!("qz_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw));
        let now = period::now();
        let expires_at = now + ttl;
        store::insert_token(
            conn,
            user.id,
            &token_hash(&token),
            "login",
            now.naive_utc(),
            expires_at.naive_utc(),
        )?;
        let actor = actor_of(user)?;
        audit(
            conn,
            Some(&actor),
            "auth.login",
            "user",
            &user.username,
            None,
            serde_json::json!({}),
        )?;
        Ok(LoginResult {
            token: token.clone(),
            expires_at,
            user: user_view(conn, user)?,
        })
    })
}

/// The actor behind a bearer token, or 401.
pub fn authenticate(db: &Db, token: &str) -> AppResult<Actor> {
    let hash = token_hash(token.trim());
    db.read(|conn| {
        let user = store::user_by_token(conn, &hash, period::now().naive_utc())?
            .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated, "登录令牌无效、已过期或已退出，请重新登录。"))?;
        actor_of(&user)
    })
}

pub fn logout(db: &Db, actor: &Actor, token: &str) -> AppResult<()> {
    let hash = token_hash(token.trim());
    db.write(|conn| {
        store::revoke_token(conn, &hash, period::now().naive_utc())?;
        audit(
            conn,
            Some(actor),
            "auth.logout",
            "user",
            &actor.username,
            None,
            serde_json::json!({}),
        )
    })
}

pub fn me(db: &Db, actor: &Actor) -> AppResult<UserView> {
    db.read(|conn| {
        let user = User::by_username(conn, &actor.username)?.ok_or(AppError::new(
            ErrorCode::Unauthenticated,
            "这个用户已不存在，请重新登录。",
        ))?;
        user_view(conn, &user)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub village_id: Option<VillageId>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub hash: String,
}

/// The audit log within the actor's scope (admins and inspectors).
pub fn list_audit(db: &Db, actor: &Actor, page: Page) -> AppResult<Vec<AuditView>> {
    db.read(|conn| {
        actor.may(Action::ReadAudit, own_place(conn, actor.scope)?)?;
        let villages: Option<Vec<VillageId>> = match actor.scope {
            Scope::County(_) => None,
            Scope::Township(t) => Some(
                Village::list(
                    conn,
                    VillageFilter::Township(t),
                    None,
                    Page {
                        after: 0,
                        limit: i64::MAX,
                    },
                )?
                .into_iter()
                .map(|(v, _)| v.id)
                .collect(),
            ),
            Scope::Village(v) => Some(vec![v]),
        };
        let rows = AuditRecord::list(conn, villages.as_deref(), page)?;
        Ok(rows
            .into_iter()
            .map(|r| AuditView {
                seq: r.seq,
                at: r.at.and_utc(),
                actor_id: r.actor_id,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                village_id: r.village_id,
                details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
                hash: r.hash,
            })
            .collect())
    })
}

/// Where the actor's own scope lies (always inside their scope): for checks of role alone.
fn own_place(conn: &mut DbConnection, scope: Scope) -> AppResult<Place> {
    Ok(match scope {
        Scope::County(c) => Place {
            county_id: c,
            township_id: None,
            village_id: None,
        },
        Scope::Township(t) => Place {
            county_id: Township::by_id(conn, t)?.county_id,
            township_id: Some(t),
            village_id: None,
        },
        Scope::Village(v) => {
            let township = Village::by_id(conn, v)?.township_id;
            Place {
                county_id: county_of_scope(conn, scope)?,
                township_id: Some(township),
                village_id: Some(v),
            }
        }
    })
}
