-- One-way once an approval was withdrawn: without this table a withdrawn approval would read
-- as an approval refused.
CREATE TEMP TABLE qz_down_guard (withdrawals INTEGER CHECK (withdrawals = 0));
INSERT INTO qz_down_guard SELECT COUNT(*) FROM disbursement_withdrawals;
DROP TABLE qz_down_guard;
DROP TABLE disbursement_withdrawals;
