-- The ledger: each village's accounts, its journal (append-only, hash-chained), cached
-- balances (checked against the postings by verify) and closed months.
CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on journal_entries is refused; the journal is append-only'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on journal_entries is refused; the journal is append-only'); END;
CREATE TRIGGER journal_postings_no_update BEFORE UPDATE ON journal_postings
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on journal_postings is refused; the journal is append-only'); END;
CREATE TRIGGER journal_postings_no_delete BEFORE DELETE ON journal_postings
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on journal_postings is refused; the journal is append-only'); END;
CREATE TRIGGER closed_periods_no_update BEFORE UPDATE ON closed_periods
BEGIN SELECT RAISE(ABORT, 'qz_immutable: UPDATE on closed_periods is refused'); END;
CREATE TRIGGER closed_periods_no_delete BEFORE DELETE ON closed_periods
BEGIN SELECT RAISE(ABORT, 'qz_immutable: DELETE on closed_periods is refused'); END;
