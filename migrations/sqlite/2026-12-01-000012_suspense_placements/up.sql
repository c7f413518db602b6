-- A credit that named no bill waits in suspense (Dr 102 / Cr 211.9999). When the accountant finds
-- out which bill it paid (the villager calls, the clerk recognises the name), they place it:
-- Dr 211.9999 / Cr the bill's income, the bill is paid and a receipt issued on that credit. A
-- credit is placed once, whole, onto one bill; the row is kept as evidence and never changes.
CREATE TABLE suspense_placements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    bank_transaction_id BIGINT NOT NULL UNIQUE REFERENCES bank_transactions(id),
    bill_id BIGINT NOT NULL REFERENCES bills(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    note TEXT NOT NULL,
    placed_by BIGINT NOT NULL REFERENCES users(id),
    placed_at TIMESTAMP NOT NULL
);
CREATE INDEX suspense_placements_village ON suspense_placements(village_id, id);
CREATE TRIGGER suspense_placements_no_update BEFORE UPDATE ON suspense_placements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on suspense_placements is refused; a placement is final'); END;
CREATE TRIGGER suspense_placements_no_delete BEFORE DELETE ON suspense_placements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on suspense_placements is refused; a placement is final'); END;
