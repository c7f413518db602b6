DROP TRIGGER statement_matches_of_their_line;
DROP TRIGGER bank_transactions_no_delete;
DROP TRIGGER bank_transactions_no_update;
DROP TRIGGER statement_matches_no_delete;
DROP TRIGGER statement_matches_no_update;
CREATE TABLE statement_matches_old (
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
INSERT INTO statement_matches_old (village_id, corporate_account_id, statement_line_id, bank_transaction_id,
    entry_id, rule, amount_differs, business_date, created_at)
SELECT village_id, corporate_account_id, statement_line_id, bank_transaction_id,
    entry_id, rule, amount_differs, business_date, created_at FROM statement_matches ORDER BY statement_line_id;
DROP TABLE statement_matches;
ALTER TABLE statement_matches_old RENAME TO statement_matches;
CREATE INDEX statement_matches_day ON statement_matches(corporate_account_id, business_date);
