//! Paying a bill through a gateway's own QR order, and finding out about orders whose
//! notification never came.
//!
//! From the pay page the payer picks WeChat Pay or Alipay; we place a Native / precreate order
//! for the bill's outstanding amount, with an order number that carries the bill reference, and
//! show the gateway's code. Nothing the browser says counts: the bill is paid when the gateway's
//! signed notification arrives, or when our own query of the order gets a signed answer that
//! it was paid. Both go through the same `callbacks::apply`, so a payment learnt both ways is
//! posted once (unique provider transaction id), and the signed answer of a query is kept in the
//! inbox as the evidence, like a notification.
//!
//! Orders are written before the gateway is called (`creating`), so an order that the gateway
//! took but whose answer we lost is still queried.

use bank_adapters::gateway::{Evidence, GatewayError, OrderRequest, OrderStatus as Answered};
use bank_adapters::Provider;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::bindings::{can_order, gateway_for};
use super::callbacks::{apply, Applied, Raw};
use super::village_for;
use crate::domain::access::{Action, Actor};
#[cfg(test)]
use crate::domain::BillReference;
use crate::domain::{period, BankTransactionId, InboxSource, Money, OrderStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::payments::qr::{epoch_day, PayToken};
use crate::payments::sealing::SealingKeys;
use crate::store::billing::{Bill, FeeItem};
use crate::store::lock::lock_village;
use crate::store::orders::{GatewayOrder, NewGatewayOrder};
use crate::store::payments::{Binding, Receipt};
use crate::store::registry::Village;
use crate::store::Db;

/// How long a gateway keeps an order open for payment.
const ORDER_LIFETIME_MINUTES: i64 = 120;
/// The first query of an order without a notification, then doubling up to the cap.
const FIRST_QUERY_SECONDS: i64 = 60;
const QUERY_CAP_SECONDS: i64 = 1800;

/// An order as the pay page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub out_trade_no: String,
    pub provider: Provider,
    /// The gateway's code text, to render as a QR or open in the gateway's app.
    pub code_url: Option<String>,
    pub status: OrderStatus,
    pub amount: Money,
    /// "2026-000123" once the payment is received and receipted.
    pub receipt: Option<String>,
    /// The payer's e-receipt: the public check page of that receipt, `/r/{number}?c={code}`.
    pub receipt_path: Option<String>,
}

fn token_of(key: &[u8], text: &str) -> AppResult<PayToken> {
    Ok(PayToken::decode(
        text,
        key,
        epoch_day(period::business_date(period::now())),
    )?)
}

/// The order number: `QZ` + the 13-digit bill reference + `-` + 6 random characters, so the
/// reference is found in it however the payment is learnt.
fn order_number(reference: &str) -> String {
    use rand::distributions::{Alphanumeric, DistString};
    let tail = Alphanumeric
        .sample_string(&mut rand::thread_rng(), 6)
        .to_ascii_lowercase();
    format!("QZ{reference}-{tail}")
}

/// The providers a pay code's account can order through (for the pay page's buttons).
pub fn ordering_providers(db: &Db, key: &[u8], token_text: &str) -> AppResult<Vec<Provider>> {
    let token = token_of(key, token_text)?;
    if token.bill_id.is_none() {
        return Ok(vec![]);
    }
    let bindings = db.read(|conn| -> AppResult<Vec<Binding>> { Ok(Binding::of_village(conn, token.village_id)?) })?;
    Ok(bindings
        .iter()
        .filter(|b| b.active && b.corporate_account_id == token.account_id)
        .filter(|b| can_order(b))
        .map(|b| b.provider)
        .collect())
}

