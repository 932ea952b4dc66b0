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

CREATE TABLE IF NOT EXISTS ref.cities (
    id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,40}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    boundary geometry(MultiPolygon, 4326) CHECK (boundary IS NULL OR ST_IsValid(boundary)),
    municipality_codes text[] NOT NULL DEFAULT '{}',
    view_lat double precision CHECK (view_lat BETWEEN -85 AND 85),
    view_lon double precision CHECK (view_lon BETWEEN -180 AND 180),
    view_zoom real CHECK (view_zoom BETWEEN 0 AND 22),
    updated_at timestamptz NOT NULL DEFAULT now(),
    alert_area real NOT NULL DEFAULT 0.05 CHECK (alert_area > 0 AND alert_area <= 0.5),
    emergency_number text CHECK (emergency_number ~ '^\+?[0-9][0-9 -]{0,18}[0-9]$'),
    police_number text CHECK (police_number ~ '^\+?[0-9][0-9 -]{0,18}[0-9]$'),
    CHECK ((view_lat IS NULL) = (view_lon IS NULL) AND (view_lat IS NULL) = (view_zoom IS NULL))
);
CREATE INDEX IF NOT EXISTS cities_boundary_idx ON ref.cities USING gist (boundary);
COMMENT ON TABLE ref.cities IS
    'A city or region Halo computes risk for: its boundary (the study area; NULL: the cells where its sources have located incidents, plus one ring), IANA time zone (hour-of-week, local days), the SCB codes of the municipalities it covers (municipality-only events count in its located share) and its default map view. Written by `halo city add` (ref.upsert_city).';
COMMENT ON COLUMN ref.cities.time_zone IS 'IANA name, one of pg_timezone_names (checked by ref.upsert_city).';
COMMENT ON COLUMN ref.cities.emergency_number IS
    'The emergency number residents of the city are told to call (`halo city add --emergency`, e.g. 112, 911); NULL: the app and web map say 112, which mobile phones route to the local emergency service almost everywhere.';
COMMENT ON COLUMN ref.cities.police_number IS
    'The police''s non-emergency number (`halo city add --police`, e.g. 114 14); NULL: none is shown.';
COMMENT ON COLUMN ref.cities.alert_area IS
    'Largest share of the city''s area its alert zones (risk_score >= risk.parameters.alert_threshold) may cover at any H3 level the alert zones serve (0.05 = 5 %; `halo city add --alert-area`). Each refresh picks the city''s reference multiple (risk.city_rates.alert_multiple) to keep within it.';

CREATE TABLE IF NOT EXISTS ref.data_sources (
    id smallint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_:.-]+$'),
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('police_api', 'user_reports', 'points_file')),
    reliability real NOT NULL DEFAULT 0.5 CHECK (reliability >= 0 AND reliability <= 1),
    attribution text,
    created_at timestamptz NOT NULL DEFAULT now(),
    city_id smallint REFERENCES ref.cities (id) ON DELETE SET NULL
);
COMMENT ON TABLE ref.data_sources IS
    'Where incidents come from, with the reliability used when sources are fused.';
COMMENT ON COLUMN ref.data_sources.city_id IS
    'The city whose incidents the source publishes (a city without a boundary takes its study area from them); NULL: the city is found by location.';

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
    municipality_code text REFERENCES ref.municipalities (code),
    geom geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    area_km2 double precision NOT NULL CHECK (area_km2 > 0),
    source text NOT NULL,
    city_id smallint REFERENCES ref.cities (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS districts_geom_idx ON ref.districts USING gist (geom);
CREATE INDEX IF NOT EXISTS districts_city_id_idx ON ref.districts (city_id);
COMMENT ON TABLE ref.districts IS
    'Neighborhoods: a city''s optional district layer (e.g. the stadsdelar of Stockholm, water removed).';
COMMENT ON COLUMN ref.districts.city_id IS
    'The city the district belongs to (the one whose boundary holds its point on surface, or the one named by `halo city add --districts`); NULL: no city, not part of the risk tables.';
COMMENT ON COLUMN ref.districts.municipality_code IS
    'The municipality holding the district''s point on surface, when municipalities are loaded.';

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

-- The time zone of the city at a point (lon/lat, SRID 4326): the city whose boundary or one
-- of whose districts holds it, else the city with the nearest default view, else UTC. For
-- local days and weeks of things that have a place but no city (reports, tile points). STABLE.
CREATE OR REPLACE FUNCTION ref.time_zone_at(pt geometry) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = public, pg_temp AS $$
    SELECT coalesce(
        (SELECT c.time_zone FROM ref.cities c
          WHERE c.boundary && pt AND ST_Intersects(c.boundary, pt) ORDER BY c.id LIMIT 1),
        (SELECT c.time_zone FROM ref.districts d JOIN ref.cities c ON c.id = d.city_id
          WHERE d.geom && pt AND ST_Intersects(d.geom, pt) ORDER BY d.id LIMIT 1),
        (SELECT c.time_zone FROM ref.cities c WHERE c.view_lat IS NOT NULL
          ORDER BY ST_Distance(ST_SetSRID(ST_MakePoint(c.view_lon, c.view_lat), 4326), pt), c.id
          LIMIT 1),
        'UTC');
$$;
COMMENT ON FUNCTION ref.time_zone_at(geometry) IS
    'Time zone of the city at a lon/lat point (boundary, then districts, then nearest default view), else UTC.';
