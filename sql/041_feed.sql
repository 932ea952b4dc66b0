-- The live polisen.se feed: its state (cursor, last polls, errors) and the queue of event
-- pages to fetch once each. Written by the feed process (owner role); read by the API for
-- freshness. Idempotent.

CREATE TABLE IF NOT EXISTS ops.feed_state (
    source_id smallint PRIMARY KEY REFERENCES ref.data_sources (id),
    cursor_published_at timestamptz,
    last_poll_at timestamptz,
    last_poll_ok_at timestamptz,
    last_error text,
    last_error_at timestamptz,
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    refresh_pending boolean NOT NULL DEFAULT false,
    last_refresh_at timestamptz,
    polls_ok bigint NOT NULL DEFAULT 0 CHECK (polls_ok >= 0),
    polls_failed bigint NOT NULL DEFAULT 0 CHECK (polls_failed >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ops.feed_state IS
    'One row per live source: the cursor (newest publication seen), last polls, the last error, a pending light refresh.';
COMMENT ON COLUMN ops.feed_state.cursor_published_at IS
    'Newest publication time ingested; after an outage longer than one answer covers, the feed backfills day by day from here.';

CREATE TABLE IF NOT EXISTS raw.event_pages (
    source_id smallint NOT NULL REFERENCES ref.data_sources (id),
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    url text NOT NULL CHECK (url ~ '^https?://'),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'fetched', 'unparseable', 'gone', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    fetched_at timestamptz,
    last_error text,
    PRIMARY KEY (source_id, external_id)
);
CREATE INDEX IF NOT EXISTS event_pages_due_idx ON raw.event_pages (next_attempt_at)
    WHERE status = 'pending';
COMMENT ON TABLE raw.event_pages IS
    'Each new event''s public web page, fetched once for the geocoder: pending (with retry time), fetched, unparseable, gone (404) or failed (gave up). The text itself goes to raw.incidents.page_text.';

-- The incident feed reads newest first by (occurred_at, id).
CREATE INDEX IF NOT EXISTS incidents_occurred_at_id_idx ON raw.incidents (occurred_at DESC, id DESC);