/// Places (or reuses) an order for the bill a pay code names, through `provider`.
pub async fn order_for_pay_code(
    db: &Db,
    sealing: &SealingKeys,
    client: &reqwest::Client,
    key: &[u8],
    public_url: &str,
    token_text: &str,
    provider: Provider,
) -> AppResult<OrderView> {
    let token = token_of(key, token_text)?;
    let bill_id = token
        .bill_id
        .ok_or_else(|| AppError::code(ErrorCode::NoBill).at("token"))?;
    let now = period::now();
    // 1. Find the binding and the bill; reuse an open order or write a new one as `creating`.
    let prepared = {
        db.run(move |db| -> AppResult<(GatewayOrder, Binding, String, bool)> {
            db.write(|conn| {
                // Whether an open order can be reused is decided under the village's lock.
                lock_village(conn, token.village_id)?;
                let bill = Bill::by_id(conn, bill_id)?;
                if bill.village_id != token.village_id {
                    return Err(AppError::code(ErrorCode::PayCodeInvalid));
                }
                let outstanding = bill.amount - bill.paid;
                if !bill.status.takes_payment() || outstanding <= Money::ZERO {
                    return Err(AppError::new(
                        ErrorCode::BillNotOpen,
                        format!("账单 {} {}，无需再付款。", bill.reference, bill.status.label()),
                    ));
                }
                let binding = Binding::of_village(conn, bill.village_id)?
                    .into_iter()
                    .find(|b| b.active && b.corporate_account_id == token.account_id && b.provider == provider)
                    .filter(can_order)
                    .ok_or_else(|| {
                        AppError::new(
                            ErrorCode::ChannelUnavailable,
                            format!("这个账户暂未开通{}收款，请选择其他付款方式。", provider.label()),
                        )
                    })?;
                if let Some(o) = GatewayOrder::open_for_bill(conn, bill.id, binding.id)? {
                    let fresh = o.expires_at.and_utc() > now + Duration::minutes(10);
                    if o.amount == outstanding && o.code_url.is_some() && fresh {
                        return Ok((o, binding, String::new(), true));
                    }
                }
                let village = Village::by_id(conn, bill.village_id)?;
                let item = FeeItem::in_village(conn, village.id, bill.fee_item_id)?
                    .map(|f| f.name)
                    .unwrap_or_default();
                let description = format!(
                    "{} {} {}",
                    village.name,
                    item,
                    crate::domain::schedule::shown_period(&bill.period_label)
                );
                let no = order_number(&bill.reference);
                let o = GatewayOrder::insert(
                    conn,
                    &NewGatewayOrder {
                        village_id: village.id,
                        binding_id: binding.id,
                        bill_id: bill.id,
                        provider,
                        out_trade_no: &no,
                        amount: outstanding,
                        status: OrderStatus::Creating,
                        created_at: now.naive_utc(),
                        expires_at: (now + Duration::minutes(ORDER_LIFETIME_MINUTES)).naive_utc(),
                        queries: 0,
                        next_query_at: (now + Duration::seconds(FIRST_QUERY_SECONDS)).naive_utc(),
                    },
                )?;
                Ok((o, binding, description, false))
            })
        })
        .await?
    };
    let (order, binding, description, reused) = prepared;
    if reused {
        return view(db, order).await;
    }
    // 2. Ask the gateway (outside any transaction).
    let gateway =
        gateway_for(&binding, sealing)?.ok_or_else(|| AppError::Internal("binding lost its gateway".into()))?;
    let request = OrderRequest {
        out_trade_no: order.out_trade_no.clone(),
        description,
        amount: order.amount,
        notify_url: format!(
            "{}/callbacks/{}/{}",
            public_url.trim_end_matches('/'),
            binding.provider,
            binding.id
        ),
        expires_at: order.expires_at.and_utc(),
    };
    let created = gateway.create_order(client, &request, period::now()).await;
    // 3. Record what the gateway said.
    let id = order.id;
    let outcome = match &created {
        Ok((code_url, _)) => Ok(code_url.clone()),
        Err(e) => Err(e.to_string()),
    };
    db.run(move |db| -> AppResult<()> {
        db.write(|conn| {
            match &outcome {
                Ok(code_url) => GatewayOrder::created(conn, id, code_url)?,
                // Refused outright: nothing to pay. Unreachable: it may exist there; keep
                // it `creating` so the query finds out.
                Err(reason) if reason.starts_with("gateway refused") => GatewayOrder::settle(
                    conn,
                    id,
                    OrderStatus::Failed,
                    Some(reason),
                    period::now().naive_utc(),
                    None,
                )?,
                Err(_) => {}
            }
            Ok(())
        })
    })
    .await?;
    match created {
        Ok(_) => {
            let order = db
                .run(move |db| {
                    db.read(|conn| -> AppResult<Option<GatewayOrder>> {
                        Ok(GatewayOrder::by_out_trade_no(conn, &request.out_trade_no)?)
                    })
                })
                .await?
                .ok_or_else(|| AppError::Internal("order vanished".into()))?;
            view(db, order).await
        }
        Err(e) => {
            tracing::warn!(order = %order.out_trade_no, error = %e, "gateway order not created");
            Err(AppError::Unavailable(format!(
                "the gateway did not take the order: {e}"
            )))
        }
    }
}

