-- Ingestion support: boundary and gazetteer upserts, the incident staging merge, the
-- gazetteer view the geocoder reads and the polisen location-quality report. EPSG:4326.
-- Idempotent.

ALTER TABLE raw.incidents ADD COLUMN IF NOT EXISTS location_evidence text;
COMMENT ON COLUMN raw.incidents.location_evidence IS
    'The words that located the incident and where they were found (e.g. "Rinkeby torg (summary)"); NULL when only the title or the coordinates were used.';
ALTER TABLE raw.incidents ADD COLUMN IF NOT EXISTS page_text text;
COMMENT ON COLUMN raw.incidents.page_text IS
    'Text of the event''s web page (preamble and body) when a source provides it; kept when a later batch has none, so re-geocoding gives the same answer.';

-- GeoJSON geometry text -> valid MultiPolygon 4326 (polygon parts only); raises on an empty result. IMMUTABLE.
CREATE OR REPLACE FUNCTION ref.multipolygon_from_geojson(geojson text)
RETURNS geometry(MultiPolygon, 4326)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    result geometry;
BEGIN
    result := ST_Multi(ST_CollectionExtract(
        ST_MakeValid(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326))), 3));
    IF result IS NULL OR ST_IsEmpty(result) THEN
        RAISE EXCEPTION 'geometry has no polygon area' USING ERRCODE = '22023';
    END IF;
    RETURN result;
END
$$;

-- Insert or replace one municipality by SCB code (GeoJSON lon/lat, SRID 4326). VOLATILE.
CREATE OR REPLACE FUNCTION ref.upsert_municipality(code text, name text, geojson text)
RETURNS text
LANGUAGE sql VOLATILE AS $$
    INSERT INTO ref.municipalities AS m (code, name, name_key, geom)
    VALUES (upsert_municipality.code, upsert_municipality.name,
            ref.normalize_name(upsert_municipality.name), ref.multipolygon_from_geojson(geojson))
    ON CONFLICT ON CONSTRAINT municipalities_pkey DO UPDATE
        SET name = EXCLUDED.name, name_key = EXCLUDED.name_key, geom = EXCLUDED.geom
    RETURNING m.code;
$$;

-- Insert or replace one city by code; re-adding a code replaces every field given (the
-- boundary too: NULL means "no boundary"). The time zone must be one PostgreSQL knows
-- (pg_timezone_names), else 22023. boundary_geojson: GeoJSON geometries (lon/lat) whose
-- union is the boundary. Its id. VOLATILE.
CREATE OR REPLACE FUNCTION ref.upsert_city(
    code text, name text, time_zone text, boundary_geojson text[], municipality_codes text[],
    view_lat double precision, view_lon double precision, view_zoom real
) RETURNS smallint
LANGUAGE plpgsql VOLATILE SET search_path = public, pg_temp AS $$
DECLARE
    shape geometry;
    city_id smallint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names z
                    WHERE z.name = upsert_city.time_zone) THEN
        RAISE EXCEPTION 'unknown time zone "%" (use an IANA name, e.g. Europe/Stockholm)',
            time_zone USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(municipality_codes) m
                WHERE m NOT IN (SELECT mu.code FROM ref.municipalities mu)) THEN
        RAISE EXCEPTION 'unknown municipality code among % (load the municipalities first)',
            municipality_codes USING ERRCODE = '22023';
    END IF;
    IF cardinality(boundary_geojson) > 0 THEN
        SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(
                   ST_Union(ref.multipolygon_from_geojson(g))), 3))
          INTO shape FROM unnest(boundary_geojson) AS g;
    END IF;
    INSERT INTO ref.cities AS c (code, name, time_zone, boundary, municipality_codes,
                                 view_lat, view_lon, view_zoom)
    VALUES (upsert_city.code, upsert_city.name, upsert_city.time_zone, shape,
            coalesce(upsert_city.municipality_codes, '{}'), upsert_city.view_lat,
            upsert_city.view_lon, upsert_city.view_zoom)
    ON CONFLICT ON CONSTRAINT cities_code_key DO UPDATE
        SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone, boundary = EXCLUDED.boundary,
            municipality_codes = EXCLUDED.municipality_codes, view_lat = EXCLUDED.view_lat,
            view_lon = EXCLUDED.view_lon, view_zoom = EXCLUDED.view_zoom, updated_at = now()
    RETURNING c.id INTO city_id;
    RETURN city_id;
