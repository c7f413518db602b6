//! Provider credentials bound to a corporate account: WeChat merchant, Alipay app, bank keys.
//!
//! Secrets (the APIv3 key, HMAC keys) are write-only: sealed at rest under the secrets key,
//! never returned by the API or logged. Replacing a binding's configuration is how keys rotate:
//! the new configuration lists every key still accepted, old and new, until the changeover ends.

use bank_adapters::gateway::Gateway;
use bank_adapters::rsa::RsaPrivateKey;
use bank_adapters::rural_bank::{Algorithm, BankKey, RuralBank};
use bank_adapters::wechat::{PlatformKey, Wechat, WechatConfig};
use bank_adapters::{alipay, alipay_precreate, wechat_native, Adapter, Provider, Secret};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::{audit, village_for, village_to_change};
use crate::domain::access::{Action, Actor};
use crate::domain::ids::{CorporateAccountId, VillageId};
use crate::domain::vocabulary::Settlement;
use crate::domain::{masking, period};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::payments::sealing::SealingKeys;
use crate::reconcile::settlement::MAX_FEE_RATE_PPM;
use crate::store::lock::lock_village;
use crate::store::payments::{Binding, NewBinding};
use crate::store::registry::CorporateAccount;
use crate::store::settlements::ClearingItem;
use crate::store::{Db, DbConnection};

#[derive(Debug, Deserialize, ToSchema)]
pub struct PublicKeyInput {
    /// `PUB_KEY_ID_…` as WeChat names it.
    pub key_id: String,
    pub pem: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BankKeyInput {
    pub key_id: String,
    /// `hmac-sha256` or `hmac-sm3`.
    pub algorithm: String,
    /// At least 16 bytes. Write-only.
    #[schema(value_type = String, format = Password)]
    pub secret: Secret<String>,
}

/// What a WeChat binding needs to place Native orders and query them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WechatOrderingInput {
    /// The app id the merchant is bound to.
    pub app_id: String,
    /// Serial number of the merchant API certificate.
    pub merchant_serial_no: String,
    /// The merchant API private key (PEM, PKCS#8 or PKCS#1). Write-only.
    #[schema(value_type = String, format = Password)]
    pub merchant_private_key: Secret<String>,
    /// Defaults to `https://api.mch.weixin.qq.com`.
    #[serde(default)]
    pub api_base: Option<String>,
}

/// What an Alipay binding needs to place precreate orders and query them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AlipayOrderingInput {
    /// The app's private key (PEM, PKCS#8 or PKCS#1, or bare base64). Write-only.
    #[schema(value_type = String, format = Password)]
    pub app_private_key: Secret<String>,
    /// Defaults to `https://openapi.alipay.com/gateway.do`.
    #[serde(default)]
    pub gateway_url: Option<String>,
}

/// How a gateway pays its merchant out to the corporate account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SettlementInput {
    /// `per_payment`: each payment is its own credit on the account; `daily`: the day's
    /// payments less the fee come as one credit the next day (T+1), and wait in a clearing
    /// account until then.
    pub mode: Settlement,
    /// The provider's fee in percent of each payment (daily settlement), e.g. `"0.6"`; at most
    /// four decimals, below 10.
    #[serde(default)]
    pub fee_percent: Option<String>,
}

/// A part of a binding that a replacement may leave out: left out, the binding keeps what it
/// has; `null`, it is removed; given, it is replaced. (A new binding has none unless given.)
#[derive(Debug, Default)]
pub enum Part<T> {
    #[default]
    Kept,
    Removed,
    Given(T),
}

impl<T> Part<T> {
    pub fn given(&self) -> Option<&T> {
        match self {
            Part::Given(t) => Some(t),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Part<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Part::Removed, Part::Given))
    }
}

