//! 支出申请与审批: a clerk or accountant asks for money to be paid out of the village's account;
//! another person with the approving role (the township accountant) approves or rejects it.
//! The statement's debit is matched to an approved request by reconciliation. A refused request
//! comes back on its own page with what was typed kept. Thin handlers over
//! `usecases::disbursements`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, message, notes, refused, see_other, table, Msg};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::ids::CorporateAccountId;
use crate::domain::vocabulary::DisbursementStatus;
use crate::domain::{period, Money};
use crate::error::{AppError, ErrorCode};
use crate::usecases::disbursements::{self, DecisionInput, DisbursementInput};
use crate::usecases::registry;
use crate::web::error::for_people;
use crate::web::pages::esc;
use crate::web::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct RequestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    account_id: String,
    #[serde(default)]
    payee_name: String,
    #[serde(default)]
    payee_account: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    account_code: String,
    #[serde(default)]
    attachments: String,
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    render_page(&state, &staff, &v, &notes(&m), &RequestForm::default(), StatusCode::OK).await
}

async fn render_page(
    state: &web::Data<AppState>,
    staff: &Staff,
    v: &str,
    top: &str,
    typed: &RequestForm,
    status: StatusCode,
) -> HttpResponse {
    let (actor, code) = (staff.actor.clone(), v.to_string());
    let data = state
        .db
        .run(move |db| {
            let list = disbursements::list(db, &actor, &code, None)?;
            let accounts = registry::list_corporate_accounts(db, &actor, &code)?;
            let booking = disbursements::booking_accounts(db, &actor, &code)?;
            Ok::<_, AppError>((list, accounts, booking))
        })
        .await;
    let (list, accounts, booking) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let me = staff.actor.user_id;
    let approver = staff.actor.role == Role::Accountant;
    let csrf = staff.field();
    let rows: String = list
        .iter()
        .map(|d| {
            // Who decided and why, as the row keeps it; then who withdrew the approval and why.
            let mut decided = esc(&match (&d.decided_by_name, &d.decision_note) {
                (Some(by), Some(n)) if !n.is_empty() => format!("{by}：{n}"),
                (Some(by), _) => by.clone(),
                _ => String::new(),
            });
            if let Some(w) = &d.withdrawn {
                decided.push_str(&format!("<br>撤回批准 {}：{}", esc(&w.by_name), esc(&w.note)));
            }
            let action = match d.status {
                DisbursementStatus::Requested if approver && d.requested_by != me => format!(
                    r#"<form class="inline" method="post" action="/staff/v/{v}/disbursements/{id}/decide">{csrf}<input name="note" placeholder="审批意见" maxlength="200" aria-label="第 {id} 号申请的审批意见"> <button class="primary" name="decision" value="approve" id="approve-{id}">批准</button> <button class="danger" name="decision" value="reject" id="reject-{id}">驳回</button></form>"#,
                    v = esc(v),
                    id = d.id,
                ),
                DisbursementStatus::Requested if approver => "本人申请，须由其他会计审批".to_string(),
                DisbursementStatus::Requested => "等待乡镇会计审批".to_string(),
                // The bank has not paid it yet: another accountant may withdraw the approval.
                DisbursementStatus::Approved if approver && d.requested_by != me => format!(
                    r#"{decided}<form class="inline" method="post" action="/staff/v/{v}/disbursements/{id}/withdraw">{csrf}<input name="note" placeholder="撤回原因（如：收款账号有误，银行未能付款）" maxlength="150" required aria-label="撤回第 {id} 号申请批准的原因"> <button class="danger" id="withdraw-{id}">撤回批准</button></form>"#,
                    v = esc(v),
                    id = d.id,
                ),
                _ => decided,
            };
            format!(
                r#"<tr id="disbursement-{id}"><td>{id}</td><td>{when}</td><td>{by}</td><td>{payee}<br>{acct}</td><td class="num">¥{amount}</td><td class="text">{purpose}</td><td>{code}</td><td class="status-{st}">{label}</td><td>{action}</td></tr>"#,
                id = d.id,
                when = esc(&period::shown(d.requested_at)),
                by = esc(&d.requested_by_name),
                payee = esc(&d.payee_name),
                acct = esc(&d.payee_account),
                amount = d.amount,
                purpose = esc(&d.purpose),
                code = esc(&d.account_code),
                st = d.status.as_str(),
                label = esc(&d.status_label),
            )
        })
        .collect();
    let account_options: String = accounts
        .iter()
        .map(|a| {
            format!(
                r#"<option value="{}"{}>{} {}</option>"#,
                a.id.0,
                if typed.account_id == a.id.0.to_string() {
                    " selected"
                } else {
                    ""
                },
                esc(&a.bank_name),
                esc(&a.account_no)
            )
        })
        .collect();
    let booking_options: String = booking
        .iter()
        .map(|(c, n)| {
            format!(
                r#"<option value="{c}"{s}>{c} {n}</option>"#,
                c = esc(c),
                n = esc(n),
                s = if typed.account_code == *c { " selected" } else { "" }
            )
        })
        .collect();
    let form = format!(
        r#"<section><h2>申请支出</h2><form method="post" action="/staff/v/{v}/disbursements" id="request-form">{csrf}
<label for="account_id">付款账户</label><select id="account_id" name="account_id">{account_options}</select>
<label for="payee_name">收款人（单位或个人）</label><input id="payee_name" name="payee_name" maxlength="60" required value="{payee_name}">
<label for="payee_account">收款人账号</label><input id="payee_account" name="payee_account" inputmode="numeric" required value="{payee_account}">
<label for="amount">金额（元）</label><input id="amount" name="amount" inputmode="decimal" required value="{amount}">
<label for="purpose">用途</label><input id="purpose" name="purpose" maxlength="100" required value="{purpose}">
<label for="account_code">记入科目</label><select id="account_code" name="account_code" required><option value="">请选择（如 521 管理费用）</option>{booking_options}</select>
<label for="attachments">附件（发票、合同、村民代表会议记录等）</label><input id="attachments" name="attachments" maxlength="200" value="{attachments}">
<button class="primary" id="request">提交申请</button></form>
<p>申请须由另一位有审批权的人（乡镇会计）批准；银行付款后，对账时与批准的申请相符的付款才记账。</p></section>"#,
        v = esc(v),
        payee_name = esc(&typed.payee_name),
        payee_account = esc(&typed.payee_account),
        amount = esc(&typed.amount),
        purpose = esc(&typed.purpose),
        attachments = esc(&typed.attachments),
    );
    let list = format!(
        r#"<section><h2>申请与审批</h2>{}</section>"#,
        table(
            "disbursements",
            r#"<th>编号</th><th>申请时间</th><th>申请人</th><th>收款人</th><th class="num">金额</th><th>用途</th><th>科目</th><th>状态</th><th>审批</th>"#,
            &rows,
            "还没有支出申请。提交的申请和它们的审批结果会列在这里。"
        )
    );
    // The approver comes for the list; the requester for the form.
    let body = if approver {
        format!("{top}{list}{form}")
    } else {
        format!("{top}{form}{list}")
    };
    let title = if approver { "支出审批" } else { "支出申请" };
    html(status, frame::page(title, Some(v), staff, &body))
}

