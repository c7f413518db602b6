-- Money out (支出): a payment from a corporate account is requested by one person and approved
-- (or rejected) by another with the approving role; when the bank's statement shows the debit,
-- reconciliation matches it to the approved request and posts it (Dr the account it books to /
-- Cr 102). A debit with no approved request is never posted silently (211.9998 待查明支出).
CREATE TABLE disbursements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    payee_name TEXT NOT NULL,
    payee_account TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    purpose TEXT NOT NULL,
    -- The ledger account the payment books to (an expense, a payable, an asset bought).
    account_code TEXT NOT NULL,
    attachments TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'paid')),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    requested_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at TIMESTAMP,
    decision_note TEXT,
    statement_line_id BIGINT UNIQUE REFERENCES statement_lines(id),
    entry_id BIGINT REFERENCES journal_entries(id),
    -- Nobody approves their own request.
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX disbursements_village ON disbursements(village_id, status, id);
