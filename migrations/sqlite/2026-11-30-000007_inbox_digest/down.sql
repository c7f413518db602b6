DROP INDEX callback_inbox_received;
ALTER TABLE callback_inbox DROP COLUMN client;
ALTER TABLE callback_inbox DROP COLUMN body_whole;
ALTER TABLE callback_inbox DROP COLUMN body_size;
ALTER TABLE callback_inbox DROP COLUMN body_sha256;
