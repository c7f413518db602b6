//! What the rules read about one village and period. The store hands these over in a few
//! set-oriented queries (`store::inspection`); every time here is Beijing time, as people and
//! working days count it.

use chrono::{NaiveDate, NaiveDateTime};

use crate::domain::ids::{
    BankTransactionId, BillId, CashRecordId, EntryId, PayInId, PayerId, ReceiptId, UserId, VillageId,
};
use crate::domain::vocabulary::{
    BillStatus, Channel, DisbursementStatus, EntrySource, MatchRule, Outcome, ReceiptStatus,
};
use crate::domain::Money;

/// One village's period and everything the catalogue reads about it.
#[derive(Debug, Clone, Default)]
pub struct VillageFacts {
    pub village: VillageId,
    pub village_code: String,
    /// The period checked, first and last day.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// When the check runs: what is late is late by now.
    pub as_of: NaiveDateTime,
    /// The most cash the village may hold, day by day (its own setting, changed over time).
    pub cash_limits: crate::domain::cash_limits::CashLimits,
    /// Cash the clerks took in the period.
    pub cash: Vec<CashFact>,
    /// Pay-ins (代交) declared in the period or covering its cash.
    pub pay_ins: Vec<PayInFact>,
    /// Receipts issued in the period's years (gaps need the whole year).
    pub receipts: Vec<ReceiptFact>,
    /// Bank credits (bank transactions) of the period.
    pub credits: Vec<CreditFact>,
    /// Debits on the statements of the period.
    pub debits: Vec<DebitFact>,
    /// Disbursement requests of the period.
    pub disbursements: Vec<DisbursementFact>,
    /// Approvals withdrawn within the period.
    pub withdrawals: Vec<WithdrawalFact>,
    /// Journal entries dated or made in the period.
    pub entries: Vec<EntryFact>,
    /// Cash on hand (101) at the end of each day of the period with postings, and before it.
    pub cash_opening: Money,
    pub cash_days: Vec<(NaiveDate, Money)>,
    /// Bills due in the period or before it and still owing.
    pub bills: Vec<BillFact>,
    /// The village's chain as `verify` found it.
    pub chain: ChainFact,
    /// How the village collected in the period, the same months a year before, and how its
    /// township's other villages collected.
    pub mix: CollectionMix,
    /// Bank credits the statement names a payer's account for, with the payer of the bill paid.
    pub payer_accounts: Vec<PayerAccountFact>,
    /// Contracts in force in the period, with what was billed for each installment.
    pub contracts: Vec<ContractFact>,
    /// Bills cancelled in the period.
    pub cancellations: Vec<CancellationFact>,
    /// The display names of the staff the facts name.
    pub staff: std::collections::BTreeMap<UserId, String>,
}

/// Money collected by receipts: cash and all of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    pub cash: Money,
    pub total: Money,
    pub receipts: i64,
    pub cash_receipts: i64,
}

impl Collected {
    /// The share of cash in the money, when anything was collected.
    pub fn cash_share(&self) -> Option<f64> {
        (self.total > Money::ZERO).then(|| self.cash.fen() as f64 / self.total.fen() as f64)
    }

