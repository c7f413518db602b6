//! Administrative division codes (统计用区划代码): 12 digits, 省2 市2 县2 乡镇3 村3.
//!
//! A county's code ends in six zeros, a township's in three; a village's code begins with its
//! township's nine digits. The registry uses this to refuse a village filed under the wrong
//! township.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdminCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    County,
    Township,
    Village,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminCodeError {
    #[error("行政区划代码应为 12 位数字（如 370725105201），填写的是“{0}”")]
    Malformed(String),
    #[error("“{code}”不是{expected}代码：{hint}")]
    WrongLevel {
        code: String,
        expected: &'static str,
        hint: &'static str,
    },
    #[error("“{child}”不在“{parent}”之内：前 {digits} 位应相同")]
    NotWithin {
        child: String,
        parent: String,
        digits: usize,
    },
}

impl AdminCode {
    pub fn parse(text: &str) -> Result<AdminCode, AdminCodeError> {
        let t = text.trim();
        if t.len() != 12 || !t.bytes().all(|b| b.is_ascii_digit()) || t.starts_with("00") {
            return Err(AdminCodeError::Malformed(t.to_string()));
        }
        Ok(AdminCode(t.to_string()))
    }

    pub fn level(&self) -> Level {
        if self.0.ends_with("000000") {
            Level::County
        } else if self.0.ends_with("000") {
            Level::Township
        } else {
            Level::Village
        }
    }

    pub fn parse_at(text: &str, level: Level) -> Result<AdminCode, AdminCodeError> {
        let code = AdminCode::parse(text)?;
        if code.level() != level {
            let (expected, hint) = match level {
                Level::County => ("县", "县级代码以六个 0 结尾"),
                Level::Township => ("乡镇", "乡镇代码恰好以三个 0 结尾"),
                Level::Village => ("村", "村级代码不以 000 结尾"),
            };
            return Err(AdminCodeError::WrongLevel {
                code: code.0,
                expected,
                hint,
            });
        }
        Ok(code)
    }

    /// Checks that `self` lies inside `parent` (a township in its county, a village in its
    /// township).
    pub fn ensure_within(&self, parent: &AdminCode) -> Result<(), AdminCodeError> {
        let digits = match parent.level() {
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
        };
        if self.0[..digits] == parent.0[..digits] {
            Ok(())
        } else {
            Err(AdminCodeError::NotWithin {
                child: self.0.clone(),
                parent: parent.0.clone(),
                digits,
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdminCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_trailing_zeros() {
        assert_eq!(AdminCode::parse("370725000000").unwrap().level(), Level::County);
        assert_eq!(AdminCode::parse("370725105000").unwrap().level(), Level::Township);
        assert_eq!(AdminCode::parse("370725105201").unwrap().level(), Level::Village);
    }

    #[test]
    fn a_village_must_sit_in_its_township() {
        let town = AdminCode::parse_at("370725105000", Level::Township).unwrap();
        let village = AdminCode::parse_at("370725105201", Level::Village).unwrap();
        let stranger = AdminCode::parse_at("370725106201", Level::Village).unwrap();
        assert!(village.ensure_within(&town).is_ok());
        assert!(matches!(
            stranger.ensure_within(&town),
            Err(AdminCodeError::NotWithin { digits: 9, .. })
        ));
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in ["", "37072510520", "3707251052011", "37072510520x", "000725105201"] {
            assert!(AdminCode::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            AdminCode::parse_at("370725105000", Level::Village),
            Err(AdminCodeError::WrongLevel { expected: "村", .. })
        ));
    }
}