/// The credentials of one provider for one corporate account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "provider", rename_all = "snake_case")]
pub enum BindingInput {
    Wechat {
        mch_id: String,
        /// The 32-character APIv3 key. Write-only.
        #[schema(value_type = String, format = Password)]
        api_v3_key: Secret<String>,
        /// Platform certificates (PEM), matched by serial number.
        #[serde(default)]
        platform_certificates: Vec<String>,
        /// Platform public keys, matched by `PUB_KEY_ID_…`.
        #[serde(default)]
        platform_public_keys: Vec<PublicKeyInput>,
        /// To place Native orders (optional): the merchant API credentials. When replacing,
        /// left out: as it was; `null`: removed.
        #[serde(default)]
        #[schema(value_type = Option<WechatOrderingInput>)]
        ordering: Part<WechatOrderingInput>,
        /// How WeChat Pay pays the merchant out (when creating, left out: each payment its own
        /// credit; when replacing, left out: as it was).
        #[serde(default)]
        settlement: Option<SettlementInput>,
    },
    Alipay {
        app_id: String,
        /// Alipay's public key (PEM or the bare base64 the console shows).
        alipay_public_key: String,
        /// To place precreate orders (optional): the app's private key. When replacing, left
        /// out: as it was; `null`: removed.
        #[serde(default)]
        #[schema(value_type = Option<AlipayOrderingInput>)]
        ordering: Part<AlipayOrderingInput>,
        /// How Alipay pays the merchant out (when creating, left out: each payment its own
        /// credit; when replacing, left out: as it was).
        #[serde(default)]
        settlement: Option<SettlementInput>,
    },
    RuralBank {
        keys: Vec<BankKeyInput>,
        /// The base URL of the bank's statement API (`GET {base}/statements/{account}?date=`),
        /// signed with the first key; without it statements are imported as files. When
        /// replacing, left out: as it was; `null` or empty: removed.
        #[serde(default)]
        #[schema(value_type = Option<String>)]
        statement_api: Part<String>,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BindingView {
    pub id: i64,
    #[schema(value_type = String, example = "rural_bank")]
    pub provider: Provider,
    /// Merchant id, app id, or the masked account number.
    pub account_ref: String,
    pub corporate_account_id: CorporateAccountId,
    /// Where the provider sends its notifications.
    pub callback_path: String,
    /// Certificate serials, public key ids or bank key ids accepted (never the secrets).
    pub key_ids: Vec<String>,
    /// Whether the binding can place QR orders with the gateway (and query them).
    pub ordering: bool,
    pub settlement: Settlement,
    /// The provider's fee in percent of each payment (daily settlement), e.g. `"0.6"`.
    pub fee_percent: String,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct WechatPublic {
    mch_id: String,
    platform_certificates: Vec<String>,
    platform_public_keys: Vec<(String, String)>,
    /// (app id, merchant certificate serial, API base) when the binding can order.
    #[serde(default)]
    ordering: Option<(String, String, String)>,
}

#[derive(Serialize, Deserialize)]
struct AlipayPublic {
    app_id: String,
    alipay_public_key: String,
    /// The gateway URL when the binding can order.
    #[serde(default)]
    ordering: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct BankPublic {
    keys: Vec<(String, String)>,
    #[serde(default)]
    statement_api: Option<String>,
}

/// What is stored: the provider, what it calls the account, the public part as JSON, the secrets
/// as JSON (to be sealed), and the key ids for display.
struct Prepared {
    provider: Provider,
    account_ref: String,
    public: String,
    secrets: BTreeMap<String, String>,
    key_ids: Vec<String>,
    /// The settlement mode and the fee rate in parts per million, when given (a replacement
    /// that leaves them out keeps the binding's).
    settlement: Option<(Settlement, i64)>,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::BindingInvalid, message).at(field)
}

/// The settlement terms a gateway binding was given: the mode, and the fee in parts per million
/// (only daily settlement deducts a fee here).
fn settlement_terms(input: Option<&SettlementInput>) -> AppResult<Option<(Settlement, i64)>> {
    let Some(input) = input else {
        return Ok(None);
    };
    let text = input.fee_percent.as_deref().map(str::trim).unwrap_or("0");
    let bad = || {
        invalid(
            "settlement.fee_percent",
            "手续费率按百分比填写，如 0.6 表示 0.6%：不小于 0、小于 10，最多四位小数。",
        )
    };
    let percent: rust_decimal::Decimal = text.parse().map_err(|_| bad())?;
    let ppm = percent * rust_decimal::Decimal::from(10_000);
    if percent.is_sign_negative() || percent.scale() > 4 || ppm >= rust_decimal::Decimal::from(MAX_FEE_RATE_PPM) {
        return Err(bad());
    }
    let ppm = i64::try_from(ppm.trunc()).map_err(|_| bad())?;
    if input.mode == Settlement::PerPayment && ppm != 0 {
        return Err(invalid(
            "settlement.fee_percent",
            "逐笔入账的渠道不在本系统中扣手续费；按日结算（daily）时才填手续费率。",
        ));
    }
    Ok(Some((input.mode, ppm)))
}

/// A rate in parts per million as the percent people write ("0.6", "0.38", "0").
fn percent_of_ppm(ppm: i64) -> String {
    (rust_decimal::Decimal::from(ppm) / rust_decimal::Decimal::from(10_000))
        .normalize()
        .to_string()
}

fn prepare(input: &BindingInput, account: &CorporateAccount) -> AppResult<Prepared> {
    match input {
        BindingInput::Wechat {
            mch_id,
            api_v3_key,
            platform_certificates,
            platform_public_keys,
            ordering,
            settlement,
        } => {
            let mch_id = mch_id.trim().to_string();
            if mch_id.is_empty() || !mch_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("mch_id", "微信支付商户号应为数字。"));
            }
            if api_v3_key.expose().len() != 32 {
                return Err(invalid("api_v3_key", "APIv3 密钥应为 32 个字符。"));
            }
            let mut key_ids = Vec::new();
            for (i, pem) in platform_certificates.iter().enumerate() {
                let k = PlatformKey::from_certificate_pem(pem).map_err(|e| {
                    invalid(
                        &format!("platform_certificates[{i}]"),
                        format!("第 {} 个平台证书无法读取：{e}", i + 1),
                    )
                })?;
                key_ids.push(k.serial);
            }
            for (i, k) in platform_public_keys.iter().enumerate() {
                let k = PlatformKey::from_public_key_pem(&k.key_id, &k.pem).map_err(|e| {
                    invalid(
                        &format!("platform_public_keys[{i}]"),
                        format!("第 {} 个平台公钥无法读取：{e}", i + 1),
                    )
                })?;
                key_ids.push(k.serial);
            }
            if key_ids.is_empty() {
                return Err(invalid(
                    "platform_certificates",
                    "请至少提供一个微信支付平台证书或平台公钥。",
                ));
            }
            let mut secrets = BTreeMap::from([("api_v3_key".to_string(), api_v3_key.expose().clone())]);
            let ordering = match ordering.given() {
                None => None,
                Some(o) => {
                    let app_id = o.app_id.trim();
                    if app_id.is_empty() || app_id.len() > 32 {
                        return Err(invalid(
                            "ordering.app_id",
                            "请填写商户号绑定的 AppID（1 到 32 个字符）。",
                        ));
                    }
                    let serial = o.merchant_serial_no.trim();
                    if serial.is_empty() || !serial.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(invalid(
                            "ordering.merchant_serial_no",
                            "请填写商户 API 证书序列号（十六进制）。",
                        ));
                    }
                    parse_private_key(o.merchant_private_key.expose())
                        .map_err(|e| invalid("ordering.merchant_private_key", format!("商户 API 私钥无法读取：{e}")))?;
                    let base = gateway_url(
                        o.api_base.as_deref(),
                        wechat_native::PRODUCTION_BASE,
                        "ordering.api_base",
                    )?;
                    secrets.insert("merchant_private_key".into(), o.merchant_private_key.expose().clone());
                    Some((app_id.to_string(), serial.to_uppercase(), base))
                }
            };
            let public = WechatPublic {
                mch_id: mch_id.clone(),
                platform_certificates: platform_certificates.clone(),
                platform_public_keys: platform_public_keys
                    .iter()
                    .map(|k| (k.key_id.trim().to_string(), k.pem.clone()))
                    .collect(),
                ordering,
            };
            Ok(Prepared {
                provider: Provider::Wechat,
                account_ref: mch_id,
                public: json(&public)?,
                secrets,
                key_ids,
                settlement: settlement_terms(settlement.as_ref())?,
            })
        }
        BindingInput::Alipay {
            app_id,
            alipay_public_key,
            ordering,
            settlement,
        } => {
            let app_id = app_id.trim().to_string();
            if app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("app_id", "支付宝应用 AppID 应为数字。"));
            }
            alipay::parse_public_key(alipay_public_key)
                .map_err(|e| invalid("alipay_public_key", format!("支付宝公钥无法读取：{e}")))?;
            let mut secrets = BTreeMap::new();
            let ordering = match ordering.given() {
                None => None,
                Some(o) => {
                    parse_private_key(o.app_private_key.expose())
                        .map_err(|e| invalid("ordering.app_private_key", format!("应用私钥无法读取：{e}")))?;
                    secrets.insert("app_private_key".to_string(), o.app_private_key.expose().clone());
                    Some(gateway_url(
                        o.gateway_url.as_deref(),
                        alipay_precreate::PRODUCTION_GATEWAY,
                        "ordering.gateway_url",
                    )?)
                }
            };
            let public = AlipayPublic {
                app_id: app_id.clone(),
                alipay_public_key: alipay_public_key.clone(),
                ordering,
            };
            Ok(Prepared {
                provider: Provider::Alipay,
                account_ref: app_id,
                public: json(&public)?,
                secrets,
                key_ids: vec![],
                settlement: settlement_terms(settlement.as_ref())?,
            })
        }
        BindingInput::RuralBank { keys, statement_api } => {
            if keys.is_empty() {
                return Err(invalid("keys", "请至少提供一个银行共享密钥。"));
            }
            let statement_api = match statement_api.given().map(|s| s.trim()) {
                None | Some("") => None,
                Some(url) if (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= 200 => {
                    Some(url.trim_end_matches('/').to_string())
                }
                Some(_) => {
                    return Err(invalid(
                        "statement_api",
                        "对账接口地址应以 https:// 开头，最长 200 个字符。",
                    ))
                }
            };
            let mut public = BankPublic {
                keys: vec![],
                statement_api,
            };
            let mut secrets = BTreeMap::new();
            for (i, k) in keys.iter().enumerate() {
                let id = k.key_id.trim().to_string();
                if id.is_empty() || id.len() > 32 || secrets.contains_key(&id) {
                    return Err(invalid(
                        &format!("keys[{i}].key_id"),
                        "密钥编号为 1 到 32 个字符，且不能重复。",
                    ));
                }
                if !matches!(k.algorithm.as_str(), "hmac-sha256" | "hmac-sm3") {
                    return Err(invalid(
                        &format!("keys[{i}].algorithm"),
                        "签名算法只能是 hmac-sha256 或 hmac-sm3。",
                    ));
                }
                if k.secret.expose().len() < 16 {
                    return Err(invalid(&format!("keys[{i}].secret"), "共享密钥至少 16 个字节。"));
                }
                public.keys.push((id.clone(), k.algorithm.clone()));
                secrets.insert(id, k.secret.expose().clone());
            }
            let key_ids = public.keys.iter().map(|(id, _)| id.clone()).collect();
            Ok(Prepared {
                provider: Provider::RuralBank,
                account_ref: account.account_no.clone(),
                public: json(&public)?,
                secrets,
                key_ids,
                // The bank's own credits: each payment is a line of its statement.
                settlement: Some((Settlement::PerPayment, 0)),
            })
        }
    }
}

