//! The demo county (`qingzhang demo`, `serve --demo`): two townships of Changle County, a few
//! villages with corporate accounts, payers, fee items, contracts, this year's bills, an opening
//! entry, and one user per role. Loading twice changes nothing.

use chrono::Datelike;

use super::access::{insert_user, NewUserInput, ScopeRef};
use super::billing::{
    self, ContractKind, GenerateBillsInput, NewContractInput, NewFeeItemInput, NewPayerInput, PayerKind,
};
use super::bookkeeping::{self, LineInput, NewEntryInput};
use super::registry::{self, NewCorporateAccountInput, NewTownshipInput, NewVillageInput};
use crate::domain::access::{Actor, Role, Scope, ScopeKind};
use crate::domain::schedule::Schedule;
use crate::domain::BillReference;
use crate::domain::{period, Money, VillageId};
use crate::error::{AppError, AppResult};
use crate::payments::sealing::SealingKeys;
use crate::sandbox::keys::{PublishedKeys, SandboxKeys};
use crate::store::access::User;
use crate::store::billing::{Bill, BillFilter};
use crate::store::registry::CorporateAccount;
use crate::store::registry::Village;
use crate::store::Db;
use crate::store::Page;
use crate::usecases::bindings::{
    self, AlipayOrderingInput, BankKeyInput, BindingInput, Part, PublicKeyInput, WechatOrderingInput,
};
use bank_adapters::{Provider, Secret};

pub const COUNTY_CODE: &str = "370725000000";
/// Every demo user's password. Demo data only: never load the demo into a real database.
pub const DEMO_PASSWORD: &str = "qingzhang-demo";

pub struct DemoUser {
    pub username: &'static str,
    pub role: &'static str,
    pub scope: &'static str,
}

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        username: "admin",
        role: "县管理员 admin",
        scope: "昌乐县",
    },
    DemoUser {
        username: "accountant",
        role: "乡镇会计 accountant",
        scope: "乔官镇",
    },
    DemoUser {
        username: "accountant2",
        role: "乡镇会计 accountant",
        scope: "红河镇",
    },
    DemoUser {
        username: "clerk",
        role: "村报账员 clerk",
        scope: "北岩村",
    },
    DemoUser {
        username: "inspector",
        role: "纪检 inspector",
        scope: "昌乐县",
    },
];

const TOWNSHIPS: &[(&str, &str)] = &[("370725102000", "乔官镇"), ("370725104000", "红河镇")];

struct DemoVillage {
    code: &'static str,
    name: &'static str,
    account_no: &'static str,
    payers: &'static [(&'static str, PayerKind, &'static str)],
}

const VILLAGES: &[DemoVillage] = &[
    DemoVillage {
        code: "370725102201",
        name: "北岩村",
        account_no: "9150010100001234567",
        payers: &[
            ("张建国", PayerKind::Member, "13805361234"),
            ("李秀英", PayerKind::Member, "13905362345"),
            ("王德福", PayerKind::Member, "15053663456"),
            ("昌乐县绿源果蔬专业合作社", PayerKind::Outsider, ""),
        ],
    },
    DemoVillage {
        code: "370725102202",
        name: "南岩村",
        account_no: "9150010100002345678",
        payers: &[
            ("赵永刚", PayerKind::Member, "13605364567"),
            ("孙桂兰", PayerKind::Member, ""),
            ("潍坊鑫达机械有限公司", PayerKind::Outsider, ""),
        ],
    },
    DemoVillage {
        code: "370725104201",
        name: "西河村",
        account_no: "9150010200003456789",
        payers: &[
            ("刘长顺", PayerKind::Member, "13705365678"),
            ("陈玉梅", PayerKind::Member, "18253666789"),
            ("周海涛", PayerKind::Outsider, ""),
        ],
    },
];

