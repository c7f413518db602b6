-- One-way once a credit was transferred: without this table its entry out of 211.9999 would no
-- longer say which credit it moved.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM suspense_transfers) THEN
        RAISE EXCEPTION 'credits have been transferred out of suspense; this migration cannot be reverted';
    END IF;
END $$;
DROP TABLE suspense_transfers;