/// A private key as PEM (PKCS#8 or PKCS#1) or as the bare base64 of PKCS#8/PKCS#1 DER, the
/// forms merchants' consoles hand out.
fn parse_private_key(text: &str) -> Result<RsaPrivateKey, String> {
    use bank_adapters::rsa::pkcs1::DecodeRsaPrivateKey;
    use bank_adapters::rsa::pkcs8::DecodePrivateKey;
    use base64::Engine;
    let t = text.trim();
    if t.starts_with("-----BEGIN RSA PRIVATE KEY") {
        return RsaPrivateKey::from_pkcs1_pem(t).map_err(|e| e.to_string());
    }
    if t.starts_with("-----BEGIN") {
        return RsaPrivateKey::from_pkcs8_pem(t).map_err(|e| e.to_string());
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(t.split_whitespace().collect::<String>())
        .map_err(|_| "not a PEM or base64 private key".to_string())?;
    RsaPrivateKey::from_pkcs8_der(&der)
        .or_else(|_| RsaPrivateKey::from_pkcs1_der(&der))
        .map_err(|e| e.to_string())
}

/// A gateway address: HTTPS, or plain HTTP only on loopback (the sandbox bank).
fn gateway_url(given: Option<&str>, default: &str, field: &str) -> AppResult<String> {
    let url = given.map(str::trim).filter(|u| !u.is_empty()).unwrap_or(default);
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| url.starts_with(p));
    if !(url.starts_with("https://") || loopback) {
        return Err(invalid(
            field,
            format!("{field}：请填写 https:// 开头的地址（只有本机测试可用 http）。"),
        ));
    }
    Ok(url.to_string())
}

