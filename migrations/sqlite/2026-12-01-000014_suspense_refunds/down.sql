-- One-way once a refund was requested: without this table a refund's disbursement, booked to
-- 211.9999, would no longer say which credit it returned.
CREATE TEMP TABLE qz_down_guard (refunds INTEGER CHECK (refunds = 0));
INSERT INTO qz_down_guard SELECT COUNT(*) FROM suspense_refunds;
DROP TABLE qz_down_guard;
DROP TABLE suspense_refunds;
