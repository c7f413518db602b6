//! Errors, layer by layer.
//!
//! - `domain` and `ledger` return their own small error enums (`MoneyError`, `EntryError`, …):
//!   pure values that say which rule failed.
//! - `store` returns [`crate::store::StoreError`]: diesel's error classified (unique
//!   violation, immutable journal, database unavailable, retry).
//! - use cases return [`AppError`], defined here: a refusal with an [`ErrorCode`] and a message
//!   in Chinese that says what was wrong and what to do (with the field at fault), or one of
//!   three kinds of our own trouble (unavailable, a conflict to retry, a bug).
//! - `web::error` is the one place an `AppError` becomes an answer: JSON for the API, the
//!   provider's own format for callbacks, a Chinese page for people. Anything a client sent is
//!   a 4xx; a 500 is a bug, logged with its incident number and never shown as its text.
//!
//! Code branches on [`ErrorCode`] variants, never on their names: the names are for clients.

use crate::domain::access::Denied;
use crate::ledger::EntryError;
use crate::payments::qr::TokenError;
use crate::store::db::Retryable;
use crate::store::StoreError;

/// One table: variant, stable snake_case name for clients, HTTP status, and what a person is
/// told (Chinese) when the use case has nothing more specific to say.
macro_rules! error_codes {
    ($($(#[$m:meta])* $variant:ident => $name:literal, $status:literal, $zh:literal;)+) => {
        /// Why a request was refused, as clients and pages see it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$m])* $variant,)+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The stable name clients branch on, e.g. `bill_not_found`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)+ }
            }

            /// The HTTP status of every refusal with this code.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }

            /// What a person is told, in Chinese, when nothing more specific was said.
            pub fn zh(self) -> &'static str {
                match self { $(ErrorCode::$variant => $zh,)+ }
            }
        }
    };
}

