//! Each rule's limits. Defaults come from county rules (DESIGN.md §6); a county sets its own in
//! `[inspection.thresholds]` of the configuration, and a village may override any of them under
//! `[inspection.villages."<code>"]`. Unknown keys, negative numbers, rates outside 0..1 and
//! villages that do not exist stop the start-up, naming the key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::vocabulary::RuleId;

/// Declares the thresholds once: the full set (with defaults), the partial set a village
/// overrides, and the checks.
macro_rules! thresholds {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $default:expr, $kind:ident;)+) => {
        /// The limits every rule reads.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct Thresholds {
            $($(#[$doc])* pub $name: $ty,)+
        }

        impl Default for Thresholds {
            fn default() -> Self {
                Thresholds { $($name: $default,)+ }
            }
        }

        /// A village's overrides: only the keys it sets.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Overrides {
            $(#[serde(default, skip_serializing_if = "Option::is_none")] pub $name: Option<$ty>,)+
        }

        impl Thresholds {
            /// These thresholds with a village's overrides applied.
            pub fn with(&self, o: &Overrides) -> Thresholds {
                let mut t = self.clone();
                $(if let Some(v) = o.$name { t.$name = v; })+
                t
            }

            /// The first key whose value is out of range, with why.
            pub fn validate(&self) -> Result<(), String> {
                $(check_value(stringify!($name), self.$name as f64, Kind::$kind)?;)+
                Ok(())
            }
        }
    };
}

#[derive(Clone, Copy)]
enum Kind {
    /// A count, a number of days or an amount in yuan: zero or more.
    Count,
    /// A share: 0 to 1.
    Rate,
    /// An hour of the day: 0 to 23.
    Hour,
}

fn check_value(key: &str, v: f64, kind: Kind) -> Result<(), String> {
    let ok = match kind {
        Kind::Count => v >= 0.0,
        Kind::Rate => (0.0..=1.0).contains(&v),
        Kind::Hour => (0.0..=23.0).contains(&v),
    };
    if ok && v.is_finite() {
        Ok(())
    } else {
        let want = match kind {
            Kind::Count => "zero or more",
            Kind::Rate => "between 0 and 1",
            Kind::Hour => "an hour from 0 to 23",
        };
        Err(format!("inspection.thresholds.{key} = {v}: must be {want}"))
    }
}

thresholds! {
    /// CASH_LATE: working days a clerk has to deposit cash taken (and never across a month end).
    cash_late_working_days: i64 = 1, Count;
    /// CASH_OVER_LIMIT: days in a row the cash on hand may end above the village's limit (0:
    /// cash above the limit is deposited the same day, as the cash rules require).
    cash_over_limit_days: i64 = 0, Count;
    /// CASH_SHORT: working days a declared deposit has to show on the bank's side.
    cash_short_working_days: i64 = 3, Count;
    /// MONEY_WITHOUT_RECEIPT: days a bank credit may wait for its receipt (or its pay-in).
    money_without_receipt_days: i64 = 7, Count;
    /// RECEIPT_WITHOUT_MONEY: working days a claimed payment (screenshot) may wait for its credit.
    receipt_without_money_working_days: i64 = 1, Count;
    /// RECEIPT_VOIDS: the share of a clerk's receipts in a month that may be voided…
    void_rate: f64 = 0.05, Rate;
    /// …counted only from this many voids on.
    void_min_count: i64 = 3, Count;
    /// RECEIPT_VOIDS: reissues of one payment (void, reissue, void, reissue…) from which it is a loop.
    reissue_loop: i64 = 2, Count;
    /// FEE_OVERDUE: days past the due date a bill may stay unpaid.
    fee_overdue_days: i64 = 180, Count;
    /// FEE_OVERDUE: the smallest amount owed that counts (yuan).
    fee_overdue_min_yuan: i64 = 0, Count;
    /// BACKDATED: days between an entry's date and the day it was made.
    backdated_days: i64 = 7, Count;
    /// OFF_HOURS: the night (Beijing time) starts at this hour…
    off_hours_from: i64 = 22, Hour;
    /// …and ends at this one.
    off_hours_to: i64 = 6, Hour;
    /// OFF_HOURS: staff actions at night in a month by one person from which it is flagged.
    off_hours_min_count: i64 = 3, Count;
    /// ROUND_AMOUNTS: an amount is round when it is a multiple of this many yuan…
    round_unit_yuan: i64 = 100, Count;
    /// …and a village's payments out are flagged when at least this many are checked…
    round_min_count: i64 = 10, Count;
    /// …and more than this share of them are round.
    round_share: f64 = 0.6, Rate;
    /// BENFORD: amounts needed for the first-digit test…
    benford_min_count: i64 = 300, Count;
    /// …and for the first-two-digits test.
    benford_two_min_count: i64 = 1000, Count;
    /// BENFORD: Nigrini's MAD above which the first digits do not conform.
    benford_mad_first: f64 = 0.015, Rate;
    /// BENFORD: the same for the first two digits.
    benford_mad_two: f64 = 0.0022, Rate;
    /// CASH_SHARE: collections (yuan) from which a village's cash share is judged…
    cash_share_min_total_yuan: i64 = 10000, Count;
    /// …and how far (as a share) above its own year before or its township's median it may be.
    cash_share_rise: f64 = 0.3, Rate;
    /// CASH_SHARE: other villages of the township needed for a comparison.
    cash_share_min_peers: i64 = 3, Count;
    /// CASH_SHARE: how sure the rise must be (two-proportion z-score over the receipts), so that
    /// a small village's chance swings are not flagged.
    cash_share_z: f64 = 3.5, Count;
    /// PROXY_PAYIN: distinct payers one account may pay for before it is flagged.
    proxy_min_payers: i64 = 5, Count;
    /// UNDERREPORTED: days after an installment is due by which its bill must exist.
    underreported_grace_days: i64 = 30, Count;
    /// SPLIT_PAYMENTS: the amount (yuan) from which a payment out needs more approval…
    split_threshold_yuan: i64 = 5000, Count;
    /// …the days within which payments to one payee count together…
    split_window_days: i64 = 7, Count;
    /// …and how many payments below the threshold make a split.
    split_min_count: i64 = 2, Count;
}

