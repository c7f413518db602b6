//! Staff pages (`/staff/…`): the clerk's day in the browser, with a session cookie and CSRF
//! protection. Thin handlers over the same use cases as the API.

pub mod frame;
pub mod pages;
pub mod print;
pub mod session;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    use pages as p;
    cfg.route("/staff/login", web::get().to(p::login_page))
        .route("/staff/login", web::post().to(p::login))
        .route("/staff/logout", web::post().to(p::logout))
        .route("/staff", web::get().to(p::home))
        .route("/staff/v/{village}", web::get().to(p::today))
        .route("/staff/v/{village}/bills", web::get().to(p::bills))
        .route("/staff/v/{village}/bills/generate", web::post().to(p::generate))
        .route("/staff/v/{village}/qr-sheet", web::get().to(p::qr_sheet))
        .route("/staff/v/{village}/cash", web::get().to(p::cash_form))
        .route("/staff/v/{village}/cash", web::post().to(p::record_cash))
        .route("/staff/v/{village}/cash-on-hand", web::get().to(p::cash_on_hand))
        .route("/staff/v/{village}/pay-ins", web::post().to(p::declare_pay_in))
        .route(
            "/staff/v/{village}/pay-ins/{pay_in}/match",
            web::post().to(p::match_pay_in),
        )
        .route("/staff/v/{village}/receipts", web::get().to(p::receipts_list))
        .route("/staff/v/{village}/receipts.pdf", web::get().to(p::receipts_pdf))
        .route("/staff/v/{village}/exports/{file}", web::get().to(p::export))
        .route("/staff/v/{village}/receipts/{number}", web::get().to(p::receipt))
        .route("/staff/v/{village}/receipts/{number}/void", web::post().to(p::void))
        .route("/staff/v/{village}/receipts/{number}/print", web::get().to(p::print))
        .route(
            "/staff/v/{village}/receipts/{number}/receipt.pdf",
            web::get().to(p::receipt_pdf),
        );
}
