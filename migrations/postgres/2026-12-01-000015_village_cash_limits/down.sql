-- One-way once a limit was changed: without this table every past day would be judged by the
-- limit the village was registered with.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM village_cash_limits) THEN
        RAISE EXCEPTION 'cash limits have been changed; this migration cannot be reverted';
    END IF;
END $$;
DROP TABLE village_cash_limits;
