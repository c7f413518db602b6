-- The ledger: each village's accounts, its journal (append-only, hash-chained), cached
-- balances (checked against the postings by verify) and closed months.
CREATE TABLE ledger_accounts (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    chart_version TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    normal_side TEXT NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    parent_code TEXT,
    postable BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (village_id, chart_version, code)
);
CREATE TABLE ledger_heads (
    village_id BIGINT PRIMARY KEY REFERENCES villages(id),
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
CREATE TABLE journal_entries (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    seq BIGINT NOT NULL,
    entry_date DATE NOT NULL,
    period TEXT NOT NULL,
    memo TEXT NOT NULL,
    source TEXT NOT NULL,
    reverses_entry_id BIGINT UNIQUE REFERENCES journal_entries(id),
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (village_id, seq)
);
CREATE INDEX journal_entries_village_date ON journal_entries(village_id, entry_date);
CREATE TABLE journal_postings (
    id BIGSERIAL PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES journal_entries(id),
    village_id BIGINT NOT NULL REFERENCES villages(id),
    line_no INTEGER NOT NULL,
    account_id BIGINT NOT NULL REFERENCES ledger_accounts(id),
    debit_fen BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL,
    memo TEXT NOT NULL,
    UNIQUE (entry_id, line_no),
    CHECK (debit_fen >= 0 AND credit_fen >= 0 AND (debit_fen = 0) <> (credit_fen = 0))
);
CREATE INDEX journal_postings_account ON journal_postings(account_id, entry_id);
CREATE TABLE account_balances (
    account_id BIGINT PRIMARY KEY REFERENCES ledger_accounts(id),
    village_id BIGINT NOT NULL REFERENCES villages(id),
    debit_fen BIGINT NOT NULL,
    credit_fen BIGINT NOT NULL
);
CREATE TABLE closed_periods (
    village_id BIGINT NOT NULL REFERENCES villages(id),
    period TEXT NOT NULL,
    closed_by BIGINT,
    closed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (village_id, period)
);

-- Posted entries are immutable (DESIGN.md §5 rule 2): corrections are reversal entries.
CREATE FUNCTION qz_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'qz_immutable: % on % is refused; the journal is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'P0001';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
CREATE TRIGGER journal_postings_immutable BEFORE UPDATE OR DELETE ON journal_postings
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
CREATE TRIGGER closed_periods_immutable BEFORE UPDATE OR DELETE ON closed_periods
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
