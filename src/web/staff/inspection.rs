//! The inspector's pages (纪检): findings of a scope and period by rule and by village, the
//! list with its filters, one finding with its evidence, rule and history, and the workflow
//! buttons; running the rules and downloading the report. Thin handlers over
//! `usecases::inspection`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::frame::table;
use super::frame::{failed, html, notes, page_nav, refused, see_other, Msg};
use super::session::Staff;
use crate::domain::period;
use crate::domain::schedule::shown_period;
use crate::domain::vocabulary::{FindingStatus, RuleId, Severity};
use crate::inspect::overview::days_text;
use crate::usecases::exports::ExportFormat;
use crate::usecases::inspection::dashboard::{dashboard as dashboard_of, Dashboard};
use crate::usecases::inspection::findings::{self, FindingQuery, FindingView, MoveInput};
use crate::usecases::inspection::report;
use crate::usecases::inspection::{self, RunInput};
use crate::web::charts::{self, yuan, Chart, Kind};
use crate::web::pages::{esc, percent};
use crate::web::AppState;

/// The inspector's menu.
pub const NAV: &str = r#"<a href="/staff/inspect">检查发现</a>"#;

#[derive(Deserialize, Default)]
pub struct Filters {
    pub scope: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub rule: Option<String>,
    pub status: Option<String>,
    pub severity: Option<String>,
    pub village: Option<String>,
    /// Only findings with at least this much at stake (yuan).
    pub amount: Option<String>,
    pub gone: Option<String>,
    #[serde(flatten)]
    pub msg: Msg,
}

fn none_if_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Filters {
    /// The query, with the defaults: the inspector's own scope, the last twelve months.
    fn query(&self, own_scope: &str) -> FindingQuery {
        let (from, to) = inspection::last_twelve_months(period::now());
        FindingQuery {
            scope: none_if_empty(&self.scope).unwrap_or_else(|| own_scope.to_string()),
            from: none_if_empty(&self.from).unwrap_or(from),
            to: none_if_empty(&self.to).unwrap_or(to),
            rules: none_if_empty(&self.rule),
            status: none_if_empty(&self.status).and_then(|s| FindingStatus::parse(&s)),
            severity: none_if_empty(&self.severity).and_then(|s| Severity::parse(&s)),
            village: none_if_empty(&self.village),
            min_amount: none_if_empty(&self.amount),
            include_gone: Some(self.gone.is_some()),
            after: None,
        }
    }
}

/// The query string of a report's filters (for links and downloads).
fn query_string(q: &FindingQuery) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    pairs
        .append_pair("scope", &q.scope)
        .append_pair("from", &q.from)
        .append_pair("to", &q.to);
    if let Some(r) = &q.rules {
        pairs.append_pair("rule", r);
    }
    if let Some(s) = q.status {
        pairs.append_pair("status", s.as_str());
    }
    if let Some(s) = q.severity {
        pairs.append_pair("severity", s.as_str());
    }
    if let Some(m) = &q.min_amount {
        pairs.append_pair("amount", m);
    }
    if let Some(v) = &q.village {
        pairs.append_pair("village", v);
    }
    if q.include_gone == Some(true) {
        pairs.append_pair("gone", "1");
    }
    pairs.finish()
}

