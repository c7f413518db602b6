//! Cash, pay-ins and receipts: the clerk's money-handling actions.

use actix_web::{web, HttpResponse};

use crate::domain::{BankTransactionId, PayInId};
use crate::error::AppError;
use crate::usecases::cash::{
    self, CashInput, CashOnHand, ClaimInput, MatchInput, MatchProposal, PayInInput, PayInView,
};
use crate::usecases::disbursements::DisbursementView;
use crate::usecases::receipts::{self, ReceiptDetail, VoidInput, VoidOutcome};
use crate::usecases::refunds::{self, RefundInput, RefundsOverview};
use crate::usecases::suspense::{
    self, PlaceInput, PlacedCredit, TransferInput, TransferView, TransfersOverview, UndoInput, UndoOutcome,
    WaitingCredit,
};
use crate::web::auth::Authenticated;
use crate::web::error::ErrorBody;
use crate::web::AppState;

#[utoipa::path(post, path = "/api/v1/villages/{village}/cash", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = CashInput,
    responses((status = 201, body = ReceiptDetail), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Cash taken for a bill: Dr 101 / Cr income, and its receipt at once.
pub async fn record_cash(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<CashInput>,
) -> Result<HttpResponse, AppError> {
    let key = state.server_key.clone();
    let v = state
        .db
        .run(move |db| cash::record_cash(db, key.expose(), &who.actor, &path, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/claims", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = ClaimInput,
    responses((status = 201, body = ReceiptDetail), (status = 422, body = ErrorBody)))]
/// A payment the payer claims to have made by transfer: a 待核实 receipt until the bank confirms.
pub async fn claim_payment(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<ClaimInput>,
) -> Result<HttpResponse, AppError> {
    let key = state.server_key.clone();
    let v = state
        .db
        .run(move |db| cash::claim_payment(db, key.expose(), &who.actor, &path, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/pay-ins", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)), request_body = PayInInput,
    responses((status = 201, body = PayInView), (status = 422, body = ErrorBody)))]
/// The clerk deposits cash at the bank (代交).
pub async fn declare_pay_in(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
    body: web::Json<PayInInput>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| cash::declare_pay_in(db, &who.actor, &path, body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/pay-ins/proposals", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = Vec<MatchProposal>)))]
/// Unplaced bank credits that could be a declared pay-in's deposit.
pub async fn propose_matches(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| cash::propose_matches(db, &who.actor, &path))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/pay-ins/{pay_in}/match", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("pay_in" = i64, Path)), request_body = MatchInput,
    responses((status = 200, body = PayInView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Matches a pay-in to its bank credit: Dr 211.9999 / Cr 101.
pub async fn match_pay_in(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, PayInId)>,
    body: web::Json<MatchInput>,
) -> Result<HttpResponse, AppError> {
    let (code, id) = path.into_inner();
    let v = state
        .db
        .run(move |db| cash::match_pay_in(db, &who.actor, &code, id, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/cash-on-hand", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)), responses((status = 200, body = CashOnHand)))]
/// Cash on hand per clerk and for the village, pay-ins on their way, and the ledger's 101.
pub async fn cash_on_hand(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| cash::cash_on_hand(db, &who.actor, &path))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/receipts/{number}", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("number" = String, Path, description = "370725102201-2026-000042 or 2026-000042")),
    responses((status = 200, body = ReceiptDetail), (status = 404, body = ErrorBody)))]
pub async fn get_receipt(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, number) = path.into_inner();
    let v = state
        .db
        .run(move |db| receipts::get_receipt(db, &who.actor, &code, &number))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/receipts/{number}/void", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("number" = String, Path)), request_body = VoidInput,
    responses((status = 200, body = VoidOutcome), (status = 409, body = ErrorBody)))]
/// Voids a receipt (the number is kept, with the reason), optionally reissuing it.
pub async fn void_receipt(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
    body: web::Json<VoidInput>,
) -> Result<HttpResponse, AppError> {
    let (code, number) = path.into_inner();
    let key = state.server_key.clone();
    let v = state
        .db
        .run(move |db| receipts::void_receipt(db, key.expose(), &who.actor, &code, &number, body.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/exports/{file}", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("file" = String, Path, description = "receipts.xlsx, receipts.csv, cash-book.xlsx or cash-book.csv")),
    responses((status = 200, description = "XLSX, or CSV in UTF-8 with a BOM"), (status = 404, body = ErrorBody)))]
/// The village's receipts or cash book for the accountant.
pub async fn export(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, file) = path.into_inner();
    let (bytes, content_type, name) = state
        .db
        .run(move |db| {
            let (what, format) = crate::usecases::exports::parse_file(&file)?;
            crate::usecases::exports::export(db, &who.actor, &code, &what, format)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .body(bytes))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/suspense", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)),
    responses((status = 200, body = Vec<WaitingCredit>), (status = 404, body = ErrorBody)))]
/// Credits that named no bill and wait in suspense (211.9999) to be placed.
pub async fn list_suspense(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| suspense::list_waiting(db, &who.actor, &path))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/suspense/{bank_transaction}/place", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("bank_transaction" = i64, Path)), request_body = PlaceInput,
    responses((status = 201, body = ReceiptDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Places a waiting credit onto the bill it paid (the accountant): the bill is paid and the
/// receipt rests on that credit.
pub async fn place_suspense(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<PlaceInput>,
) -> Result<HttpResponse, AppError> {
    let (code, txn) = path.into_inner();
    let key = state.server_key.clone();
    let v = state
        .db
        .run(move |db| {
            suspense::place(
                db,
                key.expose(),
                &who.actor,
                &code,
                BankTransactionId(txn),
                body.into_inner(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/suspense/placed", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)),
    responses((status = 200, body = Vec<PlacedCredit>), (status = 404, body = ErrorBody)))]
/// The village's latest 50 placements in force, newest first (each may still be undone).
pub async fn list_placed_suspense(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| suspense::list_placed(db, &who.actor, &path))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/suspense/{bank_transaction}/undo", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("bank_transaction" = i64, Path)), request_body = UndoInput,
    responses((status = 200, body = UndoOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Undoes a placement onto the wrong bill (the accountant): the placement's entry is reversed,
/// the bill owes the amount again, the receipt on the credit is voided, and the credit waits in
/// suspense again.
pub async fn undo_placement(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<UndoInput>,
) -> Result<HttpResponse, AppError> {
    let (code, txn) = path.into_inner();
    let key = state.server_key.clone();
    let v = state
        .db
        .run(move |db| {
            suspense::undo(
                db,
                key.expose(),
                &who.actor,
                &code,
                BankTransactionId(txn),
                body.into_inner(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/suspense/refunds", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)),
    responses((status = 200, body = RefundsOverview), (status = 404, body = ErrorBody)))]
/// Credits whose excess over their bill waits in suspense (to be refunded), and the village's
/// refunds with where each disbursement stands.
pub async fn list_refunds(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let v = state.db.run(move |db| refunds::overview(db, &who.actor, &path)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/suspense/{bank_transaction}/refund", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("bank_transaction" = i64, Path)), request_body = RefundInput,
    responses((status = 201, body = DisbursementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Requests the refund of a credit's whole part in suspense (a credit that named no bill, or
/// the excess of one that overpaid its bill): a disbursement booked to 211.9999 that another
/// person approves, posted when the statement shows the debit.
pub async fn refund_suspense(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<RefundInput>,
) -> Result<HttpResponse, AppError> {
    let (code, txn) = path.into_inner();
    let v = state
        .db
        .run(move |db| refunds::request(db, &who.actor, &code, BankTransactionId(txn), body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}

#[utoipa::path(get, path = "/api/v1/villages/{village}/suspense/transfers", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path)),
    responses((status = 200, body = TransfersOverview), (status = 404, body = ErrorBody)))]
/// The village's credits moved out of suspense to the account they belong to, and the accounts
/// a transfer may land on today.
pub async fn list_transfers(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let v = state
        .db
        .run(move |db| suspense::transfers(db, &who.actor, &path))
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/villages/{village}/suspense/{bank_transaction}/transfer", tag = "cash", security(("bearer" = [])),
    params(("village" = String, Path), ("bank_transaction" = i64, Path)), request_body = TransferInput,
    responses((status = 201, body = TransferView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Moves a credit's whole part in suspense to the account it belongs to (the accountant: a
/// subsidy to 503, a donation to 504, a prepayment to a payable): Dr 211.9999 / Cr that
/// account, tied to the credit; final.
pub async fn transfer_suspense(
    state: web::Data<AppState>,
    who: Authenticated,
    path: web::Path<(String, i64)>,
    body: web::Json<TransferInput>,
) -> Result<HttpResponse, AppError> {
    let (code, txn) = path.into_inner();
    let v = state
        .db
        .run(move |db| suspense::transfer(db, &who.actor, &code, BankTransactionId(txn), body.into_inner()))
        .await?;
    Ok(HttpResponse::Created().json(v))
}
