-- Incident reports from the app, part 1: parameters, compatible categories, submission with
-- idempotency and a per-client daily quota, moderation. Geometries EPSG:4326; a report's
-- location is stored rounded to the centre of its H3 cell. Idempotent.

-- Who moderated a report, for the audit trail (an API key id; keys are revoked, not deleted).
ALTER TABLE raw.user_reports
    ADD COLUMN IF NOT EXISTS moderated_by_key_id integer
        REFERENCES ops.api_keys (id) ON DELETE SET NULL;
COMMENT ON COLUMN raw.user_reports.moderated_by_key_id IS
    'The admin API key that set the current moderation status.';
COMMENT ON COLUMN raw.user_reports.geom IS
    'Centre of the report''s H3 cell (h3_cell): the location as stored, rounded; the exact point is never kept.';
COMMENT ON COLUMN raw.user_reports.h3_cell IS
    'H3 cell the report was rounded to (resolution set by the API, 10 by default).';
COMMENT ON COLUMN raw.user_reports.reported_during_alert IS
    'Made inside an alert zone (the app said so, or the location was in a current alert cell): feedback-loop guard.';
COMMENT ON COLUMN raw.user_reports.photo_key IS
    'Where the photo is stored (file or S3 key), re-encoded without metadata; removed on rejection.';
-- A short video clip, re-muxed without metadata, and its poster frame (a JPEG), in the same
-- store as photos (same retention, backup and erasure); both removed on rejection.
ALTER TABLE raw.user_reports ADD COLUMN IF NOT EXISTS video_key text;
ALTER TABLE raw.user_reports ADD COLUMN IF NOT EXISTS video_poster_key text;
COMMENT ON COLUMN raw.user_reports.video_key IS
    'Where the video clip is stored (file or S3 key), re-muxed without metadata or location tags; removed on rejection.';
COMMENT ON COLUMN raw.user_reports.video_poster_key IS
    'Where the video''s poster frame (JPEG) is stored; present exactly when video_key is.';
-- The event time of every incident (as risk.incident_time computes it): the corroboration
-- window looks up police events by it, one index range scan per report.
CREATE INDEX IF NOT EXISTS incidents_event_time_idx
    ON raw.incidents ((coalesce(occurred_at, published_at, first_seen_at)));
CREATE INDEX IF NOT EXISTS user_reports_occurred_at_idx ON raw.user_reports (occurred_at);
CREATE INDEX IF NOT EXISTS user_reports_client_sha256_received_at_idx
    ON raw.user_reports (client_sha256, received_at);
-- The client address behind a report (salted hash), also when it came with a device id: a
-- second daily quota per address, so rotating X-Device-Id does not lift the limit.
ALTER TABLE raw.user_reports ADD COLUMN IF NOT EXISTS address_sha256 text;
COMMENT ON COLUMN raw.user_reports.address_sha256 IS
    'HMAC-SHA-256 (hex) of the client address: the per-address daily quota; never the address.';
CREATE INDEX IF NOT EXISTS user_reports_address_sha256_received_at_idx
    ON raw.user_reports (address_sha256, received_at);
CREATE INDEX IF NOT EXISTS user_reports_moderation_status_received_at_idx
    ON raw.user_reports (moderation_status, received_at);

-- The one row of report parameters: corroboration window, risk weighting, clustering defaults.
CREATE TABLE IF NOT EXISTS ref.report_parameters (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    corroboration_distance_m real NOT NULL DEFAULT 250
        CHECK (corroboration_distance_m BETWEEN 0 AND 5000),
    corroboration_window_h real NOT NULL DEFAULT 3
        CHECK (corroboration_window_h BETWEEN 0 AND 72),
    risk_weight_cap real NOT NULL DEFAULT 0.5 CHECK (risk_weight_cap BETWEEN 0 AND 1),
    during_alert_factor real NOT NULL DEFAULT 0 CHECK (during_alert_factor BETWEEN 0 AND 1),
    cluster_eps_m real NOT NULL DEFAULT 200 CHECK (cluster_eps_m BETWEEN 10 AND 5000),
    cluster_min_points integer NOT NULL DEFAULT 3 CHECK (cluster_min_points BETWEEN 2 AND 1000),
    cluster_window_days integer NOT NULL DEFAULT 30 CHECK (cluster_window_days BETWEEN 1 AND 3650)
);
INSERT INTO ref.report_parameters DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
COMMENT ON TABLE ref.report_parameters IS
    'The one row of report parameters: corroboration distance (m, from the edge of the police event''s support) and time window (h, either side), the cap on a report''s severity in risk, the weight factor of an uncorroborated report made during an alert, DBSCAN defaults of the nightly clusters.';

