//! Charts of accounts as versioned data.
//!
//! Two charts: the 2004 《村集体经济组织会计制度》 and the 2023 《农村集体经济组织会计制度》
//! (财会〔2023〕14号, effective 2024-01-01). Codes were reused between them (511 was
//! 发包及上交收入 in 2004; in 2023 contract income is part of 501 经营收入), so an account is
//! always read together with its chart version, and an entry may only use accounts of the
//! version in force on its date.
//!
//! Source note: the 2004 list matches published copies of the 2004 chart. The 2023 list follows
//! DESIGN.md (a secondary source) completed from memory of the official appendix; accounts
//! marked `verified: false` have not been checked against the appendix or the 2023 old-to-new
//! mapping (财会〔2023〕20号). Check them before relying on them in a report.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
    pub fn parse(s: &str) -> Option<Side> {
        match s {
            "debit" => Some(Side::Debit),
            "credit" => Some(Side::Credit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Asset,
    Liability,
    Equity,
    Cost,
    ProfitAndLoss,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Asset => "asset",
            Category::Liability => "liability",
            Category::Equity => "equity",
            Category::Cost => "cost",
            Category::ProfitAndLoss => "profit_and_loss",
        }
    }
}

/// How an account is broken down in each village's books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// Posted to directly.
    None,
    /// One sub-account per corporate bank account (102 银行存款).
    PerCorporateAccount,
    /// One sub-account per member household (113 内部往来).
    PerHousehold,
    /// One sub-account per outside tenant or unit (112 应收款).
    PerOutsider,
    /// Fixed sub-accounts created with the village (211 应付款: general, and the suspense account).
    Fixed(&'static [(&'static str, &'static str)]),
}

#[derive(Debug, Clone, Copy)]
pub struct ChartAccount {
    pub code: &'static str,
    pub name: &'static str,
    pub category: Category,
    pub normal_side: Side,
    pub breakdown: Breakdown,
    pub verified: bool,
}

#[derive(Debug)]
pub struct ChartVersion {
    pub id: &'static str,
    pub name: &'static str,
    pub effective_from: NaiveDate,
    pub accounts: &'static [ChartAccount],
}

/// The sub-account that takes money nobody can place yet: never lost, always visible.
pub const SUSPENSE_CODE: &str = "211.9999";
/// Money that left a corporate account with no approved payment behind it, until explained.
pub const UNEXPLAINED_DEBITS_CODE: &str = "211.9998";
pub const CASH_CODE: &str = "101";
/// Where WeChat Pay payments wait for the provider's daily settlement (在途): a receivable from
/// 财付通, numbered past any outside tenant's sub-account of 112.
pub const CLEARING_WECHAT_CODE: &str = "112.9901";
/// Where Alipay payments wait for the provider's daily settlement (在途).
pub const CLEARING_ALIPAY_CODE: &str = "112.9902";

/// A provider's clearing account (待结算).
pub fn is_clearing(code: &str) -> bool {
    code == CLEARING_WECHAT_CODE || code == CLEARING_ALIPAY_CODE
}

/// The expense a payment provider's fee books to: 管理费用 (521 in the 2023 chart, 541 in 2004).
pub fn fees_code(version: &ChartVersion) -> &'static str {
    if version.id == "2004" {
        "541"
    } else {
        "521"
    }
}

/// Whether an account code is cash (101 or one of its sub-accounts).
pub fn is_cash(code: &str) -> bool {
    is_under(code, CASH_CODE)
}

/// Whether `code` is `parent` or one of its sub-accounts (`102.0001` under `102`, not `1020`).
fn is_under(code: &str, parent: &str) -> bool {
    code == parent || code.strip_prefix(parent).is_some_and(|rest| rest.starts_with('.'))
}
/// Whether a person may book money to this account (a payment's expense, a transfer out of
/// suspense): never cash, a bank account, a provider's clearing account or a suspense account,
/// which move only with money the service sees (a receipt, a statement line, a settlement, a
/// credit named by its placement, refund or transfer).
pub fn is_booking_account(code: &str) -> bool {
    !(is_cash(code)
        || is_under(code, BANK_CODE)
        || is_clearing(code)
        || [SUSPENSE_CODE, UNEXPLAINED_DEBITS_CODE].contains(&code))
}
pub const BANK_CODE: &str = "102";
pub const OUTSIDER_RECEIVABLE_CODE: &str = "112";
pub const HOUSEHOLD_CODE: &str = "113";

