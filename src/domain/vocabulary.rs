//! The project's vocabulary: every status, channel, outcome and kind as a type, each with its
//! stored name and its Chinese label in one table.
//!
//! The stored name is what the database keeps (TEXT, listed in the migrations' CHECK
//! constraints), what JSON carries and what the code never spells elsewhere: code branches on
//! variants. The label is what a person reads on a page, a receipt or an export. Each enum
//! declares its SQL type here; `store::types` maps it for both databases.

/// One enum of the vocabulary: `Variant => "stored_name", "中文";`, with its doc comments.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        /// The OpenAPI schema lists the stored names JSON carries (a derive would list the
        /// variants' Rust names), each with its label in the description.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let labels: Vec<String> =
                    $name::ALL.iter().map(|v| format!("`{}` {}", v.as_str(), v.label())).collect();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::ALL.iter().map(|v| v.as_str())))
                    .description(Some(labels.join("; ")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            /// Every variant, in the table's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and JSON) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// From the stored name; None for anything else.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// What a person reads.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// From the stored name, with the names it accepts in the error (command-line options).
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                $name::parse(s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("'{s}' is not one of: {}", names.join(", "))
                })
            }
        }
    };
}

vocabulary! {
    /// Where a bill stands. `paid` means paid in full; a cancelled bill owes nothing.
    BillStatus {
        Open => "open", "未缴";
        PartPaid => "part_paid", "部分缴纳";
        Paid => "paid", "已缴清";
        Cancelled => "cancelled", "已作废";
    }
}

impl BillStatus {
    /// A bill that still takes money.
    pub fn takes_payment(self) -> bool {
        matches!(self, BillStatus::Open | BillStatus::PartPaid)
    }

    /// The status that follows from what is paid of the amount (never `cancelled`).
    pub fn from_paid(paid: super::Money, amount: super::Money) -> BillStatus {
        if paid <= super::Money::ZERO {
            BillStatus::Open
        } else if paid >= amount {
            BillStatus::Paid
        } else {
            BillStatus::PartPaid
        }
    }
}

vocabulary! {
    /// A receipt: valid, waiting for the bank's confirmation of a claimed payment, or voided
    /// (its number kept).
    ReceiptStatus {
        Issued => "issued", "有效";
        Pending => "pending", "待核实";
        Voided => "voided", "已作废";
    }
}

impl ReceiptStatus {
    /// The stamp printed across a receipt that is not simply valid.
    pub fn stamp(self) -> Option<&'static str> {
        match self {
            ReceiptStatus::Issued => None,
            ReceiptStatus::Pending => Some("待核实"),
            ReceiptStatus::Voided => Some("作废"),
        }
    }
}

vocabulary! {
    /// How money came in, as a receipt prints it.
    Channel {
        Wechat => "wechat", "微信";
        Alipay => "alipay", "支付宝";
        Bank => "bank", "银行转账";
        Cash => "cash", "现金";
    }
}

impl Channel {
    /// The channel of a provider's credit.
    pub fn of(provider: bank_adapters::Provider) -> Channel {
        match provider {
            bank_adapters::Provider::Wechat => Channel::Wechat,
            bank_adapters::Provider::Alipay => Channel::Alipay,
            bank_adapters::Provider::RuralBank => Channel::Bank,
        }
    }
}

vocabulary! {
    /// What became of a request in the callback inbox.
    InboxStatus {
        Received => "received", "已接收";
        Applied => "applied", "已入账";
        Duplicate => "duplicate", "重复通知";
        Ignored => "ignored", "非收款通知";
        Rejected => "rejected", "已拒收";
    }
}

vocabulary! {
    /// Where an inbox row came from.
    InboxSource {
        /// The provider's notification.
        Callback => "callback", "回调通知";
        /// The gateway's signed answer to our query of an order.
        OrderQuery => "order_query", "订单查询";
    }
}

vocabulary! {
    /// How a credit was placed against the bill it named.
    Outcome {
        /// The bill is now paid in full.
        Paid => "paid", "已缴清";
        /// Less than the bill's outstanding amount: the bill stays open for the rest.
        PartPaid => "part_paid", "部分缴纳";
        /// More than the bill's outstanding amount: the excess waits in suspense.
        Overpaid => "overpaid", "超付转待查明";
        /// No open bill to pay: everything waits in suspense for the accountant.
        Suspense => "suspense", "待查明";
    }
}

