//! A synthetic county (`qingzhang demo --county-size N --years Y [--plant-anomalies] [--seed S]`):
//! townships, villages, corporate accounts and staff made through the registry's use cases, then
//! years of village life written as a history file (docs/history.md) and replayed through the
//! real use cases: contracts billed every year, most bills paid by QR or transfer a few weeks
//! after they fall due, some in cash deposited the same afternoon and matched, a receipt voided
//! and reissued now and then, a few payments out a month with their approvals.
//!
//! With planting, village k carries one planted case of rule k of the catalogue at a known
//! place; [`Planted`] lists them. Three rules watch for tampering the use cases cannot do
//! (RECEIPT_GAP, DUPLICATE_USE, CHAIN_BROKEN): those are marked `tamper` and the caller edits
//! the database as an insider would. Clean villages are meant to look like real ones, so that
//! the false alarms counted on a clean county mean something.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};

use super::access::{insert_user, NewUserInput, ScopeRef};
use super::registry::{self, NewCorporateAccountInput, NewTownshipInput, NewVillageInput};
use crate::domain::access::{Actor, Role, Scope, ScopeKind};
use crate::domain::schedule::{installments, Schedule};
use crate::domain::vocabulary::RuleId;
use crate::domain::{period, Money};
use crate::error::AppResult;
use crate::reconcile::profile::Profiles;
use crate::store::Db;

pub const COUNTY: &str = "370786000000";
pub const PASSWORD: &str = "qingzhang-county";

#[derive(Debug, Clone)]
pub struct CountySpec {
    pub villages: usize,
    pub years: u32,
    pub seed: u64,
    pub plant: bool,
    /// Households with a contract per village.
    pub payers: usize,
}

/// A planted case: the rule that must find it, where, and how it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    pub rule: RuleId,
    pub village: String,
    pub how: String,
    /// Made by editing the database afterwards (the caller does it), not through the use cases.
    pub tamper: bool,
}