END
$$;

-- Insert or replace one district by normalized name (GeoJSON lon/lat, SRID 4326); its city
-- is the one given, else the city whose boundary holds its point on surface; its
-- municipality one of its city's municipalities, else the one it overlaps most (NULL without
-- municipalities). Its id. VOLATILE.
CREATE OR REPLACE FUNCTION ref.upsert_district(
    name text, geojson text, source text, city_id smallint
) RETURNS integer
LANGUAGE sql VOLATILE AS $$
    INSERT INTO ref.districts AS d (name, name_key, municipality_code, geom, area_km2, source,
                                    city_id)
    SELECT upsert_district.name, ref.normalize_name(upsert_district.name),
           -- Municipality polygons (SCB's) are coarse: a district of a city with municipality
           -- codes gets one of those (the one it overlaps most, else the first).
           CASE WHEN cardinality(owner.municipality_codes) > 0
                THEN coalesce((SELECT m.code FROM ref.municipalities m
                                WHERE m.code = ANY (owner.municipality_codes)
                                  AND m.geom && g.geom AND ST_Intersects(m.geom, g.geom)
                                ORDER BY ST_Area(ST_Intersection(m.geom, g.geom)) DESC, m.code
                                LIMIT 1),
                               owner.municipality_codes[1])
                ELSE (SELECT m.code FROM ref.municipalities m
                       WHERE m.geom && g.geom AND ST_Intersects(m.geom, g.geom)
                       ORDER BY ST_Area(ST_Intersection(m.geom, g.geom)) DESC, m.code
                       LIMIT 1) END,
           g.geom, ST_Area(g.geom::geography) / 1e6, upsert_district.source, owner.id
      FROM (SELECT ref.multipolygon_from_geojson(geojson) AS geom) g
      LEFT JOIN LATERAL (
          SELECT c.id, c.municipality_codes FROM ref.cities c
           WHERE c.id = upsert_district.city_id
              OR (upsert_district.city_id IS NULL AND c.boundary && g.geom
                  AND ST_Intersects(c.boundary, ST_PointOnSurface(g.geom)))
           ORDER BY c.id LIMIT 1
      ) owner ON true
    ON CONFLICT (name_key) DO UPDATE
        SET name = EXCLUDED.name, municipality_code = EXCLUDED.municipality_code,
            geom = EXCLUDED.geom, area_km2 = EXCLUDED.area_km2, source = EXCLUDED.source,
            city_id = EXCLUDED.city_id
    RETURNING d.id;
$$;

-- Upsert the gazetteer rows of every district and municipality and of one county (the
-- union of its municipalities); aliases are left alone. Returns rows written. SRID 4326. VOLATILE.
CREATE OR REPLACE FUNCTION ref.sync_boundary_places(county_code text, county_name text)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    districts_written integer;
    municipalities_written integer;
    counties_written integer;
BEGIN
    INSERT INTO ref.places AS p (name, name_key, kind, geom, radius_m, district_id, municipality_code)
    SELECT d.name, d.name_key, 'district', d.geom, 0, d.id, d.municipality_code
      FROM ref.districts d
    ON CONFLICT (name_key, kind) DO UPDATE
        SET name = EXCLUDED.name, geom = EXCLUDED.geom, district_id = EXCLUDED.district_id,
            municipality_code = EXCLUDED.municipality_code;
    GET DIAGNOSTICS districts_written = ROW_COUNT;

    INSERT INTO ref.places AS p (name, name_key, kind, geom, radius_m, municipality_code)
    SELECT m.name, m.name_key, 'municipality', m.geom, 0, m.code
      FROM ref.municipalities m
    ON CONFLICT (name_key, kind) DO UPDATE
        SET name = EXCLUDED.name, geom = EXCLUDED.geom, municipality_code = EXCLUDED.municipality_code;
    GET DIAGNOSTICS municipalities_written = ROW_COUNT;

    INSERT INTO ref.places AS p (name, name_key, kind, geom, radius_m)
    SELECT sync_boundary_places.county_name, ref.normalize_name(sync_boundary_places.county_name),
           'county', ST_Multi(ST_Union(m.geom)), 0
      FROM ref.municipalities m
     WHERE m.county_code = sync_boundary_places.county_code
    HAVING count(*) > 0
    ON CONFLICT (name_key, kind) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom;
    GET DIAGNOSTICS counties_written = ROW_COUNT;

    RETURN districts_written + municipalities_written + counties_written;
END
$$;

-- Upsert one curated place: a point (lon/lat, radius in metres) or, when district names are
-- given, the union of those districts; fills its district and municipality. Its id. SRID 4326. VOLATILE.
CREATE OR REPLACE FUNCTION ref.upsert_curated_place(
    name text, kind text, lon double precision, lat double precision, radius_m real,
    district_names text[], aliases text[]
) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    shape geometry;
    member_ids integer[];
    member_municipalities text[];
    place_id integer;
BEGIN
    IF cardinality(district_names) > 0 THEN
        SELECT ST_Multi(ST_Union(d.geom)), array_agg(d.id), array_agg(DISTINCT d.municipality_code)
          INTO shape, member_ids, member_municipalities
          FROM ref.districts d
         WHERE d.name_key IN (SELECT ref.normalize_name(n) FROM unnest(district_names) n);
        IF coalesce(cardinality(member_ids), 0) <> cardinality(district_names) THEN
            RAISE EXCEPTION 'place %: unknown district among %', name, district_names
                USING ERRCODE = '22023';
        END IF;
        radius_m := 0;
    ELSE
        shape := ST_SetSRID(ST_MakePoint(lon, lat), 4326);
        SELECT array_agg(d.id), array_agg(DISTINCT d.municipality_code)
          INTO member_ids, member_municipalities
          FROM ref.districts d WHERE ST_Intersects(d.geom, shape);
        IF member_municipalities IS NULL THEN
            SELECT array_agg(m.code) INTO member_municipalities
              FROM ref.municipalities m WHERE ST_Intersects(m.geom, shape);
        END IF;
    END IF;

    INSERT INTO ref.places AS p (name, name_key, kind, geom, radius_m, district_id,
                                 municipality_code, aliases)
    VALUES (upsert_curated_place.name, ref.normalize_name(upsert_curated_place.name),
            upsert_curated_place.kind, shape, upsert_curated_place.radius_m,
            CASE WHEN cardinality(member_ids) = 1 THEN member_ids[1] END,
            CASE WHEN cardinality(member_municipalities) = 1 THEN member_municipalities[1] END,
            upsert_curated_place.aliases)
    ON CONFLICT ON CONSTRAINT places_name_key_kind_key DO UPDATE
        SET name = EXCLUDED.name, geom = EXCLUDED.geom, radius_m = EXCLUDED.radius_m,
            district_id = EXCLUDED.district_id, municipality_code = EXCLUDED.municipality_code,
            aliases = EXCLUDED.aliases
    RETURNING p.id INTO place_id;
    RETURN place_id;
END
$$;

-- What the geocoder matches against: each place with its names, the districts it lies in or
-- covers, its municipality and county, a centre inside it and its extent (the farthest
-- distance from the centre to its edge, or the point's radius), metres. SRID 4326.
CREATE OR REPLACE VIEW ref.gazetteer AS
WITH shaped AS (
    SELECT p.*,
           CASE WHEN ST_Dimension(p.geom) = 0 THEN p.geom ELSE ST_PointOnSurface(p.geom) END
               AS centre
      FROM ref.places p
)
SELECT s.id AS place_id,
       s.name,
       s.kind,
       s.aliases,
       s.district_id,
       CASE
           WHEN s.district_id IS NOT NULL THEN ARRAY[s.district_id]
           WHEN ST_Dimension(s.geom) = 2 AND s.kind NOT IN ('municipality', 'county') THEN ARRAY(
               SELECT d.id FROM ref.districts d
                WHERE d.geom && s.geom AND ST_Covers(s.geom, ST_PointOnSurface(d.geom))
                ORDER BY d.id)
           ELSE '{}'::integer[]
       END AS district_ids,
       s.municipality_code,
       CASE
           WHEN s.kind = 'county' THEN (
               SELECT min(m.county_code) FROM ref.municipalities m
                WHERE ST_Intersects(m.geom, s.centre))
           ELSE left(s.municipality_code, 2)
       END AS county_code,
       ST_X(s.centre) AS centre_lon,
       ST_Y(s.centre) AS centre_lat,
       CASE
           WHEN ST_Dimension(s.geom) = 0 THEN s.radius_m::double precision
           ELSE ST_MaxDistance(ST_Transform(s.centre, 3006), ST_Transform(s.geom, 3006))
       END AS extent_m
  FROM shaped s;
COMMENT ON VIEW ref.gazetteer IS
    'The place gazetteer as the geocoder reads it: names, aliases, the districts a place lies in or covers, its centre and extent in metres.';

-- The session's staging table for one batch of incidents, dropped at commit. VOLATILE.
CREATE OR REPLACE FUNCTION raw.create_incident_staging()
RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS incident_staging (
        external_id text NOT NULL,
        event_type text NOT NULL,
        category text NOT NULL,
        occurred_at timestamptz,
        published_at timestamptz,
        first_seen_at timestamptz NOT NULL,
        title text,
        summary text,
        location_support text NOT NULL,
        support_radius_m real,
        lon double precision,
        lat double precision,
        place_id integer,
        district_id integer,
        municipality_code text,
        county_code text,
        location_evidence text,
        page_text text,
        raw_payload jsonb NOT NULL
    ) ON COMMIT DROP;
    TRUNCATE pg_temp.incident_staging;
END
$$;

-- Merge the staged batch into raw.incidents for one source: new ids inserted, changed rows
-- updated in place (first_seen_at kept; page_text kept when the batch has none), identical
-- rows untouched. Point supports get their
-- H3 cell (res 10) and, when missing, district and municipality by position. SRID 4326. VOLATILE.
CREATE OR REPLACE FUNCTION raw.merge_incident_staging(source_id smallint)
RETURNS TABLE (inserted_count bigint, updated_count bigint, unchanged_count bigint)
LANGUAGE plpgsql VOLATILE
-- Per-row index lookups and inserts gain nothing from JIT; compiling costs about a second.
SET jit = off
AS $$
DECLARE
    staged bigint;
BEGIN
    SELECT count(*) INTO staged FROM pg_temp.incident_staging;
    RETURN QUERY
    WITH positioned AS (
        SELECT s.*, c.severity_weight,
               CASE WHEN s.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END
                   AS geom
          FROM pg_temp.incident_staging s
          JOIN ref.incident_categories c ON c.code = s.category
    ), located AS (
        -- The districts are precise land polygons; SCB's municipality outlines are coarse,
        -- so a point's municipality comes from its district where it has one.
        SELECT p.*,
               CASE WHEN p.location_support = 'point'
                    THEN public.h3_lat_lng_to_cell(point(p.lon, p.lat), 10) END AS cell,
               coalesce(p.district_id, d.id) AS located_district_id,
               coalesce(p.municipality_code, d.municipality_code, m.code)
                   AS located_municipality_code
          FROM positioned p
          LEFT JOIN LATERAL (
              SELECT d.id, d.municipality_code FROM ref.districts d
               WHERE p.location_support = 'point' AND ST_Intersects(d.geom, p.geom)
               ORDER BY d.id LIMIT 1) d ON true
          LEFT JOIN LATERAL (
              SELECT m.code FROM ref.municipalities m
               WHERE p.location_support = 'point' AND d.id IS NULL
                 AND ST_Intersects(m.geom, p.geom)
               ORDER BY m.code LIMIT 1) m ON true
    ), merged AS (
        INSERT INTO raw.incidents AS i (
            source_id, external_id, event_type, category, severity, occurred_at, published_at,
            first_seen_at, title, summary, location_support, support_radius_m, point_geom,
            h3_cell, place_id, district_id, municipality_code, county_code, location_evidence,
            page_text, raw_payload)
        SELECT merge_incident_staging.source_id, l.external_id, l.event_type, l.category,
               l.severity_weight, l.occurred_at, l.published_at, l.first_seen_at, l.title,
               l.summary, l.location_support, l.support_radius_m, l.geom, l.cell, l.place_id,
               l.located_district_id, l.located_municipality_code,
               coalesce(l.county_code, left(l.located_municipality_code, 2)),
               l.location_evidence, l.page_text, l.raw_payload
          FROM located l
        ON CONFLICT ON CONSTRAINT incidents_source_id_external_id_key DO UPDATE
            SET event_type = EXCLUDED.event_type, category = EXCLUDED.category,
                severity = EXCLUDED.severity, occurred_at = EXCLUDED.occurred_at,
                published_at = EXCLUDED.published_at, title = EXCLUDED.title,
                summary = EXCLUDED.summary, location_support = EXCLUDED.location_support,
                support_radius_m = EXCLUDED.support_radius_m, point_geom = EXCLUDED.point_geom,
                h3_cell = EXCLUDED.h3_cell, place_id = EXCLUDED.place_id,
                district_id = EXCLUDED.district_id, municipality_code = EXCLUDED.municipality_code,
                county_code = EXCLUDED.county_code, location_evidence = EXCLUDED.location_evidence,
                page_text = coalesce(EXCLUDED.page_text, i.page_text),
                raw_payload = EXCLUDED.raw_payload, updated_at = now()
            WHERE (i.event_type, i.category, i.severity, i.occurred_at, i.published_at, i.title,
                   i.summary, i.location_support, i.support_radius_m, i.point_geom, i.h3_cell,
                   i.place_id, i.district_id, i.municipality_code, i.county_code,
                   i.location_evidence, i.page_text, i.raw_payload)
                  IS DISTINCT FROM
                  (EXCLUDED.event_type, EXCLUDED.category, EXCLUDED.severity,
                   EXCLUDED.occurred_at, EXCLUDED.published_at, EXCLUDED.title,
                   EXCLUDED.summary, EXCLUDED.location_support, EXCLUDED.support_radius_m,
                   EXCLUDED.point_geom, EXCLUDED.h3_cell, EXCLUDED.place_id,
                   EXCLUDED.district_id, EXCLUDED.municipality_code, EXCLUDED.county_code,
                   EXCLUDED.location_evidence, coalesce(EXCLUDED.page_text, i.page_text),
                   EXCLUDED.raw_payload)
        RETURNING (i.xmax = 0) AS was_inserted
    )
    SELECT count(*) FILTER (WHERE was_inserted),
           count(*) FILTER (WHERE NOT was_inserted),
           staged - count(*)
      FROM merged;
END
$$;
-- Privileges (only the owner's batch jobs call these): sql/099_grants.sql.

-- How precisely polisen.se events are located, per municipality named in the title (the last
-- comma-separated part of the event name; "Stockholms län" for county-only titles).
CREATE OR REPLACE VIEW raw.polisen_location_quality AS
WITH polisen AS (
    SELECT i.location_support, i.district_id, i.category,
           btrim(regexp_replace(i.raw_payload ->> 'name', '^.*,', '')) AS title_place
      FROM raw.incidents i
      JOIN ref.data_sources s ON s.id = i.source_id AND s.code = 'polisen'
)
SELECT coalesce(m.name, p.title_place) AS title_municipality,
       m.code AS municipality_code,
       count(*) AS events,
       count(*) FILTER (WHERE p.location_support = 'place') AS place_events,
       count(*) FILTER (WHERE p.location_support = 'district') AS district_events,
       count(*) FILTER (WHERE p.location_support = 'municipality') AS municipality_events,
       count(*) FILTER (WHERE p.location_support = 'county') AS county_events,
       count(*) FILTER (WHERE p.location_support = 'district'
                           OR (p.location_support = 'place' AND p.district_id IS NOT NULL))
           AS district_or_finer_events,
       round(100.0 * count(*) FILTER (WHERE p.location_support = 'district'
                                         OR (p.location_support = 'place'
                                             AND p.district_id IS NOT NULL))
             / count(*), 1) AS district_or_finer_pct
  FROM polisen p
  LEFT JOIN ref.municipalities m ON m.name_key = ref.normalize_name(p.title_place)
 GROUP BY 1, 2;
COMMENT ON VIEW raw.polisen_location_quality IS
    'Share of polisen.se events located to a district or finer (district support, or a place lying in one district), per title municipality.';
