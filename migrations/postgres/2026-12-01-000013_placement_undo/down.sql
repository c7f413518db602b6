DROP TABLE placement_undos;
ALTER TABLE suspense_placements DROP CONSTRAINT suspense_placements_credit_attempt;
ALTER TABLE suspense_placements DROP COLUMN attempt;
ALTER TABLE suspense_placements ADD CONSTRAINT suspense_placements_bank_transaction_id_key UNIQUE (bank_transaction_id);
