-- Inspection (纪检): each run of the rules over a scope and period, the findings it keeps (one
-- per village, rule and subject: a second run updates rather than duplicates, and marks the
-- ones whose cause is gone), and each finding's history, append-only.
CREATE TABLE inspection_runs (
    id BIGSERIAL PRIMARY KEY,
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('county', 'township', 'village')),
    scope_code TEXT NOT NULL,
    period_from DATE NOT NULL,
    period_to DATE NOT NULL,
    rules TEXT NOT NULL,
    as_of TIMESTAMP NOT NULL,
    started_at TIMESTAMP NOT NULL,
    -- Empty while the run goes on (or if it died).
    finished_at TIMESTAMP,
    villages_checked BIGINT NOT NULL,
    -- JSON: [{"village": code, "error": text}] of villages a rule could not check.
    villages_failed TEXT NOT NULL,
    flags BIGINT NOT NULL,
    findings_new BIGINT NOT NULL,
    findings_gone BIGINT NOT NULL,
    run_by BIGINT REFERENCES users(id),
    CHECK (period_from <= period_to)
);
CREATE TABLE findings (
    id BIGSERIAL PRIMARY KEY,
    village_id BIGINT NOT NULL REFERENCES villages(id),
    rule TEXT NOT NULL,
    -- What the finding is about, stable across runs (see inspect::Flag::subject).
    subject TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen >= 0),
    summary TEXT NOT NULL,
    -- JSON: [{"kind": "receipt", "id": 42}, …], written by the rules only.
    evidence TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'explained', 'confirmed', 'dismissed')),
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    -- Set when a run over its period no longer finds the cause (resolved by data).
    cause_gone_at TIMESTAMP,
    last_run_id BIGINT NOT NULL REFERENCES inspection_runs(id),
    UNIQUE (village_id, rule, subject)
);
CREATE INDEX findings_village_period ON findings(village_id, period_start);
CREATE TABLE finding_events (
    id BIGSERIAL PRIMARY KEY,
    finding_id BIGINT NOT NULL REFERENCES findings(id),
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('found', 'status', 'cause_gone', 'cause_back')),
    actor_id BIGINT REFERENCES users(id),
    from_status TEXT,
    to_status TEXT,
    note TEXT NOT NULL,
    run_id BIGINT REFERENCES inspection_runs(id)
);
CREATE INDEX finding_events_finding ON finding_events(finding_id, id);
CREATE TRIGGER finding_events_immutable BEFORE UPDATE OR DELETE ON finding_events
    FOR EACH ROW EXECUTE FUNCTION qz_refuse_change();
