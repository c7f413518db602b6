-- The matches table as it was (its id sequence kept): a database that already holds
-- settlement matches cannot go back, and the insert below fails on the old CHECK.
CREATE TABLE statement_matches_old AS SELECT * FROM statement_matches;
DROP TABLE statement_matches;
CREATE TABLE statement_matches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO statement_matches SELECT * FROM statement_matches_old;
DROP TABLE statement_matches_old;
CREATE INDEX statement_matches_day ON statement_matches(corporate_account_id, business_date);
DROP TABLE clearing_items;
DROP TABLE settlements;
ALTER TABLE provider_bindings DROP COLUMN fee_rate_ppm;
ALTER TABLE provider_bindings DROP COLUMN settlement;
