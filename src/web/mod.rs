//! HTTP: the actix-web app. Handlers are thin: parse, authenticate, call one use case on the
//! blocking pool, render JSON. Errors become HTTP only in `error`.

pub mod api;
pub mod assets;
pub mod auth;
pub mod callbacks;
pub mod charts;
pub mod error;
pub mod guard;
pub mod limits;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod staff;

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;
use utoipa::OpenApi;

use crate::config::Config;
use crate::error::{AppError, ErrorCode};
use crate::store::Db;
use bank_adapters::Secret;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub server_key: Arc<Secret<Vec<u8>>>,
    /// Who may try a password, and when; and the bound on concurrent password hashes.
    pub login_gate: auth::LoginGate,
    /// Request budgets of the public pages (receipt checks, gateway orders).
    pub public_limiter: limits::PublicLimiter,
    /// What strangers' refused callbacks may make the inbox keep.
    pub refusals: Arc<crate::usecases::callbacks::RefusalBudget>,
    /// Opens and seals provider secrets.
    pub sealing: Arc<crate::payments::sealing::SealingKeys>,
    /// Calls gateways (orders, queries); one client so connections are reused.
    pub http: reqwest::Client,
    /// The statement layouts (built-in and an admin's), checked at start-up.
    pub profiles: Arc<crate::reconcile::profile::Profiles>,
}

