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
-- Privileges: the API role reads reference and risk data and writes reports; the analyst
-- role reads reference, risk and analytics data only. Idempotent (GRANT repeats are no-ops).

GRANT USAGE ON SCHEMA ref, raw, risk, tiles, ops TO halo_api;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO halo_api;
GRANT SELECT ON raw.incidents TO halo_api;
GRANT SELECT, INSERT ON raw.user_reports TO halo_api;
GRANT UPDATE (moderation_status, moderated_at) ON raw.user_reports TO halo_api;
GRANT SELECT ON ops.job_runs TO halo_api;
GRANT SELECT, UPDATE (last_used_at) ON ops.api_keys TO halo_api;
GRANT SELECT ON public.alembic_version TO halo_api;

GRANT USAGE ON SCHEMA ref, risk, analytics TO halo_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ref, risk, analytics TO halo_analyst;

-- Tables and views the owner adds later in these schemas are readable the same way.
ALTER DEFAULT PRIVILEGES IN SCHEMA ref, risk
    GRANT SELECT ON TABLES TO halo_api, halo_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics
    GRANT SELECT ON TABLES TO halo_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA tiles
    GRANT EXECUTE ON FUNCTIONS TO halo_api;
