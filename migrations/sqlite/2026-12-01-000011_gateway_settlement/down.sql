DROP TABLE clearing_items;
DROP TABLE settlements;
ALTER TABLE provider_bindings DROP COLUMN fee_rate_ppm;
ALTER TABLE provider_bindings DROP COLUMN settlement;