/// The `[inspection]` section: the county's thresholds, rules switched off, village overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InspectionConfig {
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Rules not run by default (an inspector may still ask for them).
    #[serde(default)]
    pub rules_off: Vec<String>,
    /// Per-village overrides, by the village's 12-digit code.
    #[serde(default)]
    pub villages: BTreeMap<String, Overrides>,
}

impl InspectionConfig {
    /// Checks everything but whether the villages exist (the caller asks the database).
    pub fn validate(&self) -> Result<(), String> {
        self.thresholds.validate()?;
        for name in &self.rules_off {
            name.parse::<RuleId>()
                .map_err(|e| format!("inspection.rules_off: {e}"))?;
        }
        for (code, o) in &self.villages {
            self.thresholds
                .with(o)
                .validate()
                .map_err(|e| e.replacen("inspection.thresholds.", &format!("inspection.villages.\"{code}\"."), 1))?;
        }
        Ok(())
    }

    /// The rules a run without a list runs.
    pub fn default_rules(&self) -> Vec<RuleId> {
        RuleId::ALL
            .iter()
            .copied()
            .filter(|r| !self.rules_off.iter().any(|o| o == r.as_str()))
            .collect()
    }

    /// The thresholds of one village.
    pub fn for_village(&self, code: &str) -> Thresholds {
        match self.villages.get(code) {
            Some(o) => self.thresholds.with(o),
            None => self.thresholds.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_overrides_apply() {
        let c: InspectionConfig = toml::from_str(
            r#"
            rules_off = ["BENFORD"]
            [thresholds]
            cash_late_working_days = 2
            [villages."370725102201"]
            void_rate = 0.1
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.thresholds.cash_late_working_days, 2);
        assert_eq!(c.for_village("370725102201").void_rate, 0.1);
        assert_eq!(c.for_village("370725102202").void_rate, 0.05);
        assert!(!c.default_rules().contains(&RuleId::Benford));
    }

    #[test]
    fn the_inspectors_guide_names_every_rule_and_every_threshold() {
        let guide = include_str!("../../docs/inspection.md");
        for r in RuleId::ALL {
            assert!(
                guide.contains(&format!("| `{}` |", r.as_str())),
                "docs/inspection.md lacks {r}"
            );
        }
        let keys = toml::to_string(&Thresholds::default()).unwrap();
        for line in keys.lines() {
            let key = line.split(" = ").next().unwrap();
            assert!(guide.contains(&format!("`{key} = ")), "docs/inspection.md lacks {key}");
        }
        let readme = include_str!("../../README.md");
        assert_eq!(RuleId::ALL.len(), 22);
        assert!(readme.contains("twenty-two rules"));
    }

    #[test]
    fn bad_settings_are_refused_naming_the_key() {
        let neg: InspectionConfig = toml::from_str("[thresholds]\nbackdated_days = -1").unwrap();
        assert!(neg
            .validate()
            .unwrap_err()
            .contains("inspection.thresholds.backdated_days"));
        let rate: InspectionConfig = toml::from_str("[villages.\"370725102201\"]\nvoid_rate = 1.5").unwrap();
        let e = rate.validate().unwrap_err();
        assert!(e.contains("villages.\"370725102201\".void_rate"), "{e}");
        let rule: InspectionConfig = toml::from_str("rules_off = [\"NO_SUCH\"]").unwrap();
        assert!(rule.validate().unwrap_err().contains("rules_off"));
        let unknown = toml::from_str::<InspectionConfig>("[thresholds]\ncash_late_days = 1").unwrap_err();
        assert!(unknown.to_string().contains("cash_late_days"), "{unknown}");
        let unknown = toml::from_str::<InspectionConfig>("[villages.\"1\"]\nvoid = 1").unwrap_err();
        assert!(unknown.to_string().contains("void"), "{unknown}");
    }
}
