//! The county admin's pages: users (add, disable and enable, reset a password, move a clerk or
//! accountant to another post or place), villages and their corporate accounts, and the payment
//! providers bound to each account (secrets are written, never shown; a binding's keys are
//! replaced to rotate them). Same CSRF and audit as every other form. Thin handlers over
//! `usecases::{access, registry, bindings}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use bank_adapters::Secret;
use serde::Deserialize;

use super::frame::{failed, html, message, notes, page_nav, see_other, table, Msg};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::ids::{CorporateAccountId, UserId};
use crate::domain::vocabulary::{ScopeKind, Settlement};
use crate::domain::{period, Money};
use crate::error::{AppError, ErrorCode};
use crate::store::Page;
use crate::usecases::access::{self, NewUserInput, ScopeRef};
use crate::usecases::bindings::{self, BankKeyInput, BindingInput, Part, PublicKeyInput, SettlementInput};
use crate::usecases::registry::{self, NewCorporateAccountInput, NewVillageInput};
use crate::web::error::{for_people, status};
use crate::web::pages::esc;
use crate::web::AppState;

/// The admin's menu.
pub const NAV: &str = r#"<a href="/staff/admin/users">用户</a><a href="/staff/admin/villages">村与对公账户</a><a href="/staff/admin/profiles">对账单格式</a>"#;

fn page(staff: &Staff, title: &str, body: &str) -> String {
    page_nav(title, NAV, &staff.field(), body)
}

/// These pages are the admin's: anyone else is told who does this, whatever the use cases
/// below would let them read.
fn admin_only(staff: &Staff) -> Option<HttpResponse> {
    (staff.actor.role != Role::Admin).then(|| {
        failed(AppError::from(crate::domain::access::Denied::Role {
            role: staff.actor.role,
            action: crate::domain::access::Action::ManageRegistry,
        }))
    })
}

/// A refusal shown on the page the form came from, with what was typed kept.
fn again(e: &AppError) -> (StatusCode, String) {
    (status(e), message(Some(&for_people(e)), true))
}

// ---------- users ----------

#[derive(Deserialize, Default, Clone)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope_kind: String,
    #[serde(default)]
    scope_code: String,
}

pub async fn users(state: web::Data<AppState>, staff: Staff, m: web::Query<Msg>) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    users_page(&state, &staff, StatusCode::OK, &notes(&m), &UserForm::default()).await
}

