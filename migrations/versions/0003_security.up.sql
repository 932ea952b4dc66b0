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