fn json<T: Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether a binding was given ordering credentials (read from its public configuration; no
/// secret is opened).
pub fn can_order(b: &Binding) -> bool {
    match b.provider {
        Provider::Wechat => serde_json::from_str::<WechatPublic>(&b.public_config).is_ok_and(|p| p.ordering.is_some()),
        Provider::Alipay => serde_json::from_str::<AlipayPublic>(&b.public_config).is_ok_and(|p| p.ordering.is_some()),
        _ => false,
    }
}

fn view(b: &Binding, key_ids: Vec<String>) -> BindingView {
    BindingView {
        id: b.id,
        provider: b.provider,
        account_ref: if b.provider == Provider::RuralBank {
            masking::account_no(&b.account_ref)
        } else {
            b.account_ref.clone()
        },
        corporate_account_id: b.corporate_account_id,
        callback_path: format!("/callbacks/{}/{}", b.provider, b.id),
        key_ids,
        ordering: can_order(b),
        settlement: b.settlement,
        fee_percent: percent_of_ppm(b.fee_rate_ppm),
        active: b.active,
        updated_at: b.updated_at.and_utc(),
    }
}

fn key_ids_of(b: &Binding) -> Vec<String> {
    match b.provider {
        Provider::Wechat => serde_json::from_str::<WechatPublic>(&b.public_config)
            .map(|p| {
                let mut ids: Vec<String> = p
                    .platform_certificates
                    .iter()
                    .filter_map(|c| PlatformKey::from_certificate_pem(c).ok())
                    .map(|k| k.serial)
                    .collect();
                ids.extend(p.platform_public_keys.into_iter().map(|(id, _)| id));
                ids
            })
            .unwrap_or_default(),
        Provider::RuralBank => serde_json::from_str::<BankPublic>(&b.public_config)
            .map(|p| p.keys.into_iter().map(|(id, _)| id).collect())
            .unwrap_or_default(),
        _ => vec![],
    }
}

fn account_in(
    conn: &mut DbConnection,
    village_id: VillageId,
    account_id: CorporateAccountId,
) -> AppResult<CorporateAccount> {
    CorporateAccount::of_village(conn, village_id)?
        .into_iter()
        .find(|a| a.id == account_id)
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::AccountNotFound,
                format!("本村没有编号为 {account_id} 的对公账户。"),
            )
        })
}

