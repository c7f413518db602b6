-- One-way once an approval was withdrawn: without this table a withdrawn approval would read
-- as an approval refused.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM disbursement_withdrawals) THEN
        RAISE EXCEPTION 'approvals have been withdrawn; this migration cannot be reverted';
    END IF;
END $$;
DROP TABLE disbursement_withdrawals;
