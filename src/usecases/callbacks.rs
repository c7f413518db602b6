//! A provider's callback, from the raw request to the books, exactly once.
//!
//! 1. Load the binding named in the URL and verify the request with its keys (signature,
//!    timestamp window). If the database cannot be reached, answer 503 in the provider's
//!    format: nothing was acknowledged, and the provider retries.
//! 2. A request nobody's key verifies is a stranger's: it is refused in the provider's format,
//!    and the inbox keeps only its digest (SHA-256, size, first bytes, headers cut short), within
//!    a budget per client and in all ([`RefusalBudget`]); past the budget it is counted, not kept.
//!    A verified request that is refused (its amounts disagree, the books cannot take its date)
//!    or is not a payment is kept whole, with the reason.
//! 3. A credit is applied in one transaction together with its raw request: unique (provider,
//!    provider_txn_id) makes a repeat a duplicate that changes nothing; otherwise find the bill
//!    by the reference the payment carried, post Dr 102 (the account's sub-account; the
//!    provider's clearing account where it settles daily) / Cr income and/or Cr 211.9999
//!    suspense, update the bill and number a receipt. The raw request and its effects become
//!    durable in the same commit, so an acknowledged callback is never lost and one that was
//!    not committed was not acknowledged.
//! 4. Acknowledge in the provider's format (a duplicate gets the same acknowledgement).

use bank_adapters::{acknowledgement, refusal, Acknowledgement, BankCredit, Notice, Provider, ProviderError};
use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::bindings::adapter_for;
use super::bookkeeping::post_in_open_month;
use super::{clearing, receipts};
use crate::budget::{Budget, Recent};
use crate::domain::ids::{BankTransactionId, CorporateAccountId, VillageId};
use crate::domain::{period, Channel, EntrySource, InboxSource, InboxStatus, Money};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::chart;
use crate::ledger::entry::{Line, ProposedEntry};
use crate::payments::allocation::{allocate, find_reference, Outcome};
use crate::payments::intake::admissible;
use crate::payments::sealing::SealingKeys;
use crate::store::billing::{Bill, FeeItem};
use crate::store::journal::LedgerAccount;
use crate::store::lock::lock_village;
use crate::store::orders::GatewayOrder;
use crate::store::payments::{self as store, BankTransaction, Binding, NewBankTransaction, NewInboxRow};
use crate::store::registry::{CorporateAccount, Village};
use crate::store::{Db, DbConnection, StoreError};

/// A callback as it arrived.
pub struct Inbound {
    pub provider: String,
    pub binding: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client address it came from.
    pub client: String,
}

/// What the HTTP layer answers: the provider's acknowledgement, or a plain 404 for a provider
/// we do not speak.
pub enum Answer {
    Provider(Acknowledgement),
    UnknownProvider,
}

/// What applying a credit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Posted {
        bank_transaction_id: BankTransactionId,
        outcome: Outcome,
    },
    Duplicate {
        bank_transaction_id: BankTransactionId,
    },
}

/// Refusals of strangers' requests one client may make the inbox keep per minute.
pub const REFUSALS_KEPT_PER_CLIENT: usize = 30;
/// …and all clients together.
pub const REFUSALS_KEPT_IN_ALL: usize = 300;
/// The same request from the same client within this is kept once.
const REPEAT_WINDOW: Duration = Duration::from_secs(600);
/// Bytes of a stranger's body kept with its digest.
pub const DIGEST_BODY_BYTES: usize = 256;
/// Characters of a stranger's headers kept.
const DIGEST_HEADER_CHARS: usize = 2048;

/// What strangers can make the inbox keep: a stranger's refused request is kept as a digest,
/// at most [`REFUSALS_KEPT_PER_CLIENT`] per client and [`REFUSALS_KEPT_IN_ALL`] in all per
/// minute, a repeat once; past that it is counted (metric `qz_callback_refusals_total`, kept="no")
/// and a warning says so, at most once a minute.
pub struct RefusalBudget {
    kept: Budget,
    recent: Recent,
    not_kept: AtomicU64,
    last_warning: Mutex<Option<Instant>>,
}

impl Default for RefusalBudget {
    fn default() -> Self {
        RefusalBudget {
            kept: Budget::new(Duration::from_secs(60)),
            recent: Recent::new(REPEAT_WINDOW),
            not_kept: AtomicU64::new(0),
            last_warning: Mutex::new(None),
        }
    }
}

