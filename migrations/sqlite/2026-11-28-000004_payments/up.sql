-- Payments: which provider credentials serve which corporate account, every callback as it
-- arrived, the bank transactions applied (once per provider transaction id), and receipts.
CREATE TABLE provider_bindings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    provider TEXT NOT NULL CHECK (provider IN ('wechat', 'alipay', 'rural_bank')),
    -- What the provider calls the account: WeChat merchant id, Alipay app id, account number.
    account_ref TEXT NOT NULL,
    -- Public settings (platform certificates, public keys, key ids) as JSON.
    public_config TEXT NOT NULL,
    -- Secrets (APIv3 key, HMAC keys) as JSON, encrypted under the secrets key.
    sealed_secrets TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider, account_ref)
);
CREATE TABLE callback_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    binding_id BIGINT,
    received_at TIMESTAMP NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'applied', 'duplicate', 'ignored', 'rejected')),
    reason TEXT,
    provider_txn_id TEXT,
    bank_transaction_id BIGINT,
    processed_at TIMESTAMP
);
CREATE INDEX callback_inbox_status ON callback_inbox(status, id);
CREATE TABLE bank_transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    corporate_account_id BIGINT NOT NULL REFERENCES corporate_accounts(id),
    provider TEXT NOT NULL,
    provider_txn_id TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_at TIMESTAMP NOT NULL,
    payer_masked TEXT,
    reference TEXT,
    bill_id BIGINT REFERENCES bills(id),
    entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('paid', 'part_paid', 'overpaid', 'suspense')),
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider, provider_txn_id)
);
CREATE INDEX bank_transactions_village ON bank_transactions(village_id, id);
CREATE INDEX bank_transactions_bill ON bank_transactions(bill_id);
CREATE TABLE receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    year INTEGER NOT NULL,
    number BIGINT NOT NULL,
    bill_id BIGINT REFERENCES bills(id),
    payer_id BIGINT REFERENCES payers(id),
    fee_item_id BIGINT REFERENCES fee_items(id),
    bank_transaction_id BIGINT REFERENCES bank_transactions(id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    channel TEXT NOT NULL CHECK (channel IN ('wechat', 'alipay', 'bank', 'cash')),
    status TEXT NOT NULL CHECK (status IN ('issued', 'pending', 'voided')),
    issued_at TIMESTAMP NOT NULL,
    issued_by BIGINT,
    verification_code TEXT NOT NULL,
    UNIQUE (village_id, year, number)
);
CREATE INDEX receipts_bill ON receipts(bill_id);
