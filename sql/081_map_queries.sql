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
-- and its lower bound times the hour's factor, scored the same way, with the city's reference
-- multiple) and why: the categories with most incident mass in the cell. NULL outside the
-- study area. STABLE.
CREATE OR REPLACE FUNCTION risk.risk_at_point(
    lon double precision, lat double precision, at timestamptz
) RETURNS json
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET jit = off
BEGIN ATOMIC
    SELECT json_build_object(
        'cell', r.cell::text,
        'resolution', r.resolution,
        'district', CASE WHEN d.id IS NOT NULL
                         THEN json_build_object('id', d.id, 'name', d.name) END,
        'city', json_build_object('code', city.code, 'name', city.name,
                                  'time_zone', city.time_zone),
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
            'risk_score', round(risk.score_of(r.rr_lower * coalesce(f.factor, 1),
                                              coalesce(k.alert_multiple, 1))::numeric, 3)),
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
    JOIN ref.cities city ON city.id = r.city_id
    LEFT JOIN ref.districts d ON d.id = r.district_id
    CROSS JOIN risk.current_generation() gen
    CROSS JOIN LATERAL (SELECT risk.hour_of_week(at, city.time_zone) AS h) how
    LEFT JOIN risk.hour_of_week_profile f ON f.city_id = r.city_id AND f.hour_of_week = how.h
    LEFT JOIN risk.city_rates k ON k.city_id = r.city_id
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
