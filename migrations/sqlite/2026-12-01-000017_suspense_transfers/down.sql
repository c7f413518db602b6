-- One-way once a credit was transferred: without this table its entry out of 211.9999 would no
-- longer say which credit it moved.
CREATE TEMP TABLE qz_down_guard (transfers INTEGER CHECK (transfers = 0));
INSERT INTO qz_down_guard SELECT COUNT(*) FROM suspense_transfers;
DROP TABLE qz_down_guard;
DROP TABLE suspense_transfers;
