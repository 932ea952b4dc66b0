-- Security: API key authentication and request rate limits shared by every API worker.
-- The API role reaches both only through the SECURITY DEFINER functions below. Idempotent.

-- Rate-limit counters: one row per route class, subject and fixed window. UNLOGGED: losing
-- the counters in a crash only resets the limits, and it keeps the write path cheap.
CREATE UNLOGGED TABLE IF NOT EXISTS ops.rate_limit_counters (
    route_class text NOT NULL CHECK (route_class ~ '^[a-z_]+$'),
    subject_sha256 bytea NOT NULL CHECK (length(subject_sha256) = 32),
    window_start timestamptz NOT NULL,
    hits integer NOT NULL CHECK (hits > 0),
    PRIMARY KEY (route_class, subject_sha256, window_start)
);
CREATE INDEX IF NOT EXISTS rate_limit_counters_window_start_idx
    ON ops.rate_limit_counters (window_start);
COMMENT ON TABLE ops.rate_limit_counters IS
    'Requests per route class, subject (salted hash of an API key id or a client address) and fixed window.';

-- Delete the counters of windows that started over two days ago (a window is at most a day
-- long, so they have ended). VOLATILE; owner-only, also called now and then by ops.count_requests.
CREATE OR REPLACE FUNCTION ops.prune_rate_limit_counters() RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH gone AS (
        DELETE FROM ops.rate_limit_counters
         WHERE window_start < now() - interval '2 days'
        RETURNING 1
    )
    SELECT count(*) FROM gone;
END;
COMMENT ON FUNCTION ops.prune_rate_limit_counters() IS
    'Delete rate-limit counters of windows that ended long ago; returns how many rows went.';

-- Add `amount` requests of a subject to the current fixed window of a route class.
-- Returns the window's total after the addition and the whole seconds until the window
-- ends. VOLATILE, SECURITY DEFINER (the API role has no privilege on the table itself).
CREATE OR REPLACE FUNCTION ops.count_requests(
    route_class text, subject_sha256 bytea, window_s integer, amount integer DEFAULT 1
) RETURNS TABLE (hits integer, reset_after_s integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    started timestamptz;
BEGIN
    IF window_s NOT BETWEEN 1 AND 86400 OR amount NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'window_s must be 1..86400 and amount 1..10000'
            USING ERRCODE = '22023';
    END IF;
    started := to_timestamp(floor(extract(epoch FROM now()) / window_s) * window_s);
    -- Old windows are cleaned up by the traffic itself, about once per thousand calls.
    IF random() < 0.001 THEN
        PERFORM ops.prune_rate_limit_counters();
    END IF;
    RETURN QUERY
    INSERT INTO ops.rate_limit_counters AS c (route_class, subject_sha256, window_start, hits)
    VALUES (count_requests.route_class, count_requests.subject_sha256, started, amount)
    ON CONFLICT ON CONSTRAINT rate_limit_counters_pkey
    DO UPDATE SET hits = least(c.hits::bigint + excluded.hits, 2147483647)::integer
    RETURNING c.hits,
              greatest(1, ceil(extract(epoch FROM started + make_interval(secs => window_s)
                                       - now())))::integer;
END
$$;
COMMENT ON FUNCTION ops.count_requests(text, bytea, integer, integer) IS
    'Count requests of a subject in the current fixed window of a route class; returns the window total and seconds to its end.';

-- The key behind a SHA-256, if it exists and is not revoked; records its use at most once a
-- minute (no write per request). VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION ops.authenticate_api_key(key_sha256 bytea)
RETURNS TABLE (id integer, name text, scopes text[])
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_key ops.api_keys;
BEGIN
    SELECT k.* INTO found_key FROM ops.api_keys k
     WHERE k.key_sha256 = authenticate_api_key.key_sha256 AND k.revoked_at IS NULL;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF found_key.last_used_at IS NULL OR found_key.last_used_at < now() - interval '1 minute' THEN
        UPDATE ops.api_keys k SET last_used_at = now() WHERE k.id = found_key.id;
    END IF;
    RETURN QUERY SELECT found_key.id, found_key.name, found_key.scopes;
END
$$;
COMMENT ON FUNCTION ops.authenticate_api_key(bytea) IS
    'The id, name and scopes of the live (not revoked) API key with this SHA-256; nothing otherwise.';

-- Privileges (the API checks keys and counts requests only through these functions, and
-- reads no key table): sql/099_grants.sql.