/// A village of the county as the generator needs it.
#[derive(Debug, Clone)]
pub struct GenVillage {
    pub code: String,
    pub account_no: String,
    pub account_id: i64,
    pub clerk: String,
    pub accountant: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct County {
    pub county: String,
    pub villages: Vec<String>,
    /// The months an inspection of the planted cases covers (the last twelve).
    pub from: String,
    pub to: String,
    pub events: usize,
    pub planted: Vec<Planted>,
}

const SURNAMES: &[&str] = &["张", "王", "李", "赵", "刘", "陈", "杨", "孙", "周", "吴", "郑", "冯"];
const GIVEN: &[&str] = &[
    "建国", "秀英", "德福", "桂兰", "志强", "玉梅", "文华", "春生", "金山", "海燕", "长河", "淑芬",
];
const VENDORS: &[(&str, &str)] = &[
    ("东岭建材经营部", "6228480000000100001"),
    ("昌乐县供电公司", "6228480000000100002"),
    ("红河农资店", "6228480000000100003"),
    ("乔官镇五金门市", "6228480000000100004"),
    ("城南劳务队", "6228480000000100005"),
    ("县自来水公司", "6228480000000100006"),
];
/// Contract prices are round, as real ones are.
const PRICES: &[i64] = &[600, 800, 1000, 1200, 1500, 1800, 2000, 2400, 3000];

/// Creates the county's registry and staff through the use cases.
pub fn setup(db: &Db, spec: &CountySpec) -> AppResult<Vec<GenVillage>> {
    let county = db.write(|conn| registry::ensure_county(conn, COUNTY, "清源县"))?;
    let password = || bank_adapters::Secret::new(PASSWORD.to_string());
    let user = |actor: Option<&Actor>, username: &str, display: &str, role: Role, kind: ScopeKind, code: &str| {
        db.write(|conn| {
            insert_user(
                conn,
                actor,
                &NewUserInput {
                    username: username.into(),
                    display_name: display.into(),
                    password: password(),
                    role,
                    scope: ScopeRef {
                        kind,
                        code: code.into(),
                    },
                },
            )
        })
    };
    let admin_view = user(
        None,
        "county-admin",
        "清源县 管理员",
        Role::Admin,
        ScopeKind::County,
        COUNTY,
    )?;
    let admin = Actor {
        user_id: admin_view.id,
        username: "county-admin".into(),
        role: Role::Admin,
        scope: Scope::County(county.id),
    };
    user(
        Some(&admin),
        "county-inspector",
        "清源县纪委 检查员",
        Role::Inspector,
        ScopeKind::County,
        COUNTY,
    )?;
    let mut out = Vec::new();
    for i in 0..spec.villages {
        let t = i / 10;
        let township = format!("370786{:03}000", 100 + t);
        let accountant = format!("acct-{}", 100 + t);
        if i % 10 == 0 {
            registry::create_township(
                db,
                &admin,
                NewTownshipInput {
                    code: township.clone(),
                    name: format!("第{}镇", t + 1),
                    county_code: COUNTY.into(),
                },
            )?;
            user(
                Some(&admin),
                &accountant,
                &format!("第{}镇 会计", t + 1),
                Role::Accountant,
                ScopeKind::Township,
                &township,
            )?;
        }
        let code = format!("370786{:03}{:03}", 100 + t, 201 + i % 10);
        registry::create_village(
            db,
            &admin,
            NewVillageInput {
                code: code.clone(),
                name: format!("{}村", i + 1),
                township_code: township.clone(),
                cash_limit: None,
            },
        )?;
        let account_no = format!("91500101{:011}", 786_000 + i);
        let account = registry::add_corporate_account(
            db,
            &admin,
            &code,
            NewCorporateAccountInput {
                bank_name: "清源农村商业银行".into(),
                account_name: format!("清源县{}村股份经济合作社", i + 1),
                account_no: account_no.clone(),
            },
        )?;
        let clerk = format!("clerk-{code}");
        user(
            Some(&admin),
            &clerk,
            &format!("{}村 报账员", i + 1),
            Role::Clerk,
            ScopeKind::Village,
            &code,
        )?;
        out.push(GenVillage {
            code,
            account_no,
            account_id: account.id.get(),
            clerk,
            accountant,
        });
    }
    Ok(out)
}

/// Events with their times, sorted before they are written.
struct Events {
    list: Vec<(NaiveDateTime, usize, Value)>,
}

impl Events {
    fn push(
        &mut self,
        at: NaiveDateTime,
        by: Option<&str>,
        village: &str,
        event: &str,
        data: Value,
        name: Option<String>,
    ) {
        let mut line =
            json!({"at": at.format("%Y-%m-%d %H:%M:%S").to_string(), "village": village, "event": event, "data": data});
        if let Some(b) = by {
            line["as"] = json!(b);
        }
        if let Some(n) = name {
            line["name"] = json!(n);
        }
        let n = self.list.len();
        self.list.push((at, n, line));
    }
}

fn at(d: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    d.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("a time of day"))
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).to_string()
}

/// One village's life, and its planted case.
struct Life<'a> {
    v: &'a GenVillage,
    i: usize,
    ev: &'a mut Events,
    rng: StdRng,
    start: NaiveDate,
    end: NaiveDate,
    cash_days: std::collections::HashSet<NaiveDate>,
    seq: usize,
}