vocabulary! {
    /// Cash a clerk took: still in hand, paid in to the bank, or voided with its receipt.
    CashStatus {
        OnHand => "on_hand", "库存";
        PaidIn => "paid_in", "已交存";
        Voided => "voided", "已作废";
    }
}

vocabulary! {
    /// A pay-in (代交): declared and on its way, or matched to the bank's credit.
    PayInStatus {
        Declared => "declared", "在途";
        Matched => "matched", "已到账";
    }
}

vocabulary! {
    /// A gateway order.
    OrderStatus {
        Creating => "creating", "下单中";
        Pending => "pending", "待付款";
        Paid => "paid", "已付款";
        Closed => "closed", "已关闭";
        Failed => "failed", "下单失败";
    }
}

vocabulary! {
    /// What made a journal entry.
    EntrySource {
        Manual => "manual", "手工凭证";
        Reversal => "reversal", "冲销凭证";
        Cash => "cash", "现金收款";
        PayIn => "pay_in", "代交到账";
        CallbackWechat => "callback:wechat", "微信支付到账";
        CallbackAlipay => "callback:alipay", "支付宝到账";
        CallbackBank => "callback:rural_bank", "银行到账";
        /// Posted by reconciliation from the bank's statement (a debit with no approved payment).
        Statement => "statement", "对账补记";
        /// A credit waiting in suspense placed onto the bill it paid, by the accountant.
        Placement => "placement", "待查明款项认领";
        /// A credit waiting in suspense moved to the account it belongs to (a subsidy, a
        /// donation, a prepayment), by the accountant.
        Transfer => "suspense_transfer", "待查明款项转出";
    }
}

impl EntrySource {
    /// The source of an entry posted for a provider's credit.
    pub fn callback(provider: bank_adapters::Provider) -> EntrySource {
        match provider {
            bank_adapters::Provider::Wechat => EntrySource::CallbackWechat,
            bank_adapters::Provider::Alipay => EntrySource::CallbackAlipay,
            bank_adapters::Provider::RuralBank => EntrySource::CallbackBank,
        }
    }

    /// Entries a person decided (not posted by money arriving): what the rules on staff entries
    /// (made at night, dated far back) look at.
    pub fn by_a_person(self) -> bool {
        matches!(
            self,
            EntrySource::Manual | EntrySource::Reversal | EntrySource::Placement | EntrySource::Transfer
        )
    }

    /// Whether an accountant may reverse the entry by hand. Only hand entries and reversals:
    /// every other entry is tied to a record (a receipt, cash record, pay-in, placement,
    /// transfer, statement line or disbursement) and is corrected through it, never by hand.
    pub fn reversible_by_hand(self) -> bool {
        matches!(self, EntrySource::Manual | EntrySource::Reversal)
    }
}

vocabulary! {
    /// What a user may do (`domain::access` says where and which actions).
    Role {
        /// County admin: villages, corporate accounts, users and scopes.
        Admin => "admin", "县管理员";
        /// Township accountant (村账乡管): keeps the books, posts and reverses entries, closes months.
        Accountant => "accountant", "乡镇会计";
        /// Village clerk: payers, contracts, bills of one village.
        Clerk => "clerk", "村报账员";
        /// Discipline inspector: reads everything in scope, changes no money record.
        Inspector => "inspector", "纪检监察人员";
    }
}

vocabulary! {
    /// Who pays a bill: a member household (113 内部往来) or an outsider (112 应收款).
    PayerKind {
        /// A member household of the collective (booked under 113 内部往来).
        Member => "member", "本集体成员";
        /// An outside tenant or unit (booked under 112 应收款).
        Outsider => "outsider", "外部单位或个人";
    }
}

vocabulary! {
    /// What a contract is.
    ContractKind {
        /// 承包: land or orchard contracted to a household.
        Contract => "contract", "承包";
        /// 租赁: land, buildings or equipment leased.
        Lease => "lease", "租赁";
    }
}

