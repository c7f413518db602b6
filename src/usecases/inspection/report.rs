//! The findings of a scope and period as a report: a summary by rule and every finding, for
//! the command line (text), other systems (JSON) and people (XLSX with a summary sheet and one
//! sheet per rule; CSV in UTF-8 with a BOM).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::findings::{filter_of, view, FindingQuery, FindingView};
use crate::domain::access::Actor;
use crate::domain::vocabulary::{FindingStatus, RuleId};
use crate::domain::Money;
use crate::error::AppResult;
use crate::inspect::rules;
use crate::store::inspection::Finding;
use crate::store::Db;
use crate::usecases::exports::{self, Cell, ExportFormat, Table};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleSummary {
    pub rule: RuleId,
    pub label: String,
    pub explanation: String,
    pub findings: i64,
    /// Still open (not yet acknowledged).
    pub open: i64,
    #[schema(value_type = String)]
    pub amount: Money,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionReport {
    pub scope: String,
    pub scope_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub summary: Vec<RuleSummary>,
    pub findings: Vec<FindingView>,
    /// One sentence for people (says so when there is nothing).
    pub message: String,
}

/// Every finding the query selects, in pages, with the summary by rule.
pub fn report(db: &Db, actor: Option<&Actor>, q: &FindingQuery) -> AppResult<InspectionReport> {
    db.read(|conn| {
        let (mut filter, names, scope) = filter_of(conn, actor, q)?;
        let (from, to) = (filter.from.unwrap_or_default(), filter.to.unwrap_or_default());
        let mut findings = Vec::new();
        loop {
            let rows = Finding::list(conn, &filter)?;
            let full = rows.len() as i64 == filter.limit;
            if let Some(last) = rows.last() {
                filter.after = last.id;
            }
            findings.extend(rows.into_iter().map(|f| {
                let v = names.get(&f.village_id).cloned().unwrap_or_default();
                view(f, &v)
            }));
            if !full {
                break;
            }
        }
        let mut by_rule: BTreeMap<RuleId, RuleSummary> = BTreeMap::new();
        for f in &findings {
            let s = by_rule.entry(f.rule).or_insert_with(|| RuleSummary {
                rule: f.rule,
                label: f.rule.label().into(),
                explanation: rules::explanation(f.rule).into(),
                findings: 0,
                open: 0,
                amount: Money::ZERO,
            });
            s.findings += 1;
            s.open += (f.status == FindingStatus::Open) as i64;
            s.amount += f.amount;
        }
        let message = if findings.is_empty() {
            format!(
                "{} 在 {from} 至 {to} 期间没有发现；如果还没有运行过检查，请先运行检查。",
                scope.name
            )
        } else {
            format!("{} 在 {from} 至 {to} 期间共有 {} 条发现。", scope.name, findings.len())
        };
        Ok(InspectionReport {
            scope: scope.code,
            scope_name: scope.name,
            from,
            to,
            summary: by_rule.into_values().collect(),
            findings,
            message,
        })
    })
}

const FINDING_HEADER: [&str; 12] = [
    "编号",
    "村代码",
    "村",
    "规则",
    "规则名称",
    "严重程度",
    "起始日期",
    "截止日期",
    "涉及金额",
    "状态",
    "发现",
    "证据",
];

fn finding_row(f: &FindingView) -> Vec<Cell> {
    let t = |s: String| Cell::Text(s);
    vec![
        t(f.id.to_string()),
        t(f.village.clone()),
        t(f.village_name.clone()),
        t(f.rule.as_str().into()),
        t(f.rule_label.clone()),
        t(f.severity_label.clone()),
        t(f.period_start.to_string()),
        t(f.period_end.to_string()),
        Cell::Money(f.amount),
        t(if f.cause_gone.is_some() {
            format!("{}（数据已消除）", f.status_label)
        } else {
            f.status_label.clone()
        }),
        t(f.summary.clone()),
        t(f.evidence
            .iter()
            .map(|e| format!("{} {}", e.kind_label, e.id))
            .collect::<Vec<_>>()
            .join("；")),
    ]
}

/// The summary sheet, then one sheet per rule with findings.
pub fn tables(r: &InspectionReport) -> Vec<Table> {
    let mut out = vec![Table {
        name: "汇总",
        header: vec!["规则", "规则名称", "发现数", "待处理", "涉及金额", "说明"],
        rows: r
            .summary
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(s.rule.as_str().into()),
                    Cell::Text(s.label.clone()),
                    Cell::Text(s.findings.to_string()),
                    Cell::Text(s.open.to_string()),
                    Cell::Money(s.amount),
                    Cell::Text(s.explanation.clone()),
                ]
            })
            .collect(),
    }];
    let mut by_rule: HashMap<RuleId, Vec<Vec<Cell>>> = HashMap::new();
    for f in &r.findings {
        by_rule.entry(f.rule).or_default().push(finding_row(f));
    }
    for s in &r.summary {
        out.push(Table {
            name: s.rule.as_str(),
            header: FINDING_HEADER.to_vec(),
            rows: by_rule.remove(&s.rule).unwrap_or_default(),
        });
    }
    out
}

/// Every finding in one table (the CSV).
pub fn flat_table(r: &InspectionReport) -> Table {
    Table {
        name: "发现",
        header: FINDING_HEADER.to_vec(),
        rows: r.findings.iter().map(finding_row).collect(),
    }
}

/// The report as a file: XLSX (a summary sheet, one per rule) or CSV; its bytes, content type
/// and name.
pub fn file(r: &InspectionReport, format: ExportFormat) -> AppResult<(Vec<u8>, &'static str, String)> {
    let name = format!(
        "inspection-{}-{}-{}",
        r.scope,
        r.from.format("%Y-%m"),
        r.to.format("%Y-%m")
    );
    Ok(match format {
        ExportFormat::Xlsx => (
            exports::to_xlsx_book(&tables(r))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{name}.xlsx"),
        ),
        ExportFormat::Csv => (
            exports::to_csv(&flat_table(r))?,
            "text/csv; charset=utf-8",
            format!("{name}.csv"),
        ),
    })
}

/// For a terminal.
pub fn text(r: &InspectionReport) -> String {
    let mut out = format!("{}（{}）{} 至 {}\n{}\n", r.scope_name, r.scope, r.from, r.to, r.message);
    for s in &r.summary {
        out.push_str(&format!(
            "\n{} {}：{} 条（待处理 {}），涉及金额 ¥{}\n",
            s.rule, s.label, s.findings, s.open, s.amount
        ));
        for f in r.findings.iter().filter(|f| f.rule == s.rule) {
            out.push_str(&format!(
                "  #{} [{}] {} {}：{}\n",
                f.id, f.severity_label, f.village, f.village_name, f.summary
            ));
        }
    }
    out
}
