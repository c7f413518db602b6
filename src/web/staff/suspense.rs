//! 待查明款项: the credits of a village that named no bill, and the accountant's form to place
//! each onto the bill it paid; below, the latest placements, each of which the accountant may
//! undo when it went onto the wrong bill; then the refunds (退款) of money that was never the
//! village's, a waiting credit or the excess of one that overpaid its bill; last, the transfers
//! (查明转出) of money that is the village's but no bill's. A refused form comes
//! back on this page with what was typed. Thin handlers over `usecases::suspense` and
//! `usecases::refunds`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::{self, failed, html, message, notes, see_other, table, Msg};
use super::session::Staff;
use crate::domain::access::Role;
use crate::domain::ids::BankTransactionId;
use crate::domain::period;
use crate::error::AppError;
use crate::usecases::refunds::{self, RefundInput};
use crate::usecases::suspense::{self, PlaceInput, TransferInput, UndoInput};
use crate::web::error::{for_people, status};
use crate::web::pages::esc;
use crate::web::AppState;

#[derive(Deserialize, Default, Clone)]
pub struct PlaceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bill_reference: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct UndoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct RefundForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_transaction_id: String,
    #[serde(default)]
    payee_name: String,
    #[serde(default)]
    payee_account: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    bank_transaction_id: String,
    #[serde(default)]
    account_code: String,
    #[serde(default)]
    note: String,
}

