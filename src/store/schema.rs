//! Diesel's view of the schema; the same on both backends (migrations/postgres, migrations/sqlite).
//! Only portable SQL types: BigInt, Integer, Text, Bool, Timestamp, Date.

diesel::table! {
    counties (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    townships (id) {
        id -> BigInt,
        county_id -> BigInt,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    villages (id) {
        id -> BigInt,
        township_id -> BigInt,
        code -> Text,
        name -> Text,
        cash_limit_fen -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    village_cash_limits (id) {
        id -> BigInt,
        village_id -> BigInt,
        effective_from -> Date,
        limit_fen -> BigInt,
        note -> Text,
        set_by -> BigInt,
        set_at -> Timestamp,
    }
}

diesel::table! {
    village_counters (village_id, name) {
        village_id -> BigInt,
        name -> Text,
        last_value -> BigInt,
    }
}

diesel::table! {
    corporate_accounts (id) {
        id -> BigInt,
        village_id -> BigInt,
        bank_name -> Text,
        account_name -> Text,
        account_no -> Text,
        ledger_account_id -> BigInt,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payers (id) {
        id -> BigInt,
        village_id -> BigInt,
        kind -> Text,
        name -> Text,
        phone -> Nullable<Text>,
        household_no -> Nullable<Text>,
        ledger_account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    fee_items (id) {
        id -> BigInt,
        village_id -> BigInt,
        code -> Text,
        name -> Text,
        income_account_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contracts (id) {
        id -> BigInt,
        village_id -> BigInt,
        contract_no -> Text,
        kind -> Text,
        payer_id -> BigInt,
        fee_item_id -> BigInt,
        area -> Nullable<Text>,
        unit_price_fen -> Nullable<BigInt>,
        fixed_amount_fen -> Nullable<BigInt>,
        schedule -> Text,
        start_date -> Date,
        end_date -> Date,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bills (id) {
        id -> BigInt,
        village_id -> BigInt,
        seq -> BigInt,
        reference -> Text,
        payer_id -> BigInt,
        fee_item_id -> BigInt,
        contract_id -> Nullable<BigInt>,
        period_label -> Text,
        amount_fen -> BigInt,
        paid_fen -> BigInt,
        status -> Text,
        due_date -> Date,
        note -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> BigInt,
        village_id -> BigInt,
        chart_version -> Text,
        code -> Text,
        name -> Text,
        category -> Text,
        normal_side -> Text,
        parent_code -> Nullable<Text>,
        postable -> Bool,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_heads (village_id) {
        village_id -> BigInt,
        last_seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    journal_entries (id) {
        id -> BigInt,
        village_id -> BigInt,
        seq -> BigInt,
        entry_date -> Date,
        period -> Text,
        memo -> Text,
        source -> Text,
        reverses_entry_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    journal_postings (id) {
        id -> BigInt,
        entry_id -> BigInt,
        village_id -> BigInt,
        line_no -> Integer,
        account_id -> BigInt,
        debit_fen -> BigInt,
        credit_fen -> BigInt,
        memo -> Text,
    }
}

diesel::table! {
    account_balances (account_id) {
        account_id -> BigInt,
        village_id -> BigInt,
        debit_fen -> BigInt,
        credit_fen -> BigInt,
    }
}

diesel::table! {
    closed_periods (village_id, period) {
        village_id -> BigInt,
        period -> Text,
        closed_by -> Nullable<BigInt>,
        closed_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        scope_kind -> Text,
        scope_id -> BigInt,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_heads (id) {
        id -> Integer,
        last_seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        seq -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        village_id -> Nullable<BigInt>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(townships -> counties (county_id));
diesel::joinable!(villages -> townships (township_id));
diesel::joinable!(journal_postings -> journal_entries (entry_id));
diesel::joinable!(journal_postings -> ledger_accounts (account_id));
diesel::joinable!(bills -> payers (payer_id));
diesel::joinable!(bills -> fee_items (fee_item_id));
diesel::joinable!(contracts -> payers (payer_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(provider_bindings -> corporate_accounts (corporate_account_id));
diesel::joinable!(receipts -> bank_transactions (bank_transaction_id));

diesel::allow_tables_to_appear_in_same_query!(
    counties,
    townships,
    villages,
    village_counters,
    corporate_accounts,
    payers,
    fee_items,
    contracts,
    bills,
    ledger_accounts,
    ledger_heads,
    journal_entries,
    journal_postings,
    account_balances,
    closed_periods,
    users,
    api_tokens,
    audit_heads,
    audit_log,
    provider_bindings,
    callback_inbox,
    bank_transactions,
    receipts,
    gateway_orders,
    pay_ins,
    cash_records,
    receipt_voids,
    statement_imports,
    statement_lines,
    statement_matches,
    disbursements,
    inspection_runs,
    findings,
    finding_events,
    settlements,
    clearing_items,
    suspense_placements,
    placement_undos,
    suspense_refunds,
    village_cash_limits,
    disbursement_withdrawals,
    suspense_transfers,
);

diesel::table! {
    provider_bindings (id) {
        id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        provider -> Text,
        account_ref -> Text,
        public_config -> Text,
        sealed_secrets -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        settlement -> Text,
        fee_rate_ppm -> BigInt,
    }
}

diesel::table! {
    suspense_placements (id) {
        id -> BigInt,
        village_id -> BigInt,
        bank_transaction_id -> BigInt,
        attempt -> Integer,
        bill_id -> BigInt,
        amount_fen -> BigInt,
        entry_id -> BigInt,
        note -> Text,
        placed_by -> BigInt,
        placed_at -> Timestamp,
        confirmed_receipt_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    placement_undos (id) {
        id -> BigInt,
        placement_id -> BigInt,
        village_id -> BigInt,
        reversal_entry_id -> BigInt,
        voided_receipt_id -> Nullable<BigInt>,
        note -> Text,
        undone_by -> BigInt,
        undone_at -> Timestamp,
    }
}

diesel::table! {
    disbursement_withdrawals (disbursement_id) {
        disbursement_id -> BigInt,
        village_id -> BigInt,
        withdrawn_by -> BigInt,
        withdrawn_at -> Timestamp,
        note -> Text,
    }
}

diesel::table! {
    suspense_transfers (id) {
        id -> BigInt,
        village_id -> BigInt,
        bank_transaction_id -> BigInt,
        amount_fen -> BigInt,
        account_code -> Text,
        entry_id -> BigInt,
        note -> Text,
        transferred_by -> BigInt,
        transferred_at -> Timestamp,
    }
}

diesel::table! {
    suspense_refunds (id) {
        id -> BigInt,
        village_id -> BigInt,
        bank_transaction_id -> BigInt,
        attempt -> Integer,
        disbursement_id -> BigInt,
        amount_fen -> BigInt,
    }
}

diesel::table! {
    settlements (id) {
        id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        binding_id -> BigInt,
        statement_line_id -> BigInt,
        first_day -> Nullable<Date>,
        last_day -> Nullable<Date>,
        payments -> BigInt,
        gross_fen -> BigInt,
        fee_fen -> BigInt,
        expected_fen -> BigInt,
        amount_fen -> BigInt,
        entry_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    clearing_items (bank_transaction_id) {
        bank_transaction_id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        binding_id -> BigInt,
        business_date -> Date,
        amount_fen -> BigInt,
        fee_fen -> BigInt,
        settlement_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    callback_inbox (id) {
        id -> BigInt,
        provider -> Text,
        binding_id -> Nullable<BigInt>,
        received_at -> Timestamp,
        headers -> Text,
        body -> Binary,
        status -> Text,
        reason -> Nullable<Text>,
        provider_txn_id -> Nullable<Text>,
        bank_transaction_id -> Nullable<BigInt>,
        processed_at -> Nullable<Timestamp>,
        source -> Text,
        body_sha256 -> Nullable<Text>,
        body_size -> BigInt,
        body_whole -> Bool,
        client -> Nullable<Text>,
    }
}

diesel::table! {
    bank_transactions (id) {
        id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        provider -> Text,
        provider_txn_id -> Text,
        amount_fen -> BigInt,
        paid_at -> Timestamp,
        payer_masked -> Nullable<Text>,
        reference -> Nullable<Text>,
        bill_id -> Nullable<BigInt>,
        entry_id -> BigInt,
        outcome -> Text,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    receipts (id) {
        id -> BigInt,
        village_id -> BigInt,
        year -> Integer,
        number -> BigInt,
        bill_id -> Nullable<BigInt>,
        payer_id -> Nullable<BigInt>,
        fee_item_id -> Nullable<BigInt>,
        bank_transaction_id -> Nullable<BigInt>,
        amount_fen -> BigInt,
        channel -> Text,
        status -> Text,
        issued_at -> Timestamp,
        issued_by -> Nullable<BigInt>,
        verification_code -> Text,
        cash_record_id -> Nullable<BigInt>,
        replaces_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    gateway_orders (id) {
        id -> BigInt,
        village_id -> BigInt,
        binding_id -> BigInt,
        bill_id -> BigInt,
        provider -> Text,
        out_trade_no -> Text,
        amount_fen -> BigInt,
        code_url -> Nullable<Text>,
        status -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        queries -> Integer,
        next_query_at -> Timestamp,
        bank_transaction_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    pay_ins (id) {
        id -> BigInt,
        village_id -> BigInt,
        clerk_id -> BigInt,
        corporate_account_id -> BigInt,
        amount_fen -> BigInt,
        declared_at -> Timestamp,
        status -> Text,
        bank_transaction_id -> Nullable<BigInt>,
        entry_id -> Nullable<BigInt>,
        matched_by -> Nullable<BigInt>,
        matched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cash_records (id) {
        id -> BigInt,
        village_id -> BigInt,
        clerk_id -> BigInt,
        bill_id -> BigInt,
        amount_fen -> BigInt,
        received_at -> Timestamp,
        entry_id -> BigInt,
        status -> Text,
        pay_in_id -> Nullable<BigInt>,
        reversal_entry_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    receipt_voids (receipt_id) {
        receipt_id -> BigInt,
        reason -> Text,
        voided_by -> BigInt,
        voided_at -> Timestamp,
        printed_payer_name -> Text,
    }
}

diesel::table! {
    statement_imports (id) {
        id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        source -> Text,
        profile -> Text,
        file_name -> Text,
        file_sha256 -> Text,
        file_size -> BigInt,
        encoding -> Text,
        lines_total -> BigInt,
        lines_new -> BigInt,
        first_date -> Date,
        last_date -> Date,
        broken_rows -> Text,
        imported_by -> Nullable<BigInt>,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    statement_lines (id) {
        id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        line_key -> Text,
        business_date -> Date,
        booked_at -> Timestamp,
        position -> BigInt,
        value_time -> Nullable<Timestamp>,
        serial -> Nullable<Text>,
        direction -> Text,
        amount_fen -> BigInt,
        balance_fen -> Nullable<BigInt>,
        counterparty_name -> Nullable<Text>,
        counterparty_account -> Nullable<Text>,
        summary -> Nullable<Text>,
        remark -> Nullable<Text>,
        source -> Text,
        import_id -> BigInt,
        row_no -> BigInt,
        raw -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    statement_matches (statement_line_id) {
        statement_line_id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        bank_transaction_id -> Nullable<BigInt>,
        entry_id -> Nullable<BigInt>,
        rule -> Text,
        amount_differs -> Bool,
        business_date -> Date,
        created_at -> Timestamp,
    }
}

diesel::table! {
    disbursements (id) {
        id -> BigInt,
        village_id -> BigInt,
        corporate_account_id -> BigInt,
        payee_name -> Text,
        payee_account -> Text,
        amount_fen -> BigInt,
        purpose -> Text,
        account_code -> Text,
        attachments -> Text,
        status -> Text,
        requested_by -> BigInt,
        requested_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        statement_line_id -> Nullable<BigInt>,
        entry_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    inspection_runs (id) {
        id -> BigInt,
        scope_kind -> Text,
        scope_code -> Text,
        period_from -> Date,
        period_to -> Date,
        rules -> Text,
        as_of -> Timestamp,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        villages_checked -> BigInt,
        villages_failed -> Text,
        flags -> BigInt,
        findings_new -> BigInt,
        findings_gone -> BigInt,
        run_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    findings (id) {
        id -> BigInt,
        village_id -> BigInt,
        rule -> Text,
        subject -> Text,
        severity -> Text,
        period_start -> Date,
        period_end -> Date,
        amount_fen -> BigInt,
        summary -> Text,
        evidence -> Text,
        status -> Text,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
        cause_gone_at -> Nullable<Timestamp>,
        last_run_id -> BigInt,
    }
}

diesel::table! {
    finding_events (id) {
        id -> BigInt,
        finding_id -> BigInt,
        at -> Timestamp,
        kind -> Text,
        actor_id -> Nullable<BigInt>,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Text,
        run_id -> Nullable<BigInt>,
    }
}

diesel::joinable!(findings -> villages (village_id));
diesel::joinable!(finding_events -> findings (finding_id));