async fn view(db: &Db, order: GatewayOrder) -> AppResult<OrderView> {
    db.run(move |db| {
        db.read(|conn| {
            // The receipt in force for the order's bill (a credit placed elsewhere from
            // suspense, or one whose receipt was voided, shows none).
            let receipt = match order.bank_transaction_id {
                Some(t) => Receipt::of_bank_transaction(conn, t)?
                    .filter(|r| r.status != crate::domain::ReceiptStatus::Voided && r.bill_id == Some(order.bill_id)),
                None => None,
            };
            let village = Village::by_id(conn, order.village_id)?;
            // One receipt, one number: the full form the receipt, its print and its check page use.
            let number = receipt
                .as_ref()
                .map(|r| crate::payments::receipt_code::receipt_number(&village.code, r.year, r.number));
            let receipt_path = receipt
                .as_ref()
                .zip(number.as_ref())
                .map(|(r, n)| format!("/r/{n}?c={}", r.verification_code));
            let receipt = number;
            Ok(OrderView {
                out_trade_no: order.out_trade_no,
                provider: order.provider,
                code_url: order.code_url,
                status: order.status,
                amount: order.amount,
                receipt,
                receipt_path,
            })
        })
    })
    .await
}

/// An order as the pay page polls it; the pay code must be the one of the order's bill.
pub async fn order_status(db: &Db, key: &[u8], token_text: &str, out_trade_no: &str) -> AppResult<OrderView> {
    let token = token_of(key, token_text)?;
    let no = out_trade_no.to_string();
    let order = db
        .run(move |db| {
            db.read(|conn| -> AppResult<Option<GatewayOrder>> { Ok(GatewayOrder::by_out_trade_no(conn, &no)?) })
        })
        .await?
        .filter(|o| Some(o.bill_id) == token.bill_id)
        .ok_or_else(|| AppError::code(ErrorCode::OrderNotFound))?;
    view(db, order).await
}

/// What one round of queries did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct QueryRound {
    pub queried: usize,
    pub paid: usize,
    pub closed: usize,
    pub unanswered: usize,
}

fn backoff(queries: i32) -> Duration {
    let exp = queries.clamp(0, 16) as u32;
    Duration::seconds((FIRST_QUERY_SECONDS * 2i64.pow(exp)).min(QUERY_CAP_SECONDS))
}

/// Queries every order whose time has come (at most `limit`), and applies the payments found.
pub async fn query_due(
    db: &Db,
    sealing: &SealingKeys,
    client: &reqwest::Client,
    server_key: &[u8],
    now: DateTime<Utc>,
    limit: i64,
) -> AppResult<QueryRound> {
    let due = db
        .run(move |db| {
            db.read(|conn| -> AppResult<Vec<GatewayOrder>> {
                Ok(GatewayOrder::due(conn, now.naive_utc(), None, limit)?)
            })
        })
        .await?;
    query(db, sealing, client, server_key, due, now).await
}

/// Queries a village's open orders now, whatever their schedule (the accountant's "check now").
pub async fn query_village_now(
    db: &Db,
    sealing: &SealingKeys,
    client: &reqwest::Client,
    server_key: &[u8],
    actor: Actor,
    village_code: String,
) -> AppResult<QueryRound> {
    let due = db
        .run(move |db| {
            db.read(|conn| -> AppResult<Vec<GatewayOrder>> {
                let village = village_for(conn, &actor, &village_code, Action::ManageBilling)?;
                // Any schedule: a far-off "now" (not NaiveDateTime::MAX, which SQLite's text
                // timestamps would sort before today).
                let whenever = (period::now() + Duration::days(36_500)).naive_utc();
                Ok(GatewayOrder::due(conn, whenever, Some(village.id), 500)?)
            })
        })
        .await?;
    query(db, sealing, client, server_key, due, period::now()).await
}

