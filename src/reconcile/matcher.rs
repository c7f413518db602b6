//! Setting the bank's statement lines against the credits the books hold, in a fixed order of
//! rules, each match naming the rule that made it:
//!
//! 1. **serial**: the line's bank serial is the credit's provider transaction id (the rural
//!    bank's push carries the same serial its statement prints);
//! 2. **reference**: the line's remark carries the bill reference (check digit verified) the
//!    credit paid, for the same amount, within the date window;
//! 3. **amount, date and name**: the same amount within the date window, from a payer whose
//!    name agrees with the counterparty's (a masked `张*国` agrees with `张建国`).
//!
//! A debit line is the approved disbursement of the same amount to the same payee (by account
//! number, or by name), approved on or before the day the money left; paying first and asking
//! later is not an approval.
//!
//! A credit line left over is money the service never heard of (a lost callback): it is taken
//! in through the same intake as a callback. A debit line left over has no approved payment
//! behind it. Pure and deterministic: lines are taken in booking order, candidates by nearest
//! date then id, so the same inputs always give the same matches.

use chrono::NaiveDate;
use std::collections::HashMap;

use crate::domain::vocabulary::{Direction, MatchRule};
use crate::domain::Money;
use crate::payments::allocation::find_reference;

/// A statement line not yet matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: i64,
    pub date: NaiveDate,
    pub serial: Option<String>,
    pub direction: Direction,
    pub amount: Money,
    pub counterparty: Option<String>,
    pub counterparty_account: Option<String>,
    pub remark: Option<String>,
}

/// A credit of the books (a bank transaction) not yet matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub id: i64,
    pub txn_id: String,
    /// Its Beijing business date.
    pub date: NaiveDate,
    pub amount: Money,
    pub payer: Option<String>,
    pub reference: Option<String>,
}

/// An approved disbursement not yet paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub id: i64,
    pub amount: Money,
    pub payee_name: String,
    pub payee_account: String,
    /// The Beijing date it was approved.
    pub approved_on: NaiveDate,
}

/// What to do with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The line is this credit. `amount_differs` only with the serial rule: the same
    /// transaction with two amounts is an outcome to look into, never silently equal.
    Pair {
        line: i64,
        credit: i64,
        rule: MatchRule,
        amount_differs: bool,
    },
    /// Money the books never heard of: take it in as a credit.
    TakeIn { line: i64 },
    /// Money out that this approved disbursement explains.
    Paid { line: i64, payout: i64 },
    /// Money out with no approved payment behind it.
    UnexplainedDebit { line: i64 },
}

/// Whether a masked name (`张*国`, `*建国`) may be the counterparty's full name.
pub fn names_agree(masked: &str, full: &str) -> bool {
    let (m, f): (Vec<char>, Vec<char>) = (masked.trim().chars().collect(), full.trim().chars().collect());
    !m.is_empty() && m.len() == f.len() && m.iter().zip(&f).all(|(a, b)| *a == '*' || a == b)
}