/// Keyset paging parameters shared by list endpoints.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Return rows after this id.
    pub after_id: Option<i64>,
    /// At most this many rows (1-500, default 50).
    pub limit: Option<i64>,
}

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use api::{auth as a, billing as b, books as k, cash as c, payments as p, qr as q, registry as r, statements as s};
    cfg.route("/healthz", web::get().to(ops::healthz))
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics_text))
        .configure(staff::routes)
        .route(assets::ECHARTS_PATH, web::get().to(assets::echarts))
        .route("/assets/echarts-license.txt", web::get().to(assets::echarts_license))
        .route("/r", web::get().to(pages::receipt::blank))
        .route("/v/{village}", web::get().to(pages::village::show))
        .route("/v/{village}/poster", web::get().to(pages::village::poster))
        .route("/r/check", web::get().to(pages::receipt::from_form))
        .route("/r/{number}", web::get().to(pages::receipt::check))
        .route("/pay/{token}", web::get().to(pages::pay::show))
        .route("/pay/{token}/order", web::post().to(pages::pay::place_order))
        .route("/pay/{token}/order/{order}", web::get().to(pages::pay::show_order))
        .route("/pay/{token}/order/{order}/qr.png", web::get().to(pages::pay::order_qr))
        .service(
            web::resource("/callbacks/{provider}/{binding}")
                .app_data(web::PayloadConfig::new(callbacks::MAX_BODY))
                .route(web::post().to(callbacks::receive)),
        )
        .route(
            "/api/openapi.json",
            web::get().to(|| async { HttpResponse::Ok().json(openapi::ApiDoc::openapi()) }),
        )
        .service(
            web::scope("/api/v1")
                .route("/auth/login", web::post().to(a::login))
                .route("/auth/logout", web::post().to(a::logout))
                .route("/me", web::get().to(a::me))
                .route("/users", web::post().to(a::create_user))
                .route("/users", web::get().to(a::list_users))
                .route("/users/{id}/assignment", web::post().to(a::reassign_user))
                .route("/audit", web::get().to(a::list_audit))
                .route("/counties", web::get().to(r::list_counties))
                .route("/townships", web::post().to(r::create_township))
                .route("/townships", web::get().to(r::list_townships))
                .route("/villages", web::post().to(r::create_village))
                .route("/villages", web::get().to(r::list_villages))
                .route("/villages/{village}", web::get().to(r::get_village))
                .route("/villages/{village}/name", web::post().to(r::rename_village))
                .route("/villages/{village}/cash-limit", web::get().to(r::get_cash_limit))
                .route("/villages/{village}/cash-limit", web::post().to(r::set_cash_limit))
                .route("/villages/{village}/accounts", web::post().to(r::add_account))
                .route("/villages/{village}/accounts", web::get().to(r::list_accounts))
                .route("/villages/{village}/payers", web::post().to(b::create_payer))
                .route("/villages/{village}/payers", web::get().to(b::list_payers))
                .route("/villages/{village}/fee-items", web::post().to(b::create_fee_item))
                .route("/villages/{village}/fee-items", web::get().to(b::list_fee_items))
                .route("/villages/{village}/contracts", web::post().to(b::create_contract))
                .route("/villages/{village}/contracts", web::get().to(b::list_contracts))
                .route("/villages/{village}/bills", web::post().to(b::create_bill))
                .route("/villages/{village}/bills", web::get().to(b::list_bills))
                .route("/villages/{village}/bills/generate", web::post().to(b::generate_bills))
                .route("/villages/{village}/bills/{reference}", web::get().to(b::get_bill))
                .route(
                    "/villages/{village}/bills/{reference}/cancel",
                    web::post().to(b::cancel_bill),
                )
                .route(
                    "/villages/{village}/ledger/accounts",
                    web::get().to(k::list_ledger_accounts),
                )
                .route("/villages/{village}/entries", web::post().to(k::post_entry))
                .route("/villages/{village}/entries", web::get().to(k::list_entries))
                .route("/villages/{village}/entries/{seq}", web::get().to(k::get_entry))
                .route(
                    "/villages/{village}/entries/{seq}/reverse",
                    web::post().to(k::reverse_entry),
                )
                .route("/villages/{village}/periods/closed", web::get().to(k::closed_periods))
                .route(
                    "/villages/{village}/periods/{period}/close",
                    web::post().to(k::close_period),
                )
                .route("/villages/{village}/trial-balance", web::get().to(k::trial_balance))
                .route("/villages/{village}/chain-head", web::get().to(k::chain_head))
                .route("/villages/{village}/verify", web::get().to(k::verify_village))
                .route(
                    "/villages/{village}/accounts/{account}/bindings",
                    web::post().to(p::create_binding),
                )
                .route("/villages/{village}/bindings", web::get().to(p::list_bindings))
                .route(
                    "/villages/{village}/bindings/{binding}",
                    web::put().to(p::replace_binding),
                )
                .route(
                    "/villages/{village}/bank-transactions",
                    web::get().to(p::list_bank_transactions),
                )
                .route("/villages/{village}/receipts", web::get().to(p::list_receipts))
                .route("/villages/{village}/receipts/{number}", web::get().to(c::get_receipt))
                .route(
                    "/villages/{village}/receipts/{number}/void",
                    web::post().to(c::void_receipt),
                )
                .route("/villages/{village}/suspense", web::get().to(c::list_suspense))
                .route(
                    "/villages/{village}/suspense/{bank_transaction}/place",
                    web::post().to(c::place_suspense),
                )
                .route(
                    "/villages/{village}/suspense/placed",
                    web::get().to(c::list_placed_suspense),
                )
                .route(
                    "/villages/{village}/suspense/{bank_transaction}/undo",
                    web::post().to(c::undo_placement),
                )
                .route("/villages/{village}/suspense/refunds", web::get().to(c::list_refunds))
                .route(
                    "/villages/{village}/suspense/transfers",
                    web::get().to(c::list_transfers),
                )
                .route(
                    "/villages/{village}/suspense/{bank_transaction}/transfer",
                    web::post().to(c::transfer_suspense),
                )
                .route(
                    "/villages/{village}/suspense/{bank_transaction}/refund",
                    web::post().to(c::refund_suspense),
                )
                .route("/villages/{village}/cash", web::post().to(c::record_cash))
                .route("/villages/{village}/claims", web::post().to(c::claim_payment))
                .route("/villages/{village}/pay-ins", web::post().to(c::declare_pay_in))
                .route(
                    "/villages/{village}/pay-ins/proposals",
                    web::get().to(c::propose_matches),
                )
                .route(
                    "/villages/{village}/pay-ins/{pay_in}/match",
                    web::post().to(c::match_pay_in),
                )
                .route("/villages/{village}/cash-on-hand", web::get().to(c::cash_on_hand))
                .route("/villages/{village}/exports/{file}", web::get().to(c::export))
                .route(
                    "/villages/{village}/gateway-orders/query",
                    web::post().to(p::query_orders),
                )
                .route("/inbox", web::get().to(p::list_inbox))
                .route(
                    "/villages/{village}/accounts/{account}/qr",
                    web::get().to(q::account_code),
                )
                .route("/villages/{village}/bills/{reference}/qr", web::get().to(q::bill_code))
                .route("/villages/{village}/qr-sheet", web::get().to(pages::sheet::show))
                .service(
                    web::resource("/villages/{village}/accounts/{account}/statements")
                        .app_data(web::PayloadConfig::new(crate::reconcile::statement::MAX_FILE_BYTES))
                        .route(web::post().to(s::import))
                        .route(web::get().to(s::list_lines)),
                )
                .route(
                    "/villages/{village}/accounts/{account}/statements/fetch",
                    web::post().to(s::fetch),
                )
                .route(
                    "/villages/{village}/accounts/{account}/reconcile",
                    web::post().to(s::reconcile),
                )
                .route(
                    "/villages/{village}/accounts/{account}/reconciliation",
                    web::get().to(s::report),
                )
                .route(
                    "/villages/{village}/accounts/{account}/reconciliation/export",
                    web::get().to(s::report_file),
                )
                .route(
                    "/villages/{village}/disbursements",
                    web::post().to(s::request_disbursement),
                )
                .route(
                    "/villages/{village}/disbursements",
                    web::get().to(s::list_disbursements),
                )
                .route(
                    "/villages/{village}/disbursements/{id}/approve",
                    web::post().to(s::approve_disbursement),
                )
                .route(
                    "/villages/{village}/disbursements/{id}/reject",
                    web::post().to(s::reject_disbursement),
                )
                .route(
                    "/villages/{village}/disbursements/{id}/withdraw",
                    web::post().to(s::withdraw_disbursement),
                )
                .route("/villages/{village}/journal.beancount", web::get().to(k::beancount))
                .route("/inspection/runs", web::post().to(api::inspection::run_inspection))
                .route("/inspection/report", web::get().to(api::inspection::inspection_report))
                .route("/findings", web::get().to(api::inspection::list_findings))
                .route("/findings/{id}", web::get().to(api::inspection::get_finding))
                .route("/findings/{id}/status", web::post().to(api::inspection::move_finding)),
        );
}

