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
-- labels), by local day (the report's city's time zone); with photo, made during an alert, feeding risk. STABLE.
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
            FROM (SELECT (occurred_at AT TIME ZONE ref.time_zone_at(geom))::date AS day,
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
    'Report counts in a time window by status, category and local day (the time zone of the city where each report lies), as JSON.';

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

-- Privileges (the nightly job alone runs the clustering): sql/099_grants.sql.