const PAYABLE_SUBS: &[(&str, &str)] = &[
    ("211.0001", "其他应付款"),
    (UNEXPLAINED_DEBITS_CODE, "待查明支出"),
    (SUSPENSE_CODE, "待查明款项"),
];

macro_rules! acct {
    ($code:literal, $name:literal, $cat:ident, $side:ident) => {
        acct!($code, $name, $cat, $side, Breakdown::None, true)
    };
    ($code:literal, $name:literal, $cat:ident, $side:ident, $bd:expr, $verified:literal) => {
        ChartAccount {
            code: $code,
            name: $name,
            category: Category::$cat,
            normal_side: Side::$side,
            breakdown: $bd,
            verified: $verified,
        }
    };
}

use Breakdown::{PerCorporateAccount, PerHousehold, PerOutsider};

static CHART_2023: &[ChartAccount] = &[
    acct!("101", "库存现金", Asset, Debit),
    acct!("102", "银行存款", Asset, Debit, PerCorporateAccount, true),
    acct!("111", "短期投资", Asset, Debit, Breakdown::None, false),
    acct!("112", "应收款", Asset, Debit, PerOutsider, true),
    acct!("113", "内部往来", Asset, Debit, PerHousehold, true),
    acct!("121", "库存物资", Asset, Debit, Breakdown::None, false),
    acct!("131", "消耗性生物资产", Asset, Debit, Breakdown::None, false),
    acct!("132", "生产性生物资产", Asset, Debit, Breakdown::None, false),
    acct!("133", "生产性生物资产累计折旧", Asset, Credit, Breakdown::None, false),
    acct!("134", "公益性生物资产", Asset, Debit, Breakdown::None, false),
    acct!("141", "长期投资", Asset, Debit, Breakdown::None, false),
    acct!("151", "固定资产", Asset, Debit, Breakdown::None, false),
    acct!("152", "累计折旧", Asset, Credit, Breakdown::None, false),
    acct!("153", "在建工程", Asset, Debit, Breakdown::None, false),
    acct!("154", "固定资产清理", Asset, Debit, Breakdown::None, false),
    acct!("161", "无形资产", Asset, Debit, Breakdown::None, false),
    acct!("162", "累计摊销", Asset, Credit, Breakdown::None, false),
    acct!("201", "短期借款", Liability, Credit, Breakdown::None, false),
    acct!("211", "应付款", Liability, Credit, Breakdown::Fixed(PAYABLE_SUBS), true),
    acct!("212", "应付工资", Liability, Credit, Breakdown::None, false),
    acct!("213", "应付劳务费", Liability, Credit, Breakdown::None, false),
    acct!("214", "应交税费", Liability, Credit, Breakdown::None, false),
    acct!("221", "长期借款及应付款", Liability, Credit, Breakdown::None, false),
    acct!("231", "一事一议资金", Liability, Credit, Breakdown::None, false),
    acct!("241", "专项应付款", Liability, Credit, Breakdown::None, false),
    acct!("301", "资本", Equity, Credit, Breakdown::None, false),
    acct!("311", "公积公益金", Equity, Credit, Breakdown::None, false),
    acct!("321", "本年收益", Equity, Credit, Breakdown::None, false),
    acct!("322", "收益分配", Equity, Credit, Breakdown::None, false),
    acct!("401", "生产（劳务）成本", Cost, Debit, Breakdown::None, false),
    acct!("501", "经营收入", ProfitAndLoss, Credit),
    acct!("502", "经营支出", ProfitAndLoss, Debit, Breakdown::None, false),
    acct!("503", "补助收入", ProfitAndLoss, Credit),
    acct!("504", "其他收入", ProfitAndLoss, Credit),
    acct!("511", "税金及附加", ProfitAndLoss, Debit, Breakdown::None, false),
    acct!("521", "管理费用", ProfitAndLoss, Debit, Breakdown::None, false),
    acct!("522", "公益支出", ProfitAndLoss, Debit, Breakdown::None, false),
    acct!("531", "其他支出", ProfitAndLoss, Debit, Breakdown::None, false),
    acct!("541", "投资收益", ProfitAndLoss, Credit, Breakdown::None, false),
];