vocabulary! {
    /// The level of a user's scope.
    ScopeKind {
        County => "county", "县";
        Township => "township", "乡镇";
        Village => "village", "村";
    }
}

pub(crate) use vocabulary;

#[cfg(test)]
mod tests {
    use super::super::schedule::Schedule;
    use super::*;

    #[test]
    fn a_placement_is_a_persons_entry_that_money_rests_on() {
        assert!(EntrySource::Placement.by_a_person() && !EntrySource::Placement.reversible_by_hand());
        assert!(EntrySource::Manual.by_a_person() && EntrySource::Manual.reversible_by_hand());
        assert!(!EntrySource::CallbackBank.by_a_person() && !EntrySource::CallbackBank.reversible_by_hand());
    }

    /// Names and labels of one enum: names are unique snake_case and parse back; labels are
    /// unique Chinese text.
    fn table<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        name: impl Fn(T) -> &'static str,
        parse: impl Fn(&str) -> Option<T>,
        label: impl Fn(T) -> &'static str,
    ) {
        let mut names = std::collections::HashSet::new();
        let mut labels = std::collections::HashSet::new();
        for v in all {
            let n = name(*v);
            assert!(names.insert(n), "{n} twice");
            assert!(labels.insert(label(*v)), "label {} twice", label(*v));
            assert_eq!(parse(n), Some(*v));
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b':'),
                "{n}"
            );
            assert!(
                label(*v).chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{v:?}"
            );
        }
        assert_eq!(parse("unknown"), None);
    }

    #[test]
    fn every_name_parses_back_and_every_label_is_chinese() {
        table(
            BillStatus::ALL,
            BillStatus::as_str,
            BillStatus::parse,
            BillStatus::label,
        );
        table(
            ReceiptStatus::ALL,
            ReceiptStatus::as_str,
            ReceiptStatus::parse,
            ReceiptStatus::label,
        );
        table(Channel::ALL, Channel::as_str, Channel::parse, Channel::label);
        table(
            InboxStatus::ALL,
            InboxStatus::as_str,
            InboxStatus::parse,
            InboxStatus::label,
        );
        table(
            InboxSource::ALL,
            InboxSource::as_str,
            InboxSource::parse,
            InboxSource::label,
        );
        table(Outcome::ALL, Outcome::as_str, Outcome::parse, Outcome::label);
        table(
            CashStatus::ALL,
            CashStatus::as_str,
            CashStatus::parse,
            CashStatus::label,
        );
        table(
            PayInStatus::ALL,
            PayInStatus::as_str,
            PayInStatus::parse,
            PayInStatus::label,
        );
        table(
            OrderStatus::ALL,
            OrderStatus::as_str,
            OrderStatus::parse,
            OrderStatus::label,
        );
        table(
            EntrySource::ALL,
            EntrySource::as_str,
            EntrySource::parse,
            EntrySource::label,
        );
        table(PayerKind::ALL, PayerKind::as_str, PayerKind::parse, PayerKind::label);
        table(
            ContractKind::ALL,
            ContractKind::as_str,
            ContractKind::parse,
            ContractKind::label,
        );
        table(ScopeKind::ALL, ScopeKind::as_str, ScopeKind::parse, ScopeKind::label);
        table(Role::ALL, Role::as_str, Role::parse, Role::label);
        table(Schedule::ALL, Schedule::as_str, Schedule::parse, Schedule::label);
    }

    #[test]
    fn json_carries_the_stored_name() {
        assert_eq!(serde_json::to_string(&BillStatus::PartPaid).unwrap(), "\"part_paid\"");
        assert_eq!(
            serde_json::from_str::<EntrySource>("\"callback:rural_bank\"").unwrap(),
            EntrySource::CallbackBank
        );
        assert!(serde_json::from_str::<Channel>("\"paypal\"").is_err());
    }

    #[test]
    fn a_bill_status_follows_from_what_is_paid() {
        let m = super::super::Money::from_fen;
        assert_eq!(BillStatus::from_paid(m(0), m(100)), BillStatus::Open);
        assert_eq!(BillStatus::from_paid(m(1), m(100)), BillStatus::PartPaid);
        assert_eq!(BillStatus::from_paid(m(100), m(100)), BillStatus::Paid);
        assert!(BillStatus::Open.takes_payment() && !BillStatus::Cancelled.takes_payment());
    }
}

