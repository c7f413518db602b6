//! Statement layouts as data: which header names a bank uses for each field, and how it writes
//! dates. Three ship with the service (`profiles/*.toml`); an admin adds more as TOML or JSON
//! files in `statement_profiles_dir`, read and validated at start-up, without a rebuild.
//!
//! A file's layout is found from its header row: the first row (within the first 30) whose
//! cells name every column a profile needs. When several profiles fit, the one that names the
//! most of the row's cells wins, then the first by name, so detection is deterministic.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The layouts built into the service.
pub const BUILT_IN: &[&str] = &[
    include_str!("profiles/sandbox.toml"),
    include_str!("profiles/rural-netbank.toml"),
    include_str!("profiles/bigfour-corporate.toml"),
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Stable name, kept with every imported line (`rural-netbank`).
    pub name: String,
    /// What an accountant calls it.
    pub label: String,
    pub columns: Columns,
    #[serde(default)]
    pub formats: Formats,
}

/// For each field, the header names a bank may use for it (any one of them).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    #[serde(default)]
    pub date: Vec<String>,
    #[serde(default)]
    pub time: Vec<String>,
    /// Date and time in one cell, where the bank writes them so.
    #[serde(default)]
    pub datetime: Vec<String>,
    #[serde(default)]
    pub serial: Vec<String>,
    #[serde(default)]
    pub debit: Vec<String>,
    #[serde(default)]
    pub credit: Vec<String>,
    #[serde(default)]
    pub balance: Vec<String>,
    #[serde(default)]
    pub counterparty_name: Vec<String>,
    #[serde(default)]
    pub counterparty_account: Vec<String>,
    #[serde(default)]
    pub summary: Vec<String>,
    #[serde(default)]
    pub remark: Vec<String>,
    /// The statement's own account number on each row, checked against the import's account.
    #[serde(default)]
    pub own_account: Vec<String>,
}

/// chrono formats tried in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Formats {
    #[serde(default)]
    pub date: Vec<String>,
    #[serde(default)]
    pub time: Vec<String>,
    #[serde(default)]
    pub datetime: Vec<String>,
}

/// The fields of a statement line, for naming a column in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Date,
    Time,
    DateTime,
    Serial,
    Debit,
    Credit,
    Balance,
    CounterpartyName,
    CounterpartyAccount,
    Summary,
    Remark,
    OwnAccount,
}

impl Field {
    /// What a person calls the field (the admin's list of layouts).
    pub fn label(self) -> &'static str {
        match self {
            Field::Date => "交易日期",
            Field::Time => "交易时间",
            Field::DateTime => "交易日期时间",
            Field::Serial => "流水号",
            Field::Debit => "借方（支出）",
            Field::Credit => "贷方（收入）",
            Field::Balance => "余额",
            Field::CounterpartyName => "对方户名",
            Field::CounterpartyAccount => "对方账号",
            Field::Summary => "摘要",
            Field::Remark => "附言/用途",
            Field::OwnAccount => "本方账号",
        }
    }

    pub const ALL: [Field; 12] = [
        Field::Date,
        Field::Time,
        Field::DateTime,
        Field::Serial,
        Field::Debit,
        Field::Credit,
        Field::Balance,
        Field::CounterpartyName,
        Field::CounterpartyAccount,
        Field::Summary,
        Field::Remark,
        Field::OwnAccount,
    ];
}

impl Columns {
    pub fn names(&self, field: Field) -> &[String] {
        match field {
            Field::Date => &self.date,
            Field::Time => &self.time,
            Field::DateTime => &self.datetime,
            Field::Serial => &self.serial,
            Field::Debit => &self.debit,
            Field::Credit => &self.credit,
            Field::Balance => &self.balance,
            Field::CounterpartyName => &self.counterparty_name,
            Field::CounterpartyAccount => &self.counterparty_account,
            Field::Summary => &self.summary,
            Field::Remark => &self.remark,
            Field::OwnAccount => &self.own_account,
        }
    }
}