async fn users_page(
    state: &web::Data<AppState>,
    staff: &Staff,
    code: StatusCode,
    top: &str,
    typed: &UserForm,
) -> HttpResponse {
    let actor = staff.actor.clone();
    let list = match state
        .db
        .run(move |db| access::list_users(db, &actor, Page { after: 0, limit: 1000 }))
        .await
    {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let option = |value: &str, label: &str, chosen: &str| {
        format!(
            r#"<option value="{value}"{}>{label}</option>"#,
            if value == chosen { " selected" } else { "" }
        )
    };
    let csrf = staff.field();
    let rows: String = list
        .iter()
        .map(|u| {
            let me = u.id == staff.actor.user_id;
            let working = matches!(u.role, Role::Clerk | Role::Accountant);
            let reassign = if working && !me {
                let post = |r: Role| option(r.as_str(), r.label(), u.role.as_str());
                let kind = |k: ScopeKind| option(k.as_str(), k.label(), u.scope.kind.as_str());
                format!(
                    r#"
<form class="inline" method="post" action="/staff/admin/users/{id}/assignment">{csrf}<select name="role" aria-label="{name} 的新岗位">{clerk}{accountant}</select> <select name="scope_kind" aria-label="{name} 的管辖范围">{village}{township}{county}</select> <input name="scope_code" value="{code}" aria-label="{name} 的范围代码" inputmode="numeric" required> <button id="reassign-{id}">调整岗位</button></form>"#,
                    id = u.id.0,
                    name = esc(&u.username),
                    clerk = post(Role::Clerk),
                    accountant = post(Role::Accountant),
                    village = kind(ScopeKind::Village),
                    township = kind(ScopeKind::Township),
                    county = kind(ScopeKind::County),
                    code = esc(&u.scope.code),
                )
            } else {
                String::new()
            };
            let actions = if me {
                "（本人）".to_string()
            } else {
                format!(
                    r#"<form class="inline" method="post" action="/staff/admin/users/{id}/active">{csrf}<input type="hidden" name="active" value="{to}"><button class="{class}" id="{verb}-{id}">{label}</button></form>
<form class="inline" method="post" action="/staff/admin/users/{id}/password">{csrf}<input type="password" name="password" placeholder="新密码" aria-label="{name} 的新密码" autocomplete="new-password"> <button class="primary" id="reset-{id}">重设密码</button></form>"#,
                    id = u.id.0,
                    to = !u.active,
                    class = if u.active { "danger" } else { "primary" },
                    verb = if u.active { "disable" } else { "enable" },
                    label = if u.active { "停用" } else { "启用" },
                    name = esc(&u.username),
                ) + &reassign
            };
            format!(
                r#"<tr id="user-{id}"><td>{username}</td><td>{name}</td><td>{role}</td><td>{scope}（{code}）</td><td>{state}</td><td>{actions}</td></tr>"#,
                id = u.id.0,
                username = esc(&u.username),
                name = esc(&u.display_name),
                role = u.role.label(),
                scope = u.scope.kind.label(),
                code = esc(&u.scope.code),
                state = if u.active { "启用" } else { r#"<span class="status-voided">已停用</span>"# },
            )
        })
        .collect();
    let roles: String = Role::ALL
        .iter()
        .map(|r| option(r.as_str(), r.label(), &typed.role))
        .collect();
    let kinds: String = ScopeKind::ALL
        .iter()
        .map(|k| option(k.as_str(), k.label(), &typed.scope_kind))
        .collect();
    let body = format!(
        r#"{top}<section><h2>添加用户</h2><form method="post" action="/staff/admin/users" id="add-user">{csrf}
<label for="username">用户名（小写字母、数字、_ . -，3 到 32 位）</label><input id="username" name="username" required value="{username}" autocomplete="off">
<label for="display_name">姓名</label><input id="display_name" name="display_name" required value="{display_name}">
<label for="password">初始密码（至少 {min} 位，请当面交给本人）</label><input id="password" name="password" type="password" required autocomplete="new-password">
<label for="role">岗位</label><select id="role" name="role">{roles}</select>
<label for="scope_kind">管辖范围</label><select id="scope_kind" name="scope_kind">{kinds}</select>
<label for="scope_code">范围代码（12 位县、乡镇或村代码；村报账员只能管一个村）</label><input id="scope_code" name="scope_code" required value="{scope_code}" inputmode="numeric">
<button class="primary" id="create-user">添加</button></form></section>
<section><h2>用户</h2><p>停用的用户立即退出登录，不能再登录；他做过的操作都保留在日志里。报账员调到别的村、或改任乡镇会计时“调整岗位”：原来的登录立即失效；手上还有现金没交存的，要先交存。纪检人员和管理员不调整，请添加新账号并停用旧账号。</p>{table}</section>"#,
        username = esc(&typed.username),
        display_name = esc(&typed.display_name),
        scope_code = esc(&typed.scope_code),
        min = access::MIN_PASSWORD_CHARS,
        table = table(
            "users",
            "<th>用户名</th><th>姓名</th><th>岗位</th><th>管辖范围</th><th>状态</th><th></th>",
            &rows,
            "还没有用户。"
        ),
    );
    html(code, page(staff, "用户", &body))
}

pub async fn create_user(state: web::Data<AppState>, staff: Staff, form: web::Form<UserForm>) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let typed = form.into_inner();
    let refused = |e: AppError| {
        let (code, top) = again(&e);
        (code, top)
    };
    let (Some(role), Some(kind)) = (Role::parse(&typed.role), ScopeKind::parse(&typed.scope_kind)) else {
        let (code, top) = refused(AppError::new(ErrorCode::FieldInvalid, "请选择岗位和管辖范围。").at("role"));
        return users_page(&state, &staff, code, &top, &typed).await;
    };
    let input = NewUserInput {
        username: typed.username.clone(),
        display_name: typed.display_name.clone(),
        password: Secret::new(typed.password.clone()),
        role,
        scope: ScopeRef {
            kind,
            code: typed.scope_code.clone(),
        },
    };
    let actor = staff.actor.clone();
    match state.db.run(move |db| access::create_user(db, &actor, input)).await {
        Ok(u) => see_other(
            "/staff/admin/users",
            &format!("已添加用户 {}（{}）。", u.username, u.role.label()),
        ),
        Err(e) => {
            let (code, top) = refused(e);
            users_page(&state, &staff, code, &top, &typed).await
        }
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    form: web::Form<ActiveForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let id = UserId(path.into_inner());
    let active = form.active == "true";
    let actor = staff.actor.clone();
    match state
        .db
        .run(move |db| access::set_user_active(db, &actor, id, active))
        .await
    {
        Ok(u) => see_other(
            "/staff/admin/users",
            &format!(
                "用户 {} 已{}。",
                u.username,
                if u.active {
                    "启用"
                } else {
                    "停用，并已退出登录"
                }
            ),
        ),
        Err(e) => super::frame::refused("/staff/admin/users", &e),
    }
}

#[derive(Deserialize)]
pub struct AssignmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope_kind: String,
    #[serde(default)]
    scope_code: String,
}

pub async fn reassign(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    form: web::Form<AssignmentForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let id = UserId(path.into_inner());
    let (Some(role), Some(kind)) = (Role::parse(&form.role), ScopeKind::parse(&form.scope_kind)) else {
        return super::frame::refused(
            "/staff/admin/users",
            &AppError::new(ErrorCode::FieldInvalid, "请选择岗位和管辖范围。"),
        );
    };
    let input = access::AssignmentInput {
        role,
        scope: ScopeRef {
            kind,
            code: form.scope_code.clone(),
        },
    };
    let actor = staff.actor.clone();
    match state
        .db
        .run(move |db| access::reassign_user(db, &actor, id, input))
        .await
    {
        Ok(u) => see_other(
            "/staff/admin/users",
            &format!(
                "{} 已调整为{}（{} {}），原来的登录已失效。",
                u.username,
                u.role.label(),
                u.scope.kind.label(),
                u.scope.code
            ),
        ),
        Err(e) => super::frame::refused("/staff/admin/users", &e),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_password(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let id = UserId(path.into_inner());
    let password = Secret::new(form.into_inner().password);
    let actor = staff.actor.clone();
    // Hashing is slow: it runs on the blocking pool like every use case, and only for an admin.
    match state
        .db
        .run(move |db| access::reset_password(db, &actor, id, &password))
        .await
    {
        Ok(u) => see_other(
            "/staff/admin/users",
            &format!("已重设 {} 的密码，原来的登录已失效。", u.username),
        ),
        Err(e) => super::frame::refused("/staff/admin/users", &e),
    }
}

// ---------- villages, accounts and bindings ----------

#[derive(Deserialize, Default, Clone)]
pub struct VillageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    township_code: String,
    #[serde(default)]
    cash_limit: String,
}

pub async fn villages(state: web::Data<AppState>, staff: Staff, m: web::Query<Msg>) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    villages_page(&state, &staff, StatusCode::OK, &notes(&m), &VillageForm::default()).await
}

async fn villages_page(
    state: &web::Data<AppState>,
    staff: &Staff,
    code: StatusCode,
    top: &str,
    typed: &VillageForm,
) -> HttpResponse {
    let actor = staff.actor.clone();
    let list = match state
        .db
        .run(move |db| registry::list_villages(db, &actor, None, Page { after: 0, limit: 5000 }))
        .await
    {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let rows: String = list
        .iter()
        .map(|v| {
            format!(
                r#"<tr><td><a href="/staff/admin/v/{c}">{n}</a></td><td>{c}</td><td>{t}</td><td class="num">¥{l}</td></tr>"#,
                c = esc(&v.code),
                n = esc(&v.name),
                t = esc(&v.township_code),
                l = v.cash_limit,
            )
        })
        .collect();
    let body = format!(
        r#"{top}<section><h2>添加村</h2><form method="post" action="/staff/admin/villages" id="add-village">{csrf}
<label for="code">村代码（12 位，前 9 位是所属乡镇的）</label><input id="code" name="code" required inputmode="numeric" value="{code}">
<label for="name">村名</label><input id="name" name="name" required value="{name}">
<label for="township_code">所属乡镇代码（12 位）</label><input id="township_code" name="township_code" required inputmode="numeric" value="{township}">
<label for="cash_limit">库存现金限额（元，不填为 5000）</label><input id="cash_limit" name="cash_limit" inputmode="decimal" value="{limit}">
<button class="primary" id="create-village">添加</button></form></section>
<section><h2>村</h2>{table}</section>"#,
        csrf = staff.field(),
        code = esc(&typed.code),
        name = esc(&typed.name),
        township = esc(&typed.township_code),
        limit = esc(&typed.cash_limit),
        table = table(
            "villages",
            r#"<th>村</th><th>代码</th><th>乡镇代码</th><th class="num">库存现金限额</th>"#,
            &rows,
            "还没有村。添加后在村的页面登记对公账户和支付渠道。"
        ),
    );
    html(code, page(staff, "村与对公账户", &body))
}

pub async fn create_village(state: web::Data<AppState>, staff: Staff, form: web::Form<VillageForm>) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let typed = form.into_inner();
    let cash_limit = match typed.cash_limit.trim() {
        "" => None,
        t => match Money::parse(t) {
            Ok(m) => Some(m),
            Err(e) => {
                let (code, top) = again(&AppError::new(ErrorCode::AmountInvalid, e.to_string()).at("cash_limit"));
                return villages_page(&state, &staff, code, &top, &typed).await;
            }
        },
    };
    let input = NewVillageInput {
        code: typed.code.clone(),
        name: typed.name.clone(),
        township_code: typed.township_code.clone(),
        cash_limit,
    };
    let actor = staff.actor.clone();
    match state
        .db
        .run(move |db| registry::create_village(db, &actor, input))
        .await
    {
        Ok(v) => see_other(
            &format!("/staff/admin/v/{}", v.code),
            &format!("已添加 {}（{}），请登记它的对公账户。", v.name, v.code),
        ),
        Err(e) => {
            let (code, top) = again(&e);
            villages_page(&state, &staff, code, &top, &typed).await
        }
    }
}

pub async fn village(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    let v = path.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let data = state
        .db
        .run(move |db| {
            let village = registry::get_village(db, &actor, &code)?;
            let accounts = registry::list_corporate_accounts(db, &actor, &code)?;
            let bindings = bindings::list_bindings(db, &actor, &code)?;
            let limits = registry::cash_limit_history(db, &actor, &code)?;
            Ok::<_, AppError>((village, accounts, bindings, limits))
        })
        .await;
    let (village, accounts, list, limits) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let csrf = staff.field();
    let ve = esc(&v);
    let mut body = notes(&m);
    body.push_str(&format!(
        r#"<p>{}（{}）· 所属乡镇 {} · 库存现金限额 ¥{}</p>"#,
        esc(&village.name),
        ve,
        esc(&village.township_code),
        village.cash_limit
    ));
    body.push_str(&format!(
        r#"<section><h2>村名</h2><p>改名只改显示的名称：村代码、账目、收据编号和校验链都不变；已打印的收据仍是旧名，操作日志记下新旧两个名称和依据。</p>
<form method="post" action="/staff/admin/v/{ve}/name" id="rename-village">{csrf}
<label for="village_name">新村名</label><input id="village_name" name="name" required maxlength="50" value="{name}">
<label for="rename_note">依据（如：县政府文件文号）</label><input id="rename_note" name="note" required maxlength="100">
<button class="primary" id="rename">更改村名</button></form></section>"#,
        name = esc(&village.name),
    ));
    body.push_str(&cash_limit_section(&ve, &csrf, &limits));
    let rows: String = accounts
        .iter()
        .map(|a| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&a.bank_name),
                esc(&a.account_name),
                esc(&a.account_no),
                esc(&a.ledger_account_code),
                if a.active { "在用" } else { "停用" }
            )
        })
        .collect();
    body.push_str(&format!(
        r#"<section><h2>对公账户</h2>{}
<form method="post" action="/staff/admin/v/{ve}/accounts" id="add-account">{csrf}
<label for="bank_name">开户行</label><input id="bank_name" name="bank_name" required>
<label for="account_name">户名（通常是村股份经济合作社）</label><input id="account_name" name="account_name" required>
<label for="account_no">账号</label><input id="account_no" name="account_no" required inputmode="numeric">
<button class="primary" id="create-account">登记账户</button></form></section>"#,
        table(
            "accounts",
            "<th>开户行</th><th>户名</th><th>账号</th><th>记账科目</th><th>状态</th>",
            &rows,
            "还没有对公账户。村集体的钱只进对公账户：先登记账户，再绑定支付渠道。"
        )
    ));
    let rows: String = list
        .iter()
        .map(|b| {
            format!(
                r#"<tr id="binding-{id}"><td>{provider}</td><td>{r}</td><td>{keys}</td><td>{settle}</td><td>{path}</td><td><a href="/staff/admin/v/{ve}/bindings/{id}/rotate">更换密钥</a></td></tr>"#,
                id = b.id,
                provider = b.provider.label(),
                r = esc(&b.account_ref),
                keys = esc(&b.key_ids.join("、")),
                settle = match b.settlement {
                    Settlement::Daily => format!("每日结算，手续费 {}%", esc(&b.fee_percent)),
                    Settlement::PerPayment => "逐笔到账".to_string(),
                },
                path = esc(&b.callback_path),
            )
        })
        .collect();
    let account_options: String = accounts
        .iter()
        .filter(|a| a.active)
        .map(|a| {
            format!(
                r#"<option value="{}">{} {}</option>"#,
                a.id.0,
                esc(&a.bank_name),
                esc(&a.account_no)
            )
        })
        .collect();
    body.push_str(&format!(
        r#"<section><h2>支付渠道</h2><p>密钥只写不显示；要更换密钥，用“更换密钥”重新填写。下单用的商户私钥等请通过接口登记。</p>{}
{forms}</section>"#,
        table(
            "bindings",
            "<th>渠道</th><th>商户号/账号</th><th>密钥编号</th><th>结算</th><th>回调地址</th><th></th>",
            &rows,
            "还没有支付渠道。绑定后，村民扫码付的钱和银行到账才能自动入账。"
        ),
        forms = if accounts.is_empty() {
            String::new()
        } else {
            binding_forms(&format!("/staff/admin/v/{ve}/bindings"), &csrf, Some(&account_options), None)
        },
    ));
    html(
        StatusCode::OK,
        page(&staff, &format!("{} 的账户和支付渠道", village.name), &body),
    )
}

