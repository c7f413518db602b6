-- A placement onto the wrong bill can be undone: the placement's entry is reversed, the bill owes
-- the amount again, the receipt on the credit is voided, and the undo is kept in its own
-- append-only row. The credit then waits again and may be placed anew, so a credit may have
-- several placements over time, each numbered (attempt), at most one of them not undone. The
-- unique key on (credit, attempt) keeps two placements racing for the same credit apart; the
-- village's lock and the use case keep every earlier one undone first. A placement that confirmed
-- a clerk's 待核实 receipt names it (confirmed_receipt_id): undone, the claim is watched again.
-- SQLite cannot drop a column's UNIQUE, so the table is rebuilt (nothing refers to it yet).
CREATE TABLE suspense_placements_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    bank_transaction_id BIGINT NOT NULL REFERENCES bank_transactions(id),
    attempt INTEGER NOT NULL CHECK (attempt > 0),
    bill_id BIGINT NOT NULL REFERENCES bills(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    note TEXT NOT NULL,
    placed_by BIGINT NOT NULL REFERENCES users(id),
    placed_at TIMESTAMP NOT NULL,
    confirmed_receipt_id BIGINT REFERENCES receipts(id),
    UNIQUE (bank_transaction_id, attempt)
);
INSERT INTO suspense_placements_v2
    (id, village_id, bank_transaction_id, attempt, bill_id, amount_fen, entry_id, note, placed_by, placed_at)
    SELECT id, village_id, bank_transaction_id, 1, bill_id, amount_fen, entry_id, note, placed_by, placed_at
    FROM suspense_placements;
DROP TABLE suspense_placements;
ALTER TABLE suspense_placements_v2 RENAME TO suspense_placements;
CREATE INDEX suspense_placements_village ON suspense_placements(village_id, id);
CREATE TRIGGER suspense_placements_no_update BEFORE UPDATE ON suspense_placements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on suspense_placements is refused; a placement is undone by its own row'); END;
CREATE TRIGGER suspense_placements_no_delete BEFORE DELETE ON suspense_placements
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on suspense_placements is refused; a placement is undone by its own row'); END;

CREATE TABLE placement_undos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    placement_id BIGINT NOT NULL UNIQUE REFERENCES suspense_placements(id),
    village_id BIGINT NOT NULL REFERENCES villages(id),
    reversal_entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    voided_receipt_id BIGINT REFERENCES receipts(id),
    note TEXT NOT NULL,
    undone_by BIGINT NOT NULL REFERENCES users(id),
    undone_at TIMESTAMP NOT NULL
);
CREATE INDEX placement_undos_village ON placement_undos(village_id, id);
CREATE TRIGGER placement_undos_no_update BEFORE UPDATE ON placement_undos
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on placement_undos is refused; an undo is final'); END;
CREATE TRIGGER placement_undos_no_delete BEFORE DELETE ON placement_undos
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on placement_undos is refused; an undo is final'); END;