-- Which police categories corroborate a report of a category: the same one, and a few
-- neighbours (a robbery is reported as violence or theft; a fire as vandalism).
CREATE TABLE IF NOT EXISTS ref.compatible_categories (
    report_category text NOT NULL REFERENCES ref.incident_categories (code),
    incident_category text NOT NULL REFERENCES ref.incident_categories (code),
    PRIMARY KEY (report_category, incident_category)
);
COMMENT ON TABLE ref.compatible_categories IS
    'Report category -> police event categories that can corroborate it.';
INSERT INTO ref.compatible_categories (report_category, incident_category)
SELECT code, code FROM ref.incident_categories WHERE counts_for_risk
UNION ALL
SELECT a, b FROM (VALUES ('violent', 'weapons'), ('weapons', 'violent'),
                         ('violent', 'robbery'), ('robbery', 'violent'),
                         ('robbery', 'theft'), ('theft', 'robbery'),
                         ('vandalism', 'fire'), ('fire', 'vandalism')) AS pairs (a, b)
ON CONFLICT DO NOTHING;

-- What a client is told about a stored report (also the answer to a retry), by id or key.
CREATE OR REPLACE VIEW raw.report_receipts AS
SELECT r.id, r.idempotency_key, r.request_sha256, r.category, r.occurred_at, r.received_at,
       ST_Y(r.geom) AS lat, ST_X(r.geom) AS lon, r.h3_cell::text AS h3_cell,
       h3_get_resolution(r.h3_cell) AS resolution, r.accuracy_m,
       r.photo_key IS NOT NULL AS has_photo, r.moderation_status, r.reported_during_alert,
       r.video_key IS NOT NULL AS has_video
FROM raw.user_reports r;
COMMENT ON VIEW raw.report_receipts IS
    'The stored form of each report as the submitting client sees it: rounded location, status.';

-- Whether a point (lon, lat) lies in a current alert cell: base resolution, risk_score at or
-- above the alert threshold of the latest risk refresh. False before any refresh. Reads the
-- risk tables of a later migration at run time (plpgsql resolves them when first called).
-- STABLE.
CREATE OR REPLACE FUNCTION raw.in_alert_zone(lon double precision, lat double precision)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM risk.parameters p
        JOIN risk.cell_risk r
          ON r.cell = h3_lat_lng_to_cell(point(lon, lat), p.base_resolution)
        WHERE r.risk_score >= p.alert_threshold);
END;
$$;
COMMENT ON FUNCTION raw.in_alert_zone(double precision, double precision) IS
    'True when (lon, lat) is in a base cell whose risk_score reaches the alert threshold.';

-- Store a report once per idempotency key, in one transaction. Outcomes: 'created';
-- 'replayed' (the key is known with the same request hash: its report); 'key_conflict' (known
-- with another request); 'quota' (the client made daily_limit reports in the last 24 h, or its
-- address made address_daily_limit; retry_after_s says when the oldest ages out). Requests of one client are serialised by an
-- advisory lock, so concurrent retries see each other; the unique key is the final guard.
-- The location is rounded to the centre of its H3 cell at location_resolution; the exact
-- point only decides the alert flag and is not kept. VOLATILE.
-- (Older signatures, before videos and the per-address quota, are dropped so that only one
-- submit_report exists.)
DROP FUNCTION IF EXISTS raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer, text, text);
DROP FUNCTION IF EXISTS raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer, text, integer);
DROP FUNCTION IF EXISTS raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer);
CREATE OR REPLACE FUNCTION raw.submit_report(
    p_idempotency_key text, p_request_sha256 text, p_category text, p_occurred_at timestamptz,
    p_lon double precision, p_lat double precision, p_accuracy_m real, p_description text,
    p_photo_key text, p_client_sha256 text, p_client_saw_alert boolean,
    p_location_resolution integer, p_daily_limit integer,
    p_video_key text, p_video_poster_key text, p_address_sha256 text, p_address_daily_limit integer
) RETURNS TABLE (outcome text, report_id bigint, retry_after_s integer)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    known_id bigint;
    known_sha text;
    recent integer;
    oldest timestamptz;
    over_quota boolean;
    cell h3index;