pub fn create_binding(
    db: &Db,
    sealing: &SealingKeys,
    actor: &Actor,
    village_code: &str,
    account_id: CorporateAccountId,
    input: BindingInput,
) -> AppResult<BindingView> {
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageRegistry)?;
        let account = account_in(conn, village.id, account_id)?;
        let p = prepare(&input, &account)?;
        let terms = p.settlement.unwrap_or((Settlement::PerPayment, 0));
        let sealed = sealing
            .seal(json(&p.secrets)?.as_bytes())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let now = period::now().naive_utc();
        let b = Binding::insert(
            conn,
            &NewBinding {
                village_id: village.id,
                corporate_account_id: account.id,
                provider: p.provider,
                account_ref: &p.account_ref,
                public_config: &p.public,
                sealed_secrets: &sealed,
                active: true,
                created_at: now,
                updated_at: now,
                settlement: terms.0,
                fee_rate_ppm: terms.1,
            },
        )
        .map_err(AppError::from)
        .map_err(super::on_unique(
            ErrorCode::BindingExists,
            format!("{}已为 {} 绑定过，请替换原绑定。", p.provider.label(), p.account_ref),
            "provider",
        ))?;
        audit(
            conn,
            Some(actor),
            "binding.create",
            "binding",
            b.id,
            Some(village.id),
            serde_json::json!({ "provider": b.provider, "key_ids": p.key_ids,
                                "settlement": terms.0, "fee_rate_ppm": terms.1 }),
        )?;
        Ok(view(&b, p.key_ids))
    })
}

