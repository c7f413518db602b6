-- 查明转出: a credit waiting in suspense (211.9999) that turns out to be neither a bill's
-- payment nor money to give back (a township subsidy, a donation, a household's prepayment)
-- is moved to the account it belongs to: Dr 211.9999 / Cr that account, for the credit's whole
-- part in suspense. This row ties the entry to the credit, so that every fen that leaves
-- 211.9999 names the credit it was (hand entries on 211.9999 are refused from now on). One
-- transfer per credit, final: kept as evidence, never changed.
CREATE TABLE suspense_transfers (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    bank_transaction_id BIGINT NOT NULL UNIQUE REFERENCES bank_transactions(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    account_code TEXT NOT NULL,
    entry_id BIGINT NOT NULL UNIQUE REFERENCES journal_entries(id),
    note TEXT NOT NULL,
    transferred_by BIGINT NOT NULL REFERENCES users(id),
    transferred_at TIMESTAMP NOT NULL
);
CREATE INDEX suspense_transfers_village ON suspense_transfers(village_id, id);
CREATE TRIGGER suspense_transfers_immutable BEFORE UPDATE OR DELETE ON suspense_transfers
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
