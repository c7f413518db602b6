//! Staff pages (`/staff/…`): the clerk's day in the browser, with a session cookie and CSRF
//! protection. Thin handlers over the same use cases as the API.

pub mod admin;
pub mod bills;
pub mod books;
pub mod cash;
pub mod disbursements;
pub mod frame;
pub mod inspect_village;
pub mod inspection;
pub mod login;
pub mod print;
pub mod receipts;
pub mod reconciliation;
pub mod session;
pub mod suspense;
pub mod today;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/login", web::get().to(login::login_page))
        .route("/staff/login", web::post().to(login::login))
        .route("/staff/logout", web::post().to(login::logout))
        .route("/staff", web::get().to(login::home))
        .route("/staff/admin/users", web::get().to(admin::users))
        .route("/staff/admin/users", web::post().to(admin::create_user))
        .route("/staff/admin/users/{id}/active", web::post().to(admin::set_active))
        .route("/staff/admin/users/{id}/assignment", web::post().to(admin::reassign))
        .route(
            "/staff/admin/users/{id}/password",
            web::post().to(admin::reset_password),
        )
        .route("/staff/admin/profiles", web::get().to(admin::profiles))
        .route("/staff/admin/villages", web::get().to(admin::villages))
        .route("/staff/admin/villages", web::post().to(admin::create_village))
        .route("/staff/admin/v/{village}", web::get().to(admin::village))
        .route("/staff/admin/v/{village}/name", web::post().to(admin::rename))
        .route(
            "/staff/admin/v/{village}/cash-limit",
            web::post().to(admin::set_cash_limit),
        )
        .route(
            "/staff/admin/v/{village}/accounts",
            web::post().to(admin::create_account),
        )
        .route(
            "/staff/admin/v/{village}/bindings",
            web::post().to(admin::create_binding),
        )
        .route(
            "/staff/admin/v/{village}/bindings/{id}/rotate",
            web::get().to(admin::rotate_form),
        )
        .route("/staff/admin/v/{village}/bindings/{id}", web::post().to(admin::rotate))
        .route("/staff/inspect", web::get().to(inspection::dashboard))
        .route("/staff/inspect/run", web::post().to(inspection::run))
        .route("/staff/inspect/report.{ext}", web::get().to(inspection::download))
        .route("/staff/inspect/v/{village}", web::get().to(inspect_village::village))
        .route("/staff/findings/{id}", web::get().to(inspection::finding))
        .route("/staff/findings/{id}/status", web::post().to(inspection::step))
        .route("/staff/v/{village}", web::get().to(today::today))
        .route("/staff/v/{village}/bills", web::get().to(bills::bills))
        .route("/staff/v/{village}/disbursements", web::get().to(disbursements::list))
        .route(
            "/staff/v/{village}/disbursements",
            web::post().to(disbursements::request),
        )
        .route(
            "/staff/v/{village}/disbursements/{id}/decide",
            web::post().to(disbursements::decide),
        )
        .route(
            "/staff/v/{village}/disbursements/{id}/withdraw",
            web::post().to(disbursements::withdraw),
        )
        .route("/staff/v/{village}/suspense", web::get().to(suspense::list))
        .route(
            "/staff/v/{village}/suspense/{id}/place",
            web::post().to(suspense::place),
        )
        .route("/staff/v/{village}/suspense/{id}/undo", web::post().to(suspense::undo))
        .route("/staff/v/{village}/suspense/refund", web::post().to(suspense::refund))
        .route(
            "/staff/v/{village}/suspense/transfer",
            web::post().to(suspense::transfer),
        )
        .route("/staff/v/{village}/journal", web::get().to(books::journal))
        .route(
            "/staff/v/{village}/journal/{seq}/reverse",
            web::post().to(books::reverse),
        )
        .route("/staff/v/{village}/trial-balance", web::get().to(books::trial_balance))
        .route(
            "/staff/v/{village}/periods/{period}/close",
            web::post().to(books::close),
        )
        .route("/staff/v/{village}/bills/generate", web::post().to(bills::generate))
        .route("/staff/v/{village}/qr-sheet", web::get().to(bills::qr_sheet))
        .route("/staff/v/{village}/cash", web::get().to(cash::cash_form))
        .route("/staff/v/{village}/cash", web::post().to(cash::record_cash))
        .route("/staff/v/{village}/cash-on-hand", web::get().to(cash::cash_on_hand))
        .route("/staff/v/{village}/pay-ins", web::post().to(cash::declare_pay_in))
        .route(
            "/staff/v/{village}/pay-ins/{pay_in}/match",
            web::post().to(cash::match_pay_in),
        )
        .route("/staff/v/{village}/receipts", web::get().to(receipts::receipts_list))
        .route("/staff/v/{village}/receipts.pdf", web::get().to(receipts::receipts_pdf))
        .route("/staff/v/{village}/exports/{file}", web::get().to(receipts::export))
        .route("/staff/v/{village}/receipts/{number}", web::get().to(receipts::receipt))
        .route(
            "/staff/v/{village}/receipts/{number}/void",
            web::post().to(receipts::void),
        )
        .route(
            "/staff/v/{village}/receipts/{number}/print",
            web::get().to(receipts::print),
        )
        .route(
            "/staff/v/{village}/receipts/{number}/receipt.pdf",
            web::get().to(receipts::receipt_pdf),
        )
        .route("/staff/v/{village}/reconciliation", web::get().to(reconciliation::show))
        .route(
            "/staff/v/{village}/reconciliation/run",
            web::post().to(reconciliation::run),
        )
        .route(
            "/staff/v/{village}/reconciliation/fetch",
            web::post().to(reconciliation::fetch),
        )
        .service(
            web::resource("/staff/v/{village}/reconciliation/upload")
                .app_data(web::PayloadConfig::new(
                    crate::reconcile::statement::MAX_FILE_BYTES + 64 * 1024,
                ))
                .route(web::post().to(reconciliation::upload)),
        )
        .route(
            "/staff/v/{village}/reconciliation.{ext}",
            web::get().to(reconciliation::download),
        );
}
