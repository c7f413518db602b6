//! Staff login and logout, and the first page after it: a clerk goes straight to their village,
//! others choose one in their scope.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, secure};
use super::session::{cookie, Staff};
use crate::domain::access::Scope;
use crate::store::Page;
use crate::usecases::access;
use crate::usecases::registry;
use crate::web::pages::esc;
use crate::web::{error, AppState};

fn login_form(error: Option<&str>) -> String {
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>登录 · 清账</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;font-size:18px;max-width:26rem;margin:3rem auto;padding:1rem}}input,button{{font-size:1rem;min-height:2.6rem;width:100%;box-sizing:border-box}}label{{display:block;margin-top:1rem}}button{{margin-top:1.5rem;background:#0b5394;color:#fff;border:0;border-radius:.3rem}}.error{{color:#a61b1b}}</style></head>
<body><h1>清账 · 工作人员登录</h1>{}<form method="post" action="/staff/login">
<label for="username">用户名</label><input id="username" name="username" autocomplete="username" required>
<label for="password">密码</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login">登录</button></form></body></html>"#,
        error
            .map(|e| format!(r#"<p class="error" id="message">{}</p>"#, esc(e)))
            .unwrap_or_default()
    )
}

pub async fn login_page() -> HttpResponse {
    html(StatusCode::OK, login_form(None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn login(state: web::Data<AppState>, req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    let form = form.into_inner();
    let client = crate::web::limits::client(&req);
    let password = bank_adapters::Secret::new(form.password);
    match crate::web::auth::log_in(&state, &client, &form.username, password).await {
        Ok(r) => HttpResponse::SeeOther()
            .cookie(cookie(Some(&r.token), secure(&state)))
            .insert_header(("Location", "/staff"))
            .finish(),
        Err(e) => html(error::status(&e), login_form(Some(&error::for_people(&e)))),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(state: web::Data<AppState>, staff: Staff, form: web::Form<CsrfOnly>) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (actor, token) = (staff.actor, staff.token);
    let _ = state.db.run(move |db| access::logout(db, &actor, &token)).await;
    HttpResponse::SeeOther()
        .cookie(cookie(None, secure(&state)))
        .insert_header(("Location", "/staff/login"))
        .finish()
}

/// A clerk goes straight to their village, an inspector to the findings, an admin to the users;
/// an accountant chooses a village of their township and lands on its journal.
pub async fn home(state: web::Data<AppState>, staff: Staff) -> HttpResponse {
    let landing = match staff.actor.role {
        crate::domain::access::Role::Inspector => Some("/staff/inspect"),
        crate::domain::access::Role::Admin => Some("/staff/admin/users"),
        _ => None,
    };
    if let Some(to) = landing {
        return HttpResponse::SeeOther().insert_header(("Location", to)).finish();
    }
    let actor = staff.actor.clone();
    let villages = state
        .db
        .run(move |db| registry::list_villages(db, &actor, None, Page { after: 0, limit: 500 }))
        .await;
    let villages = match villages {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    if let (Scope::Village(_), [only]) = (staff.actor.scope, villages.as_slice()) {
        return HttpResponse::SeeOther()
            .insert_header(("Location", format!("/staff/v/{}", only.code)))
            .finish();
    }
    let rows: String = villages
        .iter()
        .map(|v| {
            format!(
                r#"<li><a href="/staff/v/{c}{start}">{n}（{c}）</a></li>"#,
                c = esc(&v.code),
                n = esc(&v.name),
                start = if staff.actor.role == crate::domain::access::Role::Accountant {
                    "/journal"
                } else {
                    ""
                }
            )
        })
        .collect();
    html(
        StatusCode::OK,
        frame::page("选择村", None, &staff, &format!("<ul>{rows}</ul>")),
    )
}