impl RefusalBudget {
    /// Whether a stranger's refused request is kept; counts it either way.
    fn keep(&self, client: &str, digest: &str) -> bool {
        let kept = !self.recent.seen(&format!("{client}|{digest}"))
            && self.kept.allow(&format!("client|{client}"), REFUSALS_KEPT_PER_CLIENT)
            && self.kept.allow("all", REFUSALS_KEPT_IN_ALL);
        if !kept {
            let n = self.not_kept.fetch_add(1, Ordering::Relaxed) + 1;
            let mut last = self.last_warning.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                *last = Some(Instant::now());
                tracing::warn!(
                    not_kept = n,
                    "callback refusals over budget: strangers' requests refused and not kept"
                );
            }
        }
        kept
    }
}

/// The raw request as the inbox keeps it.
pub struct Raw<'a> {
    pub provider: Provider,
    pub binding_id: Option<i64>,
    /// Headers as JSON, without cookies or authorization.
    pub headers: String,
    pub body: &'a [u8],
    pub received_at: NaiveDateTime,
    pub source: InboxSource,
    pub client: Option<String>,
}

/// How much of a request the inbox keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// All of it: a verified request is evidence.
    Whole,
    /// Its digest: a stranger's.
    Digest,
}

impl Raw<'_> {
    fn store(
        &self,
        conn: &mut DbConnection,
        status: InboxStatus,
        reason: Option<&str>,
        txn: Option<&str>,
        bank_txn: Option<BankTransactionId>,
    ) -> AppResult<i64> {
        self.store_as(conn, Keep::Whole, status, reason, txn, bank_txn)
    }

    fn store_as(
        &self,
        conn: &mut DbConnection,
        keep: Keep,
        status: InboxStatus,
        reason: Option<&str>,
        txn: Option<&str>,
        bank_txn: Option<BankTransactionId>,
    ) -> AppResult<i64> {
        let sha = hex::encode(Sha256::digest(self.body));
        let (body, headers) = match keep {
            Keep::Whole => (self.body, self.headers.clone()),
            Keep::Digest => (
                &self.body[..self.body.len().min(DIGEST_BODY_BYTES)],
                self.headers.chars().take(DIGEST_HEADER_CHARS).collect(),
            ),
        };
        Ok(store::inbox_insert_settled(
            conn,
            &NewInboxRow {
                provider: self.provider,
                binding_id: self.binding_id,
                received_at: self.received_at,
                headers: &headers,
                body,
                status,
                reason,
                provider_txn_id: txn,
                bank_transaction_id: bank_txn,
                processed_at: Some(self.received_at),
                source: self.source,
                body_sha256: Some(&sha),
                body_size: self.body.len() as i64,
                body_whole: keep == Keep::Whole,
                client: self.client.as_deref(),
            },
        )?)
    }
}

/// Headers worth keeping with the raw request (no cookies or authorization).
fn stored_headers(headers: &[(String, String)]) -> String {
    let kept: Vec<&(String, String)> = headers
        .iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("cookie") && !k.eq_ignore_ascii_case("authorization"))
        .collect();
    serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into())
}

fn refused_metric(provider: Provider, error: &ProviderError, kept: &'static str) {
    metrics::counter!(
        "qz_callback_refusals_total",
        "provider" => provider.as_str(),
        "reason" => error.code(),
        "kept" => kept
    )
    .increment(1);
}

