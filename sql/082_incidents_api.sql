-- The incident feed of the API (GET /api/v1/incidents): items with their location support
-- stated honestly, newest first by (occurred_at, id), keyset pages; and the data's freshness.
-- EPSG:4326. Idempotent.

-- The gazetteer's county place (name, outline) of an SCB county code: the one holding a point
-- of the county's first municipality. Called only for county-level incidents. SRID 4326. STABLE.
CREATE OR REPLACE FUNCTION raw.county_place(county_code text)
RETURNS TABLE (name text, geom geometry)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT cp.name, cp.geom FROM ref.places cp
     WHERE cp.kind = 'county'
       AND ST_Intersects(cp.geom, (SELECT ST_PointOnSurface(m.geom) FROM ref.municipalities m
                                    WHERE m.county_code = county_place.county_code
                                    ORDER BY m.code LIMIT 1))
     ORDER BY cp.id LIMIT 1
$$;

-- Incidents newest first (occurred_at DESC, id DESC) after the keyset (after_at, after_id),
-- filtered by an area (bbox or circle, EPSG:4326), district, category and time; at most
-- page_limit items as JSON (the API's Incident shape). A spatial filter matches incidents whose
-- known area (point, place, district) meets it: municipality- and county-level incidents are
-- never placed in a small area. `detailed` gives every item a geometry (simplified polygons
-- for district, municipality and county). STABLE.
CREATE OR REPLACE FUNCTION raw.incidents_page(
    min_lon double precision, min_lat double precision,
    max_lon double precision, max_lat double precision,
    center_lon double precision, center_lat double precision, radius_m double precision,
    district integer, category_code text, since timestamptz, until timestamptz,
    after_at timestamptz, after_id bigint, page_limit integer,
    only_id bigint DEFAULT NULL, detailed boolean DEFAULT false
) RETURNS TABLE (id bigint, occurred_at timestamptz, item json)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH area AS (
        SELECT CASE
            WHEN min_lon IS NOT NULL THEN ST_MakeEnvelope(min_lon, min_lat, max_lon, max_lat, 4326)
            WHEN center_lon IS NOT NULL THEN
                ST_Buffer(ST_SetSRID(ST_MakePoint(center_lon, center_lat), 4326)::geography,
                          radius_m)::geometry
        END AS geom
    ), near_places AS (      -- the small sets an area can meet, found once per call
        SELECT p.id FROM ref.places p, area a
         WHERE p.kind NOT IN ('municipality', 'county') AND ST_Intersects(p.geom, a.geom)
    ), near_districts AS (
        SELECT d.id FROM ref.districts d, area a WHERE ST_Intersects(d.geom, a.geom)
    ), picked AS (
        SELECT i.*
          FROM raw.incidents i, area a
         WHERE i.occurred_at IS NOT NULL
           AND (only_id IS NULL OR i.id = only_id)
           AND (district IS NULL OR i.district_id = district)
           AND (category_code IS NULL OR i.category = category_code)
           AND (since IS NULL OR i.occurred_at >= since)
           AND (until IS NULL OR i.occurred_at < until)
           AND (after_at IS NULL OR (i.occurred_at, i.id) < (after_at, after_id))
           AND (a.geom IS NULL OR CASE i.location_support
                WHEN 'point' THEN ST_Intersects(i.point_geom, a.geom)
                WHEN 'place' THEN i.place_id IN (SELECT id FROM near_places)
                WHEN 'district' THEN i.district_id IN (SELECT id FROM near_districts)
                ELSE false END)
         ORDER BY i.occurred_at DESC, i.id DESC
         LIMIT page_limit
    )
    SELECT i.id, i.occurred_at, json_build_object(
        'id', i.id,
        'source', s.code,
        'type', i.event_type,
        'category', i.category,
        'category_label', json_build_object('sv', c.label_sv, 'en', c.label_en),
        'title', coalesce(i.title, i.event_type),
        'summary', i.summary,
        'occurred_at', to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'published_at', to_char(i.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'url', CASE WHEN s.code = 'polisen' AND i.raw_payload ->> 'url' LIKE '/%'
                    THEN 'https://polisen.se' || (i.raw_payload ->> 'url')
                    WHEN i.raw_payload ->> 'url' ~ '^https://' THEN i.raw_payload ->> 'url' END,
        'location', jsonb_build_object(
            'support', i.location_support,
            'name', CASE i.location_support
                        WHEN 'place' THEN p.name
                        WHEN 'municipality' THEN m.name
                        WHEN 'county' THEN (SELECT cp.name FROM raw.county_place(i.county_code) cp)
                        ELSE d.name END,
            'district_id', i.district_id,
            'geometry', ST_AsGeoJSON(CASE
                WHEN i.location_support = 'point' THEN i.point_geom
                WHEN i.location_support = 'place'
                THEN ST_SimplifyPreserveTopology(p.geom, CASE WHEN detailed THEN 0.0001 ELSE 0.0005 END)
                WHEN NOT detailed THEN NULL
                WHEN i.location_support = 'district' THEN ST_SimplifyPreserveTopology(d.geom, 0.0002)
                WHEN i.location_support = 'municipality' THEN ST_SimplifyPreserveTopology(m.geom, 0.001)
                ELSE (SELECT ST_SimplifyPreserveTopology(cp.geom, 0.002)
                        FROM raw.county_place(i.county_code) cp) END, 6)::jsonb)
            -- The size of a point-like place (or of a point with a known uncertainty).
            || CASE WHEN i.location_support = 'point' AND i.support_radius_m IS NOT NULL
                    THEN jsonb_build_object('radius_m', i.support_radius_m)
                    WHEN i.location_support = 'place' AND ST_Dimension(p.geom) = 0
                    THEN jsonb_build_object('radius_m', coalesce(i.support_radius_m, p.radius_m))
                    ELSE '{}'::jsonb END
        ) AS item
      FROM picked i
      JOIN ref.data_sources s ON s.id = i.source_id
      JOIN ref.incident_categories c ON c.code = i.category
      LEFT JOIN ref.places p ON p.id = i.place_id
      LEFT JOIN ref.districts d ON d.id = i.district_id
      LEFT JOIN ref.municipalities m ON m.code = i.municipality_code
     ORDER BY i.occurred_at DESC, i.id DESC
$$;

-- How fresh the data is: the newest incident time (not in the future) and the live feed's
-- last polls, per source code. STABLE.
CREATE OR REPLACE FUNCTION ops.freshness(source_code text)
RETURNS TABLE (newest_event_at timestamptz, last_poll_at timestamptz,
               last_poll_ok_at timestamptz, last_error text, last_error_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT max(i.occurred_at) FROM raw.incidents i
             WHERE i.occurred_at <= now() + interval '1 hour'),
           f.last_poll_at, f.last_poll_ok_at, f.last_error, f.last_error_at
      FROM (SELECT 1) one
      LEFT JOIN ref.data_sources s ON s.code = source_code
      LEFT JOIN ops.feed_state f ON f.source_id = s.id
$$;
