-- The matches already made must agree with their lines as the new ones will be made to, since
-- reconciliation now trusts that copy: a database where one does not is refused here, unchanged
-- (the CHECK fails the migration's transaction).
CREATE TEMP TABLE qz_statement_matches_disagree (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO qz_statement_matches_disagree
SELECT count(*) FROM statement_matches m JOIN statement_lines l ON l.id = m.statement_line_id
WHERE l.village_id <> m.village_id OR l.corporate_account_id <> m.corporate_account_id
   OR l.business_date <> m.business_date;
DROP TABLE qz_statement_matches_disagree;

-- A line has at most one match, so the line is the match's key (the rowid): the surrogate id
-- and its index go.
CREATE TABLE statement_matches_new (
    statement_line_id INTEGER NOT NULL PRIMARY KEY REFERENCES statement_lines(id),
    village_id BIGINT NOT NULL,
    corporate_account_id BIGINT NOT NULL,
    bank_transaction_id BIGINT UNIQUE REFERENCES bank_transactions(id),
    entry_id BIGINT REFERENCES journal_entries(id),
    rule TEXT NOT NULL CHECK (rule IN ('serial', 'reference', 'amount_date_name', 'taken_in', 'disbursement', 'unexplained_debit', 'settlement')),
    amount_differs BOOLEAN NOT NULL,
    business_date DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO statement_matches_new (statement_line_id, village_id, corporate_account_id, bank_transaction_id,
    entry_id, rule, amount_differs, business_date, created_at)
SELECT statement_line_id, village_id, corporate_account_id, bank_transaction_id,
    entry_id, rule, amount_differs, business_date, created_at FROM statement_matches;
DROP TABLE statement_matches;
ALTER TABLE statement_matches_new RENAME TO statement_matches;
CREATE INDEX statement_matches_day ON statement_matches(corporate_account_id, business_date);

-- Matches, and the bank transactions they name, are append-only (as on PostgreSQL, where the
-- match's references are checked once per statement and rely on it). SQLite keeps its foreign
-- keys: a lookup per row costs little here.
CREATE TRIGGER statement_matches_no_update BEFORE UPDATE ON statement_matches
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on statement_matches is refused; a match is final'); END;
CREATE TRIGGER statement_matches_no_delete BEFORE DELETE ON statement_matches
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on statement_matches is refused; a match is final'); END;
CREATE TRIGGER bank_transactions_no_update BEFORE UPDATE ON bank_transactions
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on bank_transactions is refused; a booked credit is evidence'); END;
CREATE TRIGGER bank_transactions_no_delete BEFORE DELETE ON bank_transactions
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on bank_transactions is refused; a booked credit is evidence'); END;
-- A match copies its line's village, account and business day (reconciliation reads an
-- account's undecided lines through the matches' day index, trusting that copy), and names a
-- bank transaction of the same account.
CREATE TRIGGER statement_matches_of_their_line BEFORE INSERT ON statement_matches
WHEN NOT EXISTS (SELECT 1 FROM statement_lines l WHERE l.id = NEW.statement_line_id
        AND l.village_id = NEW.village_id AND l.corporate_account_id = NEW.corporate_account_id
        AND l.business_date = NEW.business_date)
    OR (NEW.bank_transaction_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bank_transactions t
        WHERE t.id = NEW.bank_transaction_id AND t.corporate_account_id = NEW.corporate_account_id))
BEGIN SELECT RAISE(ABORT, 'qz_reference: a statement match must name its own line and a bank transaction of its account'); END;
