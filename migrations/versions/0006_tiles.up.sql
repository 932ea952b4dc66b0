-- 0006_tiles: frozen copy of sql/080_tiles.sql, sql/081_map_queries.sql.

-- ==== sql/080_tiles.sql ====
-- Vector tile functions, one per layer: tiles.tile_<layer>(z, x, y) -> bytea, a Mapbox Vector
-- Tile in EPSG:3857 (extent 4096, buffer 64). Each filters the EPSG:4326 storage geometry on
-- its GiST index with the tile envelope widened by the buffer (transformed to 4326, where a
-- Web Mercator rectangle stays a lon/lat rectangle), then transforms only the matching rows.
-- An empty tile is an empty bytea. The API refuses out-of-range z/x/y before calling them.
-- The layer functions are PL/pgSQL so each session plans their query once and reuses the
-- plan (a plain SQL function re-plans its body on every call: measured 15-30% slower per
-- tile); their search_path is pinned. Helpers are SQL-standard bodies, parsed at creation.
-- Idempotent.

-- Longitude of the western edge of tile column x at zoom z (x may be fractional). IMMUTABLE.
CREATE OR REPLACE FUNCTION tiles.tile_lon(z integer, x double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN x / 2 ^ z * 360.0 - 180.0;

-- Latitude of the northern edge of tile row y at zoom z (y may be fractional), clamped to
-- the Web Mercator limit. IMMUTABLE.
CREATE OR REPLACE FUNCTION tiles.tile_lat(z integer, y double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN degrees(atan(sinh(pi() * (1 - 2 * least(greatest(y / 2 ^ z, 0), 1)))));

-- The tile envelope widened by the MVT buffer (64 of 4096 units), in EPSG:4326: the index
-- filter of every layer, so features crossing a tile edge are in both tiles (no seams).
-- Computed from the tile formulas rather than with ST_Transform, whose per-statement PROJ
-- set-up (3857 -> 4326, ~2.5 ms) would cost more than a whole high-zoom tile. IMMUTABLE.
CREATE OR REPLACE FUNCTION tiles.envelope_4326(z integer, x integer, y integer)
RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN st_makeenvelope(tiles.tile_lon(z, x - 64.0 / 4096), tiles.tile_lat(z, y + 1 + 64.0 / 4096),
                       tiles.tile_lon(z, x + 1 + 64.0 / 4096), tiles.tile_lat(z, y - 64.0 / 4096),
                       4326);
COMMENT ON FUNCTION tiles.envelope_4326(integer, integer, integer) IS
    'Tile envelope widened by the 64/4096 MVT buffer, EPSG:4326, for the GiST filter.';

-- H3 resolution the risk layer shows at zoom z: the finest resolution of risk.cell_risk
-- (the base, 9 by default) from zoom 12, one coarser at 10-11, two coarser up to 9, so a
-- hexagon is always 10-40 px wide and no tile holds more than a few hundred cells.
-- STABLE (reads risk.cell_risk), PARALLEL SAFE.
CREATE OR REPLACE FUNCTION tiles.risk_resolution(z integer) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT max(c.resolution) FROM risk.cell_risk c)
       - CASE WHEN z <= 9 THEN 2 WHEN z <= 11 THEN 1 ELSE 0 END;
COMMENT ON FUNCTION tiles.risk_resolution(integer) IS
    'H3 resolution of the risk layer at zoom z: base - 2 up to z9, base - 1 at z10-11, base from z12.';

-- Layer "risk": H3 cells of risk.cell_risk at the resolution of the zoom; feature id =
-- the cell as bigint (stable across tiles and generations), numbers as numbers (3 decimals).
-- EPSG:3857 out, EPSG:4326 filter. STABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION tiles.tile_risk(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET jit = off SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (
    SELECT coalesce(st_asmvt(t.*, 'risk', 4096, 'geom', 'id'), '\x'::bytea)
    FROM (
        SELECT r.cell::bigint AS id,
               r.cell::text AS h3,
               r.resolution::integer AS resolution,
               round(r.risk_score::numeric, 3)::double precision AS risk_score,
               round(r.relative_risk::numeric, 3)::double precision AS relative_risk,
               round(r.rr_lower::numeric, 3)::double precision AS rr_lower,
               round(r.rr_upper::numeric, 3)::double precision AS rr_upper,
               r.evidence,
               r.district_id,
               round(r.trend::numeric, 2)::double precision AS trend,
               st_asmvtgeom(st_transform(r.geom, 3857), st_tileenvelope(z, x, y), 4096, 64,
                            true) AS geom
        FROM risk.cell_risk r
        -- Scalar subqueries: computed once per tile, not once per row.
        WHERE r.resolution = (SELECT tiles.risk_resolution(z))
          AND r.geom && (SELECT tiles.envelope_4326(z, x, y))
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_risk(integer, integer, integer) IS
    'MVT layer "risk": H3 cells with risk_score, relative_risk, rr_lower, rr_upper, evidence, resolution, h3; id = cell::bigint.';

-- Layer "districts": the neighbourhoods with their district risk; feature id = district id.
-- EPSG:3857 out, EPSG:4326 filter. STABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION tiles.tile_districts(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET jit = off SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (
    SELECT coalesce(st_asmvt(t.*, 'districts', 4096, 'geom', 'id'), '\x'::bytea)
    FROM (
        SELECT d.id,
               d.name,
               round(r.risk_score::numeric, 3)::double precision AS risk_score,
               round(r.relative_risk::numeric, 3)::double precision AS relative_risk,
               round(r.rr_lower::numeric, 3)::double precision AS rr_lower,
               round(r.rr_upper::numeric, 3)::double precision AS rr_upper,
               r.evidence,
               r.incidents,
               round(r.trend::numeric, 2)::double precision AS trend,
               st_asmvtgeom(st_transform(d.geom, 3857), st_tileenvelope(z, x, y), 4096, 64,
                            true) AS geom
        FROM ref.districts d
        LEFT JOIN risk.district_risk r ON r.district_id = d.id
        WHERE d.geom && (SELECT tiles.envelope_4326(z, x, y))
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_districts(integer, integer, integer) IS
    'MVT layer "districts": neighbourhood polygons with name and district risk; id = district id.';

-- Layer "incidents", from zoom 13 only: what may be shown of the incidents of the current
-- generation's window (first seen by its as_of, occurred within risk.parameters.window_days):
-- category, ISO week and month (Europe/Stockholm), precision and radius. Exact points for
-- point support; a named place's point, marked precision "place" with its radius, for place
-- support; district, municipality and county support are never drawn as points. No text.
-- EPSG:3857 out, EPSG:4326 filter. STABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION tiles.tile_incidents(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET jit = off SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (
    SELECT coalesce(st_asmvt(t.*, 'incidents', 4096, 'geom', 'id'), '\x'::bytea)
    FROM (
        SELECT i.id,
               i.category,
               to_char(w.local_time, 'IYYY-"W"IW') AS week,
               to_char(w.local_time, 'YYYY-MM') AS month,
               i.location_support AS precision,
               round(coalesce(pl.radius_m, i.support_radius_m, 0))::integer AS radius_m,
               st_asmvtgeom(st_transform(i.point_geom, 3857), st_tileenvelope(z, x, y), 4096,
                            64, true) AS geom
        FROM raw.incidents i
        JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
        LEFT JOIN ref.places pl ON pl.id = i.place_id AND i.location_support = 'place'
        CROSS JOIN (SELECT g.as_of FROM risk.generations g ORDER BY g.id DESC LIMIT 1) gen
        CROSS JOIN risk.parameters p
        CROSS JOIN LATERAL (
            SELECT risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                   AS happened,
                   risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                   AT TIME ZONE 'Europe/Stockholm' AS local_time
        ) w
        WHERE z >= 13
          AND i.location_support IN ('point', 'place')
          AND i.point_geom && (SELECT tiles.envelope_4326(z, x, y))
          AND i.first_seen_at <= gen.as_of
          AND w.happened > gen.as_of - make_interval(days => p.window_days)
          AND w.happened <= gen.as_of
        -- No tile is huge: the 2,000 most recent only (bench/RESULTS.md measured
        -- 25 MB tiles at z13 over 10M incidents without this cap).
        ORDER BY w.happened DESC
        LIMIT 2000
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_incidents(integer, integer, integer) IS
    'MVT layer "incidents" (z >= 13): category, week, month, precision (point|place), radius_m of the current window, the 2,000 most recent per tile; no text; id = incident id.';


-- ==== sql/081_map_queries.sql ====
-- Read functions of the map API (GeoJSON neighbourhoods, one neighbourhood's details, risk
-- at a point, alert zones): each returns one json document built in SQL, or NULL when there
-- is nothing there, so the API passes the text through. EPSG:4326 in and out. STABLE.
-- Idempotent.

-- The current tile generation (0 before the first refresh) and its as-of time. STABLE.
CREATE OR REPLACE FUNCTION risk.current_generation(OUT id bigint, OUT as_of timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
SET jit = off
BEGIN ATOMIC
    SELECT coalesce(max(g.id), 0),
           (SELECT g2.as_of FROM risk.generations g2 ORDER BY g2.id DESC LIMIT 1)
    FROM risk.generations g;
END;
COMMENT ON FUNCTION risk.current_generation() IS
    'Latest risk.generations id (0 if none) and its as_of: the key of ETags and caches.';

-- Simplification tolerance in degrees for drawing at a web-map zoom: a quarter of a pixel's
-- width in longitude, about half a pixel on the ground at Stockholm's latitude. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.zoom_tolerance_deg(zoom integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN 360.0 / 256 / 2 ^ zoom / 4;

-- The neighbourhoods as a GeoJSON FeatureCollection with their risk; geometries simplified
-- for `zoom` (topology kept per polygon), or exact when zoom is NULL. Ordered by id, never
-- by risk (no rankings). STABLE.
CREATE OR REPLACE FUNCTION risk.neighborhoods_geojson(zoom integer) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET jit = off
BEGIN ATOMIC
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'generation', (SELECT c.id FROM risk.current_generation() c),
        'features', coalesce((
            SELECT json_agg(json_build_object(
                'type', 'Feature',
                'id', d.id,
                'geometry', st_asgeojson(
                    CASE WHEN zoom IS NULL THEN d.geom
                         ELSE st_simplifypreservetopology(d.geom, risk.zoom_tolerance_deg(zoom))
                    END, 6)::json,
                'properties', json_build_object(
                    'id', d.id,
                    'name', d.name,
                    'area_km2', round(d.area_km2::numeric, 3),
                    'risk_score', round(r.risk_score::numeric, 3),
                    'relative_risk', round(r.relative_risk::numeric, 3),
                    'rr_lower', round(r.rr_lower::numeric, 3),
                    'rr_upper', round(r.rr_upper::numeric, 3),
                    'evidence', r.evidence,
                    'incidents', r.incidents,
                    'trend', round(r.trend::numeric, 2))
            ) ORDER BY d.id)
            FROM ref.districts d
            LEFT JOIN risk.district_risk r ON r.district_id = d.id
        ), '[]'::json));
END;
COMMENT ON FUNCTION risk.neighborhoods_geojson(integer) IS
    'Neighbourhoods with district risk as a GeoJSON FeatureCollection, simplified for a zoom (NULL: exact).';

-- One neighbourhood: risk with its interval, evidence, trend, incident counts by category
-- over the window, its base cells by evidence level, bbox. NULL if the id is unknown. STABLE.
CREATE OR REPLACE FUNCTION risk.neighborhood_details(district_id integer) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET jit = off
BEGIN ATOMIC
    SELECT json_build_object(
        'id', d.id,
        'name', d.name,
        'area_km2', round(d.area_km2::numeric, 3),
        'bbox', json_build_array(round(st_xmin(d.geom)::numeric, 6),
                                 round(st_ymin(d.geom)::numeric, 6),
                                 round(st_xmax(d.geom)::numeric, 6),
                                 round(st_ymax(d.geom)::numeric, 6)),
        'generation', gen.id,
        'as_of', gen.as_of,
        'window_days', p.window_days,
        'risk_score', round(r.risk_score::numeric, 3),
        'relative_risk', round(r.relative_risk::numeric, 3),
        'rr_lower', round(r.rr_lower::numeric, 3),
        'rr_upper', round(r.rr_upper::numeric, 3),
        'observed', round(r.observed::numeric, 3),
        'expected', round(r.expected::numeric, 3),
        'expected_week', round(r.expected_week::numeric, 3),
        'evidence', r.evidence,
        'trend', round(r.trend::numeric, 2),
        'incidents', coalesce(r.incidents, 0),
        'incidents_by_category', coalesce((
            SELECT json_agg(json_build_object('category', k.code, 'label_en', k.label_en,
                                              'label_sv', k.label_sv, 'count', e.value::integer)
                            ORDER BY e.value::integer DESC, k.code)
            FROM jsonb_each_text(r.incident_counts) e
            JOIN ref.incident_categories k ON k.code = e.key), '[]'::json),
        'cells_by_evidence', (
            SELECT json_build_object(
                'point', count(*) FILTER (WHERE c.evidence = 'point'),
                'inferred', count(*) FILTER (WHERE c.evidence = 'inferred'),
                'none', count(*) FILTER (WHERE c.evidence = 'none'))
            FROM risk.cell_risk c
            WHERE c.district_id = d.id
              AND c.resolution = (SELECT max(m.resolution) FROM risk.cell_risk m)))
    FROM ref.districts d
    LEFT JOIN risk.district_risk r ON r.district_id = d.id
    CROSS JOIN risk.current_generation() gen
    CROSS JOIN risk.parameters p
    WHERE d.id = neighborhood_details.district_id;
END;
COMMENT ON FUNCTION risk.neighborhood_details(integer) IS
    'Details of one neighbourhood: risk, interval, evidence, trend, incidents by category, cells by evidence; NULL if unknown.';

-- Risk at a point (lon, lat EPSG:4326) at time `at`: the base-resolution cell holding it,
-- its district, score and interval, evidence, the hour-of-week adjusted value (relative risk
-- and its lower bound times the hour's factor, scored the same way) and why: the categories
-- with most incident mass in the cell. NULL outside the study area. STABLE.
CREATE OR REPLACE FUNCTION risk.risk_at_point(
    lon double precision, lat double precision, at timestamptz
) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET jit = off
BEGIN ATOMIC
    SELECT json_build_object(
        'cell', r.cell::text,
        'resolution', r.resolution,
        'district', json_build_object('id', d.id, 'name', d.name),
        'generation', gen.id,
        'as_of', gen.as_of,
        'risk_score', round(r.risk_score::numeric, 3),
        'relative_risk', round(r.relative_risk::numeric, 3),
        'rr_lower', round(r.rr_lower::numeric, 3),
        'rr_upper', round(r.rr_upper::numeric, 3),
        'observed', round(r.observed::numeric, 3),
        'expected', round(r.expected::numeric, 3),
        'evidence', r.evidence,
        'trend', round(r.trend::numeric, 2),
        'at', json_build_object(
            'time', at,
            'hour_of_week', how.h,
            'factor', round(coalesce(f.factor, 1)::numeric, 3),
            'relative_risk', round((r.relative_risk * coalesce(f.factor, 1))::numeric, 3),
            'rr_lower', round((r.rr_lower * coalesce(f.factor, 1))::numeric, 3),
            'risk_score', round(risk.score_of(r.rr_lower * coalesce(f.factor, 1))::numeric, 3)),
        'why', coalesce((
            SELECT json_agg(json_build_object('category', top.key, 'label_en', k.label_en,
                                              'label_sv', k.label_sv,
                                              'share', round(top.share, 3))
                            ORDER BY top.share DESC, top.key)
            FROM (SELECT e.key, e.value::numeric / nullif(sum(e.value::numeric) OVER (), 0)
                         AS share
                  FROM jsonb_each_text(r.category_mass) e
                  ORDER BY e.value::numeric DESC, e.key
                  LIMIT 3) top
            JOIN ref.incident_categories k ON k.code = top.key
            WHERE top.share > 0), '[]'::json))
    FROM risk.cell_risk r
    JOIN ref.districts d ON d.id = r.district_id
    CROSS JOIN risk.current_generation() gen
    CROSS JOIN (SELECT risk.hour_of_week(at) AS h) how
    LEFT JOIN risk.hour_of_week_profile f ON f.hour_of_week = how.h
    WHERE r.cell = h3_lat_lng_to_cell(point(lon, lat),
                                      (SELECT max(m.resolution) FROM risk.cell_risk m));
END;
COMMENT ON FUNCTION risk.risk_at_point(double precision, double precision, timestamptz) IS
    'Risk of the base cell holding (lon, lat), with the hour-of-week adjusted value at `at` and the top categories; NULL outside.';

-- Alert zones for on-device geofencing in a lon/lat box: the cells of one resolution
-- (default the base) with risk_score >= the alert threshold, merged and simplified, and the
-- same for the lower clear threshold (hysteresis: enter at alert, leave outside clear).
-- Whole cells, not clipped to the box. A GeoJSON FeatureCollection with the generation and
-- both thresholds; one feature per merged polygon. STABLE.
CREATE OR REPLACE FUNCTION risk.alert_zones_geojson(
    xmin double precision, ymin double precision, xmax double precision,
    ymax double precision, resolution integer
) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE
SET jit = off
BEGIN ATOMIC
    WITH levels AS (
        SELECT 'alert' AS level, p.alert_threshold AS threshold FROM risk.parameters p
        UNION ALL
        SELECT 'clear', p.clear_threshold FROM risk.parameters p
    ),
    chosen AS (
        SELECT coalesce(alert_zones_geojson.resolution, max(m.resolution)) AS res
        FROM risk.cell_risk m
    ),
    zones AS (
        SELECT l.level, l.threshold, (st_dump(st_union(r.geom))).geom AS geom
        FROM levels l
        JOIN risk.cell_risk r ON r.risk_score >= l.threshold
        WHERE r.resolution = (SELECT c.res FROM chosen c)
          AND r.geom && st_makeenvelope(xmin, ymin, xmax, ymax, 4326)
        GROUP BY l.level, l.threshold
    )
    SELECT json_build_object(
        'type', 'FeatureCollection',
        'generation', (SELECT g.id FROM risk.current_generation() g),
        'resolution', (SELECT c.res FROM chosen c),
        'alert_threshold', (SELECT round(p.alert_threshold::numeric, 3) FROM risk.parameters p),
        'clear_threshold', (SELECT round(p.clear_threshold::numeric, 3) FROM risk.parameters p),
        'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'properties', json_build_object(
                'level', z.level,
                'threshold', round(z.threshold::numeric, 3),
                'area_km2', round((st_area(z.geom::geography) / 1e6)::numeric, 3)),
            'geometry', st_asgeojson(st_simplifypreservetopology(z.geom, 0.00005), 5)::json)
            ORDER BY z.level, st_xmin(z.geom), st_ymin(z.geom)), '[]'::json))
    FROM zones z;
END;
COMMENT ON FUNCTION risk.alert_zones_geojson(double precision, double precision,
                                             double precision, double precision, integer) IS
    'Merged alert (>= alert_threshold) and clear (>= clear_threshold) zones in a box, GeoJSON, with the generation.';
