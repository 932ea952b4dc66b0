-- 0001_baseline: frozen copy of sql/000_extensions_roles_schemas.sql, sql/005_default_privileges.sql, sql/010_reference.sql, sql/020_incidents.sql, sql/030_ops.sql, sql/040_ingestion.sql, sql/042_reports.sql, sql/043_report_fusion.sql, sql/044_report_analytics.sql, sql/050_security.sql, sql/060_analytics_base.sql, sql/070_risk_tables.sql, sql/071_risk_functions.sql, sql/072_risk_refresh.sql, sql/073_risk_features.sql, sql/074_risk_jobs.sql, sql/075_analytics_risk.sql, sql/080_tiles.sql, sql/081_map_queries.sql, sql/090_grants.sql, sql/095_push.sql.

-- ==== sql/000_extensions_roles_schemas.sql ====
-- Extensions, roles and schemas of the Halo database. Idempotent.
-- The extensions are created by the superuser at provisioning (db/bootstrap.sql); the
-- IF NOT EXISTS statements here only assert their presence (no-op when installed).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS h3;
CREATE EXTENSION IF NOT EXISTS h3_postgis CASCADE;

-- Roles are cluster-wide; provisioning gives them LOGIN and passwords. Created here NOLOGIN
-- only if missing, so a fresh install on an existing server has them too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'halo_api') THEN
        CREATE ROLE halo_api NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'halo_analyst') THEN
        CREATE ROLE halo_analyst NOLOGIN;
    END IF;
END
$$;

-- The API answers interactive requests: short statements, never an idle open transaction.
ALTER ROLE halo_api SET statement_timeout = '5s';
ALTER ROLE halo_api SET idle_in_transaction_session_timeout = '30s';
-- Analysts (QGIS) read only; longer queries allowed.
ALTER ROLE halo_analyst SET default_transaction_read_only = on;
ALTER ROLE halo_analyst SET statement_timeout = '120s';

-- Alembic's version table, as alembic creates it, so a fresh install can grant on it.
CREATE TABLE IF NOT EXISTS public.alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Schemas by purpose.
CREATE SCHEMA IF NOT EXISTS ref;
COMMENT ON SCHEMA ref IS 'Reference data: categories, data sources, districts, municipalities, place gazetteer.';
CREATE SCHEMA IF NOT EXISTS raw;
COMMENT ON SCHEMA raw IS 'Ingested facts: incidents from every source and user reports, as received.';
CREATE SCHEMA IF NOT EXISTS risk;
COMMENT ON SCHEMA risk IS 'Computed risk: materialized tables refreshed nightly, model outputs.';
CREATE SCHEMA IF NOT EXISTS analytics;
COMMENT ON SCHEMA analytics IS 'Read-only views for analysts (QGIS): stable keys, typed geometries.';
CREATE SCHEMA IF NOT EXISTS tiles;
COMMENT ON SCHEMA tiles IS 'Vector tile functions tile_<layer>(z, x, y) -> bytea.';
CREATE SCHEMA IF NOT EXISTS ops;
COMMENT ON SCHEMA ops IS 'Operations: job runs, API keys.';


-- ==== sql/005_default_privileges.sql ====
-- Default privileges: tables, views and functions the owner creates later in these schemas
-- are readable (tables, views) or executable (tile functions) the same way as the existing
-- ones. Runs before any table is created, so every later file is covered. Idempotent.
ALTER DEFAULT PRIVILEGES IN SCHEMA ref, risk
    GRANT SELECT ON TABLES TO halo_api, halo_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics
    GRANT SELECT ON TABLES TO halo_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA tiles
    GRANT EXECUTE ON FUNCTIONS TO halo_api;


-- ==== sql/010_reference.sql ====
-- Reference tables: incident categories, data sources, boundaries and the place gazetteer.
-- All geometries in EPSG:4326 (lon/lat). Idempotent.

-- Lower-case, single-spaced form of a place name used for matching (å/ä/ö kept).
CREATE OR REPLACE FUNCTION ref.normalize_name(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN lower(btrim(regexp_replace(name, '\s+', ' ', 'g')));
COMMENT ON FUNCTION ref.normalize_name(text) IS
    'Matching key of a place name: lower case, trimmed, single spaces; diacritics kept.';

CREATE TABLE IF NOT EXISTS ref.incident_categories (
    code text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    label_en text NOT NULL,
    label_sv text NOT NULL,
    severity_weight real NOT NULL CHECK (severity_weight >= 0 AND severity_weight <= 1),
    counts_for_risk boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE ref.incident_categories IS
    'The small set of categories every source type maps to, with the weight an incident of it carries in risk.';

INSERT INTO ref.incident_categories (code, label_en, label_sv, severity_weight, counts_for_risk)
VALUES
    ('violent', 'Violence', 'Våld', 1.0, true),
    ('weapons', 'Weapons', 'Vapen', 1.0, true),
    ('robbery', 'Robbery', 'Rån', 0.9, true),
    ('theft', 'Theft', 'Stöld', 0.4, true),
    ('vandalism', 'Vandalism', 'Skadegörelse', 0.3, true),
    ('drugs', 'Drugs', 'Narkotika', 0.3, true),
    ('traffic', 'Traffic', 'Trafik', 0.2, true),
    ('fire', 'Fire', 'Brand', 0.3, true),
    ('other', 'Other', 'Övrigt', 0.2, true),
    ('non_incident', 'Summary or notice', 'Sammanfattning eller information', 0.0, false)
ON CONFLICT (code) DO NOTHING;

CREATE TABLE IF NOT EXISTS ref.data_sources (
    id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_:.-]+$'),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('police_api', 'user_reports', 'points_file')),
    reliability real NOT NULL DEFAULT 0.5 CHECK (reliability >= 0 AND reliability <= 1),
    attribution text,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ref.data_sources IS
    'Where incidents come from, with the reliability used when sources are fused.';

INSERT INTO ref.data_sources (code, name, kind, reliability, attribution)
VALUES
    ('polisen', 'Polisen.se events API', 'police_api', 0.9,
     'Data: Swedish Police Authority public information'),
    ('user_reports', 'Halo app reports', 'user_reports', 0.5, NULL)
ON CONFLICT (code) DO NOTHING;

CREATE TABLE IF NOT EXISTS ref.municipalities (
    code text PRIMARY KEY CHECK (code ~ '^[0-9]{4}$'),
    name text NOT NULL,
    name_key text NOT NULL UNIQUE,
    county_code text GENERATED ALWAYS AS (left(code, 2)) STORED,
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    attribution text NOT NULL DEFAULT 'Källa: SCB'
);
CREATE INDEX IF NOT EXISTS municipalities_geom_idx ON ref.municipalities USING gist (geom);
COMMENT ON TABLE ref.municipalities IS 'Swedish municipalities (kommuner), SCB codes. Källa: SCB.';

CREATE TABLE IF NOT EXISTS ref.districts (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    name_key text NOT NULL UNIQUE,
    municipality_code text NOT NULL REFERENCES ref.municipalities (code),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    area_km2 double precision NOT NULL CHECK (area_km2 > 0),
    source text NOT NULL
);
CREATE INDEX IF NOT EXISTS districts_geom_idx ON ref.districts USING gist (geom);
COMMENT ON TABLE ref.districts IS
    'Neighborhoods: the city districts (stadsdelar) of Stockholm, water removed.';

CREATE TABLE IF NOT EXISTS ref.places (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    name_key text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('district', 'municipality', 'county', 'square',
                                        'station', 'area', 'street', 'landmark')),
    geom geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    radius_m real NOT NULL DEFAULT 0 CHECK (radius_m >= 0),
    district_id integer REFERENCES ref.districts (id) ON DELETE CASCADE,
    municipality_code text REFERENCES ref.municipalities (code) ON DELETE CASCADE,
    aliases text[] NOT NULL DEFAULT '{}',
    UNIQUE (name_key, kind)
);
CREATE INDEX IF NOT EXISTS places_geom_idx ON ref.places USING gist (geom);
COMMENT ON TABLE ref.places IS
    'Gazetteer: districts, municipalities and named places (squares, stations, areas), each a point with an uncertainty radius or a polygon.';
COMMENT ON COLUMN ref.places.radius_m IS 'Uncertainty radius around a point geometry, metres (0 for polygons).';


-- ==== sql/020_incidents.sql ====
-- Incidents from every source and user reports from the app. EPSG:4326. Idempotent.

CREATE TABLE IF NOT EXISTS raw.incidents (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id smallint NOT NULL REFERENCES ref.data_sources (id),
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    event_type text NOT NULL,
    category text NOT NULL REFERENCES ref.incident_categories (code),
    severity real NOT NULL CHECK (severity >= 0 AND severity <= 1),
    occurred_at timestamptz,
    published_at timestamptz,
    first_seen_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    title text,
    summary text,
    location_support text NOT NULL
        CHECK (location_support IN ('point', 'place', 'district', 'municipality', 'county')),
    support_radius_m real CHECK (support_radius_m >= 0),
    point_geom geometry(Point, 4326),
    h3_cell h3index,
    place_id integer REFERENCES ref.places (id) ON DELETE SET NULL,
    district_id integer REFERENCES ref.districts (id) ON DELETE SET NULL,
    municipality_code text REFERENCES ref.municipalities (code) ON DELETE SET NULL,
    county_code text CHECK (county_code ~ '^[0-9]{2}$'),
    raw_payload jsonb NOT NULL,
    UNIQUE (source_id, external_id),
    -- Each support class carries the reference that defines it.
    CONSTRAINT incidents_support_complete CHECK (
        CASE location_support
            WHEN 'point' THEN point_geom IS NOT NULL AND h3_cell IS NOT NULL
            WHEN 'place' THEN place_id IS NOT NULL
            WHEN 'district' THEN district_id IS NOT NULL
            WHEN 'municipality' THEN municipality_code IS NOT NULL
            WHEN 'county' THEN county_code IS NOT NULL
        END
    )
);
CREATE INDEX IF NOT EXISTS incidents_point_geom_idx ON raw.incidents USING gist (point_geom);
CREATE INDEX IF NOT EXISTS incidents_occurred_at_idx ON raw.incidents (occurred_at);
CREATE INDEX IF NOT EXISTS incidents_first_seen_at_idx ON raw.incidents (first_seen_at);
CREATE INDEX IF NOT EXISTS incidents_district_id_idx ON raw.incidents (district_id);
CREATE INDEX IF NOT EXISTS incidents_h3_cell_idx ON raw.incidents (h3_cell);
COMMENT ON TABLE raw.incidents IS
    'One row per incident and source, idempotent by (source_id, external_id); edits update in place.';
COMMENT ON COLUMN raw.incidents.occurred_at IS 'When the incident happened (UTC), parsed from the source.';
COMMENT ON COLUMN raw.incidents.first_seen_at IS 'When Halo (or its archive) first saw the incident (UTC); never moves on edits.';
COMMENT ON COLUMN raw.incidents.location_support IS
    'How precisely the location is known: point (exact), place (named place), district, municipality or county only.';
COMMENT ON COLUMN raw.incidents.point_geom IS
    'Exact position for point support, else the place centre; never a source''s placeholder centroid.';
COMMENT ON COLUMN raw.incidents.h3_cell IS 'H3 cell (resolution 10) of point_geom when the support is a point.';
COMMENT ON COLUMN raw.incidents.raw_payload IS 'The source record as received (last version).';

CREATE TABLE IF NOT EXISTS raw.user_reports (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 8 AND 128),
    request_sha256 text NOT NULL CHECK (request_sha256 ~ '^[0-9a-f]{64}$'),
    category text NOT NULL REFERENCES ref.incident_categories (code),
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    geom geometry(Point, 4326) NOT NULL,
    accuracy_m real CHECK (accuracy_m >= 0),
    h3_cell h3index NOT NULL,
    description text CHECK (length(description) <= 1000),
    photo_key text,
    moderation_status text NOT NULL DEFAULT 'pending'
        CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
    moderated_at timestamptz,
    reported_during_alert boolean NOT NULL DEFAULT false,
    client_sha256 text CHECK (client_sha256 ~ '^[0-9a-f]{64}$')
);
CREATE INDEX IF NOT EXISTS user_reports_geom_idx ON raw.user_reports USING gist (geom);
CREATE INDEX IF NOT EXISTS user_reports_received_at_idx ON raw.user_reports (received_at);
COMMENT ON TABLE raw.user_reports IS
    'Incident reports from the app: events, not people. Location rounded before storage.';
