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