pub fn receive(
    db: &Db,
    sealing: &SealingKeys,
    server_key: &[u8],
    budget: &RefusalBudget,
    inbound: Inbound,
    now: DateTime<Utc>,
) -> Answer {
    let Some(provider) = Provider::parse(&inbound.provider) else {
        return Answer::UnknownProvider;
    };
    let retry = |e: &AppError| {
        tracing::warn!(provider = provider.as_str(), error = %e, "callback not stored; asking the provider to retry");
        Answer::Provider(refusal(
            provider,
            &ProviderError::Malformed("temporarily unavailable, retry".into()),
            true,
        ))
    };
    let binding_id = inbound.binding.parse::<i64>().ok();
    let raw = Raw {
        provider,
        binding_id,
        headers: stored_headers(&inbound.headers),
        body: &inbound.body,
        received_at: now.naive_utc(),
        source: InboxSource::Callback,
        client: Some(inbound.client.clone()),
    };
    let settle = |keep: Keep, status: InboxStatus, reason: &str, txn: Option<&str>| {
        db.write(|conn| raw.store_as(conn, keep, status, Some(reason), txn, None))
    };
    // A stranger's request: refused, and kept as a digest within the budget.
    let refuse_stranger = |error: ProviderError| {
        // A repeat is the same headers and body again (a new signature is a new request).
        let mut h = Sha256::new();
        h.update(raw.headers.as_bytes());
        h.update(&inbound.body);
        let kept = budget.keep(&inbound.client, &hex::encode(h.finalize()));
        refused_metric(provider, &error, if kept { "digest" } else { "no" });
        if kept {
            if let Err(e) = settle(
                Keep::Digest,
                InboxStatus::Rejected,
                &format!("{}: {error}", error.code()),
                None,
            ) {
                return retry(&e);
            }
        }
        tracing::info!(provider = provider.as_str(), reason = ?error.to_string(), client = ?inbound.client, kept, "callback refused");
        Answer::Provider(refusal(provider, &error, false))
    };
    // The provider's own request, refused for good: kept whole, with the reason.
    let refuse_verified = |error: ProviderError| {
        refused_metric(provider, &error, "whole");
        if let Err(e) = settle(
            Keep::Whole,
            InboxStatus::Rejected,
            &format!("{}: {error}", error.code()),
            None,
        ) {
            return retry(&e);
        }
        tracing::info!(provider = provider.as_str(), reason = ?error.to_string(), "verified callback refused");
        Answer::Provider(refusal(provider, &error, false))
    };
    let binding =
        match binding_id.map(|id| db.once(|conn| -> AppResult<Option<Binding>> { Ok(Binding::by_id(conn, id)?) })) {
            Some(Ok(Some(b))) if b.active && b.provider == provider => b,
            Some(Err(e)) => return retry(&e),
            _ => return refuse_stranger(ProviderError::UnknownAccount(format!("binding '{}'", inbound.binding))),
        };
    let adapter = match adapter_for(&binding, sealing) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(binding = binding.id, error = %e, "binding cannot be used");
            return retry(&e);
        }
    };
    if let Err(e) = adapter.verify(&inbound.headers, &inbound.body, now) {
        return refuse_stranger(e);
    }
    let credit = match adapter.parse(&inbound.headers, &inbound.body, now) {
        Err(e) => return refuse_verified(e),
        Ok(Notice::Other { kind, provider_txn_id }) => {
            let txn = provider_txn_id.filter(|t| !t.chars().any(char::is_control));
            return match settle(Keep::Whole, InboxStatus::Ignored, &kind, txn.as_deref()) {
                Ok(_) => Answer::Provider(acknowledgement(provider)),
                Err(e) => retry(&e),
            };
        }
        Ok(Notice::Credit(c)) => c,
    };
    if credit.account_ref != binding.account_ref {
        return refuse_verified(ProviderError::UnknownAccount(credit.account_ref));
    }
    let credit = match admissible(credit, now) {
        Ok(c) => c,
        Err(why) => return refuse_verified(ProviderError::NotBookable(why)),
    };
    match apply(db, &binding, &credit, &raw, server_key) {
        Ok(applied) => {
            tracing::debug!(provider = provider.as_str(), ?applied, "callback applied");
            Answer::Provider(acknowledgement(provider))
        }
        Err(e) => retry(&e),
    }
}

/// Applies a verified credit and stores its raw request, in one transaction; a repeat of the
/// same provider transaction is a duplicate, also under concurrency (the unique constraint
/// decides).
pub fn apply(db: &Db, binding: &Binding, credit: &BankCredit, raw: &Raw, server_key: &[u8]) -> AppResult<Applied> {
    let provider = credit.provider;
    let txn = credit.provider_txn_id.as_str();
    let duplicate = |conn: &mut DbConnection, existing: BankTransactionId| -> AppResult<Applied> {
        raw.store(conn, InboxStatus::Duplicate, None, Some(txn), Some(existing))?;
        Ok(Applied::Duplicate {
            bank_transaction_id: existing,
        })
    };
    let result = db.write(|conn| {
        // The village's lock first: how much of the bill is still owed, the receipt counter and
        // the chain are read below and must not change before this transaction commits.
        lock_village(conn, binding.village_id)?;
        if let Some(existing) = BankTransaction::by_provider_txn(conn, provider, txn)? {
            return duplicate(conn, existing.id);
        }
        // Its settlement terms as they are now, under the lock (an admin may have changed them
        // since the keys were read).
        let current = Binding::by_id(conn, binding.id)?.ok_or_else(|| AppError::code(ErrorCode::BindingNotFound))?;
        let applied = post_credit(
            conn,
            binding.village_id,
            binding.corporate_account_id,
            Some(&current),
            credit,
            server_key,
        )?;
        if let Applied::Posted {
            bank_transaction_id, ..
        } = applied
        {
            raw.store(conn, InboxStatus::Applied, None, Some(txn), Some(bank_transaction_id))?;
        }
        Ok(applied)
    });
    match result {
        // Two copies raced past the check: the second one's insert hit the unique constraint and
        // was rolled back whole. It is a duplicate.
        Err(e) if e.is(ErrorCode::AlreadyExists) => db.write(|conn| {
            let existing = BankTransaction::by_provider_txn(conn, provider, txn)?
                .ok_or_else(|| AppError::Internal("conflict without a row".into()))?;
            duplicate(conn, existing.id)
        }),
        other => other,
    }
}

