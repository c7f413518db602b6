-- An approval withdrawn before the bank paid (the payee's account was wrong, say): the request
-- ends rejected, while the approval it withdraws (decided_by, decided_at, decision_note) stays
-- as it was, so the evidence of who approved what and when is never overwritten.
CREATE TABLE disbursement_withdrawals (
    disbursement_id BIGINT PRIMARY KEY REFERENCES disbursements(id),
    village_id BIGINT NOT NULL REFERENCES villages(id),
    withdrawn_by BIGINT NOT NULL REFERENCES users(id),
    withdrawn_at TIMESTAMP NOT NULL,
    note TEXT NOT NULL
);
CREATE TRIGGER disbursement_withdrawals_no_update BEFORE UPDATE ON disbursement_withdrawals
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on disbursement_withdrawals is refused; a withdrawal is final'); END;
CREATE TRIGGER disbursement_withdrawals_no_delete BEFORE DELETE ON disbursement_withdrawals
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on disbursement_withdrawals is refused; a withdrawal is final'); END;
