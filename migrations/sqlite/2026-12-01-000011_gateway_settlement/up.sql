-- Gateway settlement. A binding either settles each payment as its own credit on the corporate
-- account (the rural bank's aggregated code) or once a day, T+1, the day's payments less the
-- provider's fee (WeChat Pay and Alipay merchants). A daily-settled payment posts to a
-- clearing account (112.99xx 待结算) and is kept here as a clearing item; the provider's
-- settlement credit on the statement clears the days it settles (N:1): Dr 102, Dr 521 手续费,
-- Cr the clearing account.
ALTER TABLE provider_bindings ADD COLUMN settlement TEXT NOT NULL DEFAULT 'per_payment'
    CHECK (settlement IN ('per_payment', 'daily'));
-- The provider's fee in parts per million of each payment (0.6% = 6000), rounded per payment.
ALTER TABLE provider_bindings ADD COLUMN fee_rate_ppm BIGINT NOT NULL DEFAULT 0
    CHECK (fee_rate_ppm >= 0 AND fee_rate_ppm < 100000);

-- One settlement credit of the statement and what it settled. Evidence: never changed.
CREATE TABLE settlements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    binding_id BIGINT NOT NULL REFERENCES provider_bindings(id),
    statement_line_id BIGINT NOT NULL UNIQUE REFERENCES statement_lines(id),
    -- The payment days it settles (none when the provider paid for days the books never saw).
    first_day DATE,
    last_day DATE,
    payments BIGINT NOT NULL,
    gross_fen BIGINT NOT NULL,
    fee_fen BIGINT NOT NULL,
    -- What the provider owed: gross less fee. The statement's amount is the line's.
    expected_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX settlements_account ON settlements(corporate_account_id, statement_line_id);
CREATE TRIGGER settlements_no_update BEFORE UPDATE ON settlements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on settlements is refused'); END;
CREATE TRIGGER settlements_no_delete BEFORE DELETE ON settlements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on settlements is refused'); END;

-- A payment waiting in clearing, until a settlement takes it (settlement_id set once).
CREATE TABLE clearing_items (
    bank_transaction_id BIGINT PRIMARY KEY REFERENCES bank_transactions(id),
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    binding_id BIGINT NOT NULL REFERENCES provider_bindings(id),
    -- The Beijing day of the payment: the provider settles by it.
    business_date DATE NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    -- The fee the binding's rate gives for this payment, fixed when it was paid.
    fee_fen BIGINT NOT NULL CHECK (fee_fen >= 0),
    settlement_id BIGINT REFERENCES settlements(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX clearing_items_open ON clearing_items(corporate_account_id, binding_id, business_date)
    WHERE settlement_id IS NULL;
CREATE INDEX clearing_items_day ON clearing_items(corporate_account_id, business_date);
CREATE TRIGGER clearing_items_settle_once BEFORE UPDATE ON clearing_items
WHEN OLD.settlement_id IS NOT NULL OR NEW.bank_transaction_id <> OLD.bank_transaction_id
    OR NEW.binding_id <> OLD.binding_id OR NEW.business_date <> OLD.business_date
    OR NEW.amount_fen <> OLD.amount_fen OR NEW.fee_fen <> OLD.fee_fen
    OR NEW.village_id <> OLD.village_id OR NEW.corporate_account_id <> OLD.corporate_account_id
    OR NEW.created_at <> OLD.created_at
BEGIN SELECT RAISE(ABORT, 'qz_immutable: a clearing item is only ever settled, once'); END;
CREATE TRIGGER clearing_items_no_delete BEFORE DELETE ON clearing_items
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on clearing_items is refused'); END;

-- SQLite cannot change a CHECK: the matches table is rebuilt with 'settlement' allowed. A
-- match's village and account are its statement line's, copied from it by the code that writes
-- the match: they are no longer checked row by row against villages and corporate_accounts (for
-- a year of lines that cost more than the matching); the line and the bank transaction are.
CREATE TABLE statement_matches_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL,
    corporate_account_id BIGINT NOT NULL,
    statement_line_id BIGINT NOT NULL UNIQUE REFERENCES statement_lines(id),
    bank_transaction_id BIGINT UNIQUE REFERENCES bank_transactions(id),
    entry_id BIGINT REFERENCES journal_entries(id),
    rule TEXT NOT NULL CHECK (rule IN ('serial', 'reference', 'amount_date_name', 'taken_in', 'disbursement', 'unexplained_debit', 'settlement')),
    amount_differs BOOLEAN NOT NULL,
    business_date DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO statement_matches_new SELECT * FROM statement_matches;
DROP TABLE statement_matches;
ALTER TABLE statement_matches_new RENAME TO statement_matches;
CREATE INDEX statement_matches_day ON statement_matches(corporate_account_id, business_date);