fn options<T: Copy + PartialEq>(all: &[T], chosen: Option<T>, name: impl Fn(T) -> (String, String)) -> String {
    let mut out = String::from(r#"<option value="">全部</option>"#);
    for v in all {
        let (value, label) = name(*v);
        out.push_str(&format!(
            r#"<option value="{}"{}>{}</option>"#,
            esc(&value),
            if Some(*v) == chosen { " selected" } else { "" },
            esc(&label)
        ));
    }
    out
}

pub async fn dashboard(state: web::Data<AppState>, staff: Staff, q: web::Query<Filters>) -> HttpResponse {
    let filters = q.into_inner();
    let actor = staff.actor.clone();
    let data = state
        .db
        .run(move |db| {
            let choices = inspection::scope_choices(db, &actor)?;
            let query = filters.query(&choices[0].0);
            let r = dashboard_of(db, &actor, &query);
            Ok::<_, crate::error::AppError>((choices, query, r, filters.msg))
        })
        .await;
    let (choices, query, result, msg) = match data {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let csrf = staff.field();
    let scope_options: String = choices
        .iter()
        .map(|(code, label)| {
            format!(
                r#"<option value="{c}"{s}>{l}</option>"#,
                c = esc(code),
                s = if *code == query.scope { " selected" } else { "" },
                l = esc(label)
            )
        })
        .collect();
    let chosen_rule = query.rules.as_deref().and_then(RuleId::parse);
    let rule_options = options(RuleId::ALL, chosen_rule, |r| {
        (r.as_str().into(), format!("{} {}", r.label(), r.as_str()))
    });
    let status_options = options(FindingStatus::ALL, query.status, |s| {
        (s.as_str().into(), s.label().into())
    });
    let severity_options = options(Severity::ALL, query.severity, |s| (s.as_str().into(), s.label().into()));
    let (from, to) = (esc(&query.from), esc(&query.to));
    let form = format!(
        r#"<form method="get" action="/staff/inspect" id="filters">
<label>范围 <select name="scope">{scope_options}</select></label>
<label>从 <input type="month" name="from" value="{from}"></label><label>到 <input type="month" name="to" value="{to}"></label>
<label>规则 <select name="rule">{rule_options}</select></label>
<label>状态 <select name="status">{status_options}</select></label>
<label>严重程度 <select name="severity">{severity_options}</select></label>
<label>村代码（可不填） <input name="village" inputmode="numeric" value="{village}"></label>
<label>涉及金额至少（元，可不填） <input name="amount" inputmode="decimal" value="{amount}"></label>
<label><input type="checkbox" name="gone" value="1"{gone}> 包括数据已消除的发现</label>
<button class="primary">查看</button></form>
<form method="post" action="/staff/inspect/run">{csrf}<input type="hidden" name="scope" value="{scope}">
<input type="hidden" name="from" value="{from}"><input type="hidden" name="to" value="{to}">
<button class="primary" id="run">按所选范围和月份运行全部检查规则</button></form>"#,
        gone = if query.include_gone == Some(true) {
            " checked"
        } else {
            ""
        },
        scope = esc(&query.scope),
        village = esc(query.village.as_deref().unwrap_or("")),
        amount = esc(query.min_amount.as_deref().unwrap_or("")),
    );
    let body = match result {
        Ok(r) => render(&r, &query),
        Err(e) => format!(
            r#"<p class="notice error">{}</p>"#,
            esc(&crate::web::error::for_people(&e))
        ),
    };
    html(
        StatusCode::OK,
        page_nav("检查发现", NAV, &csrf, &format!("{}{form}{body}", notes(&msg))),
    )
}

/// Findings as a table, each linked to its page; `with_village` adds the village column (a
/// scope of many villages).
pub(super) fn findings_table(id: &str, findings: &[FindingView], with_village: bool, empty: &str) -> String {
    let rows: String = findings
        .iter()
        .map(|f| {
            format!(
                r#"<tr><td><a href="/staff/findings/{id}">#{id}</a></td>{village}<td>{}</td><td>{}</td><td>{} 至 {}</td><td class="num">¥{}</td><td>{}{}</td><td class="text">{}</td></tr>"#,
                esc(&f.rule_label),
                esc(&f.severity_label),
                f.period_start,
                f.period_end,
                f.amount,
                esc(&f.status_label),
                if f.cause_gone.is_some() { "（数据已消除）" } else { "" },
                esc(&f.summary),
                id = f.id,
                village = if with_village {
                    format!("<td>{}</td>", esc(&f.village_name))
                } else {
                    String::new()
                },
            )
        })
        .collect();
    table(
        id,
        &format!(
            r#"<th>编号</th>{}<th>规则</th><th>严重程度</th><th>期间</th><th class="num">涉及金额</th><th>状态</th><th>发现</th>"#,
            if with_village { "<th>村</th>" } else { "" }
        ),
        &rows,
        empty,
    )
}

/// The dashboard: charts with their tables (by month, severity, rule, township, village; each
/// village's cash share and deposit lag), then the findings list.
fn render(d: &Dashboard, q: &FindingQuery) -> String {
    let r = &d.report;
    let qs = esc(&query_string(q));
    let mut out = format!(
        r#"<section><h2>{}：{} 至 {}</h2><p id="summary">{}</p>
<p><a href="/staff/inspect/report.xlsx?{qs}">下载 Excel</a> · <a href="/staff/inspect/report.csv?{qs}">下载 CSV</a></p></section>"#,
        esc(&r.scope_name),
        esc(&shown_period(&q.from)),
        esc(&shown_period(&q.to)),
        esc(&r.message)
    );
    if r.findings.is_empty() {
        out.push_str(r#"<p class="empty">暂无发现。运行检查后，规则发现的问题会按规则和村列在这里；没有问题的期间就是空的。</p>"#);
    }
    let mut charts = Vec::new();

    // Trend by month.
    let months: Vec<String> = d.by_month.iter().map(|m| shown_period(&m.month)).collect();
    let trend = Chart::new("chart-months", Kind::Bars, months.clone())
        .series(
            "发现（条）",
            d.by_month.iter().map(|m| m.findings as f64).collect(),
            false,
        )
        .series(
            "涉及金额（元）",
            d.by_month.iter().map(|m| yuan(m.amount)).collect(),
            true,
        );
    let rows: String = d
        .by_month
        .iter()
        .zip(&months)
        .map(|(m, label)| {
            format!(
                r#"<tr><td>{}</td><td class="num">{}</td><td class="num">¥{}</td></tr>"#,
                esc(label),
                m.findings,
                m.amount
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>按月趋势（按问题发生的月份）</h2>{}{}</section>"#,
        trend.place("每月发现条数和涉及金额", "所选期间没有发现，趋势图无从画起。"),
        table(
            "by-month",
            r#"<th>月份</th><th class="num">发现</th><th class="num">涉及金额</th>"#,
            &rows,
            "所选期间没有月份。"
        )
    ));
    charts.push(trend);

    // Severity.
    let severity = Chart::new(
        "chart-severity",
        Kind::Pie,
        d.by_severity.iter().map(|s| s.label.clone()).collect(),
    )
    .series(
        "发现（条）",
        d.by_severity.iter().map(|s| s.findings as f64).collect(),
        false,
    );
    let rows: String = d
        .by_severity
        .iter()
        .map(|s| {
            format!(
                r#"<tr><td>{}</td><td class="num">{}</td><td class="num">¥{}</td></tr>"#,
                esc(&s.label),
                s.findings,
                s.amount
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>按严重程度</h2>{}{}</section>"#,
        severity.place("各严重程度的发现条数", "没有发现。"),
        table(
            "by-severity",
            r#"<th>严重程度</th><th class="num">发现</th><th class="num">涉及金额</th>"#,
            &rows,
            ""
        )
    ));
    charts.push(severity);

    // Rules.
    let rules = Chart::new(
        "chart-rules",
        Kind::Rows,
        r.summary.iter().map(|s| s.label.clone()).collect(),
    )
    .series(
        "发现（条）",
        r.summary.iter().map(|s| s.findings as f64).collect(),
        false,
    );
    let rows: String = r
        .summary
        .iter()
        .map(|s| {
            let mut f = q.clone();
            f.rules = Some(s.rule.as_str().into());
            format!(
                r#"<tr><td><a href="/staff/inspect?{}">{}</a></td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">¥{}</td></tr>"#,
                esc(&query_string(&f)),
                esc(&s.label),
                s.rule,
                s.findings,
                s.open,
                s.amount
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>按规则</h2>{}{}</section>"#,
        rules.place("各规则的发现条数", "没有规则发现问题。"),
        table(
            "by-rule",
            r#"<th>规则</th><th>代码</th><th class="num">发现</th><th class="num">待处理</th><th class="num">涉及金额</th>"#,
            &rows,
            "运行检查后，每条发现问题的规则会列在这里。"
        )
    ));
    charts.push(rules);

    // Townships (a county's view; a township or village scope has one row).
    let towns = Chart::new(
        "chart-townships",
        Kind::Bars,
        d.by_township.iter().map(|t| t.name.clone()).collect(),
    )
    .series(
        "发现（条）",
        d.by_township.iter().map(|t| t.findings as f64).collect(),
        false,
    )
    .series(
        "涉及金额（元）",
        d.by_township.iter().map(|t| yuan(t.amount)).collect(),
        true,
    );
    let rows: String = d
        .by_township
        .iter()
        .map(|t| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">¥{}</td></tr>"#,
                esc(&t.name),
                esc(&t.code),
                t.findings,
                t.amount
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>按乡镇</h2>{}{}</section>"#,
        towns.place("各乡镇的发现条数和涉及金额", "没有发现。"),
        table(
            "by-township",
            r#"<th>乡镇</th><th>代码</th><th class="num">发现</th><th class="num">涉及金额</th>"#,
            &rows,
            "范围内没有乡镇。"
        )
    ));
    charts.push(towns);

    // Villages ranked by money at stake (the chart shows the first twenty).
    let ranked: Vec<_> = d.villages.iter().filter(|v| v.findings > 0).collect();
    let top: Vec<_> = ranked.iter().take(20).collect();
    let ranking = Chart::new(
        "chart-villages",
        Kind::Rows,
        top.iter().map(|v| v.name.clone()).collect(),
    )
    .series("涉及金额（元）", top.iter().map(|v| yuan(v.amount)).collect(), false);
    let rows: String = ranked
        .iter()
        .map(|v| {
            let mut f = q.clone();
            f.village = Some(v.code.clone());
            format!(
                r#"<tr><td><a href="/staff/inspect/v/{code}?from={from}&amp;to={to}">{}</a></td><td><a href="/staff/inspect?{}">{code}（只看本村的发现）</a></td><td>{}</td><td class="num">{}</td><td class="num">¥{}</td></tr>"#,
                esc(&v.name),
                esc(&query_string(&f)),
                esc(&v.township),
                v.findings,
                v.amount,
                code = esc(&v.code),
                from = esc(&q.from),
                to = esc(&q.to),
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>按村（涉及金额从高到低）</h2>{}{}</section>"#,
        ranking.place("涉及金额最多的村", "没有村有发现。"),
        table(
            "by-village",
            r#"<th>村</th><th>代码</th><th>乡镇</th><th class="num">发现</th><th class="num">涉及金额</th>"#,
            &rows,
            "运行检查后，有发现的村按涉及金额从高到低列在这里。"
        )
    ));
    charts.push(ranking);

    // Cash share and deposit lag, every village of the scope.
    let cash = Chart::new(
        "chart-cash",
        Kind::Bars,
        d.villages.iter().map(|v| v.name.clone()).collect(),
    )
    .series(
        "现金收款占比（%）",
        d.villages.iter().map(|v| v.cash_share.unwrap_or(0.0) * 100.0).collect(),
        false,
    )
    .series(
        "现金平均交存天数",
        d.villages
            .iter()
            .map(|v| v.deposit.average_days.unwrap_or(0.0))
            .collect(),
        true,
    );
    let rows: String = d
        .villages
        .iter()
        .map(|v| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="num">¥{}</td><td class="num">¥{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">¥{}</td></tr>"#,
                esc(&v.name),
                esc(&v.township),
                v.collected,
                v.cash,
                percent(v.cash_share),
                days_text(v.deposit.average_days),
                days_text(v.deposit.longest_days),
                v.deposit.waiting
            )
        })
        .collect();
    out.push_str(&format!(
        r#"<section><h2>各村现金收款与交存</h2><p>现金占比高、交存慢的村，是坐收坐支和截留挪用最先露头的地方。平均交存天数从收到现金算到银行入账；最长一笔把尚未交存的也算到今天。</p>{}{}</section>"#,
        cash.place("各村现金收款占比和平均交存天数", "所选期间各村都没有收款。"),
        table(
            "cash-by-village",
            r#"<th>村</th><th>乡镇</th><th class="num">收款合计</th><th class="num">其中现金</th><th class="num">现金占比</th><th class="num">平均交存</th><th class="num">最长一笔</th><th class="num">尚未交存</th>"#,
            &rows,
            "范围内没有村。"
        )
    ));
    charts.push(cash);

    if !r.findings.is_empty() {
        out.push_str(&format!(
            r#"<section><h2>发现（{}）</h2>{}</section>"#,
            r.findings.len(),
            findings_table("findings", &r.findings, true, "")
        ));
    }
    out.push_str(charts::STYLE);
    out.push_str(&charts::script(&charts));
    out
}

pub async fn finding(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    q: web::Query<Msg>,
) -> HttpResponse {
    let id = path.into_inner();
    let actor = staff.actor.clone();
    let d = match state.db.run(move |db| findings::get(db, &actor, id)).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let f = &d.finding;
    let evidence: String = f
        .evidence
        .iter()
        .map(|e| match &e.href {
            Some(h) => format!(r#"<li><a href="{}">{}</a></li>"#, esc(h), esc(&e.label)),
            None => format!("<li>{}</li>", esc(&e.label)),
        })
        .collect();
    let evidence = if evidence.is_empty() {
        r#"<p class="empty">这条规则看的是整体分布，没有逐笔的证据。</p>"#.to_string()
    } else {
        format!(r#"<ul id="evidence">{evidence}</ul>"#)
    };
    let history: String = d
        .history
        .iter()
        .map(|h| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="text">{}</td></tr>"#,
                esc(&h.at),
                esc(&h.kind_label),
                esc(h.by.as_deref().unwrap_or("检查规则")),
                h.to_status.map(|s| s.label()).unwrap_or(""),
                esc(&h.note)
            )
        })
        .collect();
    let csrf = staff.field();
    let steps: String = d
        .next
        .iter()
        .map(|to| {
            let (button, hint, required) = match to {
                FindingStatus::Acknowledged => ("受理", "备注（可不填）", ""),
                FindingStatus::Explained => ("已说明", "村里的说明，以及为何接受", " required"),
                FindingStatus::Confirmed => ("认定为问题", "认定的事实和处理", " required"),
                FindingStatus::Dismissed => ("排除", "排除的理由", " required"),
                FindingStatus::Open => ("", "", ""),
            };
            format!(
                r#"<form method="post" action="/staff/findings/{id}/status" class="step">{csrf}<input type="hidden" name="to" value="{to}">
<label>{hint}<br><textarea name="note" rows="2" cols="50"{required}></textarea></label><button class="primary">{button}</button></form>"#,
                id = f.id,
                to = to.as_str(),
            )
        })
        .collect();
    let steps = if steps.is_empty() {
        format!(
            r#"<p class="empty">这条发现的状态是“{}”，不再处理。</p>"#,
            esc(&f.status_label)
        )
    } else {
        steps
    };
    let body = format!(
        r#"{notes}<dl>
<dt>村</dt><dd>{village_name}（{village}）</dd><dt>规则</dt><dd>{rule_label}（{rule}）</dd>
<dt>严重程度</dt><dd>{severity}</dd><dt>期间</dt><dd>{start} 至 {end}</dd><dt>涉及金额</dt><dd>¥{amount}</dd>
<dt>状态</dt><dd id="status">{status}{gone}</dd><dt>首次发现</dt><dd>{first}</dd><dt>最近一次发现</dt><dd>{last}</dd></dl>
<section><h2>发现</h2><p id="finding-summary">{summary}</p></section>
<section><h2>这条规则查什么</h2><p>{explanation}</p></section>
<section><h2>证据</h2>{evidence}</section>
<section><h2>处理</h2>{steps}</section>
<section><h2>处理记录</h2><div class="scroll"><table id="history"><tr><th>时间</th><th>事项</th><th>经办</th><th>状态</th><th>说明</th></tr>{history}</table></div></section>
<p><a href="/staff/inspect">返回检查发现</a></p>"#,
        notes = notes(&q),
        village_name = esc(&f.village_name),
        village = esc(&f.village),
        rule_label = esc(&f.rule_label),
        rule = f.rule,
        severity = esc(&f.severity_label),
        start = f.period_start,
        end = f.period_end,
        amount = f.amount,
        status = esc(&f.status_label),
        gone = f
            .cause_gone
            .as_deref()
            .map(|g| format!("（{} 起数据已消除）", esc(g)))
            .unwrap_or_default(),
        first = esc(&f.first_seen),
        last = esc(&f.last_seen),
        summary = esc(&f.summary),
        explanation = esc(&d.explanation),
    );
    html(StatusCode::OK, page_nav(&format!("发现 #{}", f.id), NAV, &csrf, &body))
}

#[derive(Deserialize)]
pub struct StepForm {
    pub csrf: String,
    pub to: String,
    #[serde(default)]
    pub note: String,
}

pub async fn step(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<i64>,
    form: web::Form<StepForm>,
) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let id = path.into_inner();
    let back = format!("/staff/findings/{id}");
    let Some(to) = FindingStatus::parse(form.to.trim()) else {
        return refused(
            &back,
            &crate::error::AppError::code(crate::error::ErrorCode::FindingStep),
        );
    };
    let input = MoveInput {
        to,
        note: form.into_inner().note,
    };
    let actor = staff.actor;
    match state.db.run(move |db| findings::move_to(db, &actor, id, &input)).await {
        Ok(d) => see_other(&back, &format!("已改为“{}”。", d.finding.status_label)),
        Err(e) => refused(&back, &e),
    }
}

#[derive(Deserialize)]
pub struct RunForm {
    pub csrf: String,
    pub scope: String,
    pub from: String,
    pub to: String,
}

pub async fn run(state: web::Data<AppState>, staff: Staff, form: web::Form<RunForm>) -> HttpResponse {
    if let Some(r) = staff.refuse_forged(&form.csrf) {
        return r;
    }
    let f = form.into_inner();
    let back = format!(
        "/staff/inspect?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("scope", &f.scope)
            .append_pair("from", &f.from)
            .append_pair("to", &f.to)
            .finish()
    );
    let input = RunInput {
        scope: f.scope,
        from: f.from,
        to: f.to,
        rules: None,
    };
    let (actor, config) = (staff.actor, state.config.clone());
    match state
        .db
        .run(move |db| inspection::run(db, Some(&actor), &input, &config.inspection, period::now()))
        .await
    {
        Ok(s) => {
            let failed = if s.villages_failed.is_empty() {
                String::new()
            } else {
                format!(
                    "以下村未能检查：{}。",
                    s.villages_failed
                        .iter()
                        .map(|f| f.village.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            };
            see_other(&back, &format!("{}{failed}", s.message))
        }
        Err(e) => refused(&back, &e),
    }
}

pub async fn download(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<String>,
    q: web::Query<Filters>,
) -> HttpResponse {
    let ext = path.into_inner();
    let filters = q.into_inner();
    let actor = staff.actor.clone();
    let made = state
        .db
        .run(move |db| -> crate::error::AppResult<(Vec<u8>, &'static str, String)> {
            let own = inspection::scope_choices(db, &actor)?.remove(0).0;
            let query = filters.query(&own);
            let r = report::report(db, Some(&actor), &query)?;
            let format = if ext == "xlsx" {
                ExportFormat::Xlsx
            } else {
                ExportFormat::Csv
            };
            report::file(&r, format)
        })
        .await;
    match made {
        Ok((bytes, kind, name)) => HttpResponse::Ok()
            .content_type(kind)
            .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
            .body(bytes),
        Err(e) => failed(e),
    }
}
