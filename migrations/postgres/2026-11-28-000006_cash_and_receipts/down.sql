DROP TABLE receipt_voids;
ALTER TABLE receipts DROP COLUMN replaces_id;
ALTER TABLE receipts DROP COLUMN cash_record_id;
DROP TABLE cash_records;
DROP TABLE pay_ins;
