-- (SQLite: the added receipt columns carry no REFERENCES, so the down migration can drop them.)
-- Cash taken by a clerk and its pay-in (代交) to the corporate account, and what a receipt
-- needs beyond #3: its cash record, and voids (kept apart: a void adds a row, the receipt
-- keeps its number) and reissues.
CREATE TABLE pay_ins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    clerk_id BIGINT NOT NULL REFERENCES users(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    declared_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('declared', 'matched')),
    -- The bank credit this deposit became; one credit matches at most one pay-in.
    bank_transaction_id BIGINT UNIQUE REFERENCES bank_transactions(id),
    -- Dr 211.9999 suspense / Cr 101 cash: the credit, first posted to suspense, is cash paid in.
    entry_id BIGINT REFERENCES journal_entries(id),
    matched_by BIGINT REFERENCES users(id),
    matched_at TIMESTAMP
);
CREATE INDEX pay_ins_village ON pay_ins(village_id, status);
CREATE TABLE cash_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    clerk_id BIGINT NOT NULL REFERENCES users(id),
    bill_id BIGINT NOT NULL REFERENCES bills(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    received_at TIMESTAMP NOT NULL,
    -- Dr 101 cash / Cr income.
    entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    status TEXT NOT NULL CHECK (status IN ('on_hand', 'paid_in', 'voided')),
    pay_in_id BIGINT REFERENCES pay_ins(id),
    -- The reversal posted when the cash receipt was voided outright.
    reversal_entry_id BIGINT REFERENCES journal_entries(id)
);
CREATE INDEX cash_records_clerk ON cash_records(village_id, clerk_id, status);
ALTER TABLE receipts ADD COLUMN cash_record_id BIGINT;
ALTER TABLE receipts ADD COLUMN replaces_id BIGINT;
CREATE TABLE receipt_voids (
    receipt_id BIGINT PRIMARY KEY REFERENCES receipts(id),
    reason TEXT NOT NULL,
    voided_by BIGINT NOT NULL REFERENCES users(id),
    voided_at TIMESTAMP NOT NULL,
    -- The payer's name as the voided receipt printed it (a reissue may correct it).
    printed_payer_name TEXT NOT NULL
);
CREATE TRIGGER receipt_voids_no_update BEFORE UPDATE ON receipt_voids
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on receipt_voids is refused; a void is final'); END;
CREATE TRIGGER receipt_voids_no_delete BEFORE DELETE ON receipt_voids
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on receipt_voids is refused; a void is final'); END;
