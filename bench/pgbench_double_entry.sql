-- The bare double-entry transaction qingzhang's callback intake is compared with: insert an
-- entry and its two postings, update two balances, in one transaction, spread over villages.
\set v random(1, 16)
BEGIN;
INSERT INTO pgb_entries (village, memo, created_at) VALUES (:v, 'bench', now()) RETURNING id AS entry_id \gset
INSERT INTO pgb_postings (entry_id, account, debit_fen, credit_fen) VALUES (:entry_id, :v * 2, 123, 0), (:entry_id, :v * 2 + 1, 0, 123);
UPDATE pgb_balances SET debit_fen = debit_fen + 123 WHERE account = :v * 2;
UPDATE pgb_balances SET credit_fen = credit_fen + 123 WHERE account = :v * 2 + 1;
COMMIT;
