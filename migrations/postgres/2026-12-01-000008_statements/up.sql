-- Bank statements: every file or API answer taken in (kept as evidence of what was read), and
-- each line the bank booked, once per corporate account whatever its source: a line's key is
-- the bank's serial, or a hash of what the bank printed where a file has no serial.
CREATE TABLE statement_imports (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    source TEXT NOT NULL CHECK (source IN ('api', 'file')),
    profile TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    encoding TEXT NOT NULL,
    lines_total BIGINT NOT NULL,
    lines_new BIGINT NOT NULL,
    first_date DATE NOT NULL,
    last_date DATE NOT NULL,
    -- Rows (JSON array) whose balance does not follow from the line before: a broken statement.
    broken_rows TEXT NOT NULL,
    imported_by BIGINT,
    imported_at TIMESTAMP NOT NULL
);
CREATE INDEX statement_imports_account ON statement_imports(corporate_account_id, id);
CREATE TABLE statement_lines (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    line_key TEXT NOT NULL,
    business_date DATE NOT NULL,
    -- The booking order: value time (or the date's midnight), then the import and its row.
    -- Times are Beijing time as the bank printed them.
    booked_at TIMESTAMP NOT NULL,
    position BIGINT NOT NULL,
    value_time TIMESTAMP,
    serial TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    balance_fen BIGINT,
    counterparty_name TEXT,
    counterparty_account TEXT,
    summary TEXT,
    remark TEXT,
    source TEXT NOT NULL CHECK (source IN ('api', 'file')),
    import_id BIGINT NOT NULL REFERENCES statement_imports(id),
    row_no BIGINT NOT NULL,
    raw TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (corporate_account_id, line_key)
);
CREATE INDEX statement_lines_day ON statement_lines(corporate_account_id, business_date, booked_at, import_id, position);
-- What the bank said is evidence: never edited, never deleted.
CREATE TRIGGER statement_lines_immutable BEFORE UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
CREATE TRIGGER statement_imports_immutable BEFORE UPDATE OR DELETE ON statement_imports
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
-- What reconciliation decided for each statement line: the credit it is (and by which rule),
-- or the entry reconciliation posted for it (a credit taken in, a debit to 待查明支出). A line
-- and a bank transaction are each matched at most once.
CREATE TABLE statement_matches (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    statement_line_id BIGINT NOT NULL UNIQUE REFERENCES statement_lines(id),
    bank_transaction_id BIGINT UNIQUE REFERENCES bank_transactions(id),
    entry_id BIGINT REFERENCES journal_entries(id),
    rule TEXT NOT NULL CHECK (rule IN ('serial', 'reference', 'amount_date_name', 'taken_in', 'disbursement', 'unexplained_debit')),
    amount_differs BOOLEAN NOT NULL,
    business_date DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX statement_matches_day ON statement_matches(corporate_account_id, business_date);
-- Reconciliation reads an account's credits by the time they were paid.
CREATE INDEX bank_transactions_account_paid ON bank_transactions(corporate_account_id, paid_at);
