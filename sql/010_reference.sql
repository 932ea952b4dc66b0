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
    ('non_incident', 'Summary or notice', 'Sammanfattning eller information', 0.0, false),
    ('unmapped', 'Unmapped source type', 'Ej kategoriserad typ', 0.0, false)
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
