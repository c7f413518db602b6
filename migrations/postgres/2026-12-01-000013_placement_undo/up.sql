-- A placement onto the wrong bill can be undone: the placement's entry is reversed, the bill owes
-- the amount again, the receipt on the credit is voided, and the undo is kept in its own
-- append-only row. The credit then waits again and may be placed anew, so a credit may have
-- several placements over time, each numbered (attempt), at most one of them not undone. The
-- unique key on (credit, attempt) keeps two placements racing for the same credit apart; the
-- village's lock and the use case keep every earlier one undone first. A placement that confirmed
-- a clerk's 待核实 receipt names it (confirmed_receipt_id): undone, the claim is watched again.
ALTER TABLE suspense_placements ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt > 0);
ALTER TABLE suspense_placements ALTER COLUMN attempt DROP DEFAULT;
ALTER TABLE suspense_placements ADD COLUMN confirmed_receipt_id BIGINT REFERENCES receipts(id);
ALTER TABLE suspense_placements DROP CONSTRAINT suspense_placements_bank_transaction_id_key;
ALTER TABLE suspense_placements ADD CONSTRAINT suspense_placements_credit_attempt UNIQUE (bank_transaction_id, attempt);

CREATE TABLE placement_undos (
    id BIGSERIAL PRIMARY KEY,
    placement_id BIGINT NOT NULL UNIQUE REFERENCES suspense_placements(id),
    village_id BIGINT NOT NULL REFERENCES villages(id),
    reversal_entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    voided_receipt_id BIGINT REFERENCES receipts(id),
    note TEXT NOT NULL,
    undone_by BIGINT NOT NULL REFERENCES users(id),
    undone_at TIMESTAMP NOT NULL
);
CREATE INDEX placement_undos_village ON placement_undos(village_id, id);
CREATE TRIGGER placement_undos_immutable BEFORE UPDATE OR DELETE ON placement_undos
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
