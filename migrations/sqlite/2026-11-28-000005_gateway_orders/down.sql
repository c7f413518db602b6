ALTER TABLE callback_inbox DROP COLUMN source;
DROP TABLE gateway_orders;
