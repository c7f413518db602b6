-- One-way once a placement has been undone: the older schema cannot say which placement is in
-- force, so going down then is refused rather than leaving the books in disagreement.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM placement_undos) THEN
        RAISE EXCEPTION 'placements have been undone; this migration cannot be reverted';
    END IF;
END $$;
DROP TABLE placement_undos;
ALTER TABLE suspense_placements DROP CONSTRAINT suspense_placements_credit_attempt;
ALTER TABLE suspense_placements DROP COLUMN attempt;
ALTER TABLE suspense_placements DROP COLUMN confirmed_receipt_id;
ALTER TABLE suspense_placements ADD CONSTRAINT suspense_placements_bank_transaction_id_key UNIQUE (bank_transaction_id);