error_codes! {
    // ---- requests that do not parse (400) ----
    InvalidJson => "invalid_json", 400, "请求内容不是有效的 JSON，或缺少必填字段。";
    InvalidPath => "invalid_path", 400, "网址中的参数有误。";
    InvalidQuery => "invalid_query", 400, "查询参数有误。";
    InvalidForm => "invalid_form", 400, "表单内容有误，请返回重新填写。";
    // ---- who is asking (401, 403, 429) ----
    Unauthenticated => "unauthenticated", 401, "请先登录；登录已过期时请重新登录。";
    WrongPassword => "wrong_password", 401, "用户名或密码错误。";
    Forbidden => "forbidden", 403, "您的岗位不能做这项操作，请联系有权限的人员办理。";
    CsrfFailed => "csrf_failed", 403, "表单缺少安全校验或已过期，操作没有执行。请刷新页面后重试。";
    TooManyRequests => "too_many_requests", 429, "操作太频繁，请稍后再试。";
    // ---- not found (404, 410) ----
    RouteNotFound => "route_not_found", 404, "没有这个网址或接口；接口说明见 /api/openapi.json。";
    NotFound => "not_found", 404, "找不到要找的记录，或它不在您的管辖范围内。";
    CountyNotFound => "county_not_found", 404, "找不到这个县。";
    TownshipNotFound => "township_not_found", 404, "找不到这个乡镇，或它不在您的管辖范围内。";
    VillageNotFound => "village_not_found", 404, "找不到这个村，或它不在您的管辖范围内。";
    InspectionScopeNotFound => "inspection_scope_not_found", 404, "找不到这个县、乡镇或村，或它不在您的管辖范围内。";
    FindingNotFound => "finding_not_found", 404, "找不到这条发现，或它不在您的管辖范围内。";
    AccountNotFound => "account_not_found", 404, "本村没有这个对公账户。";
    BillNotFound => "bill_not_found", 404, "本村没有这张账单，请核对账单号。";
    EntryNotFound => "entry_not_found", 404, "本村没有这张凭证。";
    ReceiptNotFound => "receipt_not_found", 404, "查无此收据：请核对收据号和校验码。";
    BankTransactionNotFound => "bank_transaction_not_found", 404, "本村没有这笔银行入账。";
    DisbursementNotFound => "disbursement_not_found", 404, "本村没有这笔支出申请。";
    PayInNotFound => "pay_in_not_found", 404, "本村没有这笔代交。";
    BindingNotFound => "binding_not_found", 404, "本村没有这个支付渠道绑定。";
    OrderNotFound => "order_not_found", 404, "找不到这个订单。";
    ExportNotFound => "export_not_found", 404, "没有这种导出文件；可导出 receipts 或 cash-book 的 xlsx、csv。";
    PayCodeInvalid => "pay_code_invalid", 404, "这个收款码无效或被改动过，请不要付款，并联系村报账员。";
    PayCodeExpired => "pay_code_expired", 410, "这个收款码已过期，请向村里索取新的收款码。";
    // ---- the request breaks a rule (422) ----
    FieldRequired => "field_required", 422, "有必填项没有填写。";
    FieldTooLong => "field_too_long", 422, "填写的内容太长。";
    FieldInvalid => "field_invalid", 422, "填写的内容有误。";
    DateInvalid => "date_invalid", 422, "日期有误，请按 2026-03-05 的格式填写。";
    PeriodInvalid => "period_invalid", 422, "月份有误，请按 2026-03 的格式填写。";
    RulesInvalid => "rules_invalid", 422, "规则代码有误，请从检查规则目录中选择（如 CASH_LATE）。";
    HistoryInvalid => "history_invalid", 422, "历史文件有误，整份文件没有导入；请按提示改正那一行后重新导入。";
    FindingNoteMissing => "finding_note_missing", 422, "请写明处理意见（说明、认定或排除的理由）。";
    YearInvalid => "year_invalid", 422, "年度有误，请填写四位数字。";
    AmountInvalid => "amount_invalid", 422, "金额有误：请填写大于零的金额，最多两位小数。";
    AmountExceedsBill => "amount_exceeds_bill", 422, "金额超过账单尚欠的金额。";
    AdminCodeInvalid => "admin_code_invalid", 422, "行政区划代码有误，应为 12 位数字。";
    AdminCodeNotWithin => "admin_code_not_within", 422, "代码不在上级行政区划之内。";
    AccountInvalid => "account_invalid", 422, "请选择本村的对公账户。";
    AccountNoInvalid => "account_no_invalid", 422, "银行账号有误。";
    PhoneInvalid => "phone_invalid", 422, "手机号有误，应为 11 位数字。";
    CodeInvalid => "code_invalid", 422, "编码有误。";
    AreaInvalid => "area_invalid", 422, "面积有误。";
    PayerNotFound => "payer_not_found", 422, "本村没有这个缴款人。";
    FeeItemNotFound => "fee_item_not_found", 422, "本村没有这个收费项目。";
    FeeItemAccountInvalid => "fee_item_account_invalid", 422, "收费项目只能记入收入类科目。";
    ContractDatesInvalid => "contract_dates_invalid", 422, "合同的结束日期不能早于开始日期。";
    ContractPricingInvalid => "contract_pricing_invalid", 422, "合同金额请填写“面积和单价”或“固定金额”其中一种。";
    BillReferenceInvalid => "bill_reference_invalid", 422, "账单号有误：应为 13 位数字，最后一位是校验位。";
    ReceiptNumberInvalid => "receipt_number_invalid", 422, "收据号有误，应形如 370725102201-2026-000042。";
    ChannelInvalid => "channel_invalid", 422, "付款方式有误：可选微信、支付宝或银行转账。";
    ProviderInvalid => "provider_invalid", 422, "支付渠道有误：可选微信支付或支付宝。";
    NoBill => "no_bill", 422, "这个收款码没有对应的账单，请用银行转账并在附言中写明账单号。";
    CashRecordUnavailable => "cash_record_unavailable", 422, "所选现金记录不在您的库存现金中（已交存、已作废或不是您收的）。";
    PayinExceedsCashOnHand => "payin_exceeds_cash_on_hand", 422, "代交金额超过您的库存现金。";
    PayinDoesNotMatchReceipts => "payin_does_not_match_receipts", 422, "代交金额与所选现金收据的合计不符，请逐笔选择收据。";
    MatchAmountDiffers => "match_amount_differs", 422, "这笔银行入账的金额或账户与代交不符。";
    PeriodNotEnded => "period_not_ended", 422, "这个月还没有结束，下月1日起才能结账。";
    EntryAccountUnknown => "entry_account_unknown", 422, "本村没有这个会计科目。";
    EntryTooFewLines => "entry_too_few_lines", 422, "一张凭证至少要有两行。";
    EntryLineAmountInvalid => "entry_line_amount_invalid", 422, "每一行只能在借方或贷方其中一边填写正数金额。";
    EntryUnbalanced => "entry_unbalanced", 422, "借方合计与贷方合计不相等。";
    EntryCrossVillage => "entry_cross_village", 422, "科目不属于本村。";
    EntryAccountInactive => "entry_account_inactive", 422, "这个科目已停用。";
    EntryAccountNotPostable => "entry_account_not_postable", 422, "这个科目下设明细科目，请记到明细科目。";
    EntryAccountWrongChart => "entry_account_wrong_chart", 422, "科目不属于凭证日期适用的会计制度。";
    EntryNoChart => "entry_no_chart", 422, "这个日期没有适用的会计科目表（本系统自2024年起使用新制度科目）。";
    EntryMemoInvalid => "entry_memo_invalid", 422, "摘要必须填写，最多 200 字。";
    EntryCashReserved => "entry_cash_reserved", 422, "库存现金（101）只随现金收款、代交到账和作废收据变动，不能手工记账。";
    EntrySuspenseReserved => "entry_suspense_reserved", 422, "待查明款项（211.9999）只随银行入账、认领、代交到账、退款和查明转出变动，不能手工记账：请在“待查明款项”页办理，每一笔都写明是哪笔入账。";
    EntryClearingShort => "entry_clearing_short", 422, "待结算科目里是等待支付机构结算的收款：手工凭证只能转出结算少到账留下的差额，不能转走尚未结算的收款。";
    SuspenseShort => "suspense_short", 409, "待查明款项（211.9999）的余额不够：早先的手工凭证从中转出了钱，请乡镇会计冲销那张手工凭证后再办理。";
    SuspenseTransferAccountInvalid => "suspense_transfer_account_invalid", 422, "待查明款项只能转入它真正所属的收入、应付或往来科目，不能转入现金、银行存款、待查明款项或待结算科目。";
    UsernameInvalid => "username_invalid", 422, "用户名为 3 到 32 位小写字母、数字、点、横线或下划线。";
    PasswordTooShort => "password_too_short", 422, "密码至少 10 位。";
    ScopeInvalid => "scope_invalid", 422, "管辖范围有误：村报账员只能管辖一个村。";
    ScopeNotFound => "scope_not_found", 422, "找不到这个管辖范围。";
    ScopeNotAllowed => "scope_not_allowed", 422, "只能在自己的管辖范围内添加用户。";
    BindingInvalid => "binding_invalid", 422, "支付渠道的配置有误。";
    DisbursementAccountInvalid => "disbursement_account_invalid", 422, "支出只能记入本村可用的费用、应付款或资产科目，不能记入现金、银行存款或待查明科目。";
    StatementApiMissing => "statement_api_missing", 409, "这个账户的银行绑定没有配置对账接口，请导入网银下载的对账单文件。";
    StatementInvalid => "statement_invalid", 422, "对账单文件有误，没有导入任何一行；请按提示修改后重新导入。";
    StatementOtherAccount => "statement_other_account", 422, "这份对账单不是所选对公账户的，没有导入。";
    BindingMismatch => "binding_mismatch", 422, "更换密钥时不能改变支付渠道和商户号、应用号或账号。";
    // ---- the request conflicts with the current state (409) ----
    AlreadyExists => "already_exists", 409, "这条记录已经存在。";
    TownshipCodeTaken => "township_code_taken", 409, "这个乡镇代码已经登记过。";
    VillageCodeTaken => "village_code_taken", 409, "这个村代码已经登记过。";
    AccountNoTaken => "account_no_taken", 409, "这个银行账号已经登记过。";
    FeeItemCodeTaken => "fee_item_code_taken", 409, "这个收费项目编码已经存在。";
    ContractNoTaken => "contract_no_taken", 409, "这个合同编号已经存在。";
    UsernameTaken => "username_taken", 409, "这个用户名已被使用。";
    BindingExists => "binding_exists", 409, "这个账户已经绑定了该支付渠道；更换密钥请用替换。";
    BillNotOpen => "bill_not_open", 409, "这张账单已经缴清或已作废，不能再收款。";
    NoCorporateAccount => "no_corporate_account", 409, "本村还没有可用的对公账户。";
    ChannelUnavailable => "channel_unavailable", 409, "这个账户暂未开通该付款方式，请选择其他方式。";
    ReceiptAlreadyVoided => "receipt_already_voided", 409, "这张收据已作废，不能再次作废。";
    ReceiptMoneyReceived => "receipt_money_received", 409, "款项已经到账，收据不能只作废；请作废并重开。";
    CashAlreadyPaidIn => "cash_already_paid_in", 409, "这笔现金已交存银行，不能直接作废；请作废并重开收据。";
    CashChanged => "cash_changed", 409, "现金记录刚被改动，请刷新后重试。";
    DisbursementDecided => "disbursement_decided", 409, "这笔支出申请已经审批过，不能再次审批。";
    SelfApproval => "self_approval", 409, "不能审批自己提出的支出申请，请由另一位有审批权的人员办理。";
    FindingStep => "finding_step", 409, "这条发现当前的状态不能这样处理：待处理的先受理，受理后再说明、认定或排除。";
    PayInAlreadyMatched => "pay_in_already_matched", 409, "这笔代交已经匹配到账。";
    BankTransactionNotAvailable => "bank_transaction_not_available", 409, "这笔银行入账已经匹配过，或不是待查明的入账。";
    EntryAlreadyReversed => "entry_already_reversed", 409, "这张凭证已经冲销过。";
    EntryIsReversal => "entry_is_reversal", 409, "冲销凭证不能再冲销，请另做一张新凭证。";
    EntryBacksMoney => "entry_backs_money", 409, "收款生成的凭证不能直接冲销，请作废并重开对应的收据。";
    JournalImmutable => "journal_immutable", 409, "已记账的凭证不能修改或删除，请做冲销凭证。";
    PeriodClosed => "period_closed", 409, "这个月已经结账，不能再记入；请记在未结账的月份并在摘要中写明原日期。";
    PeriodAlreadyClosed => "period_already_closed", 409, "这个月已经结过账。";
    ConcurrentChange => "concurrent_change", 409, "数据刚被其他人改动，操作没有执行，请重试。";
    // ---- our own trouble (500, 503) ----
    BankStatementFailed => "bank_statement_failed", 502, "银行对账接口暂时没有给出可验证的应答，没有导入任何交易；稍后再试。";
    ServiceUnavailable => "service_unavailable", 503, "系统暂时无法使用，请稍后再试。";
    Internal => "internal_error", 500, "系统出错，请稍后再试。";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// The request was refused: the client can fix it, or must know. The status comes from
    /// the code; the message is for people (Chinese) and says what to do.
    #[error("{message}")]
    Refused {
        code: ErrorCode,
        message: String,
        field: Option<String>,
    },
    /// The database is unreachable or busy; nothing was done (503).
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A transient conflict between concurrent transactions: `Db::write` runs the transaction
    /// again; if it still conflicts, the client is told to retry (409, 503 for a provider).
    #[error("retry: {0}")]
    Retry(String),
    /// A bug (500): logged with an incident number, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A refusal with the code's own message.
    pub fn code(code: ErrorCode) -> AppError {
        AppError::new(code, code.zh())
    }

    /// A refusal with a message for people that says what was wrong and what to do.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError::Refused {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The same refusal, naming the request field at fault (`lines[1].account_code`).
    pub fn at(self, field: impl Into<String>) -> AppError {
        match self {
            AppError::Refused { code, message, .. } => AppError::Refused {
                code,
                message,
                field: Some(field.into()),
            },
            other => other,
        }
    }

    /// The code this error answers with.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            AppError::Refused { code, .. } => *code,
            AppError::Unavailable(_) => ErrorCode::ServiceUnavailable,
            AppError::Retry(_) => ErrorCode::ConcurrentChange,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Whether this is a refusal with `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        matches!(self, AppError::Refused { code: c, .. } if *c == code)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::NotFound => AppError::code(ErrorCode::NotFound),
            StoreError::Unique(_) => AppError::code(ErrorCode::AlreadyExists),
            StoreError::Immutable(_) => AppError::code(ErrorCode::JournalImmutable),
            StoreError::Retry(m) => AppError::Retry(m),
            StoreError::InvalidText(_) => AppError::new(
                ErrorCode::FieldInvalid,
                "填写的内容含有不能保存的控制字符（如 NUL），请删去后重试。",
            ),
            StoreError::ForeignKey(m) | StoreError::Migration(m) | StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<EntryError> for AppError {
    fn from(e: EntryError) -> Self {
        let code = match &e {
            EntryError::TooFewLines(_) => ErrorCode::EntryTooFewLines,
            EntryError::BadLineAmount { .. } => ErrorCode::EntryLineAmountInvalid,
            EntryError::Unbalanced { .. } => ErrorCode::EntryUnbalanced,
            EntryError::CrossVillage { .. } => ErrorCode::EntryCrossVillage,
            EntryError::InactiveAccount { .. } => ErrorCode::EntryAccountInactive,
            EntryError::NotPostable { .. } => ErrorCode::EntryAccountNotPostable,
            EntryError::WrongChart { .. } => ErrorCode::EntryAccountWrongChart,
            EntryError::NoChart(_) => ErrorCode::EntryNoChart,
            EntryError::PeriodClosed(_) => ErrorCode::PeriodClosed,
            EntryError::BadMemo => ErrorCode::EntryMemoInvalid,
        };
        let refused = AppError::new(code, e.to_string());
        match e.field() {
            Some(f) => refused.at(f),
            None => refused,
        }
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Forged => AppError::code(ErrorCode::PayCodeInvalid),
            TokenError::Expired => AppError::code(ErrorCode::PayCodeExpired),
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::OutOfScope => AppError::code(ErrorCode::NotFound),
            Denied::Role { role, action } => AppError::new(
                ErrorCode::Forbidden,
                format!(
                    "{}不能{}；这项操作由{}办理，请与他们联系。",
                    role.label(),
                    action.label(),
                    action.done_by()
                ),
            ),
        }
    }
}

impl Retryable for AppError {
    fn is_retryable(&self) -> bool {
        matches!(self, AppError::Retry(_))
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_has_one_name_one_status_and_a_chinese_message() {
        let mut names = HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(names.insert(name), "{name} twice");
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{name}");
            let status = code.status();
            assert!((400..600).contains(&status), "{name}: {status}");
            // 5xx: our own trouble, or (502) the bank's statement API failing us.
            assert_eq!(
                status >= 500,
                matches!(
                    code,
                    ErrorCode::ServiceUnavailable | ErrorCode::Internal | ErrorCode::BankStatementFailed
                ),
                "only our own or an upstream's trouble is a 5xx: {name}"
            );
            let zh = code.zh();
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{name}: {zh}"
            );
            assert!(zh.ends_with('。'), "{name}: a full sentence");
        }
    }

    /// Every code is answered somewhere (outside its own line of the table): a code nothing
    /// produces is dead weight in the API description and misleads clients (lemmy's rule).
    #[test]
    fn every_code_is_used_outside_this_file() {
        let mut sources = String::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // This file: only what follows the table (the conversions below it).
                    let text = match path.ends_with("src/error.rs") {
                        true => text.split("pub enum AppError").nth(1).unwrap_or_default().to_string(),
                        false => text,
                    };
                    sources.push_str(&text);
                }
            }
        }
        let unused: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| format!("ErrorCode::{c:?}"))
            .filter(|c| !sources.contains(c.as_str()))
            .collect();
        assert!(unused.is_empty(), "never used: {unused:?}");
    }
}
