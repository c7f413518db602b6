-- Registry: the county's villages, their corporate accounts, payers, fee items, contracts, bills.
CREATE TABLE counties (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE townships (
    id BIGSERIAL PRIMARY KEY,
    county_id BIGINT NOT NULL REFERENCES counties(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX townships_county ON townships(county_id);
CREATE TABLE villages (
    id BIGSERIAL PRIMARY KEY,
    township_id BIGINT NOT NULL REFERENCES townships(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    cash_limit_fen BIGINT NOT NULL CHECK (cash_limit_fen >= 0),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX villages_township ON villages(township_id);
-- Every per-village number (bill sequence, sub-account numbers, later receipt numbers per year)
-- comes from one row here, taken with UPDATE ... RETURNING inside the caller's transaction:
-- numbers live in the database, never in a process.
CREATE TABLE village_counters (
    village_id BIGINT NOT NULL REFERENCES villages(id),
    name TEXT NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (village_id, name)
);
CREATE TABLE corporate_accounts (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    bank_name TEXT NOT NULL,
    account_name TEXT NOT NULL,
    account_no TEXT NOT NULL UNIQUE,
    ledger_account_id BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX corporate_accounts_village ON corporate_accounts(village_id);
CREATE TABLE payers (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    kind TEXT NOT NULL CHECK (kind IN ('member', 'outsider')),
    name TEXT NOT NULL,
    phone TEXT,
    household_no TEXT,
    ledger_account_id BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX payers_village ON payers(village_id, id);
CREATE TABLE fee_items (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    income_account_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (village_id, code)
);
CREATE TABLE contracts (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    contract_no TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('contract', 'lease')),
    payer_id BIGINT NOT NULL REFERENCES payers(id),
    fee_item_id BIGINT NOT NULL REFERENCES fee_items(id),
    area TEXT,
    unit_price_fen BIGINT CHECK (unit_price_fen > 0),
    fixed_amount_fen BIGINT CHECK (fixed_amount_fen > 0),
    schedule TEXT NOT NULL CHECK (schedule IN ('annual', 'semiannual', 'quarterly', 'monthly')),
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (village_id, contract_no),
    CHECK ((area IS NOT NULL AND unit_price_fen IS NOT NULL AND fixed_amount_fen IS NULL)
        OR (area IS NULL AND unit_price_fen IS NULL AND fixed_amount_fen IS NOT NULL)),
    CHECK (end_date >= start_date)
);
CREATE INDEX contracts_village ON contracts(village_id, id);
CREATE TABLE bills (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    seq BIGINT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    payer_id BIGINT NOT NULL REFERENCES payers(id),
    fee_item_id BIGINT NOT NULL REFERENCES fee_items(id),
    contract_id BIGINT REFERENCES contracts(id),
    period_label TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_fen BIGINT NOT NULL CHECK (paid_fen >= 0),
    status TEXT NOT NULL CHECK (status IN ('open', 'part_paid', 'paid', 'cancelled')),
    due_date DATE NOT NULL,
    note TEXT NOT NULL,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (village_id, seq),
    UNIQUE (contract_id, period_label)
);
CREATE INDEX bills_village_status ON bills(village_id, status, id);
CREATE INDEX bills_payer ON bills(payer_id);