/// The cash limit's history and the form that changes it from a day on.
fn cash_limit_section(ve: &str, csrf: &str, h: &registry::CashLimitHistory) -> String {
    let rows: String = h
        .changes
        .iter()
        .map(|c| {
            format!(
                r#"<tr><td>{}</td><td class="num">¥{}</td><td class="text">{}</td><td>{}</td><td>{}</td></tr>"#,
                c.effective_from,
                c.limit,
                esc(&c.note),
                esc(&c.set_by),
                esc(&period::shown(c.set_at))
            )
        })
        .collect();
    format!(
        r#"<section><h2>库存现金限额</h2><p>登记时的限额 ¥{first}，今天有效的限额 ¥{today}。调整只能从今天或以后生效：过去的日子仍按当时的限额检查，已发现的超限不会因为调高限额而消失。填 0 表示不设限额。</p>{table}
<form method="post" action="/staff/admin/v/{ve}/cash-limit" id="set-cash-limit">{csrf}
<label for="limit">新限额（元）</label><input id="limit" name="limit" required inputmode="decimal">
<label for="effective_from">从哪天起生效</label><input id="effective_from" name="effective_from" type="date" required value="{day}">
<label for="limit_note">依据（如：乡镇文件文号）</label><input id="limit_note" name="note" required maxlength="100">
<button class="primary" id="set-limit">调整限额</button></form></section>"#,
        first = h.first,
        today = h.today,
        day = period::business_date(period::now()),
        table = table(
            "cash-limits",
            r#"<th>生效日期</th><th class="num">限额</th><th>依据</th><th>调整人</th><th>调整时间</th>"#,
            &rows,
            "登记后没有调整过限额。"
        ),
    )
}

