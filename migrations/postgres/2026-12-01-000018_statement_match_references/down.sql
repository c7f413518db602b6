DROP TRIGGER bank_transactions_immutable ON bank_transactions;
DROP TRIGGER statement_matches_immutable ON statement_matches;
DROP TRIGGER statement_matches_refer ON statement_matches;
DROP FUNCTION qz_statement_matches_refer();
ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_statement_line_id_fkey
    FOREIGN KEY (statement_line_id) REFERENCES statement_lines(id);
ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_bank_transaction_id_fkey
    FOREIGN KEY (bank_transaction_id) REFERENCES bank_transactions(id);
ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_pkey;
ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_statement_line_id_key UNIQUE (statement_line_id);
ALTER TABLE statement_matches ADD COLUMN id BIGSERIAL PRIMARY KEY;