vocabulary! {
    /// Which way money moved on a corporate account, as the bank's statement says.
    Direction {
        /// Money in (贷方, 收入).
        Credit => "credit", "收入";
        /// Money out (借方, 支出).
        Debit => "debit", "支出";
    }
}

vocabulary! {
    /// Where a statement line came from.
    StatementSource {
        /// The bank's statement API, signed by the bank.
        Api => "api", "银行接口";
        /// A file the accountant imported (CSV or XLSX downloaded from online banking).
        File => "file", "文件导入";
    }
}

vocabulary! {
    /// Which rule set a statement line against the books.
    MatchRule {
        /// The bank's serial is the credit's transaction id.
        Serial => "serial", "流水号一致";
        /// The remark carries the bill reference the credit paid.
        Reference => "reference", "附言中的账单号";
        /// The same amount, within the date window, from a payer of the same name.
        AmountDateName => "amount_date_name", "金额、日期和户名一致";
        /// A credit the books never heard of, taken in from the statement.
        TakenIn => "taken_in", "按对账单补记入账";
        /// Money out that an approved disbursement explains.
        Disbursement => "disbursement", "已审批的支出";
        /// Money out with no approved payment: posted to 待查明支出.
        UnexplainedDebit => "unexplained_debit", "未经审批的支出，转待查明";
        /// A payment institution's settlement credit, set against the days of payments it
        /// settles (N:1) and their fee.
        Settlement => "settlement", "支付机构结算批次";
    }
}

vocabulary! {
    /// How a provider's payments reach the corporate account (a binding's setting).
    Settlement {
        /// Each payment is its own credit on the account (the rural bank's aggregated code).
        PerPayment => "per_payment", "逐笔入账";
        /// The provider pays the day's payments less its fee in one credit, the next day
        /// (WeChat Pay and Alipay merchants, T+1); until then they wait in a clearing account.
        Daily => "daily", "按日结算（T+1，扣手续费）";
    }
}

vocabulary! {
    /// A request to pay money out of a corporate account.
    DisbursementStatus {
        Requested => "requested", "待审批";
        Approved => "approved", "已批准";
        Rejected => "rejected", "已驳回";
        /// The bank's statement shows it paid, and it is posted.
        Paid => "paid", "已支付";
    }
}

vocabulary! {
    /// What reconciliation found, per statement line, ledger credit or day.
    ReconOutcome {
        Matched => "matched", "已核对";
        /// One transaction, two amounts.
        AmountMismatch => "amount_mismatch", "金额不符";
        /// On the statement, not in the books: a lost callback, now taken in.
        StatementOnlyCredit => "statement_only_credit", "银行有、账上无（已补记）";
        /// In the books, not on the statement after T+1: a callback the bank never booked, or
        /// a forged one.
        LedgerOnlyCredit => "ledger_only_credit", "账上有、银行无";
        /// In the books, not yet on the statement, within T+1.
        LedgerOnlyPending => "ledger_only_pending", "账上有、银行尚未入账";
        /// Money out with no approved payment (坐支 or 挪用).
        UnexplainedDebit => "unexplained_debit", "未经审批的支出";
        /// The day's closing balance on the statement is not the books' balance.
        BalanceMismatch => "balance_mismatch", "余额不符";
        /// A line's balance does not follow from the line before it.
        BrokenStatement => "broken_statement", "对账单余额不连续";
        /// A settlement credit that is not the days' payments less the configured fee: money the
        /// provider held back, or payments it paid that the books never heard of.
        SettlementMismatch => "settlement_mismatch", "结算金额与应结金额不符";
        /// A day's payments through a daily-settling provider, not yet settled, within the
        /// settlement window.
        SettlementPending => "settlement_pending", "待支付机构结算";
        /// A day's payments the provider still has not settled after the window: money the
        /// provider holds, or callbacks it never paid (forged ones among them).
        SettlementMissing => "settlement_missing", "支付机构逾期未结算";
    }
}

