-- One-way once a limit was changed: without this table every past day would be judged by the
-- limit the village was registered with.
CREATE TEMP TABLE qz_down_guard (changes INTEGER CHECK (changes = 0));
INSERT INTO qz_down_guard SELECT COUNT(*) FROM village_cash_limits;
DROP TABLE qz_down_guard;
DROP TABLE village_cash_limits;