    /// The share of cash among the receipts, when any were issued.
    pub fn cash_receipt_share(&self) -> Option<f64> {
        (self.receipts > 0).then(|| self.cash_receipts as f64 / self.receipts as f64)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectionMix {
    pub now: Collected,
    /// The same months a year earlier.
    pub year_before: Collected,
    /// The township's other villages in the period.
    pub peers: Vec<Collected>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerAccountFact {
    pub account: String,
    pub name: String,
    pub line: i64,
    pub bank_txn: BankTransactionId,
    pub payer: PayerId,
    pub amount: Money,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFact {
    pub id: i64,
    pub contract_no: String,
    pub annual: Money,
    pub schedule: crate::domain::schedule::Schedule,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Bills issued for it (not cancelled): the installment label, its id and amount.
    pub billed: Vec<(String, BillId, Money)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationFact {
    pub bill: BillId,
    pub reference: String,
    pub amount: Money,
    pub due: NaiveDate,
    pub cancelled: NaiveDateTime,
    pub by: Option<UserId>,
    pub reason: String,
    /// The audit record of the cancellation.
    pub audit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashFact {
    pub id: CashRecordId,
    pub clerk: UserId,
    pub bill: BillId,
    pub amount: Money,
    pub received: NaiveDateTime,
    pub voided: bool,
    pub pay_in: Option<PayInId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayInFact {
    pub id: PayInId,
    pub clerk: UserId,
    pub amount: Money,
    pub declared: NaiveDateTime,
    /// The bank credit it was matched to, its amount and time, and who matched it.
    pub credit: Option<(BankTransactionId, Money, NaiveDateTime)>,
    pub matched_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFact {
    pub id: ReceiptId,
    pub year: i32,
    pub number: i64,
    pub bill: Option<BillId>,
    pub payer: Option<PayerId>,
    pub amount: Money,
    pub channel: Channel,
    pub status: ReceiptStatus,
    pub issued: NaiveDateTime,
    pub issued_by: Option<UserId>,
    pub bank_txn: Option<BankTransactionId>,
    pub cash_record: Option<CashRecordId>,
    pub replaces: Option<ReceiptId>,
    /// When and by whom it was voided.
    pub voided: Option<(NaiveDateTime, UserId)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditFact {
    pub id: BankTransactionId,
    pub amount: Money,
    pub paid: NaiveDateTime,
    pub outcome: Outcome,
    pub bill: Option<BillId>,
    /// The village's bill the payment named, also when it was no longer open (then the money
    /// waits in suspense and `bill` is empty).
    pub named_bill: Option<BillId>,
    /// Whether a pay-in (cash deposited) explains it.
    pub pay_in: Option<PayInId>,
    /// Its part in suspense went back to the payer (a refund paid out).
    pub refunded: bool,
    /// The account its part in suspense was moved to by the accountant, with a reason (查明转出:
    /// a subsidy, a donation). One person decides it, so it stays in the inspector's view.
    pub transferred_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitFact {
    /// The statement line.
    pub line: i64,
    pub amount: Money,
    pub date: NaiveDate,
    pub counterparty: String,
    /// How reconciliation explained it; None while it waits for reconciliation.
    pub rule: Option<MatchRule>,
    pub disbursement: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisbursementFact {
    pub id: i64,
    pub payee_name: String,
    pub payee_account: String,
    pub amount: Money,
    pub requested_by: UserId,
    pub requested: NaiveDateTime,
    pub decided_by: Option<UserId>,
    pub decided: Option<NaiveDateTime>,
    pub status: DisbursementStatus,
}

/// An approval withdrawn before the bank paid: the request, who withdrew it and when (Beijing
/// time). Read by when it happened, whenever the request was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalFact {
    pub disbursement: i64,
    pub by: UserId,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFact {
    pub id: EntryId,
    pub seq: i64,
    pub date: NaiveDate,
    pub created: NaiveDateTime,
    pub source: EntrySource,
    pub created_by: Option<UserId>,
    /// The entry's total (sum of its debits).
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillFact {
    pub id: BillId,
    pub reference: String,
    pub amount: Money,
    pub paid: Money,
    pub status: BillStatus,
    pub due: NaiveDate,
}

/// The village's hash chain and consistency checks, as `verify` found them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainFact {
    pub ok: bool,
    pub entries: i64,
    pub first_bad_seq: Option<i64>,
    pub first_bad_entry: Option<EntryId>,
    pub problems: Vec<String>,
}

impl VillageFacts {
    /// Whether a day lies in the period checked.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// A member of staff as findings name them: their name and user number.
    pub fn who(&self, id: UserId) -> String {
        match self.staff.get(&id) {
            Some(name) => format!("{name}（用户 {}）", id.get()),
            None => format!("用户 {}", id.get()),
        }
    }

    /// Every member of staff the facts name.
    pub fn staff_ids(&self) -> std::collections::BTreeSet<UserId> {
        let mut ids: std::collections::BTreeSet<UserId> = self.cash.iter().map(|c| c.clerk).collect();
        ids.extend(
            self.pay_ins
                .iter()
                .flat_map(|p| [Some(p.clerk), p.matched_by])
                .flatten(),
        );
        ids.extend(
            self.receipts
                .iter()
                .flat_map(|r| [r.issued_by, r.voided.map(|v| v.1)])
                .flatten(),
        );
        ids.extend(
            self.disbursements
                .iter()
                .flat_map(|d| [Some(d.requested_by), d.decided_by])
                .flatten(),
        );
        ids.extend(self.entries.iter().filter_map(|e| e.created_by));
        ids.extend(self.withdrawals.iter().map(|w| w.by));
        ids
    }
}