/// What a refused form had typed, to show it again in its row.
enum Typed<'a> {
    Place(i64, &'a PlaceForm),
    Undo(i64, &'a UndoForm),
    Refund(&'a RefundForm),
    Transfer(&'a TransferForm),
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    m: web::Query<Msg>,
) -> HttpResponse {
    let v = path.into_inner();
    render(&state, &staff, &v, StatusCode::OK, &notes(&m), None).await
}

async fn render(
    state: &web::Data<AppState>,
    staff: &Staff,
    v: &str,
    code: StatusCode,
    top: &str,
    typed: Option<Typed<'_>>,
) -> HttpResponse {
    let (actor, village) = (staff.actor.clone(), v.to_string());
    let read = state.db.run(move |db| {
        let (credits, placed) = suspense::overview(db, &actor, &village)?;
        Ok::<_, AppError>((
            credits,
            placed,
            refunds::overview(db, &actor, &village)?,
            suspense::transfers(db, &actor, &village)?,
        ))
    });
    let (credits, placed, refunding, transfers) = match read.await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let accountant = staff.actor.role == Role::Accountant;
    let csrf = staff.field();
    let rows: String = credits
        .iter()
        .map(|c| {
            let id = c.bank_transaction_id.get();
            let (bill, note) = match typed {
                Some(Typed::Place(t, f)) if t == id => (f.bill_reference.as_str(), f.note.as_str()),
                _ => ("", ""),
            };
            let form = if accountant {
                format!(
                    r#"<form class="inline" method="post" action="/staff/v/{v}/suspense/{id}/place">{csrf}<input name="bill_reference" placeholder="账单号" aria-label="入账 {id} 付的账单号" value="{bill}" required> <input name="note" placeholder="依据（如：村民来电确认）" aria-label="入账 {id} 认领的依据" value="{note}" required maxlength="150"> <button class="primary" id="place-{id}">认领</button></form>"#,
                    v = esc(v),
                    bill = esc(bill),
                    note = esc(note),
                )
            } else {
                "由乡镇会计认领".to_string()
            };
            format!(
                r#"<tr id="credit-{id}"><td>{id}</td><td>{when}</td><td>{channel}</td><td class="num">¥{amount}</td><td>{payer}</td><td class="text">{reference}</td><td class="text">{why}</td><td>{form}</td></tr>"#,
                when = esc(&period::shown(c.paid_at)),
                channel = esc(&c.channel_name),
                amount = c.amount,
                payer = esc(c.payer.as_deref().unwrap_or("")),
                reference = esc(c.reference.as_deref().unwrap_or("")),
                why = esc(&c.note),
            )
        })
        .collect();
    let placed_rows: String = placed
        .iter()
        .map(|p| {
            let id = p.bank_transaction_id.get();
            let note = match typed {
                Some(Typed::Undo(t, f)) if t == id => f.note.as_str(),
                _ => "",
            };
            let form = if accountant {
                format!(
                    r#"<form class="inline" method="post" action="/staff/v/{v}/suspense/{id}/undo">{csrf}<input name="note" placeholder="撤销原因（如：认错了账单）" aria-label="撤销入账 {id} 认领的原因" value="{note}" required maxlength="100"> <button id="undo-{id}">撤销认领</button></form>"#,
                    v = esc(v),
                    note = esc(note),
                )
            } else {
                String::new()
            };
            format!(
                r#"<tr id="placed-{id}"><td>{id}</td><td>{when}</td><td>{channel}</td><td class="num">¥{amount}</td><td>{payer}</td><td>{bill}</td><td class="text">{why}</td><td>{by}</td><td>{at}</td><td>{form}</td></tr>"#,
                when = esc(&period::shown(p.paid_at)),
                channel = esc(&p.channel_name),
                amount = p.amount,
                payer = esc(p.payer.as_deref().unwrap_or("")),
                bill = esc(&p.bill_reference),
                why = esc(&p.note),
                by = esc(&p.placed_by),
                at = esc(&period::shown(p.placed_at)),
            )
        })
        .collect();
    let choices = settle_choices(&credits, &refunding);
    let refund_section = refund_section(v, staff, &choices, &refunding, typed.as_ref());
    let transfer_section = transfer_section(v, staff, &choices, &transfers, typed.as_ref());
    let body = format!(
        r#"{top}<p>没有写明账单号的到账先记在“待查明款项”（211.9999）。查明是哪张账单的钱后（村民来电、报账员认出付款人），在这里认领：账单记为已缴，收据依据这笔到账开出；报账员先开的待核实收据随之生效。一笔到账只能整笔认领到一张账单。</p>{}<h2>已认领</h2><p>认错了账单时撤销认领：认领凭证被冲销，账单重新欠款，依据这笔到账的收据作废，到账回到上面的待查明列表，再认领到正确的账单。撤销和原因都记入审计日志。</p>{}{refund_section}"#,
        table(
            "suspense",
            r#"<th>编号</th><th>到账时间</th><th>方式</th><th class="num">金额</th><th>付款人</th><th>附言</th><th>原因</th><th></th>"#,
            &rows,
            "没有待查明的款项。写明账单号的到账会自动入账；没写明的会列在这里。"
        ),
        table(
            "placed",
            r#"<th>编号</th><th>到账时间</th><th>方式</th><th class="num">金额</th><th>付款人</th><th>认领到账单</th><th>依据</th><th>认领人</th><th>认领时间</th><th></th>"#,
            &placed_rows,
            "还没有认领过的到账。认领后列在这里（最近 50 笔），认错时可以撤销。"
        )
    ) + &transfer_section;
    html(code, frame::page("待查明款项", Some(v), staff, &body))
}

/// The credits whose part in suspense a refund or a transfer may take: the waiting ones whole,
/// the overpaid ones' excess; each as (value, label) for a select.
fn settle_choices(credits: &[suspense::WaitingCredit], r: &refunds::RefundsOverview) -> Vec<(String, String)> {
    credits
        .iter()
        .map(|c| {
            let id = c.bank_transaction_id.get();
            (
                id.to_string(),
                format!("入账 {id}：待查明 ¥{}（{}）", c.amount, c.channel_name),
            )
        })
        .chain(r.overpaid.iter().map(|o| {
            let id = o.bank_transaction_id.get();
            (
                id.to_string(),
                format!("入账 {id}：¥{} 中多付 ¥{}（{}）", o.amount, o.excess, o.channel_name),
            )
        }))
        .collect()
}

/// A select's options, the typed value selected again.
fn options(choices: &[(String, String)], typed: &str) -> String {
    choices
        .iter()
        .map(|(value, label)| {
            format!(
                r#"<option value="{value}"{sel}>{label}</option>"#,
                sel = if value == typed { " selected" } else { "" },
                value = esc(value),
                label = esc(label)
            )
        })
        .collect()
}

/// The refund form (a waiting credit, or the excess of an overpaid one) and the refunds so far.
fn refund_section(
    v: &str,
    staff: &Staff,
    choices: &[(String, String)],
    r: &refunds::RefundsOverview,
    typed: Option<&Typed<'_>>,
) -> String {
    let typed = match typed {
        Some(Typed::Refund(f)) => (*f).clone(),
        _ => RefundForm::default(),
    };
    let overpaid_rows: String = r
        .overpaid
        .iter()
        .map(|o| {
            format!(
                r#"<tr id="overpaid-{id}"><td>{id}</td><td>{when}</td><td>{channel}</td><td class="num">¥{amount}</td><td class="num">¥{excess}</td><td>{payer}</td><td class="text">{reference}</td></tr>"#,
                id = o.bank_transaction_id.get(),
                when = esc(&period::shown(o.paid_at)),
                channel = esc(&o.channel_name),
                amount = o.amount,
                excess = o.excess,
                payer = esc(o.payer.as_deref().unwrap_or("")),
                reference = esc(o.reference.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let requests = matches!(staff.actor.role, Role::Clerk | Role::Accountant);
    let form = if !requests {
        String::new()
    } else if choices.is_empty() {
        "<p>现在没有可以退款的款项。</p>".to_string()
    } else {
        let options = options(choices, &typed.bank_transaction_id);
        format!(
            r#"<form method="post" action="/staff/v/{v}/suspense/refund" id="refund-form">{csrf}<label for="refund-credit">退哪一笔</label><select id="refund-credit" name="bank_transaction_id" required>{options}</select><label for="payee_name">收款人（付款的人）</label><input id="payee_name" name="payee_name" value="{name}" required maxlength="60"><label for="payee_account">收款人账号</label><input id="payee_account" name="payee_account" inputmode="numeric" value="{account}" required><label for="refund-note">退款原因</label><input id="refund-note" name="note" placeholder="如：重复付款、付错了村" value="{note}" required maxlength="100"><button class="primary" id="refund">申请退款</button></form>"#,
            v = esc(v),
            csrf = staff.field(),
            name = esc(&typed.payee_name),
            account = esc(&typed.payee_account),
            note = esc(&typed.note),
        )
    };
    let refund_rows: String = r
        .refunds
        .iter()
        .map(|x| {
            let d = &x.disbursement;
            format!(
                r#"<tr id="refund-{id}"><td>{credit}</td><td class="num">¥{amount}</td><td>{payee}</td><td>{account}</td><td class="text">{purpose}</td><td>{by}</td><td>{at}</td><td><a href="/staff/v/{v}/disbursements">支出申请 {id}</a>：{status}</td></tr>"#,
                id = d.id,
                credit = x.bank_transaction_id.get(),
                amount = x.amount,
                payee = esc(&d.payee_name),
                account = esc(&d.payee_account),
                purpose = esc(&d.purpose),
                by = esc(&d.requested_by_name),
                at = esc(&period::shown(d.requested_at)),
                v = esc(v),
                status = esc(&d.status_label),
            )
        })
        .collect();
    format!(
        r#"<h2>退款</h2><p>不属于本村的钱要退回付款人：没有对应账单、也不是本村款项的到账，或付款超过账单应缴的多付部分（下表）。申请退款后，由另一位乡镇会计在“支出申请”里审批；银行对账单显示这笔支出时自动记账（借 待查明款项 211.9999，贷 银行存款）。申请中或已退的款项不能再认领到账单。被驳回的，或批准后银行付不出去、乡镇会计撤回了批准的，可以重新申请。</p>{}{form}<h3>退款记录</h3>{}"#,
        table(
            "overpaid",
            r#"<th>编号</th><th>到账时间</th><th>方式</th><th class="num">到账金额</th><th class="num">多付</th><th>付款人</th><th>附言</th>"#,
            &overpaid_rows,
            "没有多付的款项。付款超过账单应缴时，多出的部分列在这里等待退款。"
        ),
        table(
            "refunds",
            r#"<th>入账编号</th><th class="num">退款金额</th><th>收款人</th><th>账号</th><th>用途</th><th>申请人</th><th>申请时间</th><th>审批</th>"#,
            &refund_rows,
            "还没有退款申请。申请后列在这里，并显示审批和支付的进度。"
        )
    )
}

/// The accountant's transfer form (查明转出) and the transfers so far.
fn transfer_section(
    v: &str,
    staff: &Staff,
    choices: &[(String, String)],
    t: &suspense::TransfersOverview,
    typed: Option<&Typed<'_>>,
) -> String {
    let typed = match typed {
        Some(Typed::Transfer(f)) => (*f).clone(),
        _ => TransferForm::default(),
    };
    let form = if staff.actor.role != Role::Accountant {
        String::new()
    } else if choices.is_empty() {
        "<p>现在没有待查明的款项可以转出。</p>".to_string()
    } else {
        // A transfer is final: nothing is chosen until the accountant chooses it (the empty
        // first options).
        let targets: Vec<(String, String)> = t
            .targets
            .iter()
            .map(|a| (a.code.clone(), format!("{} {}", a.code, a.name)))
            .collect();
        format!(
            r#"<form method="post" action="/staff/v/{v}/suspense/transfer" id="transfer-form">{csrf}<label for="transfer-credit">转出哪一笔</label><select id="transfer-credit" name="bank_transaction_id" required><option value="">请选择到账</option>{credits}</select><label for="transfer-account">转入科目</label><select id="transfer-account" name="account_code" required><option value="">请选择科目</option>{accounts}</select><label for="transfer-note">依据</label><input id="transfer-note" name="note" placeholder="如：镇政府拨付的补助（通知文号）" value="{note}" required maxlength="100"><button class="primary" id="transfer">查明转出</button></form>"#,
            v = esc(v),
            csrf = staff.field(),
            credits = options(choices, &typed.bank_transaction_id),
            accounts = options(&targets, &typed.account_code),
            note = esc(&typed.note),
        )
    };
    let rows: String = t
        .transfers
        .iter()
        .map(|x| {
            format!(
                r#"<tr id="transfer-{id}"><td>{id}</td><td>{when}</td><td>{channel}</td><td class="num">¥{amount}</td><td>{payer}</td><td>{account}</td><td>第{seq}号</td><td class="text">{note}</td><td>{by}</td><td>{at}</td></tr>"#,
                id = x.bank_transaction_id.get(),
                when = esc(&period::shown(x.paid_at)),
                channel = esc(&x.channel_name),
                amount = x.amount,
                payer = esc(x.payer.as_deref().unwrap_or("")),
                account = esc(&x.account_code),
                seq = x.entry_seq,
                note = esc(&x.note),
                by = esc(&x.transferred_by),
                at = esc(&period::shown(x.transferred_at)),
            )
        })
        .collect();
    format!(
        r#"<h2>查明转出</h2><p>查明既不是哪张账单的缴费、也不用退回的到账（如镇政府拨付的补助、捐款、农户预交下一年的款项），由乡镇会计转入它所属的科目：借 待查明款项 211.9999，贷 所选科目，写明依据。转出后不能再认领或退款，也不能撤销；转错了科目，另做一张凭证在两个科目之间调整。待查明款项不能手工记账，每一笔转出都写明是哪笔入账。</p>{form}<h3>转出记录</h3>{}"#,
        table(
            "transfers",
            r#"<th>入账编号</th><th>到账时间</th><th>方式</th><th class="num">转出金额</th><th>付款人</th><th>转入科目</th><th>凭证</th><th>依据</th><th>办理人</th><th>办理时间</th>"#,
            &rows,
            "还没有查明转出的款项。转出后列在这里（最近 200 笔）。"
        )
    )
}

pub async fn transfer(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<TransferForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let typed = form.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let input = TransferInput {
        account_code: typed.account_code.clone(),
        note: typed.note.clone(),
    };
    let done = match chosen(&typed.bank_transaction_id, "请选择要转出的那笔到账。") {
        Ok(id) => {
            state
                .db
                .run(move |db| suspense::transfer(db, &actor, &code, id, input))
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(t) => see_other(
            &format!("/staff/v/{v}/suspense"),
            &format!(
                "已查明转出：入账 {} 的 ¥{} 转入 {}（第{}号凭证）。",
                t.bank_transaction_id.get(),
                t.amount,
                t.account_code,
                t.entry_seq
            ),
        ),
        Err(e) => refused(&state, &staff, &v, e, Typed::Transfer(&typed)).await,
    }
}

pub async fn refund(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    form: web::Form<RefundForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let v = path.into_inner();
    let typed = form.into_inner();
    let (actor, code) = (staff.actor.clone(), v.clone());
    let txn = chosen(&typed.bank_transaction_id, "请选择要退的那笔到账。");
    let input = RefundInput {
        payee_name: typed.payee_name.clone(),
        payee_account: typed.payee_account.clone(),
        note: typed.note.clone(),
    };
    let done = match txn {
        Ok(id) => {
            state
                .db
                .run(move |db| refunds::request(db, &actor, &code, id, input))
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(d) => see_other(
            &format!("/staff/v/{v}/suspense"),
            &format!(
                "已申请退款：¥{} 退给 {}（支出申请 {}），等待另一位乡镇会计审批。",
                d.amount, d.payee_name, d.id
            ),
        ),
        Err(e) => refused(&state, &staff, &v, e, Typed::Refund(&typed)).await,
    }
}

pub async fn place(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<PlaceForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let typed = form.into_inner();
    let input = PlaceInput {
        bill_reference: typed.bill_reference.clone(),
        note: typed.note.clone(),
    };
    let (actor, code, key) = (staff.actor.clone(), v.clone(), state.server_key.clone());
    match state
        .db
        .run(move |db| suspense::place(db, key.expose(), &actor, &code, BankTransactionId(id), input))
        .await
    {
        Ok(r) => see_other(
            &format!("/staff/v/{v}/suspense"),
            &format!(
                "已认领：¥{} 记入账单 {}，收据 {}。",
                r.amount,
                r.bill_reference.as_deref().unwrap_or(""),
                r.number
            ),
        ),
        Err(e) => refused(&state, &staff, &v, e, Typed::Place(id, &typed)).await,
    }
}

pub async fn undo(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(String, i64)>,
    form: web::Form<UndoForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let (v, id) = path.into_inner();
    let typed = form.into_inner();
    let input = UndoInput {
        note: typed.note.clone(),
    };
    let (actor, code, key) = (staff.actor.clone(), v.clone(), state.server_key.clone());
    match state
        .db
        .run(move |db| suspense::undo(db, key.expose(), &actor, &code, BankTransactionId(id), input))
        .await
    {
        Ok(u) => see_other(
            &format!("/staff/v/{v}/suspense"),
            &format!(
                "已撤销认领：账单 {} 重新欠 ¥{}，第 {} 号冲销凭证，收据 {} 已作废{}；这笔到账回到待查明款项。",
                u.bill_reference,
                u.amount,
                u.reversal_seq,
                u.voided_receipt,
                u.claim_again
                    .map(|n| format!("；报账员原先开的待核实收据改为 {n}，继续等待到账"))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => refused(&state, &staff, &v, e, Typed::Undo(id, &typed)).await,
    }
}

/// The credit a form's select named, or the refusal to show when none was chosen.
fn chosen(text: &str, say: &'static str) -> Result<BankTransactionId, AppError> {
    text.trim()
        .parse::<i64>()
        .map(BankTransactionId)
        .map_err(|_| AppError::new(crate::error::ErrorCode::FieldInvalid, say).at("bank_transaction_id"))
}

/// The page again, the refusal on top in words a person reads and what was typed back in its
/// form.
async fn refused(state: &web::Data<AppState>, staff: &Staff, v: &str, e: AppError, typed: Typed<'_>) -> HttpResponse {
    render(
        state,
        staff,
        v,
        status(&e),
        &message(Some(&for_people(&e)), true),
        Some(typed),
    )
    .await
}
