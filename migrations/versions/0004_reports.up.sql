-- 0004_reports: frozen copy of sql/042_reports.sql, sql/043_report_fusion.sql, sql/044_report_analytics.sql.

-- ==== sql/042_reports.sql ====
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
-- The event time of every incident (as risk.incident_time computes it): the corroboration
-- window looks up police events by it, one index range scan per report.
CREATE INDEX IF NOT EXISTS incidents_event_time_idx
    ON raw.incidents ((coalesce(occurred_at, published_at, first_seen_at)));
CREATE INDEX IF NOT EXISTS user_reports_occurred_at_idx ON raw.user_reports (occurred_at);
CREATE INDEX IF NOT EXISTS user_reports_client_sha256_received_at_idx
    ON raw.user_reports (client_sha256, received_at);
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
       r.photo_key IS NOT NULL AS has_photo, r.moderation_status, r.reported_during_alert
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
-- with another request); 'quota' (the client made daily_limit reports in the last 24 h;
-- retry_after_s says when the oldest ages out). Requests of one client are serialised by an
-- advisory lock, so concurrent retries see each other; the unique key is the final guard.
-- The location is rounded to the centre of its H3 cell at location_resolution; the exact
-- point only decides the alert flag and is not kept. VOLATILE.
CREATE OR REPLACE FUNCTION raw.submit_report(
    p_idempotency_key text, p_request_sha256 text, p_category text, p_occurred_at timestamptz,
    p_lon double precision, p_lat double precision, p_accuracy_m real, p_description text,
    p_photo_key text, p_client_sha256 text, p_client_saw_alert boolean,
    p_location_resolution integer, p_daily_limit integer
) RETURNS TABLE (outcome text, report_id bigint, retry_after_s integer)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    known_id bigint;
    known_sha text;
    recent integer;
    oldest timestamptz;
    cell h3index;
BEGIN
    IF p_client_sha256 IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended('halo.reports:' || p_client_sha256, 0));
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
    IF recent >= p_daily_limit THEN
        RETURN QUERY SELECT 'quota', NULL::bigint,
            greatest(1, ceil(extract(epoch FROM oldest + interval '1 day' - now())))::integer;
        RETURN;
    END IF;
    cell := h3_lat_lng_to_cell(point(p_lon, p_lat), p_location_resolution);
    INSERT INTO raw.user_reports (idempotency_key, request_sha256, category, occurred_at, geom,
        accuracy_m, h3_cell, description, photo_key, reported_during_alert, client_sha256)
    VALUES (p_idempotency_key, p_request_sha256, p_category, p_occurred_at,
            ST_SetSRID(h3_cell_to_lat_lng(cell)::geometry, 4326), p_accuracy_m, cell,
            p_description, p_photo_key,
            p_client_saw_alert OR raw.in_alert_zone(p_lon, p_lat), p_client_sha256)
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
    double precision, real, text, text, text, boolean, integer, integer) IS
    'Store a report once per idempotency key (created / replayed / key_conflict / quota), location rounded to its H3 cell centre.';

