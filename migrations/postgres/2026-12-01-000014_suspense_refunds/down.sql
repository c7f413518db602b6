-- One-way once a refund was requested or an approval withdrawn: without these tables a refund's
-- disbursement, booked to 211.9999, would no longer say which credit it returned, and a
-- withdrawn approval would read as an approval refused.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM suspense_refunds) OR EXISTS (SELECT 1 FROM disbursement_withdrawals) THEN
        RAISE EXCEPTION 'refunds or withdrawals exist; this migration cannot be reverted';
    END IF;
END $$;
DROP TABLE disbursement_withdrawals;
DROP TABLE suspense_refunds;