#[derive(Deserialize, Default)]
pub struct CashLimitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    note: String,
}

pub async fn rename(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<RenameForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let back = format!("/staff/admin/v/{v}");
    let f = form.into_inner();
    let input = registry::RenameVillageInput {
        name: f.name,
        note: f.note,
    };
    let (actor, code) = (staff.actor.clone(), v.clone());
    match state
        .db
        .run(move |db| registry::rename_village(db, &actor, &code, input))
        .await
    {
        Ok(village) => see_other(&back, &format!("村名已改为“{}”。", village.name)),
        Err(e) => super::frame::refused(&back, &e),
    }
}

pub async fn set_cash_limit(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<CashLimitForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let back = format!("/staff/admin/v/{v}");
    let f = form.into_inner();
    let limit = match Money::parse(f.limit.trim()) {
        Ok(m) => m,
        Err(e) => {
            return super::frame::refused(
                &back,
                &AppError::new(ErrorCode::AmountInvalid, e.to_string()).at("limit"),
            )
        }
    };
    let Ok(effective_from) = f.effective_from.trim().parse::<chrono::NaiveDate>() else {
        return super::frame::refused(
            &back,
            &AppError::new(ErrorCode::FieldInvalid, "请填写生效日期，如 2026-12-01。").at("effective_from"),
        );
    };
    let input = registry::CashLimitInput {
        limit,
        effective_from,
        note: f.note,
    };
    let (actor, code) = (staff.actor.clone(), v.clone());
    match state
        .db
        .run(move |db| registry::set_cash_limit(db, &actor, &code, input))
        .await
    {
        Ok(_) => see_other(
            &back,
            &format!("库存现金限额已调整：从 {effective_from} 起为 ¥{limit}。"),
        ),
        Err(e) => super::frame::refused(&back, &e),
    }
}