BEGIN
    IF p_client_sha256 IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('halo.reports:' || p_client_sha256, 0));
    END IF;
    -- Always after the client's lock (same order everywhere: no deadlock).
    IF p_address_sha256 IS NOT NULL AND p_address_sha256 IS DISTINCT FROM p_client_sha256 THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('halo.reports:' || p_address_sha256, 0));
    END IF;
    SELECT r.id, r.request_sha256 INTO known_id, known_sha
    FROM raw.user_reports r WHERE r.idempotency_key = p_idempotency_key;
    IF FOUND THEN
        RETURN QUERY SELECT CASE WHEN known_sha = p_request_sha256 THEN 'replayed'
                                 ELSE 'key_conflict' END, known_id, NULL::integer;
        RETURN;
    END IF;
    SELECT count(*), min(r.received_at) INTO recent, oldest
    FROM raw.user_reports r
    WHERE r.client_sha256 = p_client_sha256 AND r.received_at > now() - interval '1 day';
    over_quota := recent >= p_daily_limit;
    IF NOT over_quota AND p_address_sha256 IS NOT NULL THEN
        -- Every device behind the address counts against the address's own (larger) limit.
        SELECT count(*), min(r.received_at) INTO recent, oldest
        FROM raw.user_reports r
        WHERE r.address_sha256 = p_address_sha256 AND r.received_at > now() - interval '1 day';
        over_quota := recent >= p_address_daily_limit;
    END IF;
    IF over_quota THEN
        RETURN QUERY SELECT 'quota', NULL::bigint,
            greatest(1, ceil(extract(epoch FROM oldest + interval '1 day' - now())))::integer;
        RETURN;
    END IF;
    cell := h3_lat_lng_to_cell(point(p_lon, p_lat), p_location_resolution);
    INSERT INTO raw.user_reports (idempotency_key, request_sha256, category, occurred_at, geom,
        accuracy_m, h3_cell, description, photo_key, reported_during_alert, client_sha256,
        video_key, video_poster_key, address_sha256)
    VALUES (p_idempotency_key, p_request_sha256, p_category, p_occurred_at,
            ST_SetSRID(h3_cell_to_lat_lng(cell)::geometry, 4326), p_accuracy_m, cell,
            p_description, p_photo_key,
            p_client_saw_alert OR raw.in_alert_zone(p_lon, p_lat), p_client_sha256,
            p_video_key, p_video_poster_key, p_address_sha256)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO known_id;
    IF known_id IS NULL THEN
        -- A concurrent request with the same key and no client hash committed first.
        SELECT r.id, r.request_sha256 INTO known_id, known_sha
        FROM raw.user_reports r WHERE r.idempotency_key = p_idempotency_key;
        RETURN QUERY SELECT CASE WHEN known_sha = p_request_sha256 THEN 'replayed'
                                 ELSE 'key_conflict' END, known_id, NULL::integer;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'created', known_id, NULL::integer;
END;
$$;
COMMENT ON FUNCTION raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer, text, text, text, integer) IS
    'Store a report once per idempotency key (created / replayed / key_conflict / quota per client and per address), location rounded to its H3 cell centre; with its stored photo, video and poster keys.';

-- Set a report's moderation status (approved or rejected) with time and moderator. A
-- rejected report's photo, video and poster references are dropped: removed_*_key name
-- the files the caller must delete. No row for an unknown id. VOLATILE.
-- (The answer gained the video columns: the older function is dropped first.)
DROP FUNCTION IF EXISTS raw.moderate_report(bigint, text, integer);
CREATE OR REPLACE FUNCTION raw.moderate_report(
    p_report_id bigint, p_status text, p_key_id integer
) RETURNS TABLE (report_id bigint, moderation_status text, moderated_at timestamptz,
                 removed_photo_key text, removed_video_key text, removed_poster_key text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    old_photo text;
    old_video text;
    old_poster text;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('approved', 'rejected') THEN
        RAISE EXCEPTION 'moderation status must be approved or rejected, not %', p_status
            USING ERRCODE = '23514';
    END IF;
    SELECT r.photo_key, r.video_key, r.video_poster_key INTO old_photo, old_video, old_poster
    FROM raw.user_reports r WHERE r.id = p_report_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    UPDATE raw.user_reports r
       SET moderation_status = p_status, moderated_at = now(), moderated_by_key_id = p_key_id,
           photo_key = CASE WHEN p_status = 'rejected' THEN NULL ELSE r.photo_key END,
           video_key = CASE WHEN p_status = 'rejected' THEN NULL ELSE r.video_key END,
           video_poster_key = CASE WHEN p_status = 'rejected' THEN NULL ELSE r.video_poster_key END
     WHERE r.id = p_report_id
    RETURNING r.id, r.moderation_status, r.moderated_at,
              CASE WHEN p_status = 'rejected' THEN old_photo END,
              CASE WHEN p_status = 'rejected' THEN old_video END,
              CASE WHEN p_status = 'rejected' THEN old_poster END;
END;
$$;
COMMENT ON FUNCTION raw.moderate_report(bigint, text, integer) IS
    'Approve or reject a report; returns the new status and, on rejection, the photo, video and poster keys to delete.';

-- Privileges (the API submits and moderates through these functions): sql/099_grants.sql.