/// Replaces a binding's keys (rotation); the provider and account stay.
pub fn replace_binding(
    db: &Db,
    sealing: &SealingKeys,
    actor: &Actor,
    village_code: &str,
    binding_id: i64,
    input: BindingInput,
) -> AppResult<BindingView> {
    db.write(|conn| {
        let village = village_to_change(conn, actor, village_code, Action::ManageRegistry)?;
        let b = Binding::by_id(conn, binding_id)?
            .filter(|b| b.village_id == village.id)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::BindingNotFound,
                    format!("本村没有编号为 {binding_id} 的支付渠道绑定。"),
                )
            })?;
        let account = account_in(conn, village.id, b.corporate_account_id)?;
        let p = prepare(&input, &account)?;
        if p.provider != b.provider || p.account_ref != b.account_ref {
            return Err(AppError::code(ErrorCode::BindingMismatch).at("provider"));
        }
        let p = keep_what_is_not_replaced(p, &input, &b, sealing)?;
        let terms = p.settlement.unwrap_or((b.settlement, b.fee_rate_ppm));
        // Payments waiting for a daily settlement must be settled by it before the provider's
        // money comes another way.
        if b.settlement == Settlement::Daily && terms.0 != Settlement::Daily {
            let waiting = ClearingItem::open_of_binding(conn, b.id)?;
            if waiting > 0 {
                return Err(invalid(
                    "settlement.mode",
                    format!("该渠道尚有 {waiting} 笔收款等待支付机构结算，结清后才能改为逐笔入账。"),
                ));
            }
        }
        let sealed = sealing
            .seal(json(&p.secrets)?.as_bytes())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let now = period::now().naive_utc();
        Binding::replace_config(conn, b.id, &p.public, &sealed, terms, now)?;
        audit(
            conn,
            Some(actor),
            "binding.replace",
            "binding",
            b.id,
            Some(village.id),
            serde_json::json!({ "key_ids": p.key_ids, "settlement": terms.0, "fee_rate_ppm": terms.1 }),
        )?;
        let updated = Binding::by_id(conn, b.id)?.ok_or_else(|| AppError::Internal("binding vanished".into()))?;
        Ok(view(&updated, p.key_ids))
    })
}

pub fn list_bindings(db: &Db, actor: &Actor, village_code: &str) -> AppResult<Vec<BindingView>> {
    db.read(|conn| {
        let village = village_for(conn, actor, village_code, Action::Read)?;
        Ok(Binding::of_village(conn, village.id)?
            .iter()
            .map(|b| view(b, key_ids_of(b)))
            .collect())
    })
}