-- Set a report's moderation status (approved or rejected) with time and moderator. A
-- rejected report's photo reference is dropped: removed_photo_key names the file the caller
-- must delete. No row for an unknown id. VOLATILE.
CREATE OR REPLACE FUNCTION raw.moderate_report(
    p_report_id bigint, p_status text, p_key_id integer
) RETURNS TABLE (report_id bigint, moderation_status text, moderated_at timestamptz,
                 removed_photo_key text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    old_photo text;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('approved', 'rejected') THEN
        RAISE EXCEPTION 'moderation status must be approved or rejected, not %', p_status
            USING ERRCODE = '23514';
    END IF;
    SELECT r.photo_key INTO old_photo FROM raw.user_reports r WHERE r.id = p_report_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    UPDATE raw.user_reports r
       SET moderation_status = p_status, moderated_at = now(), moderated_by_key_id = p_key_id,
           photo_key = CASE WHEN p_status = 'rejected' THEN NULL ELSE r.photo_key END
     WHERE r.id = p_report_id
    RETURNING r.id, r.moderation_status, r.moderated_at,
              CASE WHEN p_status = 'rejected' THEN old_photo END;
END;
$$;
COMMENT ON FUNCTION raw.moderate_report(bigint, text, integer) IS
    'Approve or reject a report; returns the new status and, on rejection, the photo key to delete.';

GRANT SELECT ON raw.report_receipts TO halo_api;
GRANT UPDATE (moderation_status, moderated_at, moderated_by_key_id, photo_key)
    ON raw.user_reports TO halo_api;
REVOKE ALL ON FUNCTION raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION raw.moderate_report(bigint, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer) TO halo_api;
GRANT EXECUTE ON FUNCTION raw.moderate_report(bigint, text, integer) TO halo_api;


-- ==== sql/043_report_fusion.sql ====
-- Incident reports from the app, part 2: corroboration by police events, fused cross-source
-- events and the reports that feed risk. Storage EPSG:4326; distances on the spheroid
-- (geography). Idempotent.

-- Every (report, police event) pair that corroborates: a compatible category, the event's
-- time within corroboration_window_h of the report's, and the report within
-- corroboration_distance_m of the event's support: its point (plus its radius), its place
-- (point plus radius, or polygon) or its district polygon. Municipality- and county-only
-- events are too vague to corroborate anything. distance_m is measured from the edge of the
-- support (0 inside it). Reports of every status; consumers drop rejected ones.
CREATE OR REPLACE VIEW raw.report_corroborations AS
SELECT r.id AS report_id, m.incident_id, m.source_id, m.reliability, m.incident_first_seen_at,
       m.distance_m, m.time_gap_s
FROM raw.user_reports r
CROSS JOIN ref.report_parameters p
CROSS JOIN LATERAL (
    SELECT i.id AS incident_id, i.source_id, s.reliability,
           i.first_seen_at AS incident_first_seen_at,
           greatest(d.distance_m, 0)::real AS distance_m,
           extract(epoch FROM coalesce(i.occurred_at, i.published_at, i.first_seen_at)
                              - r.occurred_at)::integer AS time_gap_s
    FROM raw.incidents i
    JOIN ref.compatible_categories cc
      ON cc.report_category = r.category AND cc.incident_category = i.category
    JOIN ref.data_sources s ON s.id = i.source_id AND s.kind <> 'user_reports'
    CROSS JOIN LATERAL (
        SELECT CASE i.location_support
            WHEN 'point' THEN ST_Distance(r.geom::geography, i.point_geom::geography)
                              - coalesce(i.support_radius_m, 0)
            WHEN 'place' THEN (
                SELECT CASE WHEN ST_Intersects(pl.geom, r.geom) THEN 0
                            ELSE ST_Distance(r.geom::geography, pl.geom::geography)
                                 - pl.radius_m END
                FROM ref.places pl WHERE pl.id = i.place_id)
            WHEN 'district' THEN (
                SELECT CASE WHEN ST_Intersects(dt.geom, r.geom) THEN 0
                            ELSE ST_Distance(r.geom::geography, dt.geom::geography) END
                FROM ref.districts dt WHERE dt.id = i.district_id)
        END AS distance_m
    ) d
    WHERE coalesce(i.occurred_at, i.published_at, i.first_seen_at)
          BETWEEN r.occurred_at - make_interval(secs => p.corroboration_window_h * 3600)
              AND r.occurred_at + make_interval(secs => p.corroboration_window_h * 3600)
      AND i.location_support IN ('point', 'place', 'district')
      AND d.distance_m <= p.corroboration_distance_m
    -- Not pulled up: per report, an index range scan on the events' time (a band join the
    -- planner would otherwise run as a hash join filtering every pair).
    OFFSET 0
) m;
COMMENT ON VIEW raw.report_corroborations IS
    'Report x police event pairs within the corroboration window (compatible category, time, distance from the event''s support).';

-- Per report: whether and since when it is corroborated, and its best match (closest in
-- time, then in space) - the police event it is fused with.
CREATE OR REPLACE VIEW raw.report_corroboration AS
SELECT DISTINCT ON (c.report_id)
       c.report_id, c.incident_id AS best_incident_id, c.reliability AS incident_reliability,
       min(c.incident_first_seen_at) OVER (PARTITION BY c.report_id) AS corroborated_from,
       count(*) OVER (PARTITION BY c.report_id) AS matches
FROM raw.report_corroborations c
ORDER BY c.report_id, abs(c.time_gap_s), c.distance_m, c.incident_id;
COMMENT ON VIEW raw.report_corroboration IS
    'One row per corroborated report: its best police match, when the first match was seen, how many matched.';