/// Parser failures (bad JSON, path, query or form) answer 400 with what was wrong.
fn extractor_configs(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(256 * 1024)
            .error_handler(|e, _| error::bad_request(ErrorCode::InvalidJson, e.to_string(), "body")),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|e, _| error::bad_request(ErrorCode::InvalidPath, e.to_string(), "path")),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| error::bad_request(ErrorCode::InvalidQuery, e.to_string(), "query")),
    )
    .app_data(
        web::FormConfig::default()
            .limit(64 * 1024)
            .error_handler(|e, _| error::bad_request(ErrorCode::InvalidForm, e.to_string(), "form")),
    );
}

tokio::task_local! {
    static REQUEST_ID: String;
}

fn new_request_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// The id of the request being answered: in its log lines, its `X-Request-Id` header, and any
/// "系统出错（编号 …）" it shows. Outside a request, a fresh one.
pub fn request_id() -> String {
    REQUEST_ID
        .try_with(|id| id.clone())
        .unwrap_or_else(|_| new_request_id())
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::code(ErrorCode::RouteNotFound))
}

/// Starts the HTTP server on an already bound listener (port 0 in tests).
pub fn start(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let body_deadline = std::time::Duration::from_secs(state.config.body_deadline_secs.max(1));
    let state = web::Data::new(state);
    ops::prometheus();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(extractor_configs)
            .configure(routes)
            .default_service(web::to(not_found))
            .wrap_fn(move |mut req, srv| {
                let started = Instant::now();
                let refused = guard::control_characters(&req);
                guard::body_deadline(&mut req, body_deadline);
                let method = req.method().to_string();
                let id = new_request_id();
                // The path as sent (still percent-encoded): a client cannot break a log line.
                let span = tracing::info_span!("http", request_id = %id, %method, path = %req.path(), status = tracing::field::Empty, user = tracing::field::Empty);
                // The whole request runs inside the span and with its id: extractors, the
                // handler, and (through Db::run) the blocking database work.
                let fut = match refused {
                    None => futures_util::future::Either::Left(srv.call(req)),
                    Some(code) => {
                        let res = req.into_response(
                            actix_web::ResponseError::error_response(&AppError::code(code)),
                        );
                        futures_util::future::Either::Right(std::future::ready(Ok(res)))
                    }
                };
                let fut = REQUEST_ID.scope(id.clone(), fut.instrument(span.clone()));
                async move {
                    let mut res = fut.await?;
                    guard::secure_headers(&mut res);
                    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
                        res.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
                    }
                    let status = res.status().as_u16();
                    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                    let elapsed = started.elapsed().as_secs_f64();
                    metrics::counter!("qz_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status.to_string()).increment(1);
                    metrics::histogram!("qz_http_request_seconds", "method" => method, "route" => route).record(elapsed);
                    span.record("status", status);
                    tracing::debug!(parent: &span, status, ms = elapsed * 1000.0, "request");
                    Ok(res)
                }
            })
    })
    .listen(listener)?
    .run();
    Ok(server)
}