/// A replacement of a binding's keys keeps what it does not name: the ordering credentials
/// (WeChat's merchant key, Alipay's app key), which only the API takes, and the rural bank's
/// statement API. Without this a rotation of the notification keys would silently stop
/// orders or the statement fetch.
fn keep_what_is_not_replaced(
    mut p: Prepared,
    input: &BindingInput,
    b: &Binding,
    sealing: &SealingKeys,
) -> AppResult<Prepared> {
    match input {
        BindingInput::Wechat {
            ordering: Part::Kept, ..
        } => {
            let old: WechatPublic = serde_json::from_str(&b.public_config).map_err(|_| broken(b, "config"))?;
            if let Some(kept) = old.ordering {
                let key = open_secrets(b, sealing)?
                    .remove("merchant_private_key")
                    .ok_or_else(|| broken(b, "secret"))?;
                let mut new: WechatPublic = serde_json::from_str(&p.public).map_err(|_| broken(b, "config"))?;
                new.ordering = Some(kept);
                p.public = json(&new)?;
                p.secrets.insert("merchant_private_key".into(), key);
            }
        }
        BindingInput::Alipay {
            ordering: Part::Kept, ..
        } => {
            let old: AlipayPublic = serde_json::from_str(&b.public_config).map_err(|_| broken(b, "config"))?;
            if let Some(kept) = old.ordering {
                let key = open_secrets(b, sealing)?
                    .remove("app_private_key")
                    .ok_or_else(|| broken(b, "secret"))?;
                let mut new: AlipayPublic = serde_json::from_str(&p.public).map_err(|_| broken(b, "config"))?;
                new.ordering = Some(kept);
                p.public = json(&new)?;
                p.secrets.insert("app_private_key".into(), key);
            }
        }
        BindingInput::RuralBank {
            statement_api: Part::Kept,
            ..
        } => {
            let old: BankPublic = serde_json::from_str(&b.public_config).map_err(|_| broken(b, "config"))?;
            if old.statement_api.is_some() {
                let mut new: BankPublic = serde_json::from_str(&p.public).map_err(|_| broken(b, "config"))?;
                new.statement_api = old.statement_api;
                p.public = json(&new)?;
            }
        }
        _ => {}
    }
    Ok(p)
}

fn broken(b: &Binding, what: &str) -> AppError {
    AppError::Internal(format!("binding {} has a broken {what}", b.id))
}

fn open_secrets(b: &Binding, sealing: &SealingKeys) -> AppResult<BTreeMap<String, String>> {
    let opened = sealing
        .open(&b.sealed_secrets)
        .map_err(|e| AppError::Internal(format!("binding {}: {e}", b.id)))?;
    serde_json::from_slice(opened.expose()).map_err(|_| broken(b, "secret"))
}

fn platform_keys(b: &Binding, p: &WechatPublic) -> AppResult<Vec<PlatformKey>> {
    let mut keys = Vec::new();
    for c in &p.platform_certificates {
        keys.push(PlatformKey::from_certificate_pem(c).map_err(|_| broken(b, "certificate"))?);
    }
    for (id, pem) in &p.platform_public_keys {
        keys.push(PlatformKey::from_public_key_pem(id, pem).map_err(|_| broken(b, "public key"))?);
    }
    Ok(keys)
}

/// The gateway a binding can order through, if it was given ordering credentials.
pub fn gateway_for(b: &Binding, sealing: &SealingKeys) -> AppResult<Option<Gateway>> {
    let private_key = |secrets: &BTreeMap<String, String>, name: &str| -> AppResult<RsaPrivateKey> {
        let text = secrets.get(name).ok_or_else(|| broken(b, name))?;
        parse_private_key(text).map_err(|_| broken(b, name))
    };
    match b.provider {
        Provider::Wechat => {
            let p: WechatPublic = serde_json::from_str(&b.public_config).map_err(|_| broken(b, "configuration"))?;
            let Some((app_id, serial_no, api_base)) = p.ordering.clone() else {
                return Ok(None);
            };
            let secrets = open_secrets(b, sealing)?;
            Ok(Some(Gateway::Wechat(wechat_native::Merchant {
                mch_id: p.mch_id.clone(),
                app_id,
                serial_no,
                private_key: private_key(&secrets, "merchant_private_key")?,
                platform_keys: platform_keys(b, &p)?,
                api_base,
            })))
        }
        Provider::Alipay => {
            let p: AlipayPublic = serde_json::from_str(&b.public_config).map_err(|_| broken(b, "configuration"))?;
            let Some(gateway_url) = p.ordering else {
                return Ok(None);
            };
            let secrets = open_secrets(b, sealing)?;
            Ok(Some(Gateway::Alipay(alipay_precreate::App {
                app_id: p.app_id,
                private_key: private_key(&secrets, "app_private_key")?,
                alipay_public_key: alipay::parse_public_key(&p.alipay_public_key)
                    .map_err(|_| broken(b, "public key"))?,
                gateway_url,
            })))
        }
        _ => Ok(None),
    }
}