-- Fused events: each police event (of a category that counts) with the non-rejected reports
-- whose best match it is, and each non-rejected report that no police event corroborates.
-- confidence = 1 - prod(1 - reliability) over every observation (the event and each report).
CREATE OR REPLACE VIEW raw.fused_events AS
WITH user_source AS (
    SELECT id, reliability FROM ref.data_sources WHERE code = 'user_reports'
),
fused_reports AS (
    SELECT c.best_incident_id AS incident_id, array_agg(r.id ORDER BY r.id) AS report_ids,
           sum(ln(greatest(1 - u.reliability, 1e-9))) AS log_miss
    FROM raw.report_corroboration c
    JOIN raw.user_reports r ON r.id = c.report_id AND r.moderation_status <> 'rejected'
    CROSS JOIN user_source u
    GROUP BY c.best_incident_id
)
SELECT 'incident:' || i.id AS event_key, i.category,
       coalesce(i.occurred_at, i.published_at, i.first_seen_at) AS occurred_at,
       i.id AS incident_id, coalesce(f.report_ids, '{}') AS report_ids,
       CASE WHEN f.incident_id IS NULL THEN ARRAY[s.code] ELSE ARRAY[s.code, 'user_reports'] END
           AS sources,
       1 + coalesce(cardinality(f.report_ids), 0) AS observations,
       (1 - exp(ln(greatest(1 - s.reliability, 1e-9)) + coalesce(f.log_miss, 0)))::real
           AS confidence,
       i.district_id
FROM raw.incidents i
JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
JOIN ref.data_sources s ON s.id = i.source_id
LEFT JOIN fused_reports f ON f.incident_id = i.id
UNION ALL
SELECT 'report:' || r.id, r.category, r.occurred_at, NULL, ARRAY[r.id], ARRAY['user_reports'],
       1, u.reliability, dt.id
FROM raw.user_reports r
CROSS JOIN user_source u
LEFT JOIN LATERAL (
    SELECT d.id FROM ref.districts d WHERE ST_Intersects(d.geom, r.geom) ORDER BY d.id LIMIT 1
) dt ON true
WHERE r.moderation_status <> 'rejected'
  AND NOT EXISTS (SELECT 1 FROM raw.report_corroboration c WHERE c.report_id = r.id);
COMMENT ON VIEW raw.fused_events IS
    'Events merged across sources: a police event with the reports it corroborates, or a report alone; confidence = 1 - prod(1 - reliability).';

-- The reports that feed risk: approved or corroborated, never rejected, of a category that
-- counts. severity = min(category weight, risk_weight_cap) x the reliability of the
-- user_reports source; an uncorroborated report made during an alert is multiplied by
-- during_alert_factor (0 by default: left out, so alert zones cannot feed themselves; a
-- police match is independent evidence). counts_from is when the report became eligible
-- (approval, or the first matching police event being seen), for point-in-time refreshes and
-- backtests; first_seen_at is when Halo received it. cell: resolution 10.
CREATE OR REPLACE VIEW raw.reports_for_risk AS
SELECT r.id AS report_id, r.category,
       (least(k.severity_weight, p.risk_weight_cap) * u.reliability
        * CASE WHEN r.reported_during_alert AND c.report_id IS NULL
               THEN p.during_alert_factor ELSE 1 END)::real AS severity,
       r.occurred_at, r.received_at AS first_seen_at,
       least(CASE WHEN r.moderation_status = 'approved'
                  THEN greatest(r.received_at, r.moderated_at) END,
             CASE WHEN c.report_id IS NOT NULL
                  THEN greatest(r.received_at, c.corroborated_from) END) AS counts_from,
       public.h3_lat_lng_to_cell(r.geom::point, 10) AS h3_cell,
       c.report_id IS NOT NULL AS corroborated, r.reported_during_alert
FROM raw.user_reports r
CROSS JOIN ref.report_parameters p
JOIN ref.incident_categories k ON k.code = r.category AND k.counts_for_risk
JOIN ref.data_sources u ON u.code = 'user_reports'
LEFT JOIN raw.report_corroboration c ON c.report_id = r.id
WHERE r.moderation_status <> 'rejected'
  AND (r.moderation_status = 'approved' OR c.report_id IS NOT NULL)
  AND NOT (r.reported_during_alert AND c.report_id IS NULL AND p.during_alert_factor = 0);