COMMENT ON COLUMN raw.user_reports.idempotency_key IS 'Client-chosen key: a retry with the same key returns the first result.';
COMMENT ON COLUMN raw.user_reports.client_sha256 IS 'Salted hash of the device or address, for rate limits only.';


-- ==== sql/030_ops.sql ====
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


-- ==== sql/040_ingestion.sql ====
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

-- Insert or replace one district by normalized name (GeoJSON lon/lat, SRID 4326); its id. VOLATILE.
CREATE OR REPLACE FUNCTION ref.upsert_district(
    name text, municipality_code text, geojson text, source text
) RETURNS integer
LANGUAGE sql VOLATILE AS $$
    INSERT INTO ref.districts AS d (name, name_key, municipality_code, geom, area_km2, source)
    SELECT upsert_district.name, ref.normalize_name(upsert_district.name),
           upsert_district.municipality_code, g.geom, ST_Area(g.geom::geography) / 1e6,
           upsert_district.source
      FROM (SELECT ref.multipolygon_from_geojson(geojson) AS geom) g
    ON CONFLICT (name_key) DO UPDATE
        SET name = EXCLUDED.name, municipality_code = EXCLUDED.municipality_code,
            geom = EXCLUDED.geom, area_km2 = EXCLUDED.area_km2, source = EXCLUDED.source
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
-- Only the owner's batch jobs write reference data and incidents.
REVOKE ALL ON FUNCTION raw.create_incident_staging() FROM PUBLIC;
REVOKE ALL ON FUNCTION raw.merge_incident_staging(smallint) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_municipality(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_district(text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.sync_boundary_places(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_curated_place(
    text, text, double precision, double precision, real, text[], text[]) FROM PUBLIC;

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


-- ==== sql/050_security.sql ====
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

REVOKE ALL ON FUNCTION ops.prune_rate_limit_counters() FROM PUBLIC;
REVOKE ALL ON FUNCTION ops.count_requests(text, bytea, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION ops.authenticate_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.count_requests(text, bytea, integer, integer) TO halo_api;
GRANT EXECUTE ON FUNCTION ops.authenticate_api_key(bytea) TO halo_api;
-- Keys are checked only through ops.authenticate_api_key: the API role reads no key table
-- (0001 granted it; revoked here so a compromised API role cannot even list hashes).
REVOKE ALL ON ops.api_keys FROM halo_api;


-- ==== sql/060_analytics_base.sql ====
-- Base analytics views for analysts (QGIS, role halo_analyst): boundaries and incidents with a
-- stable integer key and a typed EPSG:4326 geometry, no free text. Idempotent.
-- The comments become the layer abstracts QGIS shows.

CREATE OR REPLACE VIEW analytics.municipalities AS
SELECT m.code::integer AS id,
       m.code,
       m.name,
       m.county_code,
       m.geom::geometry(MultiPolygon, 4326) AS geom
  FROM ref.municipalities m;
COMMENT ON VIEW analytics.municipalities IS
    'Swedish municipalities (kommuner) with their SCB code; key id is the code as an integer. Källa: SCB.';
COMMENT ON COLUMN analytics.municipalities.id IS 'Stable key: the four-digit SCB code as an integer.';

CREATE OR REPLACE VIEW analytics.districts AS
SELECT d.id,
       d.name,
       d.municipality_code,
       d.area_km2,
       d.geom::geometry(MultiPolygon, 4326) AS geom
  FROM ref.districts d;
COMMENT ON VIEW analytics.districts IS
    'Neighborhoods: the city districts (stadsdelar) of Stockholm, water removed; the units of the risk map.';
COMMENT ON COLUMN analytics.districts.area_km2 IS 'Land area, square kilometres.';

CREATE OR REPLACE VIEW analytics.incidents AS
SELECT i.id,
       i.category,
       i.occurred_at,
       i.first_seen_at,
       i.location_support,
       i.support_radius_m,
       ST_Multi(ST_CollectionExtract(
           CASE i.location_support
               WHEN 'point' THEN ST_Buffer(i.point_geom::geography,
                                           greatest(coalesce(i.support_radius_m, 0), 10))::geometry
               WHEN 'place' THEN
                   CASE WHEN ST_Dimension(p.geom) = 2 THEN p.geom
                        ELSE ST_Buffer(p.geom::geography, greatest(p.radius_m, 10))::geometry
                   END
               WHEN 'district' THEN d.geom
               WHEN 'municipality' THEN m.geom
           END, 3))::geometry(MultiPolygon, 4326) AS geom
  FROM raw.incidents i
  JOIN ref.incident_categories c ON c.code = i.category AND c.counts_for_risk
  LEFT JOIN ref.places p ON p.id = i.place_id
  LEFT JOIN ref.districts d ON d.id = i.district_id
  LEFT JOIN ref.municipalities m ON m.code = i.municipality_code
 WHERE i.location_support <> 'county';
COMMENT ON VIEW analytics.incidents IS
    'Incidents with the area their location is known to: a small circle for an exact point, the place, or the whole district or municipality (see location_support). Category and times only, no free text; county-only incidents and notices left out.';
COMMENT ON COLUMN analytics.incidents.location_support IS
    'How precisely the location is known: point, place, district or municipality. The geometry is that whole area, never a guessed spot.';
COMMENT ON COLUMN analytics.incidents.occurred_at IS 'When the incident happened (UTC), if the source says.';
COMMENT ON COLUMN analytics.incidents.first_seen_at IS 'When Halo first saw the incident (UTC).';

CREATE OR REPLACE VIEW analytics.incident_points AS
SELECT i.id,
       i.category,
       i.occurred_at,
       i.first_seen_at,
       i.support_radius_m,
       i.point_geom::geometry(Point, 4326) AS geom
  FROM raw.incidents i
  JOIN ref.incident_categories c ON c.code = i.category AND c.counts_for_risk
 WHERE i.location_support = 'point';
COMMENT ON VIEW analytics.incident_points IS
    'Incidents whose exact position is known (location_support = point), as points. Category and times only, no free text.';

-- Also covered by the schema's default privileges (005); stated here so the file says who reads.
GRANT USAGE ON SCHEMA analytics TO halo_analyst;
GRANT SELECT ON analytics.municipalities, analytics.districts, analytics.incidents,
    analytics.incident_points TO halo_analyst;


-- ==== sql/070_risk_tables.sql ====
-- Risk tables: parameters, generations, the H3 cell universe, incident mass per cell, risk
-- per cell and per district, hour-of-week profile, model runs and predictions, backtests.
-- Rebuilt by risk.refresh_all() (sql/072_risk_refresh.sql) inside one transaction:
-- readers keep seeing the previous generation until it commits, and never block.
-- All geometries EPSG:4326. Idempotent.

CREATE TABLE IF NOT EXISTS risk.parameters (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    window_days integer NOT NULL DEFAULT 365 CHECK (window_days BETWEEN 7 AND 3650),
    half_life_days real NOT NULL DEFAULT 90 CHECK (half_life_days > 0),
    prior_strength real NOT NULL DEFAULT 2 CHECK (prior_strength > 0),
    ring_weights real[] NOT NULL DEFAULT '{0.5,0.25}',
    lower_quantile real NOT NULL DEFAULT 0.05 CHECK (lower_quantile > 0 AND lower_quantile < 0.5),
    alert_threshold real NOT NULL DEFAULT 0.6,
    clear_threshold real NOT NULL DEFAULT 0.5,
    base_resolution smallint NOT NULL DEFAULT 9 CHECK (base_resolution BETWEEN 7 AND 10),
    trend_days integer NOT NULL DEFAULT 90 CHECK (trend_days > 0),
    CHECK (clear_threshold < alert_threshold)
);
INSERT INTO risk.parameters DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
COMMENT ON TABLE risk.parameters IS
    'The one row of risk parameters: window, decay half-life, prior strength, ring weights, quantile, thresholds.';

CREATE TABLE IF NOT EXISTS risk.generations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of timestamptz NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    located_incidents integer NOT NULL,
    located_share real,
    model_version text
);
COMMENT ON TABLE risk.generations IS
    'One row per refresh; the latest id is the tile generation (ETags, cache keys).';

CREATE TABLE IF NOT EXISTS risk.cells (
    cell h3index PRIMARY KEY,
    resolution smallint NOT NULL,
    district_id integer NOT NULL REFERENCES ref.districts (id) ON DELETE CASCADE,
    area_km2 double precision NOT NULL CHECK (area_km2 > 0),
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS cells_geom_idx ON risk.cells USING gist (geom);
CREATE INDEX IF NOT EXISTS cells_district_id_idx ON risk.cells (district_id);
COMMENT ON TABLE risk.cells IS
    'The study area: H3 cells (resolutions 7-9) whose area lies in a district; area_km2 counts the in-district part (base resolution: the full cell).';

CREATE TABLE IF NOT EXISTS risk.place_cells (
    place_id integer NOT NULL REFERENCES ref.places (id) ON DELETE CASCADE,
    cell h3index NOT NULL,
    PRIMARY KEY (place_id, cell)
);
COMMENT ON TABLE risk.place_cells IS
    'The base-resolution cells a named place covers (its polygon or its point and radius); an incident located to the place is spread over them.';

CREATE TABLE IF NOT EXISTS risk.cell_mass (
    cell h3index PRIMARY KEY,
    mass real NOT NULL,
    mass_precise real NOT NULL,
    category_mass jsonb NOT NULL,
    recent_mass real NOT NULL,
    previous_mass real NOT NULL
);
COMMENT ON TABLE risk.cell_mass IS
    'Incident mass per base-resolution cell: severity x time decay, each incident spread evenly over the cells of its support.';

CREATE TABLE IF NOT EXISTS risk.cell_risk (
    cell h3index PRIMARY KEY,
    resolution smallint NOT NULL,
    district_id integer NOT NULL,
    area_km2 double precision NOT NULL,
    observed real NOT NULL,
    expected real NOT NULL,
    prior_rr real NOT NULL,
    relative_risk real NOT NULL,
    rr_lower real NOT NULL,
    rr_upper real NOT NULL,
    risk_score real NOT NULL CHECK (risk_score >= 0 AND risk_score <= 1),
    evidence text NOT NULL CHECK (evidence IN ('point', 'inferred', 'none')),
    category_mass jsonb NOT NULL,
    trend real,
    expected_week real,
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS cell_risk_geom_idx ON risk.cell_risk USING gist (geom);
CREATE INDEX IF NOT EXISTS cell_risk_resolution_idx ON risk.cell_risk (resolution);
COMMENT ON TABLE risk.cell_risk IS
    'Risk per H3 cell and resolution. risk_score = RR_lo / (1 + RR_lo), RR_lo the lower 5% bound of the relative risk against the city rate; 0.6 means at least 1.5x the city rate, with confidence.';
COMMENT ON COLUMN risk.cell_risk.evidence IS
    'point: most of the mass comes from exactly located incidents or named places; inferred: mostly spread from district-level locations; none: no incidents.';
COMMENT ON COLUMN risk.cell_risk.expected_week IS 'Model-predicted incidents next week (statsmodels GLM), when a model has run.';
COMMENT ON COLUMN risk.cell_risk.trend IS 'Mass of the last trend_days against the trend_days before (1 = flat).';

CREATE TABLE IF NOT EXISTS risk.district_risk (
    district_id integer PRIMARY KEY REFERENCES ref.districts (id) ON DELETE CASCADE,
    observed real NOT NULL,
    expected real NOT NULL,
    relative_risk real NOT NULL,
    rr_lower real NOT NULL,
    rr_upper real NOT NULL,
    risk_score real NOT NULL CHECK (risk_score >= 0 AND risk_score <= 1),
    evidence text NOT NULL CHECK (evidence IN ('point', 'inferred', 'none')),
    incident_counts jsonb NOT NULL,
    incidents integer NOT NULL,
    trend real,
    expected_week real
);
COMMENT ON TABLE risk.district_risk IS
    'Risk per district, same meaning as risk.cell_risk; incident_counts by category over the window.';

CREATE TABLE IF NOT EXISTS risk.hour_of_week_profile (
    hour_of_week smallint PRIMARY KEY CHECK (hour_of_week BETWEEN 0 AND 167),
    factor real NOT NULL CHECK (factor >= 0),
    source text NOT NULL CHECK (source IN ('model', 'empirical'))
);
COMMENT ON TABLE risk.hour_of_week_profile IS
    'Relative incident rate by hour of the week (0 = Monday 00:00 Europe/Stockholm), mean 1.';

CREATE TABLE IF NOT EXISTS risk.model_runs (
    version text PRIMARY KEY,
    job_run_id bigint REFERENCES ops.job_runs (id) ON DELETE SET NULL,
    trained_at timestamptz NOT NULL DEFAULT now(),
    as_of timestamptz NOT NULL,
    family text NOT NULL,
    formula text NOT NULL,
    n_obs integer NOT NULL,
    aic double precision,
    deviance double precision,
    pearson_chi2 double precision,
    coefficients jsonb NOT NULL,
    fit jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE risk.model_runs IS 'Every trained model: version, coefficients and fit statistics.';

CREATE TABLE IF NOT EXISTS risk.model_predictions (
    cell h3index NOT NULL,
    week_start timestamptz NOT NULL,
    expected_count real NOT NULL CHECK (expected_count >= 0),
    model_version text NOT NULL REFERENCES risk.model_runs (version) ON DELETE CASCADE,
    PRIMARY KEY (model_version, cell)
);
COMMENT ON TABLE risk.model_predictions IS
    'Expected incidents per resolution-8 cell in the week after the model''s as_of.';

CREATE TABLE IF NOT EXISTS risk.backtest_results (
    id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    model_version text NOT NULL,
    level text NOT NULL CHECK (level IN ('district', 'h3')),
    method text NOT NULL,
    metric text NOT NULL,
    area_pct real NOT NULL DEFAULT 0,
    value double precision,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_version, level, method, metric, area_pct)
);
COMMENT ON TABLE risk.backtest_results IS
    'Rolling-origin backtest metrics per model version, level and method (model and baselines).';


-- ==== sql/071_risk_functions.sql ====
-- Pure functions of the risk model. SQL-standard bodies are parsed at creation, so they run
-- safely where search_path is only pg_catalog (REFRESH, pg_cron). Idempotent.

-- Standard normal quantile for 0 < p < 1 (Abramowitz & Stegun 26.2.23, |error| < 4.5e-4).
-- IMMUTABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION risk.normal_quantile(p double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
    SELECT CASE WHEN p <= 0 OR p >= 1 THEN NULL
                ELSE sign(p - 0.5) * (t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
                                          / (1 + 1.432788 * t + 0.189269 * t * t
                                             + 0.001308 * t * t * t))
           END
    FROM (SELECT sqrt(-2 * ln(least(p, 1 - p))) AS t WHERE p > 0 AND p < 1) AS tail;
END;

-- Quantile of Gamma(shape, rate) at the normal quantile z (Wilson-Hilferty cube-root
-- approximation; good for shape >= 1, which the prior guarantees). IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.gamma_quantile(
    shape double precision, rate double precision, z double precision
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN (shape / rate) * power(greatest(0, 1 - 1 / (9 * shape) + z / (3 * sqrt(shape))), 3);

-- The documented score: RR_lo / (1 + RR_lo), in [0, 1); 0.6 <=> RR_lo >= 1.5. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.score_of(rr_lower double precision) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN (greatest(rr_lower, 0) / (1 + greatest(rr_lower, 0)))::real;

-- Boundary polygon of an H3 cell, EPSG:4326, from h3-pg core functions (schema-qualified:
-- the h3_postgis wrappers fail where search_path is pg_catalog). IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.cell_polygon(cell h3index) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN public.st_setsrid(public.st_geomfromewkb(public.h3_cell_to_boundary_wkb(cell)), 4326);

-- Weight of an incident: category severity x exponential decay with the given half-life,
-- age measured from as_of. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.incident_weight(
    severity real, occurred timestamptz, as_of timestamptz, half_life_days real
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN severity * power(0.5, greatest(extract(epoch FROM as_of - occurred), 0)
                                 / 86400.0 / half_life_days);

-- When an incident counts as having happened: its own time, else publication, else first
-- sight. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.incident_time(
    occurred_at timestamptz, published_at timestamptz, first_seen_at timestamptz
) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(occurred_at, published_at, first_seen_at);

-- Hour of the week in Stockholm local time, 0 = Monday 00:00-00:59. STABLE (time zone data).
CREATE OR REPLACE FUNCTION risk.hour_of_week(t timestamptz) RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE STRICT
RETURN ((extract(isodow FROM t AT TIME ZONE 'Europe/Stockholm')::int - 1) * 24
        + extract(hour FROM t AT TIME ZONE 'Europe/Stockholm')::int)::smallint;

-- Empirical-Bayes posterior of a relative risk: Gamma prior with mean prior_rr and the given
-- strength, Poisson observed/expected. Returns (rr, rr_lower, rr_upper) at quantile q and
-- 1 - q. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.posterior_rr(
    observed double precision, expected double precision, prior_rr double precision,
    prior_strength double precision, q double precision,
    OUT rr double precision, OUT rr_lower double precision, OUT rr_upper double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
    SELECT (prior_strength + observed) / (prior_strength / prior_rr + expected),
           risk.gamma_quantile(prior_strength + observed, prior_strength / prior_rr + expected,
                               risk.normal_quantile(q)),
           risk.gamma_quantile(prior_strength + observed, prior_strength / prior_rr + expected,
                               risk.normal_quantile(1 - q));
END;


-- ==== sql/072_risk_refresh.sql ====
-- The risk pipeline in SQL: rebuild the risk tables in dependency order inside one
-- transaction (readers see the previous generation until commit and never block: rows are
-- replaced with DELETE + INSERT, no TABLE lock), ANALYZE each, record a new generation.
-- Entry point: SELECT risk.refresh_all([as_of]). Idempotent definitions.

-- Base-resolution cells of every district (centroid containment; a district too small to
-- hold a centroid gets the cell of its point on surface), and their parents at the two
-- coarser resolutions with the in-district area. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cells(base_res integer) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
BEGIN
    DELETE FROM risk.cells;
    INSERT INTO risk.cells (cell, resolution, district_id, area_km2, geom)
    SELECT DISTINCT ON (cell) cell, base_res, district_id, h3_cell_area(cell, 'km^2'),
           risk.cell_polygon(cell)
    FROM (
        SELECT h3_polygon_to_cells(d.geom, base_res) AS cell, d.id AS district_id
        FROM ref.districts d
        UNION ALL
        SELECT h3_lat_lng_to_cell(ST_PointOnSurface(d.geom), base_res), d.id
        FROM ref.districts d
    ) AS candidates
    ORDER BY cell, district_id;
    -- Parents: area is the sum of the in-district children; district is the majority one.
    FOR parent_res IN REVERSE base_res - 1 .. base_res - 2 LOOP
        INSERT INTO risk.cells (cell, resolution, district_id, area_km2, geom)
        SELECT parent, parent_res,
               mode() WITHIN GROUP (ORDER BY c.district_id), sum(c.area_km2),
               risk.cell_polygon(parent)
        FROM risk.cells c, h3_cell_to_parent(c.cell, parent_res) AS parent
        WHERE c.resolution = base_res
        GROUP BY parent;
    END LOOP;
    PERFORM risk.rebuild_place_cells(base_res);
    RETURN (SELECT count(*) FROM risk.cells);
END;
$$;

-- The base cells of every named place: those whose centre lies in the place's polygon, or
-- within its radius of its point; a place smaller than a cell gets the cell that holds it.
-- VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_place_cells(base_res integer) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM risk.place_cells;
    INSERT INTO risk.place_cells (place_id, cell)
    SELECT pl.id, c.cell
    FROM ref.places pl
    CROSS JOIN LATERAL (
        SELECT CASE WHEN pl.radius_m > 0
                    THEN ST_Buffer(pl.geom::geography, pl.radius_m)::geometry
                    ELSE pl.geom END AS area
    ) AS covered
    JOIN risk.cells c ON c.resolution = base_res AND c.geom && covered.area
     AND ST_Intersects(covered.area, ST_Centroid(c.geom));
    INSERT INTO risk.place_cells (place_id, cell)
    SELECT pl.id, c.cell
    FROM ref.places pl
    JOIN risk.cells c ON c.resolution = base_res
     AND c.cell = h3_lat_lng_to_cell(ST_PointOnSurface(pl.geom), base_res)
    WHERE NOT EXISTS (SELECT 1 FROM risk.place_cells pc WHERE pc.place_id = pl.id);
    RETURN (SELECT count(*) FROM risk.place_cells);
END;
$$;

-- Every incident that counts for risk, first seen by `cutoff` and happening in
-- (occurred_from, occurred_until], with the base cells of its support and its share of each
-- (1 for a point; 1/n over the n cells of a place or district). Municipality- and
-- county-only incidents have no cell and are not returned. App reports that feed risk
-- (raw.reports_for_risk: approved or corroborated, severity capped and weighted by the
-- source's reliability) are exact points with share 1 once eligible by `cutoff`; their ids
-- are negated (-report_id) so they never collide with incident ids. STABLE.
CREATE OR REPLACE FUNCTION risk.incident_shares(
    cutoff timestamptz, occurred_from timestamptz, occurred_until timestamptz
) RETURNS TABLE (incident_id bigint, category text, severity real, occurred timestamptz,
                 first_seen_at timestamptz, cell h3index, share double precision,
                 precise boolean)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    WITH params AS (SELECT base_resolution AS res FROM risk.parameters),
    base_cells AS (
        SELECT c.cell, c.district_id, c.geom FROM risk.cells c, params
        WHERE c.resolution = params.res
    ),
    incidents AS (
        SELECT i.id, i.category, i.severity, i.location_support, i.h3_cell, i.place_id,
               i.district_id, i.first_seen_at,
               risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at) AS occurred
        FROM raw.incidents i
        JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
        WHERE i.first_seen_at <= cutoff
          AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
              > occurred_from
          AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
              <= occurred_until
          AND i.location_support IN ('point', 'place', 'district')
    ),
    place_cell_sets AS (
        SELECT place_id, array_agg(cell) AS cells FROM risk.place_cells GROUP BY place_id
    ),
    district_cells AS (
        SELECT district_id, array_agg(cell) AS cells FROM base_cells GROUP BY district_id
    ),
    reports AS (
        SELECT -r.report_id AS id, r.category, r.severity, r.occurred_at AS occurred,
               r.first_seen_at, r.h3_cell
        FROM raw.reports_for_risk r
        WHERE r.counts_from <= cutoff
          AND r.occurred_at > occurred_from AND r.occurred_at <= occurred_until
    )
    SELECT i.id, i.category, i.severity, i.occurred, i.first_seen_at, b.cell, 1.0, true
    FROM incidents i
    CROSS JOIN params
    JOIN base_cells b ON b.cell = h3_cell_to_parent(i.h3_cell, params.res)
    WHERE i.location_support = 'point'
    UNION ALL
    SELECT r.id, r.category, r.severity, r.occurred, r.first_seen_at, b.cell, 1.0, true
    FROM reports r
    CROSS JOIN params
    JOIN base_cells b ON b.cell = h3_cell_to_parent(r.h3_cell, params.res)
    UNION ALL
    -- A place of up to 7 cells (a square, a station) is precise; a larger one (an area such
    -- as Järva) is not.
    SELECT i.id, i.category, i.severity, i.occurred, i.first_seen_at, u.cell,
           1.0 / cardinality(pc.cells), cardinality(pc.cells) <= 7
    FROM incidents i
    JOIN place_cell_sets pc ON pc.place_id = i.place_id
    CROSS JOIN LATERAL unnest(pc.cells) AS u(cell)
    WHERE i.location_support = 'place'
    UNION ALL
    SELECT i.id, i.category, i.severity, i.occurred, i.first_seen_at, u.cell,
           1.0 / cardinality(dc.cells), false
    FROM incidents i
    JOIN district_cells dc ON dc.district_id = i.district_id
    CROSS JOIN LATERAL unnest(dc.cells) AS u(cell)
    WHERE i.location_support = 'district';
END;

-- Incident mass per base cell for the window ending at as_of: each incident's weight
-- (severity x decay) times its share of the cell. Leaves the temp table incident_cells
-- (incident, cell, share) for the later steps of the same transaction. Returns the located
-- share of the city's incidents (located / (located + Stockholm-municipality-only)).
-- VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cell_mass(as_of timestamptz) RETURNS real
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    p risk.parameters;
    located integer;
    unlocated integer;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    DROP TABLE IF EXISTS incident_cells;
    CREATE TEMP TABLE incident_cells ON COMMIT DROP AS
    SELECT s.incident_id AS id, s.category, s.cell, s.share, s.precise,
           risk.incident_weight(s.severity, s.occurred, as_of, p.half_life_days) AS weight,
           s.occurred > as_of - make_interval(days => p.trend_days) AS recent,
           s.occurred <= as_of - make_interval(days => p.trend_days)
             AND s.occurred > as_of - make_interval(days => 2 * p.trend_days) AS previous
    FROM risk.incident_shares(as_of, as_of - make_interval(days => p.window_days), as_of) s;

    DELETE FROM risk.cell_mass;
    INSERT INTO risk.cell_mass (cell, mass, mass_precise, category_mass, recent_mass,
                                previous_mass)
    SELECT c.cell, coalesce(m.mass, 0), coalesce(m.mass_precise, 0),
           coalesce(k.category_mass, '{}'), coalesce(m.recent_mass, 0),
           coalesce(m.previous_mass, 0)
    FROM risk.cells c
    LEFT JOIN (
        SELECT cell, sum(weight * share) AS mass,
               sum(weight * share) FILTER (WHERE precise) AS mass_precise,
               sum(share) FILTER (WHERE recent) AS recent_mass,
               sum(share) FILTER (WHERE previous) AS previous_mass
        FROM incident_cells GROUP BY cell
    ) m ON m.cell = c.cell
    LEFT JOIN (
        SELECT cell, jsonb_object_agg(category, round(n::numeric, 3)) AS category_mass
        FROM (SELECT cell, category, sum(share) AS n FROM incident_cells
              GROUP BY cell, category) per_category
        GROUP BY cell
    ) k ON k.cell = c.cell
    WHERE c.resolution = p.base_resolution;

    SELECT count(DISTINCT id) INTO located FROM incident_cells;
    SELECT count(*) INTO unlocated
    FROM raw.incidents i JOIN ref.incident_categories k ON k.code = i.category
    WHERE k.counts_for_risk AND i.first_seen_at <= as_of
      AND i.location_support = 'municipality' AND i.municipality_code = '0180'
      AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
          BETWEEN as_of - make_interval(days => p.window_days) AND as_of;
    RETURN CASE WHEN located + unlocated > 0
                THEN located::real / (located + unlocated) END;
END;
$$;

-- Located incident mass per km2 over the study area (the "city rate" every expected count
-- uses); a tiny floor keeps an empty city from dividing by zero. STABLE.
CREATE OR REPLACE FUNCTION risk.city_rate() RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT greatest(coalesce(sum(m.mass) / sum(c.area_km2), 0), 1e-9)
    -- ON, not USING: pg_dump writes USING unqualified, and a restore (empty search_path)
    -- then cannot find h3index's = operator; an explicit = is dumped schema-qualified.
    FROM risk.cell_mass m JOIN risk.cells c ON c.cell = m.cell;
END;

-- Evidence level of a cell or district: none without mass; point when at least half of the
-- mass comes from exact points or small places; else inferred (spread from districts).
-- IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.evidence_of(observed double precision, precise double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN observed <= 0 THEN 'none'
            WHEN precise >= 0.5 * observed THEN 'point' ELSE 'inferred' END;

-- Risk per cell at the base resolution and its two parents: observed mass against the
-- city rate, a leave-one-out prior from the neighbour rings (weights risk.parameters
-- .ring_weights), the empirical-Bayes posterior and its bounds. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cell_risk(model text) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    p risk.parameters;
    rate double precision;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    rate := risk.city_rate();

    -- Each base cell counted into itself and its parents (a hash join, not a scan per cell).
    DROP TABLE IF EXISTS cell_observed;
    CREATE TEMP TABLE cell_observed ON COMMIT DROP AS
    WITH base_predicted AS (
        -- The model predicts resolution-8 cells; a base cell gets its area's share.
        SELECT b.cell, mp.expected_count * b.area_km2 / p8.area_km2 AS expected_week
        FROM risk.cells b
        JOIN risk.cells p8 ON p8.cell = h3_cell_to_parent(b.cell, 8)
        JOIN risk.model_predictions mp ON mp.cell = p8.cell AND mp.model_version = model
        WHERE b.resolution = p.base_resolution
    ),
    base_to_target AS (
        SELECT m.*, bp.expected_week, h3_cell_to_parent(m.cell, r) AS target
        FROM risk.cell_mass m
        LEFT JOIN base_predicted bp ON bp.cell = m.cell
        CROSS JOIN generate_series(p.base_resolution - 2, p.base_resolution) AS r
    )
    SELECT c.cell, c.resolution, c.district_id, c.area_km2, c.geom,
           coalesce(sum(t.mass), 0) AS observed, coalesce(sum(t.mass_precise), 0) AS precise,
           c.area_km2 * rate AS expected, sum(t.recent_mass) AS recent,
           sum(t.previous_mass) AS previous, sum(t.expected_week) AS expected_week
    FROM risk.cells c
    LEFT JOIN base_to_target t ON t.target = c.cell
    GROUP BY c.cell;
    CREATE INDEX ON cell_observed (cell);
    ANALYZE cell_observed;

    DROP TABLE IF EXISTS cell_categories;
    CREATE TEMP TABLE cell_categories ON COMMIT DROP AS
    SELECT target AS cell, jsonb_object_agg(key, round(total, 3)) AS category_mass
    FROM (SELECT h3_cell_to_parent(m.cell, r) AS target, e.key, sum(e.value::numeric) AS total
          FROM risk.cell_mass m
          CROSS JOIN generate_series(p.base_resolution - 2, p.base_resolution) AS r
          CROSS JOIN LATERAL jsonb_each_text(m.category_mass) e
          GROUP BY 1, 2) per_category
    GROUP BY target;

    -- Neighbours in rings 1..n (not the cell itself, so its own count is not counted twice),
    -- shrunk toward the city rate by one prior's worth of pseudo-observations.
    DROP TABLE IF EXISTS cell_prior;
    CREATE TEMP TABLE cell_prior ON COMMIT DROP AS
    SELECT o.cell,
           (coalesce(sum(p.ring_weights[x.distance] * n.observed), 0) + p.prior_strength)
           / (coalesce(sum(p.ring_weights[x.distance] * n.expected), 0) + p.prior_strength)
           AS rr
    FROM cell_observed o
    CROSS JOIN LATERAL h3_grid_disk_distances(o.cell, cardinality(p.ring_weights)) AS x
    LEFT JOIN cell_observed n ON n.cell = x.index AND x.distance > 0
    GROUP BY o.cell;

    DELETE FROM risk.cell_risk;
    INSERT INTO risk.cell_risk (cell, resolution, district_id, area_km2, observed, expected,
        prior_rr, relative_risk, rr_lower, rr_upper, risk_score, evidence, category_mass,
        trend, expected_week, geom)
    SELECT o.cell, o.resolution, o.district_id, o.area_km2, o.observed, o.expected,
           prior.rr, post.rr, post.rr_lower, post.rr_upper, risk.score_of(post.rr_lower),
           risk.evidence_of(o.observed, o.precise),
           coalesce(cat.category_mass, '{}'),
           (coalesce(o.recent, 0) + 1) / (coalesce(o.previous, 0) + 1),
           o.expected_week, o.geom
    FROM cell_observed o
    JOIN cell_prior prior ON prior.cell = o.cell
    CROSS JOIN LATERAL risk.posterior_rr(o.observed, o.expected, prior.rr, p.prior_strength,
                                         p.lower_quantile) post
    LEFT JOIN cell_categories cat ON cat.cell = o.cell;
    RETURN (SELECT count(*) FROM risk.cell_risk);
END;
$$;

-- Risk per district: located mass against the city rate, prior centred on the city rate.
-- VOLATILE (writes). Reads the incident_cells hand-off of risk.rebuild_cell_mass.
CREATE OR REPLACE FUNCTION risk.rebuild_district_risk() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    p risk.parameters;
    rate double precision;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    rate := risk.city_rate();

    DELETE FROM risk.district_risk;
    INSERT INTO risk.district_risk (district_id, observed, expected, relative_risk, rr_lower,
        rr_upper, risk_score, evidence, incident_counts, incidents, trend, expected_week)
    SELECT d.id, o.observed, e.expected, post.rr, post.rr_lower, post.rr_upper,
           risk.score_of(post.rr_lower),
           risk.evidence_of(o.observed, o.precise),
           coalesce(cnt.counts, '{}'), coalesce(cnt.total, 0),
           (o.recent + 1) / (o.previous + 1), o.expected_week
    FROM ref.districts d
    JOIN (
        SELECT c.district_id,
               coalesce(sum(m.mass), 0) AS observed,
               coalesce(sum(m.mass_precise), 0) AS precise,
               coalesce(sum(m.recent_mass), 0) AS recent,
               coalesce(sum(m.previous_mass), 0) AS previous,
               sum(r.expected_week) AS expected_week
        FROM risk.cells c
        JOIN risk.cell_mass m USING (cell)
        JOIN risk.cell_risk r USING (cell)
        WHERE c.resolution = p.base_resolution
        GROUP BY c.district_id
    ) o ON o.district_id = d.id
    CROSS JOIN LATERAL (SELECT d.area_km2 * rate AS expected) e
    CROSS JOIN LATERAL risk.posterior_rr(o.observed, e.expected, 1.0, p.prior_strength,
                                         p.lower_quantile) post
    LEFT JOIN (
        SELECT district_id, jsonb_object_agg(category, n) AS counts, sum(n)::integer AS total
        FROM (SELECT c.district_id, ic.category, count(DISTINCT ic.id) AS n
              FROM incident_cells ic JOIN risk.cells c ON c.cell = ic.cell
              GROUP BY c.district_id, ic.category) per_category
        GROUP BY district_id
    ) cnt ON cnt.district_id = d.id;
    RETURN (SELECT count(*) FROM risk.district_risk);
END;
$$;

-- Empirical hour-of-week profile (mean 1, lightly smoothed with the neighbouring hours),
-- written only when no model-fitted profile exists. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_empirical_hour_profile(as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM risk.hour_of_week_profile WHERE source = 'model') THEN
        RETURN 0;
    END IF;
    DELETE FROM risk.hour_of_week_profile;
    INSERT INTO risk.hour_of_week_profile (hour_of_week, factor, source)
    SELECT h, (s.smoothed / greatest(avg(s.smoothed) OVER (), 1e-9))::real, 'empirical'
    FROM (
        SELECT h.h, (coalesce(c.prev, 0) + 2 * coalesce(c.n, 0) + coalesce(c.next, 0) + 1)
               AS smoothed
        FROM generate_series(0, 167) AS h(h)
        LEFT JOIN (
            SELECT how, n, lag(n) OVER w AS prev, lead(n) OVER w AS next
            FROM (SELECT g.how, count(i.id) AS n
                  FROM generate_series(0, 167) AS g(how)
                  LEFT JOIN raw.incidents i
                    ON risk.hour_of_week(i.occurred_at) = g.how
                   AND i.occurred_at > as_of - interval '2 years' AND i.occurred_at <= as_of
                  GROUP BY g.how) counts
            WINDOW w AS (ORDER BY how)
        ) c ON c.how = h.h
    ) s;
    RETURN 168;
END;
$$;

-- The whole refresh, one transaction, never two at once: cells -> mass -> cell risk ->
-- district risk -> hour profile -> new generation; ANALYZE after each table.
-- Returns the new generation id. Raises 55P03 when another refresh holds the lock.
CREATE OR REPLACE FUNCTION risk.refresh_all(p_as_of timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    as_of timestamptz;
    located real;
    model text;
    generation bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('halo.risk.refresh')) THEN
        RAISE EXCEPTION 'a risk refresh is already running' USING ERRCODE = '55P03';
    END IF;
    as_of := coalesce(p_as_of,
                      least(now(), (SELECT max(first_seen_at) FROM raw.incidents)), now());
    SELECT version INTO model FROM risk.model_runs ORDER BY trained_at DESC LIMIT 1;

    PERFORM risk.rebuild_cells((SELECT base_resolution FROM risk.parameters));
    ANALYZE risk.cells;
    located := risk.rebuild_cell_mass(as_of);
    ANALYZE risk.cell_mass;
    PERFORM risk.rebuild_cell_risk(model);
    ANALYZE risk.cell_risk;
    PERFORM risk.rebuild_district_risk();
    ANALYZE risk.district_risk;
    PERFORM risk.rebuild_empirical_hour_profile(as_of);

    INSERT INTO risk.generations (as_of, located_incidents, located_share, model_version)
    VALUES (as_of, (SELECT count(DISTINCT id) FROM incident_cells), located, model)
    RETURNING id INTO generation;
    RETURN generation;
END;
$$;


-- ==== sql/073_risk_features.sql ====
-- Features of the statsmodels model, computed in SQL: counts per resolution-8 cell and
-- week from what was known at `cutoff`, with lags, decayed sums of the cell and its ring,
-- the district rate and seasonality. Used by the nightly retrain and the backtest.

-- Incident counts (support shares) per resolution-8 cell and week before cutoff:
-- week_no 0 .. n_weeks - 1, oldest first; week n_weeks starts at cutoff. STABLE.
CREATE OR REPLACE FUNCTION risk.cell_week_counts(cutoff timestamptz, n_weeks integer)
RETURNS TABLE (cell h3index, week_no integer, n double precision)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    SELECT h3_cell_to_parent(s.cell, 8),
           n_weeks - ceil(extract(epoch FROM cutoff - s.occurred) / 604800.0)::integer,
           sum(s.share)
    FROM risk.incident_shares(cutoff, cutoff - make_interval(days => 7 * n_weeks), cutoff) s
    GROUP BY 1, 2;
END;

-- One row per resolution-8 cell of the study area and week_no 0 .. n_weeks (the last is the
-- week to predict: observed is NULL). Features use only weeks before the row's week: the
-- last 52 weeks' count and a decayed sum (half-life 13 weeks) of the cell, the decayed sum
-- of its first ring, its district's decayed rate, the season. (Last-week and last-4-week
-- counts were tried and dropped: with ~16 located incidents a week in the city they only
-- added noise in the backtest.) STABLE.
CREATE OR REPLACE FUNCTION risk.cell_week_features(cutoff timestamptz, n_weeks integer)
RETURNS TABLE (cell h3index, district_id integer, week_no integer, week_start timestamptz,
               observed double precision, last52 double precision, decayed double precision,
               ring_decayed double precision, district_rate double precision,
               woy_sin double precision, woy_cos double precision, area_km2 double precision)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    WITH cells8 AS (
        SELECT c.cell, c.district_id, c.area_km2 FROM risk.cells c WHERE c.resolution = 8
    ),
    counts AS (SELECT * FROM risk.cell_week_counts(cutoff, n_weeks)),
    grid AS (
        SELECT c.cell, c.district_id, c.area_km2, w.week_no,
               CASE WHEN w.week_no < n_weeks THEN coalesce(k.n, 0) END AS y,
               coalesce(k.n, 0) AS y0
        FROM cells8 c
        CROSS JOIN generate_series(0, n_weeks) AS w(week_no)
        LEFT JOIN counts k ON k.cell = c.cell AND k.week_no = w.week_no
    ),
    lagged AS (
        SELECT g.*,
               sum(g.y0) OVER (w ROWS BETWEEN 52 PRECEDING AND 1 PRECEDING) AS last52,
               -- sum_{j<t} y_j * lambda^(t-1-j), lambda = 0.5^(1/13), via a running sum.
               power(0.5, (g.week_no - 1) / 13.0)
                 * sum(g.y0 * power(0.5, -g.week_no / 13.0))
                   OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS decayed
        FROM grid g
        WINDOW w AS (PARTITION BY g.cell ORDER BY g.week_no)
    ),
    ring AS (
        SELECT l.cell, l.week_no, avg(nb.decayed) AS ring_decayed
        FROM lagged l
        CROSS JOIN LATERAL h3_grid_disk(l.cell, 1) AS disk(cell)
        JOIN lagged nb ON nb.cell = disk.cell AND nb.week_no = l.week_no
        WHERE disk.cell <> l.cell
        GROUP BY l.cell, l.week_no
    ),
    district AS (
        SELECT l.district_id, l.week_no, sum(l.decayed) / sum(l.area_km2) AS rate
        FROM lagged l GROUP BY l.district_id, l.week_no
    )
    SELECT l.cell, l.district_id, l.week_no,
           cutoff - make_interval(days => 7 * (n_weeks - l.week_no)),
           l.y, coalesce(l.last52, 0),
           coalesce(l.decayed, 0), coalesce(r.ring_decayed, 0), coalesce(d.rate, 0),
           sin(2 * pi() * extract(doy FROM cutoff - make_interval(days => 7 * (n_weeks - l.week_no))) / 365.25),
           cos(2 * pi() * extract(doy FROM cutoff - make_interval(days => 7 * (n_weeks - l.week_no))) / 365.25),
           l.area_km2
    FROM lagged l
    LEFT JOIN ring r ON r.cell = l.cell AND r.week_no = l.week_no
    LEFT JOIN district d ON d.district_id = l.district_id AND d.week_no = l.week_no
    ORDER BY l.week_no, l.cell;
END;


-- ==== sql/074_risk_jobs.sql ====
-- The API's one way to start the nightly pipeline: queue a run for the scheduler. The API
-- role may call this function but may not write ops.job_runs itself. Idempotent.

-- Queue a nightly run unless one is already queued or running; returns that run's id and
-- whether it was newly queued. SECURITY DEFINER (owner's rights), VOLATILE.
CREATE OR REPLACE FUNCTION ops.request_nightly_run(OUT run_id bigint, OUT queued boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Serialise concurrent requests so two callers cannot both queue a run.
    PERFORM pg_advisory_xact_lock(hashtext('halo.ops.request_nightly_run'));
    SELECT id INTO run_id FROM ops.job_runs
    WHERE kind = 'nightly' AND status IN ('queued', 'running')
    ORDER BY id DESC LIMIT 1;
    IF FOUND THEN
        queued := false;
        RETURN;
    END IF;
    INSERT INTO ops.job_runs (kind, status) VALUES ('nightly', 'queued') RETURNING id INTO run_id;
    queued := true;
END;
$$;
REVOKE ALL ON FUNCTION ops.request_nightly_run() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.request_nightly_run() TO halo_api;
COMMENT ON FUNCTION ops.request_nightly_run() IS
    'Queue a nightly run (retrain, refresh, backtest) for the scheduler; one at a time.';


-- ==== sql/075_analytics_risk.sql ====
-- Analytics views of the risk tables for QGIS (read-only analyst role): a stable integer
-- key, typed EPSG:4326 geometries, comments that QGIS shows as layer abstracts. Idempotent.

CREATE OR REPLACE VIEW analytics.cell_risk AS
SELECT r.cell::bigint AS id, r.cell::text AS h3_cell, r.resolution, r.district_id,
       d.name AS district, r.area_km2, r.observed, r.expected, r.relative_risk, r.rr_lower,
       r.rr_upper, r.risk_score, r.evidence, r.trend, r.expected_week, r.category_mass,
       r.geom::geometry(Polygon, 4326) AS geom
FROM risk.cell_risk r
LEFT JOIN ref.districts d ON d.id = r.district_id;
COMMENT ON VIEW analytics.cell_risk IS
    'Risk per H3 cell (resolutions 7-9; filter on resolution). risk_score = RR_lo/(1+RR_lo): 0.6 means at least 1.5x the city rate with confidence. evidence: point (exact locations) or inferred (spread from district-level locations).';

CREATE OR REPLACE VIEW analytics.district_risk AS
SELECT d.id, d.name, r.observed, r.expected, r.relative_risk, r.rr_lower, r.rr_upper,
       r.risk_score, r.evidence, r.incidents, r.incident_counts, r.trend, r.expected_week,
       d.area_km2, d.geom::geometry(MultiPolygon, 4326) AS geom
FROM ref.districts d
JOIN risk.district_risk r ON r.district_id = d.id;
COMMENT ON VIEW analytics.district_risk IS
    'Risk per Stockholm district (stadsdel), same meaning as analytics.cell_risk; incident counts by category over the window.';

CREATE OR REPLACE VIEW analytics.model_metrics AS
SELECT b.id, b.model_version, m.trained_at, m.family, b.level, b.method, b.metric,
       b.area_pct, b.value, b.computed_at
FROM risk.backtest_results b
LEFT JOIN risk.model_runs m ON m.version = b.model_version;
COMMENT ON VIEW analytics.model_metrics IS
    'Rolling-origin backtest metrics per model version: hit rate and PAI by area share, calibration by decile, alert-zone stability; the model beside the uniform, last-52-week and ring-KDE baselines.';


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


-- ==== sql/090_grants.sql ====
-- Privileges: the API role reads reference and risk data and writes reports; the analyst
-- role reads reference, risk and analytics data only. Idempotent (GRANT repeats are no-ops).

GRANT USAGE ON SCHEMA ref, raw, risk, tiles, ops TO halo_api;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO halo_api;
GRANT SELECT ON raw.incidents TO halo_api;
GRANT SELECT, INSERT ON raw.user_reports TO halo_api;
GRANT UPDATE (moderation_status, moderated_at) ON raw.user_reports TO halo_api;
GRANT SELECT ON ops.job_runs TO halo_api;
GRANT SELECT ON public.alembic_version TO halo_api;

GRANT USAGE ON SCHEMA ref, risk, analytics TO halo_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ref, risk, analytics TO halo_analyst;


-- ==== sql/095_push.sql ====
-- Push notifications: registered devices (push tokens sealed by the application, secrets
-- hashed), the districts each follows, and the outbox of messages with its unique
-- (device, kind, subject) key that makes dispatch idempotent. The API role reaches devices
-- only through the SECURITY DEFINER functions at the end; the dispatch job (owner) does the
-- rest. No location of a person is stored: a device names districts, never where it is.
-- Idempotent.

CREATE SCHEMA IF NOT EXISTS push;
COMMENT ON SCHEMA push IS
    'Push notifications: registered devices, the districts they follow, the outbox of messages.';

CREATE TABLE IF NOT EXISTS push.devices (
    id uuid PRIMARY KEY,
    token_lookup bytea NOT NULL UNIQUE CHECK (length(token_lookup) = 32),
    token_sealed bytea NOT NULL CHECK (length(token_sealed) BETWEEN 30 AND 1024),
    secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
    platform text NOT NULL CHECK (platform IN ('ios', 'android', 'web')),
    language text NOT NULL CHECK (language IN ('sv', 'en')),
    threat_levels text[] NOT NULL
        CHECK (threat_levels <@ ARRAY['critical', 'high', 'info']::text[]),
    quiet_start time,
    quiet_end time,
    daily_cap smallint CHECK (daily_cap BETWEEN 1 AND 50),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT devices_quiet_hours_complete CHECK (
        (quiet_start IS NULL) = (quiet_end IS NULL)
        AND (quiet_start IS NULL OR quiet_start <> quiet_end))
);
COMMENT ON TABLE push.devices IS
    'Devices registered for push messages: the Expo push token sealed (AES-GCM, key outside the database) with a keyed hash for lookups, the SHA-256 of the device secret, language, quiet hours, threat levels.';
COMMENT ON COLUMN push.devices.token_lookup IS
    'HMAC-SHA-256 of the push token: finds a re-registered token without storing it in clear.';
COMMENT ON COLUMN push.devices.token_sealed IS
    'The push token encrypted by the application (version byte, nonce, AES-GCM ciphertext bound to the device id).';
COMMENT ON COLUMN push.devices.quiet_start IS
    'Start of the quiet hours, local time (Europe/Stockholm); the window may wrap past midnight.';
COMMENT ON COLUMN push.devices.daily_cap IS
    'Most visible messages in 24 hours the device asked for; the server''s cap applies when lower.';

CREATE TABLE IF NOT EXISTS push.device_districts (
    device_id uuid NOT NULL REFERENCES push.devices (id) ON DELETE CASCADE,
    district_id integer NOT NULL REFERENCES ref.districts (id) ON DELETE CASCADE,
    PRIMARY KEY (device_id, district_id)
);
CREATE INDEX IF NOT EXISTS device_districts_district_id_idx
    ON push.device_districts (district_id);
COMMENT ON TABLE push.device_districts IS
    'The districts a device follows (home, work; a few at most).';

CREATE TABLE IF NOT EXISTS push.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id uuid NOT NULL REFERENCES push.devices (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('incident', 'refresh', 'moderation')),
    subject_id bigint NOT NULL,
    district_id integer REFERENCES ref.districts (id) ON DELETE SET NULL,
    threat_level text CHECK (threat_level IN ('critical', 'high', 'info')),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'delivered', 'failed', 'suppressed')),
    reason text CHECK (reason ~ '^[A-Za-z0-9_]{1,64}$'),
    attempts smallint NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    ticket_id text CHECK (length(ticket_id) BETWEEN 1 AND 200),
    receipt_at timestamptz,
    CONSTRAINT outbox_device_id_kind_subject_id_key UNIQUE (device_id, kind, subject_id)
);
CREATE INDEX IF NOT EXISTS outbox_due_idx ON push.outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS outbox_awaiting_receipt_idx ON push.outbox (sent_at)
    WHERE status = 'sent' AND receipt_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_created_at_idx ON push.outbox (created_at);
COMMENT ON TABLE push.outbox IS
    'One row per device and thing to tell (an incident, a risk generation, a report''s moderation): at most one message each, whatever the retries.';
COMMENT ON COLUMN push.outbox.subject_id IS
    'raw.incidents.id (incident), risk.generations.id (refresh) or raw.user_reports.id (moderation).';
COMMENT ON COLUMN push.outbox.status IS
    'pending (due at next_attempt_at), sending (claimed), sent (ticket), delivered (receipt ok), failed, suppressed (quiet hours, daily cap, superseded).';
COMMENT ON COLUMN push.outbox.reason IS
    'Why a message was suppressed or failed: a code (quiet_hours, daily_cap, DeviceNotRegistered, ...), never the service''s text.';

-- The threat level of a severity in [0, 1]: critical, high or info by the given minimums
-- (critical_min >= high_min >= info_min); NULL below info_min. IMMUTABLE.
CREATE OR REPLACE FUNCTION push.threat_level(
    severity double precision, critical_min double precision, high_min double precision,
    info_min double precision
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN severity >= critical_min THEN 'critical'
    WHEN severity >= high_min THEN 'high'
    WHEN severity >= info_min THEN 'info'
END;
COMMENT ON FUNCTION push.threat_level(double precision, double precision, double precision,
                                      double precision) IS
    'critical / high / info of a severity under the given minimums; NULL below info.';

-- Whether `at_time` falls in the quiet hours [quiet_start, quiet_end) read as local times of
-- `time_zone`; a window whose start is after its end wraps past midnight. No quiet hours:
-- false. STABLE (time zone rules).
CREATE OR REPLACE FUNCTION push.in_quiet_hours(
    quiet_start time, quiet_end time, at_time timestamptz, time_zone text
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE
    WHEN quiet_start IS NULL OR quiet_end IS NULL THEN false
    WHEN quiet_start < quiet_end THEN
        (at_time AT TIME ZONE time_zone)::time >= quiet_start
        AND (at_time AT TIME ZONE time_zone)::time < quiet_end
    ELSE
        (at_time AT TIME ZONE time_zone)::time >= quiet_start
        OR (at_time AT TIME ZONE time_zone)::time < quiet_end
END;
COMMENT ON FUNCTION push.in_quiet_hours(time, time, timestamptz, text) IS
    'True when the time lies in the local quiet-hours window (which may wrap past midnight).';

-- Police events first seen in (seen_after, seen_until] with a threat level, located to a
-- district or finer: the district given, the district of the named place (a place inside
-- one district) or the district holding the exact point. Vaguer events (municipality,
-- county, places spanning districts) and other sources never qualify. SRID 4326. STABLE.
CREATE OR REPLACE FUNCTION push.notifiable_incidents(
    seen_after timestamptz, seen_until timestamptz, critical_min double precision,
    high_min double precision, info_min double precision
) RETURNS TABLE (incident_id bigint, district_id integer, threat_level text,
                 first_seen_at timestamptz)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT i.id, located.district_id,
           push.threat_level(i.severity, critical_min, high_min, info_min), i.first_seen_at
      FROM raw.incidents i
      JOIN ref.data_sources s ON s.id = i.source_id AND s.kind = 'police_api'
      JOIN ref.incident_categories c ON c.code = i.category AND c.counts_for_risk
      LEFT JOIN ref.places p ON p.id = i.place_id
     CROSS JOIN LATERAL (
         SELECT coalesce(i.district_id, p.district_id, (
                    SELECT d.id FROM ref.districts d
                     WHERE i.location_support = 'point' AND st_intersects(d.geom, i.point_geom)
                     ORDER BY d.id LIMIT 1)) AS district_id
     ) located
     WHERE i.first_seen_at > seen_after AND i.first_seen_at <= seen_until
       AND i.location_support IN ('point', 'place', 'district')
       AND located.district_id IS NOT NULL
       AND push.threat_level(i.severity, critical_min, high_min, info_min) IS NOT NULL;
END;
COMMENT ON FUNCTION push.notifiable_incidents(timestamptz, timestamptz, double precision,
                                              double precision, double precision) IS
    'Police events first seen in (seen_after, seen_until] with a threat level and a district (district support or finer).';

-- Queue at most one message per device and incident, for the incidents first seen in the
-- max_age_s before at_time (NULL: now) and after the device registered, in the districts
-- the device follows, at the threat levels it chose. A device in its quiet hours at at_time,
-- or over its cap of visible messages in the 24 hours before, gets the row 'suppressed'
-- (quiet_hours, daily_cap), never sent later. Under the cap higher threat levels and earlier
-- events go first. One run at a time (transaction advisory lock). Returns rows queued and
-- suppressed. VOLATILE.
CREATE OR REPLACE FUNCTION push.enqueue_incident_messages(
    at_time timestamptz, max_age_s integer, server_cap integer, time_zone text,
    critical_min double precision, high_min double precision, info_min double precision
) RETURNS TABLE (queued bigint, suppressed bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    at_time := coalesce(at_time, now());
    PERFORM pg_advisory_xact_lock(hashtext('push.enqueue_incident_messages'));
    RETURN QUERY
    WITH candidates AS (
        SELECT d.id AS device_id, n.incident_id, n.district_id, n.threat_level, n.first_seen_at,
               push.in_quiet_hours(d.quiet_start, d.quiet_end, at_time, time_zone) AS quiet,
               least(coalesce(d.daily_cap, server_cap), server_cap) AS cap
          FROM push.notifiable_incidents(at_time - make_interval(secs => max_age_s),
                                         at_time,
                                         critical_min, high_min, info_min) n
          JOIN push.device_districts dd ON dd.district_id = n.district_id
          JOIN push.devices d ON d.id = dd.device_id
         WHERE n.threat_level = ANY (d.threat_levels)
           AND n.first_seen_at >= d.created_at
           AND NOT EXISTS (
               SELECT 1 FROM push.outbox o
                WHERE o.device_id = d.id AND o.kind = 'incident' AND o.subject_id = n.incident_id)
    ), ranked AS (
        SELECT c.*,
               row_number() OVER (
                   PARTITION BY c.device_id
                   ORDER BY array_position(ARRAY['critical', 'high', 'info'], c.threat_level),
                            c.first_seen_at, c.incident_id) AS nth,
               (SELECT count(*) FROM push.outbox o
                 WHERE o.device_id = c.device_id AND o.kind IN ('incident', 'moderation')
                   AND o.status IN ('pending', 'sending', 'sent', 'delivered')
                   AND o.created_at > at_time - interval '24 hours') AS used
          FROM candidates c
    ), inserted AS (
        INSERT INTO push.outbox AS o (device_id, kind, subject_id, district_id, threat_level,
                                      status, reason, created_at, next_attempt_at)
        SELECT r.device_id, 'incident', r.incident_id, r.district_id, r.threat_level,
               CASE WHEN r.quiet OR r.used + r.nth > r.cap THEN 'suppressed' ELSE 'pending' END,
               CASE WHEN r.quiet THEN 'quiet_hours'
                    WHEN r.used + r.nth > r.cap THEN 'daily_cap' END,
               at_time, at_time
          FROM ranked r
         ORDER BY r.device_id, r.nth
        ON CONFLICT ON CONSTRAINT outbox_device_id_kind_subject_id_key DO NOTHING
        RETURNING o.status
    )
    SELECT count(*) FILTER (WHERE i.status = 'pending'),
           count(*) FILTER (WHERE i.status = 'suppressed')
      FROM inserted i;
END
$$;
COMMENT ON FUNCTION push.enqueue_incident_messages(timestamptz, integer, integer, text,
                                                   double precision, double precision,
                                                   double precision) IS
    'Queue one message per device and recent severe incident in a followed district; quiet hours and daily caps suppress. Returns (queued, suppressed).';

-- Queue one data-only refresh message per device for the latest risk generation (rows
-- dated at_time, NULL: now), for the devices registered before it was made (later ones
-- downloaded it already); refreshes of older generations still waiting are superseded.
-- Returns rows queued. VOLATILE.
CREATE OR REPLACE FUNCTION push.enqueue_refresh_messages(at_time timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    latest_id bigint;
    latest_at timestamptz;
    queued bigint;
BEGIN
    at_time := coalesce(at_time, now());
    SELECT g.id, g.refreshed_at INTO latest_id, latest_at
      FROM risk.generations g ORDER BY g.id DESC LIMIT 1;
    IF latest_id IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE push.outbox o SET status = 'suppressed', reason = 'superseded'
     WHERE o.kind = 'refresh' AND o.status = 'pending' AND o.subject_id < latest_id;
    INSERT INTO push.outbox (device_id, kind, subject_id, created_at, next_attempt_at)
    SELECT d.id, 'refresh', latest_id, at_time, at_time
      FROM push.devices d
     WHERE d.created_at < latest_at
    ON CONFLICT ON CONSTRAINT outbox_device_id_kind_subject_id_key DO NOTHING;
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$$;
COMMENT ON FUNCTION push.enqueue_refresh_messages(timestamptz) IS
    'Queue one silent refresh per device for the latest risk generation; returns rows queued.';

-- Settle what must not be sent: messages left 'sending' past their lease (the sender stopped
-- after claiming them; they may have reached Expo, so they are never sent again) fail as
-- 'interrupted'; incident messages still pending after max_age_s fail as 'expired'; rows
-- older than retention_days go. Returns rows changed or deleted. VOLATILE.
CREATE OR REPLACE FUNCTION push.settle_stale_messages(max_age_s integer, retention_days integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    interrupted bigint;
    expired bigint;
    pruned bigint;
BEGIN
    UPDATE push.outbox o SET status = 'failed', reason = 'interrupted'
     WHERE o.status = 'sending' AND o.next_attempt_at < now();
    GET DIAGNOSTICS interrupted = ROW_COUNT;
    UPDATE push.outbox o SET status = 'failed', reason = 'expired'
     WHERE o.status = 'pending' AND o.kind = 'incident'
       AND o.created_at < now() - make_interval(secs => max_age_s);
    GET DIAGNOSTICS expired = ROW_COUNT;
    DELETE FROM push.outbox o WHERE o.created_at < now() - make_interval(days => retention_days);
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN interrupted + expired + pruned;
END
$$;
COMMENT ON FUNCTION push.settle_stale_messages(integer, integer) IS
    'Fail interrupted sends (at most once) and expired incident messages, prune old rows; returns rows touched.';

-- Claim up to batch_limit due messages: each becomes 'sending' with one attempt more and a
-- lease of lease_s, and is returned with what its text needs (language, category label in
-- that language, district name, event time). Concurrent senders skip each other's rows.
-- VOLATILE.
CREATE OR REPLACE FUNCTION push.claim_due_messages(batch_limit integer, lease_s integer)
RETURNS TABLE (outbox_id bigint, device_id uuid, token_sealed bytea, language text, kind text,
               subject_id bigint, threat_level text, category_label text, district_id integer,
               district_name text, event_time timestamptz)
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH due AS (
        SELECT o.id FROM push.outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= now()
         ORDER BY o.next_attempt_at, o.id
         LIMIT batch_limit
           FOR UPDATE SKIP LOCKED
    ), claimed AS (
        UPDATE push.outbox o
           SET status = 'sending', attempts = o.attempts + 1,
               next_attempt_at = now() + make_interval(secs => lease_s)
          FROM due
         WHERE o.id = due.id
        RETURNING o.id, o.device_id, o.kind, o.subject_id, o.district_id, o.threat_level
    )
    SELECT c.id, c.device_id, d.token_sealed, d.language, c.kind, c.subject_id, c.threat_level,
           CASE d.language WHEN 'sv' THEN k.label_sv ELSE k.label_en END,
           c.district_id, r.name, coalesce(i.occurred_at, i.first_seen_at)
      FROM claimed c
      JOIN push.devices d ON d.id = c.device_id
      LEFT JOIN raw.incidents i ON c.kind = 'incident' AND i.id = c.subject_id
      LEFT JOIN ref.incident_categories k ON k.code = i.category
      LEFT JOIN ref.districts r ON r.id = c.district_id
     ORDER BY c.id;
END;
COMMENT ON FUNCTION push.claim_due_messages(integer, integer) IS
    'Claim due outbox messages for sending (status sending, lease) with the data their text needs.';

-- Record accepted messages: 'sent' with Expo's ticket id (its receipt is checked later).
-- Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_sent(outbox_ids bigint[], ticket_ids text[])
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o
           SET status = 'sent', sent_at = now(), ticket_id = t.ticket_id, reason = NULL
          FROM unnest(outbox_ids, ticket_ids) AS t (outbox_id, ticket_id)
         WHERE o.id = t.outbox_id
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Record messages that will not be sent or were not delivered, each with a reason code.
-- Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_failed(outbox_ids bigint[], reasons text[])
RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o
           SET status = 'failed', reason = t.reason, receipt_at = coalesce(o.receipt_at, now())
          FROM unnest(outbox_ids, reasons) AS t (outbox_id, reason)
         WHERE o.id = t.outbox_id
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Put messages the service did not take (rate limited, unavailable) back to 'pending', due
-- after an exponential backoff (base_s doubling per attempt, at most max_s, at least
-- min_delay_s, e.g. a Retry-After); a message out of attempts fails with the reason instead.
-- Returns rows back to pending. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_for_retry(
    outbox_ids bigint[], reason text, base_s double precision, max_s double precision,
    min_delay_s double precision, max_attempts integer
) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o
           SET status = CASE WHEN o.attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
               reason = mark_for_retry.reason,
               next_attempt_at = now() + make_interval(secs => greatest(
                   min_delay_s, least(max_s, base_s * 2 ^ greatest(o.attempts - 1, 0))))
         WHERE o.id = ANY (outbox_ids)
        RETURNING o.status
    )
    SELECT count(*) FROM done WHERE done.status = 'pending';
END;

-- Record messages whose receipt said ok: 'delivered'. Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_delivered(outbox_ids bigint[]) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o SET status = 'delivered', receipt_at = now(), reason = NULL
         WHERE o.id = ANY (outbox_ids)
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Record sent messages whose receipt never came (Expo keeps receipts about a day): they stay
-- 'sent' and are not asked about again. Returns rows updated. VOLATILE.
CREATE OR REPLACE FUNCTION push.mark_receipt_missing(outbox_ids bigint[]) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH done AS (
        UPDATE push.outbox o SET receipt_at = now(), reason = 'receipt_missing'
         WHERE o.id = ANY (outbox_ids)
        RETURNING 1
    )
    SELECT count(*) FROM done;
END;

-- Sent messages whose receipt is due (sent at least min_age_s ago), oldest first; `overdue`
-- once sent more than give_up_s ago. STABLE.
CREATE OR REPLACE FUNCTION push.messages_awaiting_receipt(
    min_age_s integer, give_up_s integer, batch_limit integer
) RETURNS TABLE (outbox_id bigint, device_id uuid, ticket_id text, overdue boolean)
LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT o.id, o.device_id, o.ticket_id, o.sent_at < now() - make_interval(secs => give_up_s)
      FROM push.outbox o
     WHERE o.status = 'sent' AND o.receipt_at IS NULL AND o.ticket_id IS NOT NULL
       AND o.sent_at <= now() - make_interval(secs => min_age_s)
     ORDER BY o.sent_at, o.id
     LIMIT batch_limit;
END;

-- Remove devices the push service no longer knows (DeviceNotRegistered), with their
-- subscriptions and messages. Returns devices removed. VOLATILE.
CREATE OR REPLACE FUNCTION push.remove_devices(device_ids uuid[]) RETURNS bigint
LANGUAGE sql VOLATILE
BEGIN ATOMIC
    WITH gone AS (
        DELETE FROM push.devices d WHERE d.id = ANY (device_ids) RETURNING 1
    )
    SELECT count(*) FROM gone;
END;

-- The API's entry points. SECURITY DEFINER: the API role has no privilege on the tables, so
-- it can neither list devices nor read sealed tokens; it can only act on a device whose id
-- and secret it holds. A device follows at most 3 districts.

-- Register a device (the API makes its id, seals its token, hashes its secret). The same
-- token registering again (reinstall, lost secret) replaces the old device and all it had.
-- Unknown districts fail with 23503. Returns the id. VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.register_device(
    device_id uuid, token_lookup bytea, token_sealed bytea, secret_sha256 bytea,
    platform text, language text, threat_levels text[], quiet_start time, quiet_end time,
    daily_cap smallint, district_ids integer[]
) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(cardinality(district_ids), 0) > 3 THEN
        RAISE EXCEPTION 'a device follows at most 3 districts' USING ERRCODE = '22023';
    END IF;
    DELETE FROM push.devices d WHERE d.token_lookup = register_device.token_lookup;
    INSERT INTO push.devices (id, token_lookup, token_sealed, secret_sha256, platform, language,
                              threat_levels, quiet_start, quiet_end, daily_cap)
    VALUES (register_device.device_id, register_device.token_lookup,
            register_device.token_sealed, register_device.secret_sha256,
            register_device.platform, register_device.language,
            register_device.threat_levels, register_device.quiet_start,
            register_device.quiet_end, register_device.daily_cap);
    INSERT INTO push.device_districts (device_id, district_id)
    SELECT DISTINCT register_device.device_id, x FROM unnest(district_ids) AS x;
    RETURN register_device.device_id;
END
$$;
COMMENT ON FUNCTION push.register_device(uuid, bytea, bytea, bytea, text, text, text[], time,
                                         time, smallint, integer[]) IS
    'Register a device with its sealed token, hashed secret and preferences; a known token replaces its old device.';

-- Replace a device's token and preferences, if the secret's SHA-256 matches; another device
-- holding the same token is removed. False when no such device or the secret is wrong.
-- VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.update_device(
    device_id uuid, secret_sha256 bytea, token_lookup bytea, token_sealed bytea,
    platform text, language text, threat_levels text[], quiet_start time, quiet_end time,
    daily_cap smallint, district_ids integer[]
) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(cardinality(district_ids), 0) > 3 THEN
        RAISE EXCEPTION 'a device follows at most 3 districts' USING ERRCODE = '22023';
    END IF;
    PERFORM 1 FROM push.devices d
     WHERE d.id = update_device.device_id AND d.secret_sha256 = update_device.secret_sha256
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    DELETE FROM push.devices d
     WHERE d.token_lookup = update_device.token_lookup AND d.id <> update_device.device_id;
    UPDATE push.devices d
       SET token_lookup = update_device.token_lookup, token_sealed = update_device.token_sealed,
           platform = update_device.platform, language = update_device.language,
           threat_levels = update_device.threat_levels, quiet_start = update_device.quiet_start,
           quiet_end = update_device.quiet_end, daily_cap = update_device.daily_cap,
           updated_at = now()
     WHERE d.id = update_device.device_id;
    DELETE FROM push.device_districts dd WHERE dd.device_id = update_device.device_id;
    INSERT INTO push.device_districts (device_id, district_id)
    SELECT DISTINCT update_device.device_id, x FROM unnest(district_ids) AS x;
    RETURN true;
END
$$;
COMMENT ON FUNCTION push.update_device(uuid, bytea, bytea, bytea, text, text, text[], time,
                                       time, smallint, integer[]) IS
    'Replace a device''s token and preferences when the secret matches; false otherwise.';

-- Delete a device and everything about it (districts, messages), if the secret's SHA-256
-- matches. False when no such device or the secret is wrong. VOLATILE, SECURITY DEFINER.
CREATE OR REPLACE FUNCTION push.delete_device(device_id uuid, secret_sha256 bytea)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM push.devices d
     WHERE d.id = delete_device.device_id AND d.secret_sha256 = delete_device.secret_sha256;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION push.delete_device(uuid, bytea) IS
    'Delete a device with its districts and messages when the secret matches; false otherwise.';

-- Privileges: everything is the owner's; the API role may only call the three entry points.
-- The analyst role sees nothing of push (devices are people's, not analytics).
REVOKE ALL ON ALL TABLES IN SCHEMA push FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA push FROM PUBLIC;
GRANT USAGE ON SCHEMA push TO halo_api;
GRANT EXECUTE ON FUNCTION push.register_device(uuid, bytea, bytea, bytea, text, text, text[],
                                               time, time, smallint, integer[]) TO halo_api;
GRANT EXECUTE ON FUNCTION push.update_device(uuid, bytea, bytea, bytea, text, text, text[],
                                             time, time, smallint, integer[]) TO halo_api;
GRANT EXECUTE ON FUNCTION push.delete_device(uuid, bytea) TO halo_api;