/// Where a bank binding's statement API is, and the key that signs requests to it (the first
/// listed); None when the binding has no statement API.
pub fn statement_api(b: &Binding, sealing: &SealingKeys) -> AppResult<Option<(String, BankKey)>> {
    if b.provider != Provider::RuralBank {
        return Ok(None);
    }
    let p: BankPublic = serde_json::from_str(&b.public_config).map_err(|_| broken(b, "configuration"))?;
    let (Some(base), Some((id, alg))) = (p.statement_api, p.keys.first()) else {
        return Ok(None);
    };
    let secrets = open_secrets(b, sealing)?;
    let secret = secrets.get(id).ok_or_else(|| broken(b, "bank key"))?;
    let algorithm = if alg == "hmac-sm3" {
        Algorithm::HmacSm3
    } else {
        Algorithm::HmacSha256
    };
    Ok(Some((
        base,
        BankKey {
            key_id: id.clone(),
            algorithm,
            secret: Secret::new(secret.as_bytes().to_vec()),
        },
    )))
}

/// The adapter a binding describes, with its secrets opened.
pub fn adapter_for(b: &Binding, sealing: &SealingKeys) -> AppResult<Box<dyn Adapter>> {
    let broken = |what: &str| broken(b, what);
    let secrets = open_secrets(b, sealing)?;
    Ok(match b.provider {
        Provider::Wechat => {
            let p: WechatPublic = serde_json::from_str(&b.public_config).map_err(|_| broken("configuration"))?;
            let keys = platform_keys(b, &p)?;
            let key = secrets.get("api_v3_key").ok_or_else(|| broken("APIv3 key"))?;
            Box::new(Wechat {
                config: WechatConfig {
                    mch_id: p.mch_id,
                    api_v3_key: Secret::new(key.as_bytes().to_vec()),
                    platform_keys: keys,
                },
            })
        }
        Provider::Alipay => {
            let p: AlipayPublic = serde_json::from_str(&b.public_config).map_err(|_| broken("configuration"))?;
            let key = alipay::parse_public_key(&p.alipay_public_key).map_err(|_| broken("public key"))?;
            Box::new(alipay::Alipay {
                config: alipay::AlipayConfig {
                    app_id: p.app_id,
                    alipay_public_key: key,
                },
            })
        }
        Provider::RuralBank => {
            let p: BankPublic = serde_json::from_str(&b.public_config).map_err(|_| broken("configuration"))?;
            let mut keys = Vec::new();
            for (id, alg) in p.keys {
                let algorithm = if alg == "hmac-sm3" {
                    Algorithm::HmacSm3
                } else {
                    Algorithm::HmacSha256
                };
                let secret = secrets.get(&id).ok_or_else(|| broken("bank key"))?;
                keys.push(BankKey {
                    key_id: id,
                    algorithm,
                    secret: Secret::new(secret.as_bytes().to_vec()),
                });
            }
            Box::new(RuralBank { keys })
        }
    })
}

/// Replaces a binding's configuration with `after` if it still holds exactly what `before`
/// would store (nobody changed it since), as the system: the demo following its sandbox bank
/// to a new address. Returns whether it did; a binding someone changed is left as it is.
pub fn replace_if_unchanged(
    db: &Db,
    sealing: &SealingKeys,
    binding_id: i64,
    before: &BindingInput,
    after: BindingInput,
) -> AppResult<bool> {
    db.write(|conn| {
        let Some(b) = Binding::by_id(conn, binding_id)? else {
            return Ok(false);
        };
        lock_village(conn, b.village_id)?;
        let account = CorporateAccount::by_id(conn, b.corporate_account_id)?;
        if prepare(before, &account)?.public != b.public_config {
            return Ok(false);
        }
        let p = prepare(&after, &account)?;
        let sealed = sealing
            .seal(json(&p.secrets)?.as_bytes())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // The sandbox's new keys; the settlement terms stay as the admin set them.
        let terms = (b.settlement, b.fee_rate_ppm);
        Binding::replace_config(conn, b.id, &p.public, &sealed, terms, period::now().naive_utc())?;
        audit(
            conn,
            None,
            "binding.follow_sandbox",
            "binding",
            b.id,
            Some(b.village_id),
            serde_json::json!({ "key_ids": p.key_ids }),
        )?;
        Ok(true)
    })
}
