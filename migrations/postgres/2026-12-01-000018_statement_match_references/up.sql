-- A match's statement line and bank transaction were checked by foreign keys, one lookup and
-- one row lock (FOR KEY SHARE) per row: for a year of an account's lines that cost more than
-- the matching itself. They are checked once per statement instead, set-oriented, over the rows
-- the statement inserted: every match names a line that exists, of the same village, account
-- and business day the match copies from it, and a bank transaction of that account that
-- exists. Neither referenced row can change or go away afterwards: statement lines were already
-- append-only, and bank transactions (which no code changes once booked) and the matches
-- themselves now are too.

-- The matches already made must agree with their lines as the new ones will be made to, since
-- reconciliation now trusts that copy: a database where one does not is refused here, unchanged.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM statement_matches m JOIN statement_lines l ON l.id = m.statement_line_id
               WHERE l.village_id <> m.village_id OR l.corporate_account_id <> m.corporate_account_id
                  OR l.business_date <> m.business_date) THEN
        RAISE EXCEPTION 'a statement match disagrees with its line''s village, account or day';
    END IF;
END $$;

ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_statement_line_id_fkey;
ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_bank_transaction_id_fkey;

-- A line has at most one match, so the line is the match's key: the surrogate id (a sequence
-- and an index more on every row) goes.
ALTER TABLE statement_matches DROP COLUMN id;
ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_statement_line_id_key;
ALTER TABLE statement_matches ADD PRIMARY KEY (statement_line_id);

CREATE FUNCTION qz_statement_matches_refer() RETURNS trigger AS $$
DECLARE
    bad BIGINT;
BEGIN
    SELECT n.statement_line_id INTO bad FROM new_matches n
    LEFT JOIN statement_lines l ON l.id = n.statement_line_id
    WHERE l.id IS NULL OR l.village_id <> n.village_id
       OR l.corporate_account_id <> n.corporate_account_id OR l.business_date <> n.business_date
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'qz_reference: statement match names statement line %, which is not its line', bad
            USING ERRCODE = '23503';
    END IF;
    SELECT n.bank_transaction_id INTO bad FROM new_matches n
    LEFT JOIN bank_transactions t ON t.id = n.bank_transaction_id
    WHERE n.bank_transaction_id IS NOT NULL
      AND (t.id IS NULL OR t.corporate_account_id <> n.corporate_account_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'qz_reference: statement match names bank transaction %, which is not of its account', bad
            USING ERRCODE = '23503';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER statement_matches_refer AFTER INSERT ON statement_matches
    REFERENCING NEW TABLE AS new_matches
    FOR EACH STATEMENT EXECUTE FUNCTION qz_statement_matches_refer();
CREATE TRIGGER statement_matches_immutable BEFORE UPDATE OR DELETE ON statement_matches
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
CREATE TRIGGER bank_transactions_immutable BEFORE UPDATE OR DELETE ON bank_transactions
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