/// Applies a credit a village's old books record (`usecases::history`): posted exactly as a
/// verified callback would be, under the village's lock; a transaction already booked is a
/// duplicate.
pub fn apply_imported(
    db: &Db,
    village_code: &str,
    account: CorporateAccountId,
    credit: &BankCredit,
    server_key: &[u8],
) -> AppResult<Applied> {
    db.write(|conn| {
        let village =
            Village::by_code(conn, village_code.trim())?.ok_or_else(|| AppError::code(ErrorCode::VillageNotFound))?;
        lock_village(conn, village.id)?;
        if let Some(existing) = BankTransaction::by_provider_txn(conn, credit.provider, &credit.provider_txn_id)? {
            return Ok(Applied::Duplicate {
                bank_transaction_id: existing.id,
            });
        }
        // Booked as the binding of the merchant it names books it (to clearing where that one
        // settles daily); a credit naming only the account goes to 102.
        let via = Binding::for_credit(conn, account, credit.provider, &credit.account_ref)?;
        post_credit(conn, village.id, account, via.as_ref(), credit, server_key)
    })
}

/// Posts a verified credit to a village's corporate account: the bill it names is paid (the
/// excess to suspense), the entry posted, the receipt issued. The caller holds the village's
/// lock and has checked that the transaction is new. Reconciliation takes a statement's credit
/// the service never heard of through here too, so it is booked exactly as a callback would be.
///
/// `via` is the binding the credit came through (None for a credit the bank's statement
/// shows): when it settles daily, the payment is posted to the provider's clearing account and
/// waits there for the settlement (`usecases::clearing`).
pub(crate) fn post_credit(
    conn: &mut DbConnection,
    village_id: VillageId,
    account_id: CorporateAccountId,
    via: Option<&Binding>,
    credit: &BankCredit,
    server_key: &[u8],
) -> AppResult<Applied> {
    let village = Village::by_id(conn, village_id)?;
    let account = CorporateAccount::by_id(conn, account_id)?;
    // The bill the payment names, if it is this village's and still owed.
    let bill = match credit.reference.as_deref().and_then(find_reference) {
        Some(r) => {
            Bill::by_reference(conn, r.as_str())?.filter(|b| b.village_id == village.id && b.status.takes_payment())
        }
        None => None,
    };
    let allocation = allocate(credit.amount, bill.as_ref().map(|b| b.amount - b.paid));
    let paid_on = period::business_date(credit.paid_at);
    let version = chart::version_for(paid_on).ok_or_else(|| AppError::Internal(format!("no chart on {paid_on}")))?;
    let by_code = |conn: &mut DbConnection, code: &str| -> AppResult<LedgerAccount> {
        LedgerAccount::by_code(conn, village.id, version.id, code)?
            .ok_or_else(|| AppError::Internal(format!("village {} has no account {code}", village.code)))
    };
    // The money is in the bank, or (daily settlement) with the provider until it settles.
    let clearing = clearing::daily(via);
    let bank = match clearing {
        Some(b) => clearing::clearing_account(conn, &village, b.provider, paid_on)?,
        None => LedgerAccount::by_id(conn, account.ledger_account_id)?,
    };
    let channel = Channel::of(credit.provider);
    let channel_name = channel.label();
    let fee_item = match &bill {
        Some(b) => FeeItem::in_village(conn, village.id, b.fee_item_id)?,
        None => None,
    };
    let mut lines = vec![Line {
        account: bank.view(),
        debit: credit.amount,
        credit: Money::ZERO,
        memo: String::new(),
    }];
    if allocation.to_bill > Money::ZERO {
        let item = fee_item
            .as_ref()
            .ok_or_else(|| AppError::Internal("bill without fee item".into()))?;
        let income = by_code(conn, &item.income_account_code)?;
        lines.push(Line {
            account: income.view(),
            debit: Money::ZERO,
            credit: allocation.to_bill,
            memo: item.name.clone(),
        });
    }
    if allocation.to_suspense > Money::ZERO {
        let suspense = by_code(conn, chart::SUSPENSE_CODE)?;
        lines.push(Line {
            account: suspense.view(),
            debit: Money::ZERO,
            credit: allocation.to_suspense,
            memo: "待查明".into(),
        });
    }
    let memo = match (&bill, &fee_item) {
        (Some(b), Some(item)) => format!(
            "{channel_name}收款 {} {}（账单 {}）",
            item.name,
            crate::domain::schedule::shown_period(&b.period_label),
            crate::domain::BillReference::shown(&b.reference)
        ),
        _ => format!(
            "{channel_name}收款 待查明（{} {}）",
            credit.provider.as_str(),
            credit.provider_txn_id
        ),
    };
    let source = EntrySource::callback(credit.provider);
    let proposed = ProposedEntry {
        village_id: village.id,
        entry_date: paid_on,
        memo: memo.chars().take(180).collect(),
        lines,
    };
    // A late credit for a closed month posts in the open month, its own date in the memo.
    let entry = post_in_open_month(conn, &village, proposed, source)?;
    let note = match allocation.outcome {
        Outcome::Paid | Outcome::PartPaid => String::new(),
        Outcome::Overpaid => format!("超付 {} 元转待查明", allocation.to_suspense),
        Outcome::Suspense => match &credit.reference {
            Some(r) if find_reference(r).is_some() => format!("账单 {r} 不在本村或已结清"),
            Some(r) => format!("附言 '{}' 中没有有效的账单号", r.chars().take(60).collect::<String>()),
            None => "没有账单号".into(),
        },
    };
    let txn = BankTransaction::insert(
        conn,
        &NewBankTransaction {
            village_id: village.id,
            corporate_account_id: account.id,
            provider: credit.provider,
            provider_txn_id: &credit.provider_txn_id,
            amount: credit.amount,
            paid_at: credit.paid_at.naive_utc(),
            payer_masked: credit.payer_masked.as_deref(),
            reference: credit.reference.as_deref(),
            bill_id: bill.as_ref().filter(|_| allocation.to_bill > Money::ZERO).map(|b| b.id),
            entry_id: entry.id,
            outcome: allocation.outcome,
            note: &note,
            created_at: period::now().naive_utc(),
        },
    )
    .map_err(|e| match e {
        StoreError::Unique(_) => AppError::code(ErrorCode::AlreadyExists),
        other => other.into(),
    })?;
    if let Some(b) = clearing {
        clearing::hold(conn, b, txn.id, paid_on, credit.amount)?;
    }
    // A gateway order paid by its notification needs no more queries.
    if let (Provider::Wechat | Provider::Alipay, Some(no)) = (credit.provider, credit.reference.as_deref()) {
        if no.starts_with("QZ") {
            GatewayOrder::paid_by(conn, no, txn.id)?;
        }
    }
    if let (Some(b), true) = (&bill, allocation.to_bill > Money::ZERO) {
        store::bill_add_payment(conn, b, allocation.to_bill)?;
        // A 待核实 receipt that claimed this payment is confirmed; otherwise one is issued.
        if receipts::confirm_pending(conn, server_key, &village, b, &txn, allocation.to_bill)?.is_none() {
            receipts::issue(
                conn,
                server_key,
                &village,
                receipts::Issue {
                    bill: b,
                    amount: allocation.to_bill,
                    channel,
                    evidence: receipts::Evidence::Bank(&txn),
                    issued_by: None,
                    replaces_id: None,
                },
            )?;
        }
    }
    Ok(Applied::Posted {
        bank_transaction_id: txn.id,
        outcome: allocation.outcome,
    })
}

/// Forgets strangers' refused requests (kept only as digests) received more than `days` days
/// before `now`; what a provider's key verified stays. Returns how many were forgotten.
pub fn forget_old_digests(db: &Db, now: DateTime<Utc>, days: i64) -> AppResult<usize> {
    let before = (now - chrono::Duration::days(days.max(1))).naive_utc();
    db.write(|conn| Ok(store::inbox_purge_unverified(conn, before)?))
}