/// The three providers' forms: new bindings (with the account to bind) or a rotation of one
/// binding's keys (`only`: its provider).
fn binding_forms(action: &str, csrf: &str, accounts: Option<&str>, only: Option<&str>) -> String {
    let account = accounts
        .map(|o| format!(r#"<label>对公账户 <select name="account_id">{o}</select></label>"#))
        .unwrap_or_default();
    let settlement = r#"<label>结算方式 <select name="settlement_mode"><option value="">不变（新绑定为逐笔到账）</option><option value="per_payment">逐笔到账</option><option value="daily">每日结算（T+1，扣手续费）</option></select></label>
<label>手续费（%，每日结算时填，如 0.6）<input name="fee_percent" inputmode="decimal"></label>"#;
    let forms = [
        (
            "rural_bank",
            "农商行（聚合码、到账通知、对账单）",
            r#"<label>密钥编号 <input name="key_id" required></label>
<label>算法 <select name="algorithm"><option value="hmac-sha256">HMAC-SHA256</option><option value="hmac-sm3">HMAC-SM3</option></select></label>
<label>密钥（至少 16 个字符） <input name="secret" type="password" required autocomplete="off"></label>
<label>对账单接口地址（可不填；更换密钥时不填则保留原地址） <input name="statement_api" inputmode="url"></label>"#
                .to_string(),
        ),
        (
            "wechat",
            "微信支付",
            format!(
                r#"<label>商户号 <input name="mch_id" required inputmode="numeric"></label>
<label>APIv3 密钥（32 位） <input name="api_v3_key" type="password" required autocomplete="off"></label>
<label>平台公钥编号（PUB_KEY_ID_…） <input name="key_id" required></label>
<label>平台公钥（PEM） <textarea name="pem" rows="5" cols="60" required></textarea></label>{settlement}"#
            ),
        ),
        (
            "alipay",
            "支付宝",
            format!(
                r#"<label>应用 ID（APPID） <input name="app_id" required inputmode="numeric"></label>
<label>支付宝公钥（PEM 或控制台显示的 base64） <textarea name="alipay_public_key" rows="5" cols="60" required></textarea></label>{settlement}"#
            ),
        ),
    ];
    forms
        .iter()
        .filter(|(p, _, _)| only.is_none_or(|o| o == *p))
        .map(|(provider, label, fields)| {
            format!(
                r#"<details{open}><summary>{verb}{label}</summary><form method="post" action="{action}" id="binding-{provider}">{csrf}<input type="hidden" name="provider" value="{provider}">{account}{fields}<button class="primary">{verb}</button></form></details>"#,
                open = if only.is_some() { " open" } else { "" },
                verb = if only.is_some() { "更换密钥：" } else { "绑定" },
                action = esc(action),
            )
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_name: String,
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    account_no: String,
}

pub async fn create_account(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<AccountForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let back = format!("/staff/admin/v/{v}");
    let f = form.into_inner();
    let input = NewCorporateAccountInput {
        bank_name: f.bank_name,
        account_name: f.account_name,
        account_no: f.account_no,
    };
    let (actor, code) = (staff.actor.clone(), v.clone());
    match state
        .db
        .run(move |db| registry::add_corporate_account(db, &actor, &code, input))
        .await
    {
        Ok(a) => see_other(&back, &format!("已登记对公账户 {} {}。", a.bank_name, a.account_no)),
        Err(e) => super::frame::refused(&back, &e),
    }
}

#[derive(Deserialize, Default)]
pub struct BindingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    key_id: String,
    #[serde(default)]
    algorithm: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    statement_api: String,
    #[serde(default)]
    mch_id: String,
    #[serde(default)]
    api_v3_key: String,
    #[serde(default)]
    pem: String,
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    alipay_public_key: String,
    #[serde(default)]
    settlement_mode: String,
    #[serde(default)]
    fee_percent: String,
}

impl BindingForm {
    /// The API's binding input from the form's fields for its provider.
    fn input(self) -> Result<BindingInput, AppError> {
        let settlement = match self.settlement_mode.as_str() {
            "" => None,
            m => Some(SettlementInput {
                mode: Settlement::parse(m)
                    .ok_or_else(|| AppError::new(ErrorCode::FieldInvalid, "请选择结算方式。").at("settlement.mode"))?,
                fee_percent: Some(self.fee_percent.trim().to_string()).filter(|f| !f.is_empty()),
            }),
        };
        let blank = |s: &str| s.trim().is_empty();
        match self.provider.as_str() {
            "rural_bank" => Ok(BindingInput::RuralBank {
                keys: vec![BankKeyInput {
                    key_id: self.key_id,
                    algorithm: self.algorithm,
                    secret: Secret::new(self.secret),
                }],
                statement_api: if blank(&self.statement_api) {
                    Part::Kept
                } else {
                    Part::Given(self.statement_api)
                },
            }),
            "wechat" => Ok(BindingInput::Wechat {
                mch_id: self.mch_id,
                api_v3_key: Secret::new(self.api_v3_key),
                platform_certificates: Vec::new(),
                platform_public_keys: vec![PublicKeyInput {
                    key_id: self.key_id,
                    pem: self.pem,
                }],
                ordering: Part::Kept,
                settlement,
            }),
            "alipay" => Ok(BindingInput::Alipay {
                app_id: self.app_id,
                alipay_public_key: self.alipay_public_key,
                ordering: Part::Kept,
                settlement,
            }),
            _ => Err(AppError::new(ErrorCode::FieldInvalid, "请选择支付渠道。").at("provider")),
        }
    }
}

pub async fn create_binding(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<BindingForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let back = format!("/staff/admin/v/{v}");
    let form = form.into_inner();
    let Ok(account) = form.account_id.trim().parse::<i64>() else {
        return super::frame::refused(
            &back,
            &AppError::new(ErrorCode::FieldInvalid, "请选择对公账户。").at("account_id"),
        );
    };
    let input = match form.input() {
        Ok(i) => i,
        Err(e) => return super::frame::refused(&back, &e),
    };
    let (actor, code, sealing) = (staff.actor.clone(), v.clone(), state.sealing.clone());
    match state
        .db
        .run(move |db| bindings::create_binding(db, &sealing, &actor, &code, CorporateAccountId(account), input))
        .await
    {
        Ok(b) => see_other(
            &back,
            &format!(
                "已绑定{}（{}），回调地址 {}。",
                b.provider.label(),
                b.account_ref,
                b.callback_path
            ),
        ),
        Err(e) => super::frame::refused(&back, &e),
    }
}

pub async fn rotate_form(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    m: web::Query<Msg>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    let (v, id) = path.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let list = match state.db.run(move |db| bindings::list_bindings(db, &actor, &code)).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let Some(b) = list.into_iter().find(|b| b.id == id) else {
        return failed(AppError::code(ErrorCode::BindingNotFound));
    };
    let body = format!(
        r#"{}<p>{}（{}），现用密钥编号：{}。新密钥生效后旧密钥即不再接受；请与渠道方约定好时间。</p>{}<p><a href="/staff/admin/v/{}">返回</a></p>"#,
        notes(&m),
        b.provider.label(),
        esc(&b.account_ref),
        esc(&b.key_ids.join("、")),
        binding_forms(
            &format!("/staff/admin/v/{}/bindings/{id}", esc(&v)),
            &staff.field(),
            None,
            Some(b.provider.as_str())
        ),
        esc(&v),
    );
    html(StatusCode::OK, page(&staff, "更换支付渠道密钥", &body))
}

pub async fn rotate(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<BindingForm>,
) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let back = format!("/staff/admin/v/{v}/bindings/{id}/rotate");
    let input = match form.into_inner().input() {
        Ok(i) => i,
        Err(e) => return super::frame::refused(&back, &e),
    };
    let (actor, code, sealing) = (staff.actor.clone(), v.clone(), state.sealing.clone());
    match state
        .db
        .run(move |db| bindings::replace_binding(db, &sealing, &actor, &code, id, input))
        .await
    {
        Ok(b) => see_other(
            &format!("/staff/admin/v/{v}"),
            &format!("已更换{}的密钥，现用 {}。", b.provider.label(), b.key_ids.join("、")),
        ),
        Err(e) => super::frame::refused(&back, &e),
    }
}

// ---------- statement layouts ----------

/// The statement layouts in use: the built-in ones and those the admin added as files in
/// `statement_profiles_dir` (read at start-up, checked then; a broken file stops the start with
/// its name). Each layout with the column names it recognises.
pub async fn profiles(state: web::Data<AppState>, staff: Staff) -> HttpResponse {
    if let Some(r) = admin_only(&staff) {
        return r;
    }
    use crate::reconcile::profile::Field;
    let rows: String = state
        .profiles
        .all()
        .iter()
        .map(|p| {
            let columns: String = Field::ALL
                .iter()
                .filter(|f| !p.columns.names(**f).is_empty())
                .map(|f| format!("{}：{}", f.label(), p.columns.names(*f).join(" / ")))
                .collect::<Vec<_>>()
                .join("；");
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="text">{}</td></tr>"#,
                esc(&p.name),
                esc(&p.label),
                esc(&columns)
            )
        })
        .collect();
    let dir = state
        .config
        .statement_profiles_dir
        .as_ref()
        .map(|d| format!("本服务读取的目录是 <code>{}</code>。", esc(&d.display().to_string())))
        .unwrap_or_else(|| "本服务还没有设置 <code>statement_profiles_dir</code>。".to_string());
    let body = format!(
        r#"<p>导入对账单时，按表头自动识别下面的格式。银行换了导出格式、或要接入另一家银行时，把新格式写成一个 TOML 或 JSON 文件（字段同内置格式，见运维文档）放进配置项 <code>statement_profiles_dir</code> 所指的目录，重启服务即可，不需要重新编译；文件有误时服务不会启动，并指出是哪个文件。{dir}</p>{}"#,
        table(
            "profiles",
            "<th>代码</th><th>名称</th><th>识别的列</th>",
            &rows,
            "没有对账单格式。"
        )
    );
    html(StatusCode::OK, page(&staff, "对账单格式", &body))
}
