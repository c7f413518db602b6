-- 退款: money waiting in suspense (211.9999) that was never the village's goes back to whoever
-- paid it: a credit that named no bill of this village, or the part of a credit over what its
-- bill owed (多付). The refund is a disbursement like any other (requested by one person,
-- approved by another, posted when the statement shows the debit), booked to 211.9999; this
-- row ties it to the credit it returns. Refunds are numbered per credit (`attempt`): a new one
-- only once every earlier one was rejected, so a credit is never refunded twice. Kept as
-- evidence, never changed.
CREATE TABLE suspense_refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    bank_transaction_id BIGINT NOT NULL REFERENCES bank_transactions(id),
    attempt INTEGER NOT NULL CHECK (attempt > 0),
    disbursement_id BIGINT NOT NULL UNIQUE REFERENCES disbursements(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    UNIQUE (bank_transaction_id, attempt)
);
CREATE INDEX suspense_refunds_village ON suspense_refunds(village_id, id);
CREATE TRIGGER suspense_refunds_no_update BEFORE UPDATE ON suspense_refunds
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on suspense_refunds is refused; a refund is final'); END;
CREATE TRIGGER suspense_refunds_no_delete BEFORE DELETE ON suspense_refunds
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on suspense_refunds is refused; a refund is final'); END;
