-- What an unauthenticated client can make us keep is bounded: a request that fails before a
-- binding's key verifies it is kept as a digest (its SHA-256, its size, its first bytes and its
-- headers, cut short), not whole; who sent it is kept to budget refusals per client.
ALTER TABLE callback_inbox ADD COLUMN body_sha256 TEXT;
ALTER TABLE callback_inbox ADD COLUMN body_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE callback_inbox ADD COLUMN body_whole BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE callback_inbox ADD COLUMN client TEXT;
CREATE INDEX callback_inbox_received ON callback_inbox(status, received_at);