/// Where each field is in a file's rows (0-based cell index), once its header row is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub header_row: usize,
    found: Vec<(Field, usize, String)>,
}

impl Layout {
    pub fn index(&self, field: Field) -> Option<usize> {
        self.found.iter().find(|f| f.0 == field).map(|f| f.1)
    }

    /// The header text of a field's column, for messages.
    pub fn header(&self, field: Field) -> Option<&str> {
        self.found.iter().find(|f| f.0 == field).map(|f| f.2.as_str())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error("版式文件无法读取 / cannot read the profile: {0}")]
    Syntax(String),
    #[error("版式 {name} 有误 / profile {name} is invalid: {why}")]
    Invalid { name: String, why: String },
    #[error("版式名称重复 / two profiles are named {0}")]
    Duplicate(String),
}

impl Profile {
    /// Reads a profile from TOML, or JSON when the text starts with `{`.
    pub fn from_text(text: &str) -> Result<Profile, ProfileError> {
        let p: Profile = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?
        };
        p.validate()?;
        Ok(p)
    }

    fn validate(&self) -> Result<(), ProfileError> {
        let bad = |why: &str| ProfileError::Invalid {
            name: self.name.clone(),
            why: why.into(),
        };
        if self.name.is_empty()
            || self.name.len() > 40
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad("name: 1 to 40 lowercase letters, digits or dashes"));
        }
        let c = &self.columns;
        let has_date = !c.date.is_empty() && !self.formats.date.is_empty();
        let has_datetime = !c.datetime.is_empty() && !self.formats.datetime.is_empty();
        if has_date == has_datetime {
            return Err(bad(
                "name either a date column (with formats.date) or a datetime column (with formats.datetime)",
            ));
        }
        if !c.time.is_empty() && self.formats.time.is_empty() {
            return Err(bad("a time column needs formats.time"));
        }
        if c.debit.is_empty() || c.credit.is_empty() {
            return Err(bad("name the debit and the credit columns"));
        }
        let mut seen = BTreeSet::new();
        for field in Field::ALL {
            for name in c.names(field) {
                if name.trim().is_empty() || !seen.insert(name.trim()) {
                    return Err(bad(&format!("column name '{name}' is empty or named twice")));
                }
            }
        }
        for f in self
            .formats
            .date
            .iter()
            .chain(&self.formats.time)
            .chain(&self.formats.datetime)
        {
            if chrono::format::StrftimeItems::new(f).any(|i| matches!(i, chrono::format::Item::Error)) {
                return Err(bad(&format!("format '{f}' is not a chrono format")));
            }
        }
        Ok(())
    }

    fn required(&self) -> Vec<Field> {
        let mut r = vec![Field::Debit, Field::Credit];
        r.push(if self.columns.date.is_empty() {
            Field::DateTime
        } else {
            Field::Date
        });
        r
    }

    /// Where this profile's fields are in a header row, if the row names every required one.
    pub fn fit(&self, header_row: usize, cells: &[String]) -> Option<Layout> {
        let mut found = Vec::new();
        for field in Field::ALL {
            let names = self.columns.names(field);
            if let Some((i, cell)) = cells
                .iter()
                .enumerate()
                .find(|(_, cell)| names.iter().any(|n| n == cell.trim()))
            {
                found.push((field, i, cell.trim().to_string()));
            }
        }
        let layout = Layout { header_row, found };
        self.required()
            .iter()
            .all(|f| layout.index(*f).is_some())
            .then_some(layout)
    }
}

/// The profiles a service knows: the built-in ones and an admin's.
#[derive(Debug, Clone)]
pub struct Profiles(Vec<Profile>);

impl Profiles {
    pub fn built_in() -> Profiles {
        Profiles(
            BUILT_IN
                .iter()
                .map(|t| Profile::from_text(t).expect("a built-in profile is valid"))
                .collect(),
        )
    }