pub async fn request(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<RequestForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let typed = form.into_inner();
    let again = |e: AppError| {
        let state = state.clone();
        let (staff, v, typed) = (&staff, v.clone(), typed.clone());
        async move {
            render_page(
                &state,
                staff,
                &v,
                &message(Some(&for_people(&e)), true),
                &typed,
                crate::web::error::status(&e),
            )
            .await
        }
    };
    let Ok(account) = typed.account_id.trim().parse::<i64>() else {
        return again(AppError::new(ErrorCode::FieldInvalid, "请选择付款账户。").at("account_id")).await;
    };
    let amount = match Money::parse_positive(&typed.amount) {
        Ok(a) => a,
        Err(e) => return again(AppError::new(ErrorCode::AmountInvalid, e.to_string()).at("amount")).await,
    };
    let input = DisbursementInput {
        account_id: CorporateAccountId(account),
        payee_name: typed.payee_name.clone(),
        payee_account: typed.payee_account.clone(),
        amount,
        purpose: typed.purpose.clone(),
        account_code: typed.account_code.clone(),
        attachments: typed.attachments.clone(),
    };
    let (actor, code) = (staff.actor.clone(), v.clone());
    match state
        .db
        .run(move |db| disbursements::request(db, &actor, &code, input))
        .await
    {
        Ok(d) => see_other(
            &format!("/staff/v/{v}/disbursements"),
            &format!("已提交第 {} 号支出申请（¥{}），等待审批。", d.id, d.amount),
        ),
        Err(e) => again(e).await,
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

pub async fn withdraw(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<WithdrawForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let back = format!("/staff/v/{v}/disbursements");
    let (actor, code) = (staff.actor, v.clone());
    let note = DecisionInput {
        note: form.note.clone(),
    };
    match state
        .db
        .run(move |db| disbursements::withdraw(db, &actor, &code, id, note))
        .await
    {
        Ok(d) => see_other(&back, &format!("第 {} 号支出申请的批准已撤回。", d.id)),
        Err(e) => refused(&back, &e),
    }
}

pub async fn decide(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<DecideForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let back = format!("/staff/v/{v}/disbursements");
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return refused(
                &back,
                &AppError::new(ErrorCode::FieldInvalid, "请选择批准或驳回。").at("decision"),
            )
        }
    };
    let (actor, code) = (staff.actor, v.clone());
    let note = DecisionInput {
        note: form.note.clone(),
    };
    match state
        .db
        .run(move |db| disbursements::decide(db, &actor, &code, id, approve, note))
        .await
    {
        Ok(d) => see_other(&back, &format!("第 {} 号支出申请{}。", d.id, d.status_label)),
        Err(e) => refused(&back, &e),
    }
}