impl ReconOutcome {
    /// What an inspector must look at first.
    pub fn critical(self) -> bool {
        matches!(
            self,
            ReconOutcome::LedgerOnlyCredit
                | ReconOutcome::UnexplainedDebit
                | ReconOutcome::SettlementMissing
                | ReconOutcome::SettlementMismatch
        )
    }
}

vocabulary! {
    /// The inspection catalogue (DESIGN.md §6): one rule each, named as inspectors name them.
    RuleId {
        CashLate => "CASH_LATE", "现金未及时交存";
        CashOverLimit => "CASH_OVER_LIMIT", "库存现金超限额";
        CashShort => "CASH_SHORT", "代交款未到账或短少";
        ReceiptWithoutMoney => "RECEIPT_WITHOUT_MONEY", "有收据、无到账";
        MoneyWithoutReceipt => "MONEY_WITHOUT_RECEIPT", "有到账、无收据";
        ReceiptGap => "RECEIPT_GAP", "收据号不连续";
        ReceiptVoids => "RECEIPT_VOIDS", "收据作废过多或反复重开";
        DuplicateUse => "DUPLICATE_USE", "一笔到账用于多张收据";
        FeeOverdue => "FEE_OVERDUE", "应收款长期未收";
        UnapprovedDebit => "UNAPPROVED_DEBIT", "未经审批的支出";
        SplitPayments => "SPLIT_PAYMENTS", "拆分支付规避审批";
        RoundAmounts => "ROUND_AMOUNTS", "整数金额支出过多";
        OffHours => "OFF_HOURS", "深夜操作";
        Benford => "BENFORD", "金额首位数字分布异常";
        Backdated => "BACKDATED", "凭证倒签日期";
        ChainBroken => "CHAIN_BROKEN", "账簿校验不通过";
        SelfApproval => "SELF_APPROVAL", "自批自办";
        CashShare => "CASH_SHARE", "现金收款占比异常";
        ProxyPayin => "PROXY_PAYIN", "一人代缴多户";
        Underreported => "UNDERREPORTED", "合同收入少计";
        DoubleCollection => "DOUBLE_COLLECTION", "同一账单重复收款";
        WrittenOffLate => "WRITTEN_OFF_LATE", "到期后作废账单";
    }
}

vocabulary! {
    /// How much a finding matters to an inspector.
    Severity {
        Low => "low", "提示";
        Medium => "medium", "关注";
        High => "high", "重点";
        Critical => "critical", "严重";
    }
}

vocabulary! {
    /// What a finding's evidence points at.
    EvidenceKind {
        Entry => "entry", "凭证";
        Receipt => "receipt", "收据";
        BankTransaction => "bank_transaction", "银行到账";
        StatementLine => "statement_line", "对账单流水";
        CashRecord => "cash_record", "现金收款";
        PayIn => "pay_in", "代交";
        Disbursement => "disbursement", "支出申请";
        Bill => "bill", "账单";
        AuditEvent => "audit_event", "操作日志";
    }
}

vocabulary! {
    /// Where an inspector stands with a finding: open → acknowledged → explained, confirmed or
    /// dismissed.
    FindingStatus {
        Open => "open", "待处理";
        Acknowledged => "acknowledged", "已受理";
        /// The village explained it and the inspector accepts the explanation.
        Explained => "explained", "已说明";
        /// A real irregularity.
        Confirmed => "confirmed", "已认定";
        /// Not an irregularity (a false alarm).
        Dismissed => "dismissed", "已排除";
    }
}

impl FindingStatus {
    /// The statuses an inspector may move a finding to from this one.
    pub fn next(self) -> &'static [FindingStatus] {
        use FindingStatus::*;
        match self {
            Open => &[Acknowledged],
            Acknowledged => &[Explained, Confirmed, Dismissed],
            Explained => &[Confirmed, Dismissed],
            Confirmed | Dismissed => &[],
        }
    }
}

vocabulary! {
    /// One line of a finding's history.
    FindingEventKind {
        /// A run found it first.
        Found => "found", "首次发现";
        /// An inspector moved it.
        Status => "status", "处理";
        /// A run no longer finds its cause (the data changed): kept, marked resolved by data.
        CauseGone => "cause_gone", "数据已消除";
        /// A run finds its cause again.
        CauseBack => "cause_back", "再次发现";
    }
}
