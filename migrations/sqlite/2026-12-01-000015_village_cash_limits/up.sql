-- A village's cash limit over time. `villages.cash_limit_fen` stays the limit the village was
-- registered with; each change here takes effect from its day (today or later, never a past
-- day), so every past day is judged by the limit in force that day and raising a limit never
-- closes an earlier CASH_OVER_LIMIT finding "by data". Kept, never changed.
CREATE TABLE village_cash_limits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    effective_from DATE NOT NULL,
    limit_fen BIGINT NOT NULL CHECK (limit_fen >= 0),
    note TEXT NOT NULL,
    set_by BIGINT NOT NULL REFERENCES users(id),
    set_at TIMESTAMP NOT NULL
);
CREATE INDEX village_cash_limits_village ON village_cash_limits(village_id, id);
CREATE TRIGGER village_cash_limits_no_update BEFORE UPDATE ON village_cash_limits
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on village_cash_limits is refused; a limit change is final'); END;
CREATE TRIGGER village_cash_limits_no_delete BEFORE DELETE ON village_cash_limits
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on village_cash_limits is refused; a limit change is final'); END;