COMMENT ON VIEW raw.reports_for_risk IS
    'Reports that feed risk (approved or corroborated), with their capped, reliability-weighted severity and the time they became eligible.';

GRANT SELECT ON raw.report_corroborations, raw.report_corroboration, raw.fused_events,
    raw.reports_for_risk TO halo_api;


-- ==== sql/044_report_analytics.sql ====
-- Incident reports from the app, part 3: DBSCAN clusters (live, and the nightly table for
-- analysts) and statistics. Storage EPSG:4326; clustering in SWEREF99 TM (EPSG:3006, metres).
-- Idempotent.

-- ISO 8601 text of a time in UTC ('2025-06-01T12:00:00Z'), independent of the session's
-- TimeZone, for JSON answers. IMMUTABLE.
CREATE OR REPLACE FUNCTION raw.iso_utc(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- DBSCAN clusters of the non-rejected reports that happened in (occurred_from,
-- occurred_until], clustered in SWEREF99 TM (EPSG:3006, metres) with ST_ClusterDBSCAN(eps_m,
-- min_points). NULL arguments take ref.report_parameters' defaults (window: the last
-- cluster_window_days before occurred_until, default now()). Reports are stored rounded to
-- H3 resolution-10 centres, about 120 m apart, so an eps below that joins only reports of
-- one cell. Cluster ids number the clusters by their first report. hull: the members'
-- convex hull widened by eps/2 (EPSG:4326). STABLE.
CREATE OR REPLACE FUNCTION raw.cluster_reports(
    eps_m double precision DEFAULT NULL, min_points integer DEFAULT NULL,
    occurred_from timestamptz DEFAULT NULL, occurred_until timestamptz DEFAULT NULL
) RETURNS TABLE (cluster_id integer, reports integer, approved integer, corroborated integer,
                 during_alert integer, categories jsonb, first_occurred_at timestamptz,
                 last_occurred_at timestamptz, radius_m real, centroid geometry(Point, 4326),
                 hull geometry(Polygon, 4326))
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp SET jit = off
BEGIN ATOMIC
    WITH params AS (
        SELECT coalesce(cluster_reports.eps_m, p.cluster_eps_m) AS eps,
               coalesce(cluster_reports.min_points, p.cluster_min_points) AS min_pts,
               coalesce(cluster_reports.occurred_from,
                        coalesce(cluster_reports.occurred_until, now())
                        - make_interval(days => p.cluster_window_days)) AS t_from,
               coalesce(cluster_reports.occurred_until, now()) AS t_until
        FROM ref.report_parameters p
    ),
    members AS (
        SELECT r.id, r.category, r.occurred_at, r.moderation_status, r.reported_during_alert,
               ST_Transform(r.geom, 3006) AS g,
               EXISTS (SELECT 1 FROM raw.report_corroboration c WHERE c.report_id = r.id)
                   AS corroborated,
               ST_ClusterDBSCAN(ST_Transform(r.geom, 3006), eps := params.eps,
                                minpoints := params.min_pts) OVER () AS dbscan_id
        FROM raw.user_reports r, params
        WHERE r.moderation_status <> 'rejected'
          AND r.occurred_at > params.t_from AND r.occurred_at <= params.t_until
    ),
    clusters AS (
        SELECT m.dbscan_id, min(m.id) AS first_id, count(*)::integer AS n,
               count(*) FILTER (WHERE m.moderation_status = 'approved')::integer AS n_approved,
               count(*) FILTER (WHERE m.corroborated)::integer AS n_corroborated,
               count(*) FILTER (WHERE m.reported_during_alert)::integer AS n_alert,
               min(m.occurred_at) AS first_at, max(m.occurred_at) AS last_at,
               ST_Collect(m.g) AS points
        FROM members m
        WHERE m.dbscan_id IS NOT NULL
        GROUP BY m.dbscan_id
    ),
    per_category AS (
        SELECT m.dbscan_id, jsonb_object_agg(m.category, m.n) AS categories
        FROM (SELECT dbscan_id, category, count(*) AS n FROM members
              WHERE dbscan_id IS NOT NULL GROUP BY dbscan_id, category) m
        GROUP BY m.dbscan_id
    )
    SELECT (row_number() OVER (ORDER BY c.first_id))::integer, c.n, c.n_approved,
           c.n_corroborated, c.n_alert, pc.categories, c.first_at, c.last_at,
           ST_MaxDistance(ST_Centroid(c.points), c.points)::real,
           ST_Transform(ST_Centroid(c.points), 4326)::geometry(Point, 4326),
           ST_Transform(ST_Buffer(ST_ConvexHull(c.points), params.eps / 2, 8), 4326)
               ::geometry(Polygon, 4326)
    FROM clusters c
    JOIN per_category pc ON pc.dbscan_id = c.dbscan_id
    CROSS JOIN params
    ORDER BY c.first_id;
