DROP TABLE receipts;
DROP TABLE bank_transactions;
DROP TABLE callback_inbox;
DROP TABLE provider_bindings;