async fn query(
    db: &Db,
    sealing: &SealingKeys,
    client: &reqwest::Client,
    server_key: &[u8],
    due: Vec<GatewayOrder>,
    now: DateTime<Utc>,
) -> AppResult<QueryRound> {
    let mut round = QueryRound::default();
    for order in due {
        round.queried += 1;
        let binding_id = order.binding_id;
        let binding = db
            .run(move |db| db.read(|conn| -> AppResult<Option<Binding>> { Ok(Binding::by_id(conn, binding_id)?) }))
            .await?
            .ok_or_else(|| AppError::Internal(format!("order {} has no binding", order.out_trade_no)))?;
        let Some(gateway) = gateway_for(&binding, sealing)? else {
            settle(
                db,
                &order,
                OrderStatus::Closed,
                Some("binding no longer orders".into()),
                now,
                None,
            )
            .await?;
            round.closed += 1;
            continue;
        };
        match gateway.query_order(client, &order.out_trade_no, period::now()).await {
            Ok((Answered::Paid(credit), evidence)) => {
                if credit.account_ref != binding.account_ref || credit.reference.as_deref() != Some(&order.out_trade_no)
                {
                    tracing::error!(order = %order.out_trade_no, "query answer names another merchant or order");
                    settle(
                        db,
                        &order,
                        order.status,
                        Some("answer names another merchant or order".into()),
                        now,
                        None,
                    )
                    .await?;
                    round.unanswered += 1;
                    continue;
                }
                let txn = apply_queried(db, binding.clone(), credit, evidence, server_key.to_vec()).await?;
                settle(db, &order, OrderStatus::Paid, None, now, Some(txn)).await?;
                round.paid += 1;
            }
            Ok((Answered::Pending, _)) => {
                let expired = now > order.expires_at.and_utc() + Duration::minutes(10);
                if expired {
                    settle(
                        db,
                        &order,
                        OrderStatus::Closed,
                        Some("expired unpaid".into()),
                        now,
                        None,
                    )
                    .await?;
                    round.closed += 1;
                } else {
                    let status = if order.status == OrderStatus::Creating && order.code_url.is_none() {
                        OrderStatus::Creating
                    } else {
                        OrderStatus::Pending
                    };
                    settle(db, &order, status, None, now, None).await?;
                }
            }
            Ok((Answered::Closed(reason), _)) => {
                settle(db, &order, OrderStatus::Closed, Some(reason), now, None).await?;
                round.closed += 1;
            }
            Err(e) => {
                if matches!(e, GatewayError::Invalid(_)) {
                    tracing::error!(order = %order.out_trade_no, error = %e, "gateway answer did not verify");
                } else {
                    tracing::warn!(order = %order.out_trade_no, error = %e, "order query failed");
                }
                settle(db, &order, order.status, Some(e.to_string()), now, None).await?;
                round.unanswered += 1;
            }
        }
    }
    Ok(round)
}

async fn settle(
    db: &Db,
    order: &GatewayOrder,
    status: OrderStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
    bank_transaction_id: Option<BankTransactionId>,
) -> AppResult<()> {
    let (id, next) = (order.id, (now + backoff(order.queries)).naive_utc());
    db.run(move |db| {
        db.write(|conn| -> AppResult<()> {
            Ok(GatewayOrder::settle(
                conn,
                id,
                status,
                reason.as_deref(),
                next,
                bank_transaction_id,
            )?)
        })
    })
    .await
}

/// Applies a payment learnt from a signed query answer, keeping the answer in the inbox.
async fn apply_queried(
    db: &Db,
    binding: Binding,
    credit: bank_adapters::BankCredit,
    evidence: Evidence,
    server_key: Vec<u8>,
) -> AppResult<BankTransactionId> {
    db.run(move |db| {
        let headers = serde_json::to_string(&evidence.headers).unwrap_or_else(|_| "[]".into());
        let raw = Raw {
            provider: credit.provider,
            binding_id: Some(binding.id),
            headers,
            body: &evidence.body,
            received_at: period::now().naive_utc(),
            source: InboxSource::OrderQuery,
            client: None,
        };
        match apply(db, &binding, &credit, &raw, &server_key)? {
            Applied::Posted {
                bank_transaction_id, ..
            }
            | Applied::Duplicate { bank_transaction_id } => Ok(bank_transaction_id),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_carry_the_reference_and_fit_the_gateways_rules() {
        let reference = BillReference::new(42, 1234).unwrap();
        let no = order_number(reference.as_str());
        assert_eq!(no.len(), 22);
        assert!(no.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        assert!(no.starts_with(&format!("QZ{}-", reference.as_str())));
        assert_ne!(order_number(reference.as_str()), no);
        assert_eq!(
            crate::payments::allocation::find_reference(&no).map(|r| r.as_str().to_string()),
            Some(reference.as_str().to_string())
        );
    }

    #[test]
    fn queries_back_off_to_half_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(60));
        assert_eq!(backoff(1), Duration::seconds(120));
        assert_eq!(backoff(5), Duration::seconds(1800));
        assert_eq!(backoff(40), Duration::seconds(1800));
    }
}
