-- One-way once a refund was requested or an approval withdrawn: without these tables a refund's
-- disbursement, booked to 211.9999, would no longer say which credit it returned, and a
-- withdrawn approval would read as an approval refused.
CREATE TEMP TABLE qz_down_guard (kept INTEGER CHECK (kept = 0));
INSERT INTO qz_down_guard SELECT (SELECT COUNT(*) FROM suspense_refunds) + (SELECT COUNT(*) FROM disbursement_withdrawals);
DROP TABLE qz_down_guard;
DROP TABLE disbursement_withdrawals;
DROP TABLE suspense_refunds;
