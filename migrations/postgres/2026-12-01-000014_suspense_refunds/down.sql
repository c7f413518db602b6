-- One-way once a refund was requested: without this table a refund's disbursement, booked to
-- 211.9999, would no longer say which credit it returned.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM suspense_refunds) THEN
        RAISE EXCEPTION 'refunds have been requested; this migration cannot be reverted';
    END IF;
END $$;
DROP TABLE suspense_refunds;