impl Life<'_> {
    fn name(&mut self, what: &str) -> String {
        self.seq += 1;
        format!("v{}-{what}{}", self.i, self.seq)
    }

    /// A QR or transfer payment of a bill.
    fn pay_qr(&mut self, when: NaiveDateTime, reference: Value, fen: i64, payer: &str) {
        let provider = ["rural_bank", "wechat", "alipay"][self.rng.gen_range(0..3)];
        let txn = self.name("q");
        let (v, acct) = (self.v.code.clone(), self.v.account_no.clone());
        self.ev.push(when, None, &v, "credit", json!({"account_no": acct, "provider": provider, "txn_id": format!("{v}-{txn}"), "amount": yuan(fen), "payer": payer, "reference": reference}), None);
    }

    /// Cash taken at `when`, deposited at `deposit` (None: never), the bank's credit and the
    /// clerk's match ten minutes later (or `credit` given: an existing credit's name).
    fn pay_cash(
        &mut self,
        when: NaiveDateTime,
        reference: Value,
        fen: i64,
        deposit: Option<NaiveDateTime>,
        credited: bool,
    ) -> String {
        let (v, clerk, acct, id) = (
            self.v.code.clone(),
            self.v.clerk.clone(),
            self.v.account_no.clone(),
            self.v.account_id,
        );
        let receipt = self.name("r");
        self.ev.push(
            when,
            Some(&clerk),
            &v,
            "cash",
            json!({"bill_reference": reference, "amount": yuan(fen)}),
            Some(receipt.clone()),
        );
        if let Some(d) = deposit {
            let pay_in = self.name("pi");
            self.ev.push(
                d,
                Some(&clerk),
                &v,
                "pay_in",
                json!({"account_id": id, "amount": yuan(fen)}),
                Some(pay_in.clone()),
            );
            if credited {
                let txn = self.name("d");
                self.ev.push(d + Duration::minutes(10), None, &v, "credit", json!({"account_no": acct, "txn_id": format!("{v}-{txn}"), "amount": yuan(fen), "payer": "报账员存现"}), Some(txn.clone()));
                self.ev.push(
                    d + Duration::minutes(20),
                    Some(&clerk),
                    &v,
                    "match_pay_in",
                    json!({"pay_in": format!("@{pay_in}"), "bank_transaction": format!("@{txn}")}),
                    None,
                );
            }
        }
        receipt
    }

    fn bill(&mut self, when: NaiveDateTime, fen: i64, due: NaiveDate) -> Value {
        self.bill_of(0, when, fen, due)
    }

    /// An extra bill of the village's `payer`th household.
    fn bill_of(&mut self, payer: usize, when: NaiveDateTime, fen: i64, due: NaiveDate) -> Value {
        let (v, clerk) = (self.v.code.clone(), self.v.clerk.clone());
        let b = self.name("b");
        self.ev.push(when, Some(&clerk), &v, "bill", json!({"payer_id": format!("@v{}-p{payer}", self.i), "fee_item_id": format!("@v{}-f", self.i), "amount": yuan(fen), "period_label": "补充", "due_date": due.to_string()}), Some(b.clone()));
        json!(format!("@{b}"))
    }

    fn disburse(&mut self, when: NaiveDateTime, fen: i64, payee: (&str, &str)) {
        let (v, clerk, accountant, id) = (
            self.v.code.clone(),
            self.v.clerk.clone(),
            self.v.accountant.clone(),
            self.v.account_id,
        );
        let d = self.name("x");
        self.ev.push(when, Some(&clerk), &v, "disbursement", json!({"account_id": id, "payee_name": payee.0, "payee_account": payee.1, "amount": yuan(fen), "purpose": "村务支出", "account_code": "521", "attachments": "发票"}), Some(d.clone()));
        self.ev.push(
            when + Duration::minutes(50),
            Some(&accountant),
            &v,
            "approve",
            json!({"id": format!("@{d}"), "note": "同意"}),
            None,
        );
    }

    /// Everyday life: contracts billed yearly, paid by QR mostly and cash sometimes; payments out.
    fn clean(&mut self, spec: &CountySpec, cash_only_after: Option<NaiveDate>) {
        let (v, clerk) = (self.v.code.clone(), self.v.clerk.clone());
        let i = self.i;
        let t0 = at(self.start, 8, 0) + Duration::minutes(i as i64);
        let mut contracts = Vec::new();
        for k in 0..spec.payers {
            let name = format!(
                "{}{}",
                SURNAMES[(i + k) % SURNAMES.len()],
                GIVEN[(k * 7 + i) % GIVEN.len()]
            );
            self.ev.push(
                t0,
                Some(&clerk),
                &v,
                "payer",
                json!({"kind": "member", "name": name}),
                Some(format!("v{i}-p{k}")),
            );
            contracts.push((
                name,
                PRICES[self.rng.gen_range(0..PRICES.len())] * 100,
                if self.rng.gen_bool(0.3) {
                    Schedule::Semiannual
                } else {
                    Schedule::Annual
                },
            ));
        }
        self.ev.push(
            t0 + Duration::minutes(1),
            Some(&clerk),
            &v,
            "fee_item",
            json!({"code": "land", "name": "土地承包费", "income_account_code": "501"}),
            Some(format!("v{i}-f")),
        );
        let contract_end = NaiveDate::from_ymd_opt(self.end.year() + 10, 12, 31).expect("a date");
        for (k, (_, fen, schedule)) in contracts.iter().enumerate() {
            self.ev.push(t0 + Duration::minutes(2), Some(&clerk), &v, "contract", json!({"contract_no": format!("HT-{v}-{k:03}"), "kind": "contract", "payer_id": format!("@v{i}-p{k}"), "fee_item_id": format!("@v{i}-f"), "fixed_amount": yuan(*fen), "schedule": schedule.as_str(), "start_date": self.start.to_string(), "end_date": contract_end.to_string()}), Some(format!("v{i}-c{k}")));
        }
        let cash_share: f64 = self.rng.gen_range(0.1..0.3);
        for year in self.start.year()..=self.end.year() {
            let jan2 = NaiveDate::from_ymd_opt(year, 1, 2).expect("a date").max(self.start);
            let generated = format!("v{i}-g{year}");
            self.ev.push(
                at(jan2, 8, 30) + Duration::minutes(i as i64),
                Some(&clerk),
                &v,
                "generate_bills",
                json!({"year": year}),
                Some(generated.clone()),
            );
            for (k, (payer, fen, schedule)) in contracts.clone().iter().enumerate() {
                for inst in installments(*schedule, year, Money::from_fen(*fen)) {
                    if inst.ends < self.start {
                        continue;
                    }
                    let due = inst.starts.max(self.start);
                    let mut day = due + Duration::days(self.rng.gen_range(3..60));
                    let reference = json!(format!("@{generated}/@v{i}-c{k}/{}", inst.label));
                    let cash = cash_only_after.map_or_else(|| self.rng.gen_bool(cash_share), |c| day >= c);
                    if cash {
                        while self.cash_days.contains(&day) {
                            day += Duration::days(1);
                        }
                    }
                    if day >= self.end {
                        continue;
                    }
                    let when = at(day, self.rng.gen_range(9..15), self.rng.gen_range(0..60));
                    if cash {
                        self.cash_days.insert(day);
                        let receipt = self.pay_cash(when, reference, inst.amount.fen(), Some(at(day, 16, 30)), true);
                        if self.rng.gen_bool(0.05) {
                            self.ev.push(
                                when + Duration::minutes(5),
                                Some(&clerk),
                                &v,
                                "void",
                                json!({"number": format!("@{receipt}"), "reason": "姓名写错", "reissue": true}),
                                None,
                            );
                        }
                    } else {
                        self.pay_qr(when, reference, inst.amount.fen(), payer);
                    }
                }
            }
        }
        let mut month = NaiveDate::from_ymd_opt(self.start.year(), self.start.month(), 1).expect("a date");
        while month < self.end {
            for _ in 0..self.rng.gen_range(1..3) {
                let day = month + Duration::days(self.rng.gen_range(0..27));
                if day >= self.end || day < self.start {
                    continue;
                }
                let mut fen = self.rng.gen_range(5_000..240_000);
                if fen % 100 == 0 {
                    fen += 37;
                }
                let vendor = VENDORS[self.rng.gen_range(0..VENDORS.len())];
                let minute = self.rng.gen_range(0..30);
                self.disburse(at(day, 10, minute), fen, vendor);
            }
            month = month.checked_add_months(chrono::Months::new(1)).expect("a month");
        }
    }

    /// Plants one case of `rule`, around `base` (a weekday early in a month two months back).
    fn plant(&mut self, rule: RuleId, base: NaiveDate) -> (String, bool) {
        use RuleId::*;
        let (v, clerk, accountant, acct) = (
            self.v.code.clone(),
            self.v.clerk.clone(),
            self.v.accountant.clone(),
            self.v.account_no.clone(),
        );
        let due = base + Duration::days(20);
        match rule {
            CashLate => {
                let b = self.bill(at(base, 8, 0), 30_000, due);
                self.pay_cash(
                    at(base, 10, 0),
                    b,
                    30_000,
                    Some(at(base + Duration::days(8), 10, 0)),
                    true,
                );
                ("¥300 cash deposited eight days after it was taken".into(), false)
            }
            CashOverLimit => {
                let b = self.bill(at(base, 8, 0), 600_000, due);
                self.pay_cash(
                    at(base, 10, 0),
                    b,
                    600_000,
                    Some(at(base + Duration::days(1), 9, 0)),
                    true,
                );
                ("¥6,000 cash kept overnight (limit ¥5,000)".into(), false)
            }
            CashShort => {
                let b = self.bill(at(base, 8, 0), 40_000, due);
                self.pay_cash(at(base, 10, 0), b, 40_000, Some(at(base, 15, 0)), false);
                ("a ¥400 deposit declared that the bank never shows".into(), false)
            }
            CashShare => ("every payment of the last year taken in cash".into(), false),
            ProxyPayin => {
                let mut lines = String::from(
                    "交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n",
                );
                for k in 0..5 {
                    let b = self.bill_of(k as usize, at(base, 8, k), 20_000, due);
                    let txn = format!("{v}-proxy{k}");
                    self.ev.push(at(base, 11, k), None, &v, "credit", json!({"account_no": acct, "txn_id": txn, "amount": "200.00", "payer": "王某某", "reference": b}), None);
                    lines.push_str(&format!(
                        "{base},11:{k:02}:00,{txn},,200.00,{}.00,王某某,6228480000000000777,转账,\n",
                        200 * (k + 1)
                    ));
                }
                self.ev.push(
                    at(base + Duration::days(1), 9, 0),
                    Some(&accountant),
                    &v,
                    "statement",
                    json!({"account_no": acct, "file_name": "proxy.csv", "content": lines}),
                    None,
                );
                self.ev.push(
                    at(base + Duration::days(1), 9, 10),
                    Some(&accountant),
                    &v,
                    "reconcile",
                    json!({"account_no": acct, "from": base.to_string(), "to": base.to_string()}),
                    None,
                );
                ("one account (…0777) paying the bills of five households".into(), false)
            }
            ReceiptWithoutMoney => {
                let b = self.bill(at(base, 8, 0), 15_000, due);
                self.ev.push(
                    at(base, 10, 0),
                    Some(&clerk),
                    &v,
                    "claim",
                    json!({"bill_reference": b, "amount": "150.00", "channel": "wechat"}),
                    None,
                );
                ("a ¥150 WeChat screenshot receipted, never credited".into(), false)
            }
            MoneyWithoutReceipt => {
                self.ev.push(
                    at(base, 10, 0),
                    None,
                    &v,
                    "credit",
                    json!({"account_no": acct, "txn_id": format!("{v}-orphan"), "amount": "88.00", "payer": "某某"}),
                    None,
                );
                ("¥88 credited with no bill named, never receipted".into(), false)
            }
            ReceiptGap => ("a receipt row deleted".into(), true),
            ReceiptVoids => {
                for k in 0..4 {
                    let day = base + Duration::days(k);
                    let b = self.bill(at(day, 8, 0), 10_000, due);
                    let r = self.pay_cash(at(day, 10, 0), b, 10_000, Some(at(day, 16, 40)), true);
                    self.ev.push(
                        at(day, 10, 5),
                        Some(&clerk),
                        &v,
                        "void",
                        json!({"number": format!("@{r}"), "reason": "重开", "reissue": true}),
                        None,
                    );
                }
                ("four cash receipts voided and reissued in four days".into(), false)
            }
            DuplicateUse => ("one bank credit set behind a second receipt".into(), true),
            FeeOverdue => {
                self.bill(
                    at(self.end - Duration::days(230), 8, 0),
                    90_000,
                    self.end - Duration::days(220),
                );
                ("a ¥900 bill due 220 days ago, never paid".into(), false)
            }
            Underreported => {
                let start = self.end - Duration::days(200);
                let end = NaiveDate::from_ymd_opt(self.end.year() + 5, 12, 31).expect("a date");
                self.ev.push(at(base, 9, 0), Some(&clerk), &v, "contract", json!({"contract_no": format!("HT-{v}-X"), "kind": "lease", "payer_id": format!("@v{}-p0", self.i), "fee_item_id": format!("@v{}-f", self.i), "fixed_amount": "2400.00", "schedule": "annual", "start_date": start.to_string(), "end_date": end.to_string()}), None);
                ("a lease registered from 200 days ago and never billed".into(), false)
            }
            WrittenOffLate => {
                let b = self.bill(at(base - Duration::days(30), 8, 0), 120_000, base - Duration::days(20));
                self.ev.push(
                    at(base, 10, 0),
                    Some(&clerk),
                    &v,
                    "cancel_bill",
                    json!({"reference": b, "reason": "村民困难"}),
                    None,
                );
                ("a ¥1,200 bill cancelled twenty days after it was due".into(), false)
            }
            DoubleCollection => {
                let b = self.bill(at(base, 8, 0), 70_000, due);
                self.pay_cash(at(base, 10, 0), b.clone(), 70_000, Some(at(base, 16, 30)), true);
                self.ev.push(at(base + Duration::days(1), 20, 0), None, &v, "credit", json!({"account_no": acct, "txn_id": format!("{v}-twice"), "amount": "700.00", "payer": "张某", "reference": b}), None);
                ("a ¥700 bill paid in cash and again by QR".into(), false)
            }
            UnapprovedDebit => {
                let file = format!("交易日期,交易时间,交易流水号,借方发生额,贷方发生额,余额,对方户名,对方账号,摘要,附言\n{base},15:30:00,{v}-OUT,3000.00,,-3000.00,某某建材店,6228480000000000009,网银转账,购材料\n");
                self.ev.push(
                    at(base + Duration::days(1), 9, 0),
                    Some(&accountant),
                    &v,
                    "statement",
                    json!({"account_no": acct, "file_name": "out.csv", "content": file}),
                    None,
                );
                ("¥3,000 paid out with no request".into(), false)
            }
            SplitPayments => {
                for (k, fen) in [481_230, 490_755, 473_310].into_iter().enumerate() {
                    self.disburse(
                        at(base + Duration::days(k as i64 * 2), 10, 30),
                        fen,
                        ("城东工程队", "6228480000000200099"),
                    );
                }
                (
                    "three payments just under ¥5,000 to one payee within five days".into(),
                    false,
                )
            }
            RoundAmounts => {
                for k in 0..40 {
                    let day = self.end - Duration::days(350 - k * 8);
                    let vendor = VENDORS[k as usize % VENDORS.len()];
                    self.disburse(at(day, 11, 0), (1 + k % 9) * 10_000, vendor);
                }
                ("forty payments out of whole hundreds in a year".into(), false)
            }
            OffHours => {
                for k in 0..3 {
                    let day = base + Duration::days(k);
                    let b = self.bill(at(day, 8, 0), 5_000, due);
                    self.pay_cash(at(day, 23, 10), b, 5_000, Some(at(day + Duration::days(1), 9, 0)), true);
                }
                ("cash taken at 23:10 three nights in a month".into(), false)
            }
            Benford => {
                for k in 0..320i64 {
                    let day = self.end - Duration::days(360 - k);
                    let fen = ((k % 9 + 1) * 1000 + (k * 37) % 1000) * 100 + 11 + k % 80;
                    let payee = (format!("供应商{k}"), format!("62284800000003{k:05}"));
                    self.disburse(at(day, 14, 0), fen, (&payee.0, &payee.1));
                }
                ("320 payments out whose first digits are spread evenly".into(), false)
            }
            Backdated => {
                let date = base - Duration::days(40);
                self.ev.push(at(base, 10, 0), Some(&accountant), &v, "entry", json!({"entry_date": date.to_string(), "memo": "补记办公费", "lines": [{"account_code": "521", "debit": "100.00"}, {"account_code": "301", "credit": "100.00"}]}), None);
                ("a manual entry made forty days after its date".into(), false)
            }
            ChainBroken => ("a posting's amount edited in the database".into(), true),
            SelfApproval => {
                let old = self.name("old");
                self.ev.push(
                    at(base - Duration::days(10), 10, 0),
                    None,
                    &v,
                    "credit",
                    json!({"account_no": acct, "txn_id": format!("{v}-old"), "amount": "250.00", "payer": "李某"}),
                    Some(old.clone()),
                );
                let b = self.bill(at(base, 8, 0), 25_000, due);
                self.ev.push(
                    at(base, 10, 0),
                    Some(&clerk),
                    &v,
                    "cash",
                    json!({"bill_reference": b, "amount": "250.00"}),
                    None,
                );
                let p = self.name("pi");
                self.ev.push(
                    at(base, 15, 0),
                    Some(&clerk),
                    &v,
                    "pay_in",
                    json!({"account_id": self.v.account_id, "amount": "250.00"}),
                    Some(p.clone()),
                );
                self.ev.push(
                    at(base, 15, 10),
                    Some(&clerk),
                    &v,
                    "match_pay_in",
                    json!({"pay_in": format!("@{p}"), "bank_transaction": format!("@{old}")}),
                    None,
                );
                (
                    "a clerk matching their ¥250 deposit to a villager's credit ten days older".into(),
                    false,
                )
            }
        }
    }
}

