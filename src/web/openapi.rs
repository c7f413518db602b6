//! The OpenAPI document at `/api/openapi.json`, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::api;
use super::ops;

#[derive(OpenApi)]
#[openapi(
    info(title = "qingzhang 清账", description = "Village collective funds: registry, billing and books. Amounts are strings of yuan with two decimals (\"1234.50\"). Errors are {code, message, field}."),
    paths(
        api::auth::login, api::auth::logout, api::auth::me, api::auth::create_user, api::auth::list_users, api::auth::reassign_user, api::auth::list_audit,
        api::registry::list_counties, api::registry::create_township, api::registry::list_townships,
        api::registry::create_village, api::registry::list_villages, api::registry::get_village, api::registry::rename_village, api::registry::get_cash_limit, api::registry::set_cash_limit,
        api::registry::add_account, api::registry::list_accounts,
        api::billing::create_payer, api::billing::list_payers, api::billing::create_fee_item, api::billing::list_fee_items,
        api::billing::create_contract, api::billing::list_contracts, api::billing::create_bill, api::billing::generate_bills,
        api::billing::list_bills, api::billing::get_bill, api::billing::cancel_bill,
        api::books::list_ledger_accounts, api::books::post_entry, api::books::list_entries, api::books::get_entry,
        api::books::reverse_entry, api::books::close_period, api::books::closed_periods, api::books::trial_balance,
        api::books::chain_head, api::books::verify_village, api::books::beancount,
        api::payments::create_binding, api::payments::replace_binding, api::payments::list_bindings,
        api::payments::list_bank_transactions, api::payments::list_receipts, api::payments::list_inbox,
        api::payments::query_orders,
        api::cash::record_cash, api::cash::claim_payment, api::cash::declare_pay_in, api::cash::propose_matches,
        api::cash::match_pay_in, api::cash::cash_on_hand, api::cash::get_receipt, api::cash::void_receipt,
        api::cash::export, api::cash::list_suspense, api::cash::place_suspense, api::cash::list_placed_suspense, api::cash::undo_placement, api::cash::list_refunds, api::cash::refund_suspense, api::cash::list_transfers, api::cash::transfer_suspense,
        api::qr::account_code, api::qr::bill_code,
        api::statements::import, api::statements::list_lines, api::statements::fetch, api::statements::reconcile, api::statements::report, api::statements::report_file,
        api::statements::request_disbursement, api::statements::list_disbursements,
        api::statements::approve_disbursement, api::statements::reject_disbursement, api::statements::withdraw_disbursement,
        api::inspection::run_inspection, api::inspection::list_findings, api::inspection::get_finding,
        api::inspection::move_finding, api::inspection::inspection_report,
        ops::healthz, ops::readyz, ops::metrics_text,
    ),
    components(schemas(crate::usecases::qr_codes::Format, crate::usecases::qr_codes::Payload, crate::usecases::exports::ExportFormat, crate::web::api::inspection::ReportFormat)),
    modifiers(&BearerAuth),
    tags(
        (name = "access", description = "Login, users, audit log"),
        (name = "registry", description = "Townships, villages, corporate accounts"),
        (name = "billing", description = "Payers, fee items, contracts, bills"),
        (name = "ledger", description = "Accounts, journal entries, month close, trial balance, hash chain"),
        (name = "payments", description = "Provider bindings, bank transactions, receipts, the callback inbox"),
        (name = "cash", description = "Cash taken, pay-ins (代交) and their matching, receipts: view, void, reissue"),
        (name = "reconciliation", description = "Bank statements: import, lines, reconciliation against the books; money out (disbursements)"),
        (name = "inspection", description = "Inspection rules, findings and their workflow, reports (discipline inspectors)"),
        (name = "ops", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x) {
                        ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                        _ => refs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    /// A client generated from the document must find every schema it names.
    #[test]
    fn every_reference_in_the_document_resolves() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        let missing: std::collections::BTreeSet<String> = found
            .into_iter()
            .filter(|r| {
                let name = r.trim_start_matches("#/components/schemas/");
                doc["components"]["schemas"].get(name).is_none()
            })
            .collect();
        assert!(missing.is_empty(), "undefined: {missing:?}");
    }

    /// Operation ids name client methods: two alike break a generated client (and validators).
    #[test]
    fn every_operation_id_is_unique() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if let Some(id) = op["operationId"].as_str() {
                    if let Some(other) = seen.insert(id.to_string(), format!("{method} {path}")) {
                        panic!("operationId {id} for {method} {path} and {other}");
                    }
                }
            }
        }
        assert!(seen.len() > 40);
    }

    /// Enums list what JSON carries: the stored names, every one of which reads back.
    #[test]
    fn vocabulary_schemas_list_the_names_json_carries() {
        use crate::domain::vocabulary::BillStatus;
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let values = &doc["components"]["schemas"]["BillStatus"]["enum"];
        assert_eq!(values, &serde_json::json!(["open", "part_paid", "paid", "cancelled"]));
        for v in values.as_array().unwrap() {
            serde_json::from_value::<BillStatus>(v.clone()).unwrap();
        }
    }
}