static CHART_2004: &[ChartAccount] = &[
    acct!("101", "现金", Asset, Debit),
    acct!("102", "银行存款", Asset, Debit, PerCorporateAccount, true),
    acct!("111", "短期投资", Asset, Debit),
    acct!("112", "应收款", Asset, Debit, PerOutsider, true),
    acct!("113", "内部往来", Asset, Debit, PerHousehold, true),
    acct!("121", "库存物资", Asset, Debit),
    acct!("131", "牲畜（禽）资产", Asset, Debit),
    acct!("132", "林木资产", Asset, Debit),
    acct!("141", "长期投资", Asset, Debit),
    acct!("151", "固定资产", Asset, Debit),
    acct!("152", "累计折旧", Asset, Credit),
    acct!("153", "固定资产清理", Asset, Debit),
    acct!("154", "在建工程", Asset, Debit),
    acct!("201", "短期借款", Liability, Credit),
    acct!("202", "应付款", Liability, Credit),
    acct!("211", "应付工资", Liability, Credit),
    acct!("212", "应付福利费", Liability, Credit),
    acct!("221", "长期借款及应付款", Liability, Credit),
    acct!("231", "一事一议资金", Liability, Credit),
    acct!("301", "资本", Equity, Credit),
    acct!("311", "公积公益金", Equity, Credit),
    acct!("321", "本年收益", Equity, Credit),
    acct!("322", "收益分配", Equity, Credit),
    acct!("401", "生产（劳务）成本", Cost, Debit),
    acct!("501", "经营收入", ProfitAndLoss, Credit),
    acct!("502", "经营支出", ProfitAndLoss, Debit),
    acct!("511", "发包及上交收入", ProfitAndLoss, Credit),
    acct!("521", "农业税附加返还收入", ProfitAndLoss, Credit),
    acct!("522", "补助收入", ProfitAndLoss, Credit),
    acct!("531", "其他收入", ProfitAndLoss, Credit),
    acct!("541", "管理费用", ProfitAndLoss, Debit),
    acct!("551", "其他支出", ProfitAndLoss, Debit),
    acct!("561", "投资收益", ProfitAndLoss, Credit),
];

pub static VERSIONS: &[ChartVersion] = &[
    ChartVersion {
        id: "2004",
        name: "村集体经济组织会计制度（2004）",
        effective_from: match NaiveDate::from_ymd_opt(2005, 1, 1) {
            Some(d) => d,
            None => panic!("valid date"),
        },
        accounts: CHART_2004,
    },
    ChartVersion {
        id: "2023",
        name: "农村集体经济组织会计制度（2023）",
        effective_from: match NaiveDate::from_ymd_opt(2024, 1, 1) {
            Some(d) => d,
            None => panic!("valid date"),
        },
        accounts: CHART_2023,
    },
];

/// The chart in force on a date, or None before the first one.
pub fn version_for(date: NaiveDate) -> Option<&'static ChartVersion> {
    VERSIONS.iter().rev().find(|v| v.effective_from <= date)
}

pub fn version(id: &str) -> Option<&'static ChartVersion> {
    VERSIONS.iter().find(|v| v.id == id)
}

impl ChartVersion {
    pub fn account(&self, code: &str) -> Option<&'static ChartAccount> {
        self.accounts.iter().find(|a| a.code == code)
    }
}

/// The code of the n-th sub-account of a parent, e.g. ("113", 7) → "113.0007".
pub fn sub_account_code(parent: &str, n: i64) -> String {
    format!("{parent}.{n:04}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_in_force_follows_the_entry_date() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(version_for(d(2023, 12, 31)).unwrap().id, "2004");
        assert_eq!(version_for(d(2024, 1, 1)).unwrap().id, "2023");
        assert!(version_for(d(2001, 1, 1)).is_none());
        // A reused code means different things in the two charts.
        assert_eq!(version("2004").unwrap().account("511").unwrap().name, "发包及上交收入");
        assert_eq!(version("2023").unwrap().account("511").unwrap().name, "税金及附加");
    }

    #[test]
    fn money_the_service_sees_is_never_a_booking_account() {
        for code in [
            "101", "101.0001", "102", "102.0001", "211.9999", "211.9998", "112.9901", "112.9902",
        ] {
            assert!(!is_booking_account(code), "{code}");
        }
        for code in ["503", "504", "521", "211", "211.0001", "113.0007", "112", "151", "1020"] {
            assert!(is_booking_account(code), "{code}");
        }
    }

    #[test]
    fn codes_are_unique_within_a_version() {
        for v in VERSIONS {
            let mut codes: Vec<_> = v.accounts.iter().map(|a| a.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), v.accounts.len(), "chart {}", v.id);
        }
    }
}