/// Decides every line, given the credits still unmatched; `window_days` bounds how far a
/// line's date may be from its credit's under rules 2 and 3.
pub fn decide(lines: &[Line], credits: &[Credit], payouts: &[Payout], window_days: i64) -> Vec<Decision> {
    let mut taken = vec![false; credits.len()];
    let mut decided: Vec<Option<Decision>> = vec![None; lines.len()];
    // Debits: the oldest approved payout of the amount to this payee.
    let mut paid = vec![false; payouts.len()];
    for (li, l) in lines.iter().enumerate() {
        if l.direction != Direction::Debit {
            continue;
        }
        let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
        let found = (0..payouts.len()).find(|&pi| {
            let p = &payouts[pi];
            let same_payee = l
                .counterparty_account
                .as_deref()
                .is_some_and(|a| !digits(a).is_empty() && digits(a) == p.payee_account)
                || l.counterparty
                    .as_deref()
                    .is_some_and(|n| n.trim() == p.payee_name.trim() || names_agree(n, &p.payee_name));
            !paid[pi] && p.amount == l.amount && p.approved_on <= l.date && same_payee
        });
        if let Some(pi) = found {
            paid[pi] = true;
            decided[li] = Some(Decision::Paid {
                line: l.id,
                payout: payouts[pi].id,
            });
        }
    }
    let near = |l: &Line, c: &Credit| (l.date - c.date).num_days().abs();
    // Indexes, so a year of an account's lines is matched in one pass: credits by transaction
    // id, and by amount in (date, id) order.
    let mut by_txn: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_amount: HashMap<Money, Vec<usize>> = HashMap::new();
    for (ci, c) in credits.iter().enumerate() {
        by_txn.entry(c.txn_id.as_str()).or_default().push(ci);
        by_amount.entry(c.amount).or_default().push(ci);
    }
    for bucket in by_amount.values_mut() {
        bucket.sort_by_key(|&ci| (credits[ci].date, credits[ci].id));
    }

    // 1. serial
    for (li, l) in lines.iter().enumerate() {
        let Some(serial) = l.serial.as_deref().filter(|_| l.direction == Direction::Credit) else {
            continue;
        };
        let found = by_txn
            .get(serial)
            .and_then(|cs| cs.iter().copied().find(|&ci| !taken[ci]));
        if let Some(ci) = found {
            taken[ci] = true;
            decided[li] = Some(Decision::Pair {
                line: l.id,
                credit: credits[ci].id,
                rule: MatchRule::Serial,
                amount_differs: credits[ci].amount != l.amount,
            });
        }
    }
    // 2 and 3: the nearest candidate that passes the rule's test.
    type Test<'a> = &'a dyn Fn(&Line, &Credit) -> bool;
    let passes: [(MatchRule, Test); 2] = [
        (MatchRule::Reference, &|l: &Line, c: &Credit| {
            let line_ref = l.remark.as_deref().and_then(find_reference);
            let credit_ref = c.reference.as_deref().and_then(find_reference);
            line_ref.is_some() && line_ref == credit_ref
        }),
        (
            MatchRule::AmountDateName,
            &|l: &Line, c: &Credit| match (&c.payer, &l.counterparty) {
                (Some(p), Some(n)) => names_agree(p, n),
                // Without a name on either side only a single candidate of that amount may match
                // (checked below).
                _ => true,
            },
        ),
    ];
    for (rule, test) in passes {
        for (li, l) in lines.iter().enumerate() {
            if decided[li].is_some() || l.direction != Direction::Credit {
                continue;
            }
            let bucket = by_amount.get(&l.amount).map_or(&[][..], Vec::as_slice);
            // The bucket's credits within the window: a binary search to its first day.
            let start = bucket.partition_point(|&ci| credits[ci].date < l.date - chrono::Duration::days(window_days));
            let mut candidates: Vec<usize> = bucket[start..]
                .iter()
                .copied()
                .take_while(|&ci| credits[ci].date <= l.date + chrono::Duration::days(window_days))
                .filter(|&ci| !taken[ci] && test(l, &credits[ci]))
                .collect();
            candidates.sort_by_key(|&ci| (near(l, &credits[ci]), credits[ci].id));
            let nameless = |ci: usize| credits[ci].payer.is_none() || l.counterparty.is_none();
            if rule == MatchRule::AmountDateName
                && candidates.first().is_some_and(|&ci| nameless(ci))
                && candidates.len() > 1
            {
                continue;
            }
            if let Some(&ci) = candidates.first() {
                taken[ci] = true;
                decided[li] = Some(Decision::Pair {
                    line: l.id,
                    credit: credits[ci].id,
                    rule,
                    amount_differs: false,
                });
            }
        }
    }
    lines
        .iter()
        .zip(decided)
        .map(|(l, d)| {
            d.unwrap_or(match l.direction {
                Direction::Credit => Decision::TakeIn { line: l.id },
                Direction::Debit => Decision::UnexplainedDebit { line: l.id },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn line(
        id: i64,
        d: u32,
        serial: Option<&str>,
        dir: Direction,
        fen: i64,
        name: Option<&str>,
        remark: Option<&str>,
    ) -> Line {
        Line {
            id,
            date: day(d),
            serial: serial.map(Into::into),
            direction: dir,
            amount: Money::from_fen(fen),
            counterparty: name.map(Into::into),
            counterparty_account: None,
            remark: remark.map(Into::into),
        }
    }

    fn credit(id: i64, txn: &str, d: u32, fen: i64, payer: Option<&str>, reference: Option<&str>) -> Credit {
        Credit {
            id,
            txn_id: txn.into(),
            date: day(d),
            amount: Money::from_fen(fen),
            payer: payer.map(Into::into),
            reference: reference.map(Into::into),
        }
    }

    use Direction::{Credit as In, Debit as Out};

    #[test]
    fn each_rule_in_its_order_and_what_is_left() {
        let lines = vec![
            line(1, 2, Some("RCB1"), In, 10_000, Some("张建国"), None),
            line(
                2,
                2,
                Some("X-OTHER"),
                In,
                5_000,
                Some("李四"),
                Some("缴费 000001-000004-8"),
            ),
            line(3, 3, None, In, 7_700, Some("王秀英"), None),
            line(4, 3, None, In, 9_900, Some("没人"), None),
            line(5, 3, Some("RCB9"), Out, 2_000, Some("某店"), None),
            line(6, 4, Some("RCB6"), In, 1_200, None, None),
        ];
        let credits = vec![
            credit(10, "RCB1", 2, 10_000, Some("张*国"), None),
            credit(11, "wx-4200001", 1, 5_000, Some("李*"), Some("0000010000048")),
            credit(12, "ali-2026", 3, 7_700, Some("王*英"), None),
            credit(13, "RCB6", 4, 1_000, None, None),
        ];
        let d = decide(&lines, &credits, &[], 3);
        assert_eq!(
            d,
            vec![
                Decision::Pair {
                    line: 1,
                    credit: 10,
                    rule: MatchRule::Serial,
                    amount_differs: false
                },
                Decision::Pair {
                    line: 2,
                    credit: 11,
                    rule: MatchRule::Reference,
                    amount_differs: false
                },
                Decision::Pair {
                    line: 3,
                    credit: 12,
                    rule: MatchRule::AmountDateName,
                    amount_differs: false
                },
                Decision::TakeIn { line: 4 },
                Decision::UnexplainedDebit { line: 5 },
                Decision::Pair {
                    line: 6,
                    credit: 13,
                    rule: MatchRule::Serial,
                    amount_differs: true
                },
            ]
        );
    }

    #[test]
    fn outside_the_window_or_with_another_name_nothing_matches() {
        let lines = vec![line(1, 20, None, In, 7_700, Some("王秀英"), None)];
        assert_eq!(
            decide(&lines, &[credit(12, "a", 3, 7_700, Some("王*英"), None)], &[], 3),
            vec![Decision::TakeIn { line: 1 }]
        );
        assert_eq!(
            decide(
                &[line(1, 3, None, In, 7_700, Some("王秀英"), None)],
                &[credit(12, "a", 3, 7_700, Some("张*国"), None)],
                &[],
                3
            ),
            vec![Decision::TakeIn { line: 1 }]
        );
    }

    #[test]
    fn two_nameless_candidates_of_one_amount_are_not_guessed_between() {
        let lines = vec![line(1, 3, None, In, 500, None, None)];
        let two = [credit(1, "a", 3, 500, None, None), credit(2, "b", 3, 500, None, None)];
        assert_eq!(decide(&lines, &two, &[], 3), vec![Decision::TakeIn { line: 1 }]);
        assert_eq!(
            decide(&lines, &two[..1], &[], 3),
            vec![Decision::Pair {
                line: 1,
                credit: 1,
                rule: MatchRule::AmountDateName,
                amount_differs: false
            }]
        );
    }

    #[test]
    fn the_same_inputs_give_the_same_matches_and_a_credit_is_used_once() {
        let lines: Vec<Line> = (0..6)
            .map(|i| line(i, 3, None, In, 1_000, Some("张建国"), None))
            .collect();
        let credits: Vec<Credit> = (0..4)
            .map(|i| credit(100 + i, &format!("t{i}"), 3, 1_000, Some("张*国"), None))
            .collect();
        let a = decide(&lines, &credits, &[], 3);
        assert_eq!(a, decide(&lines, &credits, &[], 3));
        let used: Vec<i64> = a
            .iter()
            .filter_map(|d| match d {
                Decision::Pair { credit, .. } => Some(*credit),
                _ => None,
            })
            .collect();
        assert_eq!(used, vec![100, 101, 102, 103]);
        assert_eq!(a.iter().filter(|d| matches!(d, Decision::TakeIn { .. })).count(), 2);
    }

    #[test]
    fn a_debit_is_the_approved_payout_to_its_payee_approved_before_the_money_left() {
        let payout = |id, fen, name: &str, account: &str, d| Payout {
            id,
            amount: Money::from_fen(fen),
            payee_name: name.into(),
            payee_account: account.into(),
            approved_on: day(d),
        };
        let mut by_account = line(1, 5, Some("D1"), Out, 30_000, Some("东岭建材"), None);
        by_account.counterparty_account = Some("6228 4800 0000 0009".into());
        let lines = vec![
            by_account,
            line(2, 5, Some("D2"), Out, 12_000, Some("昌乐县供电公司"), None),
            line(3, 5, Some("D3"), Out, 5_000, Some("王秀英"), None),
            line(4, 5, Some("D4"), Out, 8_000, Some("赵六"), None),
        ];
        let payouts = vec![
            payout(7, 30_000, "某某建材经营部", "6228480000000009", 4),
            payout(8, 12_000, "昌乐县供电公司", "1111111111", 5),
            payout(9, 5_000, "王秀英", "2222222222", 6),
            payout(10, 8_000, "孙七", "3333333333", 1),
        ];
        assert_eq!(
            decide(&lines, &[], &payouts, 3),
            vec![
                Decision::Paid { line: 1, payout: 7 },
                Decision::Paid { line: 2, payout: 8 },
                // Approved the day after the money left: not an approval.
                Decision::UnexplainedDebit { line: 3 },
                // Another payee.
                Decision::UnexplainedDebit { line: 4 },
            ]
        );
    }

    #[test]
    fn masked_names() {
        assert!(names_agree("张*国", "张建国"));
        assert!(names_agree("*建国", "张建国"));
        assert!(!names_agree("张*", "张建国"));
        assert!(!names_agree("", ""));
    }
}
