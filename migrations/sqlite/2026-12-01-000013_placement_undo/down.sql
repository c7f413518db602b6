-- One-way once a placement has been undone: the older schema cannot say which placement is in
-- force, so going down then is refused rather than leaving the books in disagreement.
CREATE TEMP TABLE qz_down_guard (undos INTEGER CHECK (undos = 0));
INSERT INTO qz_down_guard SELECT COUNT(*) FROM placement_undos;
DROP TABLE qz_down_guard;
DROP TABLE placement_undos;
-- Kept aside and put back into a table created by its original text, so the schema is exactly
-- the one before this migration.
CREATE TEMP TABLE qz_placements_kept AS
    SELECT id, village_id, bank_transaction_id, bill_id, amount_fen, entry_id, note, placed_by, placed_at
    FROM suspense_placements WHERE attempt = 1;
DROP TABLE suspense_placements;
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
INSERT INTO suspense_placements
    (id, village_id, bank_transaction_id, bill_id, amount_fen, entry_id, note, placed_by, placed_at)
    SELECT id, village_id, bank_transaction_id, bill_id, amount_fen, entry_id, note, placed_by, placed_at
    FROM qz_placements_kept;
DROP TABLE qz_placements_kept;
CREATE INDEX suspense_placements_village ON suspense_placements(village_id, id);
CREATE TRIGGER suspense_placements_no_update BEFORE UPDATE ON suspense_placements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on suspense_placements is refused; a placement is final'); END;
CREATE TRIGGER suspense_placements_no_delete BEFORE DELETE ON suspense_placements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on suspense_placements is refused; a placement is final'); END;
