-- Operations: the record of every job run and the API keys (hashed). Idempotent.

CREATE TABLE IF NOT EXISTS ops.job_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind ~ '^[a-z_]+$'),
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('queued', 'running', 'success', 'failed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    rows_affected bigint,
    error text,
    details jsonb NOT NULL DEFAULT '{}',
    CHECK (finished_at IS NULL OR finished_at >= started_at),
    CHECK (status IN ('queued', 'running') OR finished_at IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS job_runs_kind_started_at_idx ON ops.job_runs (kind, started_at);
COMMENT ON TABLE ops.job_runs IS
    'Every run of a batch job (ingest, refresh, retrain, backtest, backup, nightly): start, end, status, rows, error.';

-- One row per job that must not run twice at once. The running job holds its row locked
-- (SELECT ... FOR UPDATE NOWAIT): a row lock needs UPDATE on the table, which only the owner
-- has, so no other role can hold it (any role can take any advisory lock key).
CREATE TABLE IF NOT EXISTS ops.job_locks (
    job text PRIMARY KEY CHECK (job ~ '^[a-z_]+$')
);
INSERT INTO ops.job_locks (job) VALUES ('nightly') ON CONFLICT (job) DO NOTHING;
COMMENT ON TABLE ops.job_locks IS
    'Jobs that run one at a time: the running one holds its row locked (owner only).';

CREATE TABLE IF NOT EXISTS ops.api_keys (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_prefix text NOT NULL CHECK (key_prefix ~ '^[A-Za-z0-9_-]{4,16}$'),
    key_sha256 bytea NOT NULL UNIQUE CHECK (length(key_sha256) = 32),
    scopes text[] NOT NULL CHECK (scopes <@ ARRAY['admin', 'analyst', 'ingest']::text[]
                                  AND cardinality(scopes) > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);
COMMENT ON TABLE ops.api_keys IS 'API keys: only the SHA-256 of the key is stored; the prefix identifies it.';
