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
    id BIGSERIAL PRIMARY KEY,
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
CREATE TRIGGER settlements_immutable BEFORE UPDATE OR DELETE ON settlements
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();

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
CREATE FUNCTION qz_clearing_settles_once() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.settlement_id IS NOT NULL
       OR NEW.bank_transaction_id <> OLD.bank_transaction_id OR NEW.binding_id <> OLD.binding_id
       OR NEW.business_date <> OLD.business_date OR NEW.amount_fen <> OLD.amount_fen
       OR NEW.fee_fen <> OLD.fee_fen OR NEW.village_id <> OLD.village_id
       OR NEW.corporate_account_id <> OLD.corporate_account_id OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'qz_immutable: a clearing item is only ever settled, once';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER clearing_items_settle_once BEFORE UPDATE OR DELETE ON clearing_items
    FOR EACH ROW EXECUTE FUNCTION qz_clearing_settles_once();

ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_rule_check;
ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_rule_check CHECK (rule IN
    ('serial', 'reference', 'amount_date_name', 'taken_in', 'disbursement', 'unexplained_debit', 'settlement'));

-- A match's village and account are its statement line's, copied from it by the code that
-- writes the match. Checking them against villages and corporate_accounts, row by row, cost more
-- than the matching itself for a year of lines; the line and the bank transaction a match names
-- stay checked (and both tables refuse DELETE).
ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_village_id_fkey;
ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_corporate_account_id_fkey;
