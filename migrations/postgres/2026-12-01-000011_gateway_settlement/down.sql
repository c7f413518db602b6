ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_village_id_fkey
    FOREIGN KEY (village_id) REFERENCES villages(id);
ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_corporate_account_id_fkey
    FOREIGN KEY (corporate_account_id) REFERENCES corporate_accounts(id);
ALTER TABLE statement_matches DROP CONSTRAINT statement_matches_rule_check;
ALTER TABLE statement_matches ADD CONSTRAINT statement_matches_rule_check CHECK (rule IN
    ('serial', 'reference', 'amount_date_name', 'taken_in', 'disbursement', 'unexplained_debit'));
DROP TABLE clearing_items;
DROP FUNCTION qz_clearing_settles_once();
DROP TABLE settlements;
ALTER TABLE provider_bindings DROP COLUMN fee_rate_ppm;
ALTER TABLE provider_bindings DROP COLUMN settlement;