/// Loads the demo county unless it is there already. Returns whether anything was loaded.
/// `sealing` seals the demo bindings' secrets; `server_key` signs receipts, as in the service.
/// The county's accounts are bound to the sandbox bank that `sandbox` keys play, ordering
/// through it at `sandbox_base`.
pub fn load(
    db: &Db,
    sealing: &SealingKeys,
    server_key: &[u8],
    sandbox: &SandboxKeys,
    sandbox_base: &str,
) -> AppResult<bool> {
    if db.read(|conn| User::by_username(conn, "admin"))?.is_some() {
        return Ok(false);
    }
    let county = db.write(|conn| registry::ensure_county(conn, COUNTY_CODE, "昌乐县"))?;
    let password = || Secret::new(DEMO_PASSWORD.to_string());
    let admin_view = db.write(|conn| {
        insert_user(
            conn,
            None,
            &NewUserInput {
                username: "admin".into(),
                display_name: "县农业农村局 管理员".into(),
                password: password(),
                role: Role::Admin,
                scope: ScopeRef {
                    kind: ScopeKind::County,
                    code: COUNTY_CODE.into(),
                },
            },
        )
    })?;
    let admin = Actor {
        user_id: admin_view.id,
        username: "admin".into(),
        role: Role::Admin,
        scope: Scope::County(county.id),
    };
    for (code, name) in TOWNSHIPS {
        registry::create_township(
            db,
            &admin,
            NewTownshipInput {
                code: (*code).into(),
                name: (*name).into(),
                county_code: COUNTY_CODE.into(),
            },
        )?;
    }
    for v in VILLAGES {
        let township_code = format!("{}000", &v.code[..9]);
        registry::create_village(
            db,
            &admin,
            NewVillageInput {
                code: v.code.into(),
                name: v.name.into(),
                township_code,
                cash_limit: None,
            },
        )?;
        registry::add_corporate_account(
            db,
            &admin,
            v.code,
            NewCorporateAccountInput {
                bank_name: "山东昌乐农村商业银行".into(),
                account_name: format!("昌乐县{}股份经济合作社", v.name),
                account_no: v.account_no.into(),
            },
        )?;
    }
    let users = [
        (
            "accountant",
            "乔官镇经管站 王会计",
            Role::Accountant,
            ScopeKind::Township,
            "370725102000",
        ),
        (
            "accountant2",
            "红河镇经管站 刘会计",
            Role::Accountant,
            ScopeKind::Township,
            "370725104000",
        ),
        (
            "clerk",
            "北岩村报账员 张文书",
            Role::Clerk,
            ScopeKind::Village,
            "370725102201",
        ),
        (
            "inspector",
            "县纪委监委 李检查",
            Role::Inspector,
            ScopeKind::County,
            COUNTY_CODE,
        ),
    ];
    let mut accountants = Vec::new();
    for (username, display, role, kind, code) in users {
        let u = db.write(|conn| {
            insert_user(
                conn,
                Some(&admin),
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
        })?;
        let scope_id = db.read(|conn| -> AppResult<i64> {
            Ok(match kind {
                ScopeKind::Township => crate::store::registry::Township::by_code(conn, code)?
                    .map(|t| t.id)
                    .unwrap_or_default(),
                _ => Village::by_code(conn, code)?.map(|v| v.id.get()).unwrap_or_default(),
            })
        })?;
        let actor = Actor {
            user_id: u.id,
            username: username.into(),
            role,
            scope: if kind == ScopeKind::Township {
                Scope::Township(scope_id)
            } else {
                Scope::Village(VillageId(scope_id))
            },
        };
        if role == Role::Accountant {
            accountants.push((code, actor));
        }
    }
    // Each township's accountant keeps its villages' registers and books (村账乡管).
    let accountant_of = |village_code: &str| {
        accountants
            .iter()
            .find(|(t, _)| village_code.starts_with(&t[..9]))
            .map(|(_, a)| a.clone())
            .expect("demo accountant per township")
    };
    let today = period::business_date(period::now());
    let year = today.year();
    for (i, v) in VILLAGES.iter().enumerate() {
        let biller = accountant_of(v.code);
        let land = billing::create_fee_item(
            db,
            &biller,
            v.code,
            NewFeeItemInput {
                code: "land-contract".into(),
                name: "土地承包费".into(),
                income_account_code: "501".into(),
            },
        )?;
        let rent = billing::create_fee_item(
            db,
            &biller,
            v.code,
            NewFeeItemInput {
                code: "building-rent".into(),
                name: "房屋租赁费".into(),
                income_account_code: "501".into(),
            },
        )?;
        billing::create_fee_item(
            db,
            &biller,
            v.code,
            NewFeeItemInput {
                code: "other".into(),
                name: "其他收入".into(),
                income_account_code: "504".into(),
            },
        )?;
        for (j, (name, kind, phone)) in v.payers.iter().enumerate() {
            let payer = billing::create_payer(
                db,
                &biller,
                v.code,
                NewPayerInput {
                    kind: *kind,
                    name: (*name).into(),
                    phone: Some((*phone).into()),
                    household_no: None,
                },
            )?;
            let (fee_item_id, contract_kind, area, price, fixed, schedule) = match kind {
                PayerKind::Member => (
                    land.id,
                    ContractKind::Contract,
                    Some(format!("{}.{}", 3 + j, 5 * j)),
                    Some(Money::parse("800").expect("demo")),
                    None,
                    Schedule::Annual,
                ),
                PayerKind::Outsider => (
                    rent.id,
                    ContractKind::Lease,
                    None,
                    None,
                    Some(Money::parse("36000").expect("demo")),
                    Schedule::Quarterly,
                ),
            };
            billing::create_contract(
                db,
                &biller,
                v.code,
                NewContractInput {
                    contract_no: format!(
                        "{}-{}-{:03}",
                        if matches!(kind, PayerKind::Member) { "CB" } else { "ZL" },
                        year - 1,
                        i * 10 + j + 1
                    ),
                    kind: contract_kind,
                    payer_id: payer.id,
                    fee_item_id,
                    area,
                    unit_price: price,
                    fixed_amount: fixed,
                    schedule,
                    start_date: format!("{}-01-01", year - 1),
                    end_date: format!("{}-12-31", year + 3),
                },
            )?;
        }
        billing::generate_bills(db, &biller, v.code, GenerateBillsInput { year })?;
        // Next year's bills too, all open: enough codes on the QR sheet for anyone to try paying.
        billing::generate_bills(db, &biller, v.code, GenerateBillsInput { year: year + 1 })?;
    }
    // An opening balance for the first village, so its books are not empty.
    let opening_date = format!("{year}-01-01");
    bookkeeping::post_entry(
        db,
        &accountant_of(VILLAGES[0].code),
        VILLAGES[0].code,
        NewEntryInput {
            entry_date: opening_date,
            memo: "期初余额：银行存款".into(),
            lines: vec![
                LineInput {
                    account_code: "102.0001".into(),
                    debit: Some(Money::parse("158320.45").expect("demo")),
                    credit: None,
                    memo: None,
                },
                LineInput {
                    account_code: "301".into(),
                    debit: None,
                    credit: Some(Money::parse("158320.45").expect("demo")),
                    memo: None,
                },
            ],
        },
    )?;
    season_of_payments(db, sealing, server_key, &admin, sandbox, sandbox_base)?;
    Ok(true)
}

/// This year's payments so far, as the sandbox bank makes them: each village's account is bound
/// to the sandbox's keys, and each payment is a callback signed by the sandbox and taken through
/// the same intake as a live one. Some bills are left unpaid, some are part paid, and one
/// transfer names no bill, so the books have something for the accountant and the inspector.
fn season_of_payments(
    db: &Db,
    sealing: &SealingKeys,
    server_key: &[u8],
    admin: &Actor,
    keys: &SandboxKeys,
    sandbox_base: &str,
) -> AppResult<()> {
    use crate::sandbox::deliver::{signed_callback, Payment};
    use crate::usecases::callbacks::{receive, Answer, Inbound};
    let published = keys.published();
    let budget = crate::usecases::callbacks::RefusalBudget::default();
    let now = period::now();
    let today = period::business_date(now);
    for (i, v) in VILLAGES.iter().enumerate() {
        let account = db
            .read(|c| -> AppResult<Vec<CorporateAccount>> {
                let id = village_id(c, v.code)?;
                Ok(CorporateAccount::of_village(c, id)?)
            })?
            .remove(0);
        let mch_id = format!("19000001{i:02}");
        let app_id = format!("20210041000000{i:02}");
        let mut binding = std::collections::HashMap::new();
        for (provider, input) in [
            (
                Provider::RuralBank,
                sandbox_binding(&published, Provider::RuralBank, "", sandbox_base),
            ),
            (
                Provider::Wechat,
                sandbox_binding(&published, Provider::Wechat, &mch_id, sandbox_base),
            ),
            (
                Provider::Alipay,
                sandbox_binding(&published, Provider::Alipay, &app_id, sandbox_base),
            ),
        ] {
            let b = bindings::create_binding(db, sealing, admin, v.code, account.id, input)?;
            binding.insert(provider, b.id);
        }
        let bills = db.read(|c| -> AppResult<Vec<Bill>> {
            let id = village_id(c, v.code)?;
            Ok(Bill::list(
                c,
                id,
                &BillFilter::default(),
                Page { after: 0, limit: 500 },
            )?)
        })?;
        let due: Vec<&Bill> = bills.iter().filter(|b| b.due_date <= today).collect();
        let mut payments = Vec::new();
        for (j, bill) in due.iter().enumerate() {
            if j % 4 == 3 {
                continue; // not paid yet
            }
            let provider = [Provider::RuralBank, Provider::Wechat, Provider::Alipay][j % 3];
            let amount = if j % 5 == 4 {
                Money::from_fen(bill.amount.fen() / 2)
            } else {
                bill.amount
            };
            let paid_on = (bill.due_date + chrono::Duration::days((j % 20) as i64 + 1)).min(today);
            let paid_at = paid_on
                .and_hms_opt(2, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(now)
                .min(now);
            let reference = BillReference::parse(&bill.reference)
                .map(|r| r.grouped())
                .unwrap_or_default();
            payments.push(Payment {
                provider,
                account_ref: match provider {
                    Provider::RuralBank => account.account_no.clone(),
                    Provider::Wechat => mch_id.clone(),
                    Provider::Alipay => app_id.clone(),
                },
                txn_id: format!("DEMO{i}{j:04}{}", bill.id),
                amount,
                reference: if provider == Provider::RuralBank {
                    format!("{reference} 交费")
                } else {
                    bill.reference.clone()
                },
                payer: "张*".into(),
                paid_at,
            });
        }
        payments.push(Payment {
            provider: Provider::RuralBank,
            account_ref: account.account_no.clone(),
            txn_id: format!("DEMO{i}UNPLACED"),
            amount: Money::from_fen(30_000),
            reference: "村民交款".into(),
            payer: "王*".into(),
            paid_at: now,
        });
        for p in payments {
            let req = signed_callback(keys, &p, period::now()).map_err(AppError::Internal)?;
            let inbound = Inbound {
                client: "demo".into(),
                provider: p.provider.as_str().into(),
                binding: binding[&p.provider].to_string(),
                headers: req.headers,
                body: req.body,
            };
            match receive(db, sealing, server_key, &budget, inbound, period::now()) {
                Answer::Provider(ack) if (200..300).contains(&ack.status) => {}
                Answer::Provider(ack) => {
                    return Err(AppError::Internal(format!(
                        "demo payment {} refused: {}",
                        p.txn_id, ack.body
                    )))
                }
                Answer::UnknownProvider => return Err(AppError::Internal("unknown provider".into())),
            }
        }
    }
    Ok(())
}

fn village_id(conn: &mut crate::store::DbConnection, code: &str) -> AppResult<VillageId> {
    Ok(Village::by_code(conn, code)?
        .ok_or_else(|| AppError::Internal(format!("demo village {code} missing")))?
        .id)
}

/// The binding a corporate account needs to take the sandbox bank's callbacks and order
/// through it: built from what the sandbox publishes (`GET /sandbox/keys`), as an admin would.
pub fn sandbox_binding(
    keys: &PublishedKeys,
    provider: Provider,
    account_ref: &str,
    sandbox_base: &str,
) -> BindingInput {
    match provider {
        Provider::RuralBank => BindingInput::RuralBank {
            keys: vec![BankKeyInput {
                key_id: keys.bank_key_id.clone(),
                algorithm: "hmac-sha256".into(),
                secret: Secret::new(keys.bank_secret.clone()),
            }],
            statement_api: Part::Given(sandbox_base.into()),
        },
        Provider::Wechat => BindingInput::Wechat {
            mch_id: account_ref.into(),
            api_v3_key: Secret::new(keys.wechat_api_v3_key.clone()),
            platform_certificates: vec![],
            platform_public_keys: vec![PublicKeyInput {
                key_id: keys.wechat_public_key_id.clone(),
                pem: keys.wechat_public_key_pem.clone(),
            }],
            ordering: Part::Given(WechatOrderingInput {
                app_id: keys.wechat_app_id.clone(),
                merchant_serial_no: keys.wechat_merchant_serial_no.clone(),
                merchant_private_key: Secret::new(keys.wechat_merchant_private_key_pem.clone()),
                api_base: Some(sandbox_base.into()),
            }),
            settlement: None,
        },
        Provider::Alipay => BindingInput::Alipay {
            app_id: account_ref.into(),
            alipay_public_key: keys.alipay_public_key_pem.clone(),
            ordering: Part::Given(AlipayOrderingInput {
                app_private_key: Secret::new(keys.alipay_app_private_key_pem.clone()),
                gateway_url: Some(format!("{}/gateway.do", sandbox_base.trim_end_matches('/'))),
            }),
            settlement: None,
        },
    }
}

/// The demo's sandbox bank moved from `was` to `now` (its recorded address was taken): every
/// demo binding that still orders through the sandbox exactly as the demo bound it follows it.
/// A binding an admin has changed since (a rotated key, another gateway) is left alone.
/// Returns (moved, left alone).
pub fn follow_sandbox(
    db: &Db,
    sealing: &SealingKeys,
    keys: &PublishedKeys,
    was: &str,
    now: &str,
) -> AppResult<(usize, usize)> {
    use crate::store::payments::Binding;
    let (mut moved, mut left) = (0, 0);
    for v in VILLAGES {
        let existing = db.read(|conn| -> AppResult<Vec<Binding>> {
            let id = village_id(conn, v.code)?;
            Ok(Binding::of_village(conn, id)?)
        })?;
        for b in existing.into_iter().filter(|b| b.provider != Provider::RuralBank) {
            let before = sandbox_binding(keys, b.provider, &b.account_ref, was);
            let after = sandbox_binding(keys, b.provider, &b.account_ref, now);
            if bindings::replace_if_unchanged(db, sealing, b.id, &before, after)? {
                moved += 1;
            } else {
                left += 1;
            }
        }
    }
    Ok((moved, left))
}