    /// The built-in profiles plus others (an admin's), refusing two of one name.
    pub fn with(extra: Vec<Profile>) -> Result<Profiles, ProfileError> {
        let mut all = Profiles::built_in().0;
        for p in extra {
            if all.iter().any(|q| q.name == p.name) {
                return Err(ProfileError::Duplicate(p.name));
            }
            all.push(p);
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Profiles(all))
    }

    pub fn all(&self) -> &[Profile] {
        &self.0
    }

    pub fn named(&self, name: &str) -> Option<&Profile> {
        self.0.iter().find(|p| p.name == name)
    }

    /// The header row and layout among the first rows, and the profile it fits best.
    pub fn detect<'a>(&'a self, rows: &[Vec<String>]) -> Option<(&'a Profile, Layout)> {
        for (i, row) in rows.iter().enumerate().take(30) {
            let best = self
                .0
                .iter()
                .filter_map(|p| p.fit(i, row).map(|l| (p, l)))
                .max_by(|a, b| {
                    a.1.found
                        .len()
                        .cmp(&b.1.found.len())
                        .then_with(|| b.0.name.cmp(&a.0.name))
                });
            if best.is_some() {
                return best;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_built_in_profiles_are_valid_and_distinct() {
        let p = Profiles::with(vec![]).unwrap();
        assert_eq!(p.all().len(), 3);
        assert!(p.named("rural-netbank").is_some());
    }

    #[test]
    fn a_header_row_below_title_rows_is_found_and_fits_the_right_profile() {
        let p = Profiles::built_in();
        let rows = vec![
            row(&["账户明细查询"]),
            row(&["账号：9150010100001234567", "户名：某某村股份经济合作社"]),
            row(&[
                "交易日期",
                "交易时间",
                "摘要",
                "支出金额",
                "收入金额",
                "账户余额",
                "对方账号",
                "对方户名",
                "交易流水号",
                "附言",
            ]),
        ];
        let (profile, layout) = p.detect(&rows).unwrap();
        assert_eq!(profile.name, "rural-netbank");
        assert_eq!(layout.header_row, 2);
        assert_eq!(layout.index(Field::Debit), Some(3));
        assert_eq!(layout.header(Field::Balance), Some("账户余额"));
    }

    #[test]
    fn an_unknown_layout_fits_nothing() {
        let p = Profiles::built_in();
        assert!(p.detect(&[row(&["日期", "金额", "说明"])]).is_none());
    }

    #[test]
    fn an_admins_profile_in_json_is_validated() {
        let ok = r#"{"name":"ccb-corp","label":"建设银行","columns":{"date":["记账日期"],"debit":["借方金额"],"credit":["贷方金额"]},"formats":{"date":["%Y%m%d"]}}"#;
        assert_eq!(Profile::from_text(ok).unwrap().name, "ccb-corp");
        let no_date_format =
            r#"{"name":"x","label":"x","columns":{"date":["记账日期"],"debit":["借"],"credit":["贷"]}}"#;
        assert!(matches!(
            Profile::from_text(no_date_format),
            Err(ProfileError::Invalid { .. })
        ));
        let twice = r#"{"name":"x","label":"x","columns":{"date":["日期"],"debit":["金额"],"credit":["金额"]},"formats":{"date":["%Y%m%d"]}}"#;
        assert!(Profile::from_text(twice).is_err());
        let unknown_key = "name = \"x\"\nlabel = \"x\"\ncolour = 1\n";
        assert!(matches!(Profile::from_text(unknown_key), Err(ProfileError::Syntax(_))));
        let built_in_again = Profile::from_text(BUILT_IN[0]).unwrap();
        assert_eq!(
            Profiles::with(vec![built_in_again]).unwrap_err(),
            ProfileError::Duplicate("qz-sandbox".into())
        );
    }
}