/// The history of the county: every village's life from `years` back to yesterday, and the
/// planted cases.
pub fn plan(spec: &CountySpec, villages: &[GenVillage], today: NaiveDate) -> (String, Vec<Planted>, NaiveDate) {
    let end = today - Duration::days(1);
    // Villages are set up today with today's chart of accounts (2023's, in force from 2024); a
    // history before it would need the 2004 chart's accounts, which a village made now lacks.
    let chart_2023 = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
    let start = NaiveDate::from_ymd_opt(end.year() - spec.years as i32, end.month(), 1)
        .expect("a date")
        .max(chart_2023);
    let two_back = NaiveDate::from_ymd_opt(end.year(), end.month(), 1)
        .expect("a date")
        .checked_sub_months(chrono::Months::new(2))
        .expect("a date");
    // A Monday to Thursday early in that month, so multi-day plants stay inside it.
    let mut base = two_back + Duration::days(4);
    while base.weekday().num_days_from_monday() > 3 {
        base += Duration::days(1);
    }
    let mut ev = Events { list: Vec::new() };
    let mut planted = Vec::new();
    for (i, v) in villages.iter().enumerate() {
        let rule = spec.plant.then(|| RuleId::ALL.get(i).copied()).flatten();
        let mut life = Life {
            v,
            i,
            ev: &mut ev,
            rng: StdRng::seed_from_u64(spec.seed.wrapping_mul(1_000_003).wrapping_add(i as u64)),
            start,
            end,
            cash_days: Default::default(),
            seq: 0,
        };
        let cash_only = (rule == Some(RuleId::CashShare)).then(|| end - Duration::days(365));
        life.clean(spec, cash_only);
        if let Some(rule) = rule {
            let (how, tamper) = life.plant(rule, base);
            planted.push(Planted {
                rule,
                village: v.code.clone(),
                how,
                tamper,
            });
        }
    }
    ev.list.sort_by_key(|e| (e.0, e.1));
    let text: Vec<String> = ev.list.iter().map(|(_, _, l)| l.to_string()).collect();
    (text.join("\n"), planted, end)
}

/// Sets the county up, writes its history, replays it through the use cases.
pub fn build(db: &Db, key: &[u8], profiles: &Profiles, spec: &CountySpec) -> AppResult<(County, String)> {
    let villages = setup(db, spec)?;
    let today = period::business_date(period::now());
    let (history, planted, end) = plan(spec, &villages, today);
    let replayed = super::history::import(db, key, profiles, &history)?;
    let from = end.checked_sub_months(chrono::Months::new(11)).expect("a date");
    Ok((
        County {
            county: COUNTY.into(),
            villages: villages.iter().map(|v| v.code.clone()).collect(),
            from: from.format("%Y-%m").to_string(),
            to: end.format("%Y-%m").to_string(),
            events: replayed.events,
            planted,
        },
        history,
    ))
}