END;
COMMENT ON FUNCTION raw.cluster_reports(double precision, integer, timestamptz, timestamptz) IS
    'DBSCAN clusters (EPSG:3006, eps in metres) of non-rejected reports in a time window; defaults from ref.report_parameters.';

-- The nightly clusters, rebuilt by risk.refresh_report_clusters().
CREATE TABLE IF NOT EXISTS risk.report_clusters (
    cluster_id integer PRIMARY KEY,
    reports integer NOT NULL CHECK (reports > 0),
    approved integer NOT NULL,
    corroborated integer NOT NULL,
    during_alert integer NOT NULL,
    categories jsonb NOT NULL,
    first_occurred_at timestamptz NOT NULL,
    last_occurred_at timestamptz NOT NULL,
    radius_m real NOT NULL,
    centroid geometry(Point, 4326) NOT NULL,
    hull geometry(Polygon, 4326) NOT NULL,
    eps_m real NOT NULL,
    min_points integer NOT NULL,
    window_from timestamptz NOT NULL,
    window_until timestamptz NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS report_clusters_hull_idx ON risk.report_clusters USING gist (hull);
COMMENT ON TABLE risk.report_clusters IS
    'DBSCAN clusters of recent app reports (ref.report_parameters defaults), rebuilt nightly by risk.refresh_report_clusters().';

-- Rebuild risk.report_clusters with the default parameters for the window ending at as_of
-- (default now()); readers see the previous clusters until commit. Returns the number of
-- clusters. VOLATILE (writes); run by the owner in the nightly pipeline.
CREATE OR REPLACE FUNCTION risk.refresh_report_clusters(as_of timestamptz DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    p ref.report_parameters;
    until timestamptz := coalesce(as_of, now());
BEGIN
    SELECT * INTO p FROM ref.report_parameters;
    DELETE FROM risk.report_clusters;
    INSERT INTO risk.report_clusters (cluster_id, reports, approved, corroborated, during_alert,
        categories, first_occurred_at, last_occurred_at, radius_m, centroid, hull, eps_m,
        min_points, window_from, window_until)
    SELECT c.*, p.cluster_eps_m, p.cluster_min_points,
           until - make_interval(days => p.cluster_window_days), until
    FROM raw.cluster_reports(NULL, NULL, NULL, until) c;
    ANALYZE risk.report_clusters;
    RETURN (SELECT count(*) FROM risk.report_clusters);
END;
$$;
COMMENT ON FUNCTION risk.refresh_report_clusters(timestamptz) IS
    'Rebuild the nightly report clusters for the window ending at as_of (default now); returns the cluster count.';

-- Report clusters as a GeoJSON FeatureCollection (hull polygons, EPSG:4326): the nightly
-- table when every argument is NULL, else computed now with the given eps_m, min_points and
-- the last window_days (NULLs take the defaults). STABLE.
CREATE OR REPLACE FUNCTION risk.report_clusters_geojson(
    eps_m double precision, min_points integer, window_days integer
) RETURNS json
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp SET jit = off
BEGIN ATOMIC
    WITH live AS (
        SELECT eps_m IS NOT NULL OR min_points IS NOT NULL OR window_days IS NOT NULL
               AS is_live
    ),
    chosen AS (
        SELECT c.cluster_id, c.reports, c.approved, c.corroborated, c.during_alert, c.categories,
               c.first_occurred_at, c.last_occurred_at, c.radius_m, c.centroid, c.hull
        FROM risk.report_clusters c, live WHERE NOT live.is_live
        UNION ALL
        SELECT c.* FROM live, ref.report_parameters p,
             raw.cluster_reports(report_clusters_geojson.eps_m,
                                 report_clusters_geojson.min_points,
                                 now() - make_interval(days => coalesce(window_days,
                                                                        p.cluster_window_days)),
                                 now()) c
        WHERE live.is_live
    ),
    meta AS (
        SELECT CASE WHEN live.is_live THEN 'live' ELSE 'nightly' END AS mode,
               CASE WHEN live.is_live THEN coalesce(report_clusters_geojson.eps_m, p.cluster_eps_m)
                    ELSE (SELECT max(t.eps_m) FROM risk.report_clusters t) END AS eps,
               CASE WHEN live.is_live THEN coalesce(min_points, p.cluster_min_points)
                    ELSE (SELECT max(t.min_points) FROM risk.report_clusters t) END AS min_pts,
               CASE WHEN live.is_live THEN coalesce(window_days, p.cluster_window_days)
                    ELSE p.cluster_window_days END AS days,
               CASE WHEN live.is_live THEN now()
                    ELSE (SELECT max(t.refreshed_at) FROM risk.report_clusters t) END AS at
        FROM live, ref.report_parameters p
    )
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'mode', meta.mode,
        'eps_m', meta.eps,
        'min_points', meta.min_pts,
        'window_days', meta.days,
        'computed_at', raw.iso_utc(meta.at),
        'features', coalesce((
            SELECT json_agg(json_build_object(
                'type', 'Feature',
                'id', c.cluster_id,
                'geometry', ST_AsGeoJSON(c.hull, 6)::json,
                'properties', json_build_object(
                    'cluster_id', c.cluster_id,
                    'reports', c.reports,
                    'approved', c.approved,
                    'corroborated', c.corroborated,
                    'during_alert', c.during_alert,
                    'categories', c.categories,
                    'first_occurred_at', raw.iso_utc(c.first_occurred_at),
                    'last_occurred_at', raw.iso_utc(c.last_occurred_at),
                    'radius_m', round(c.radius_m::numeric, 1),
                    'centroid', json_build_array(round(ST_X(c.centroid)::numeric, 6),
                                                 round(ST_Y(c.centroid)::numeric, 6))))
                ORDER BY c.cluster_id)
            FROM chosen c), '[]'::json))
    FROM meta;
END;
COMMENT ON FUNCTION risk.report_clusters_geojson(double precision, integer, integer) IS
    'Report clusters as GeoJSON: the nightly table, or computed now when any parameter is given.';

-- Counts of reports that happened in [from, until): by moderation status, by category (with
-- labels), by Stockholm-local day; with photo, made during an alert, feeding risk. STABLE.
CREATE OR REPLACE FUNCTION raw.report_stats(t_from timestamptz, t_until timestamptz)
RETURNS json
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp SET jit = off
BEGIN ATOMIC
    WITH chosen AS (
        SELECT r.* FROM raw.user_reports r
        WHERE r.occurred_at >= t_from AND r.occurred_at < t_until
    )
    SELECT json_build_object(
        'total', (SELECT count(*) FROM chosen),
        'by_status', json_build_object(
            'pending', (SELECT count(*) FROM chosen WHERE moderation_status = 'pending'),
            'approved', (SELECT count(*) FROM chosen WHERE moderation_status = 'approved'),
            'rejected', (SELECT count(*) FROM chosen WHERE moderation_status = 'rejected')),
        'by_category', coalesce((
            SELECT json_agg(json_build_object('category', k.code, 'label_en', k.label_en,
                                              'label_sv', k.label_sv, 'count', n.n)
                            ORDER BY n.n DESC, k.code)
            FROM (SELECT category, count(*) AS n FROM chosen GROUP BY category) n
            JOIN ref.incident_categories k ON k.code = n.category), '[]'::json),
        'by_day', coalesce((
            SELECT json_agg(json_build_object('day', d.day, 'count', d.n,
                                              'approved', d.approved, 'rejected', d.rejected)
                            ORDER BY d.day)
            FROM (SELECT (occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS day,
                         count(*) AS n,
                         count(*) FILTER (WHERE moderation_status = 'approved') AS approved,
                         count(*) FILTER (WHERE moderation_status = 'rejected') AS rejected
                  FROM chosen GROUP BY 1) d), '[]'::json),
        'with_photo', (SELECT count(*) FROM chosen WHERE photo_key IS NOT NULL),
        'during_alert', (SELECT count(*) FROM chosen WHERE reported_during_alert),
        'feeding_risk', (SELECT count(*) FROM raw.reports_for_risk f
                         JOIN chosen c ON c.id = f.report_id));
END;
COMMENT ON FUNCTION raw.report_stats(timestamptz, timestamptz) IS
    'Report counts in a time window by status, category and Stockholm day, as JSON.';

-- Cross-source statistics of events that happened in [from, until): the share of
-- non-rejected reports a police event corroborates, per source (events, events seen by
-- another source too), fused events with their mean confidence, and per district (reports,
-- corroborated, rate; districts with reports only). STABLE.
CREATE OR REPLACE FUNCTION raw.cross_source_stats(t_from timestamptz, t_until timestamptz)
RETURNS json
LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp SET jit = off
BEGIN ATOMIC
    WITH reports AS (
        SELECT r.id,
               EXISTS (SELECT 1 FROM raw.report_corroboration c WHERE c.report_id = r.id)
                   AS corroborated,
               (SELECT d.id FROM ref.districts d WHERE ST_Intersects(d.geom, r.geom)
                ORDER BY d.id LIMIT 1) AS district_id
        FROM raw.user_reports r
        WHERE r.moderation_status <> 'rejected'
          AND r.occurred_at >= t_from AND r.occurred_at < t_until
    ),
    events AS (
        SELECT * FROM raw.fused_events f
        WHERE f.occurred_at >= t_from AND f.occurred_at < t_until
    ),
    per_source AS (
        SELECT src.code, src.reliability, count(e.event_key) AS events,
               count(e.event_key) FILTER (WHERE cardinality(e.sources) > 1) AS corroborated
        FROM ref.data_sources src
        LEFT JOIN events e ON src.code = ANY (e.sources)
        GROUP BY src.code, src.reliability
    ),
    per_district AS (
        SELECT dt.id, dt.name, count(*) AS n, count(*) FILTER (WHERE r.corroborated) AS ok
        FROM reports r JOIN ref.districts dt ON dt.id = r.district_id
        GROUP BY dt.id, dt.name
    )
    SELECT json_build_object(
        'reports', (SELECT count(*) FROM reports),
        'corroborated', (SELECT count(*) FILTER (WHERE corroborated) FROM reports),
        'corroboration_rate', (SELECT round(avg(corroborated::int)::numeric, 4) FROM reports),
        'sources', coalesce((
            SELECT json_agg(json_build_object(
                'source', s.code, 'reliability', round(s.reliability::numeric, 3),
                'events', s.events, 'corroborated', s.corroborated,
                'corroboration_rate', round(s.corroborated::numeric / nullif(s.events, 0), 4))
                ORDER BY s.code)
            FROM per_source s), '[]'::json),
        'fused_events', json_build_object(
            'total', (SELECT count(*) FROM events),
            'multi_source', (SELECT count(*) FROM events WHERE cardinality(sources) > 1),
            'mean_confidence', (SELECT round(avg(confidence)::numeric, 4) FROM events),
            'mean_confidence_multi_source', (SELECT round(avg(confidence)::numeric, 4)
                                             FROM events WHERE cardinality(sources) > 1)),
        'districts', coalesce((
            SELECT json_agg(json_build_object(
                'district_id', d.id, 'name', d.name, 'reports', d.n, 'corroborated', d.ok,
                'corroboration_rate', round(d.ok::numeric / d.n, 4))
                ORDER BY d.id)
            FROM per_district d), '[]'::json),
        'parameters', (SELECT json_build_object(
            'corroboration_distance_m', p.corroboration_distance_m,
            'corroboration_window_h', p.corroboration_window_h) FROM ref.report_parameters p));
END;
COMMENT ON FUNCTION raw.cross_source_stats(timestamptz, timestamptz) IS
    'Corroboration rate of reports, per source and per district, and fused events, as JSON.';

-- QGIS: the nightly report clusters (typed geometries, stable key cluster_id).
CREATE OR REPLACE VIEW analytics.report_clusters AS
SELECT cluster_id, reports, approved, corroborated, during_alert, categories,
       first_occurred_at, last_occurred_at, radius_m, refreshed_at, hull AS geom
FROM risk.report_clusters;
COMMENT ON VIEW analytics.report_clusters IS
    'DBSCAN clusters of recent app reports (nightly): hull polygons with report counts by category; no individual report.';

REVOKE ALL ON FUNCTION risk.refresh_report_clusters(timestamptz) FROM PUBLIC;
