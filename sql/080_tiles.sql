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

-- Layer "incidents", from zoom 13 only. Below zoom 16, counts: one point per H3 cell (at the
-- cell centre; resolution base-1 at zoom 13, the base at 14-15) with the number of incidents
-- of the current generation's window there, read from risk.incident_counts (rebuilt by the
-- refresh), so a tile costs a few hundred rows whatever the number of incidents (at 10M
-- incidents a z13 tile of points took 4.9 s against the 5 s statement timeout). A cell is in
-- the tile holding its centre (and in the neighbours' buffers), so the counts of a tile
-- cover add up to the total. Properties: count, places (of which at a named place), h3,
-- resolution; id = cell::bigint.
-- From zoom 16, the points: what may be shown of the incidents of the window (first seen by
-- the generation's as_of, occurred within risk.parameters.window_days): category, ISO week and
-- month (in the time zone of the city at the tile's centre), precision and radius. Exact points for point support; a named
-- place's point, marked precision "place" with its radius, for place support; district,
-- municipality and county support are never drawn as points. No text.
-- A dense zoom-16 tile (more than 2,000 located incidents of any time in its envelope:
-- counted on the GiST index, stopping at 2,001) draws the base-resolution counts instead: the
-- points query sorts every incident of its envelope by time, which over a hot spot of 10M
-- incidents (226,000 in one tile at 3M) approached the 5 s statement timeout. It draws every
-- base cell overlapping the tile, at the cell's centre even when that lies in a neighbour
-- (within one tile; the MVT buffer is widened to keep it), so an incident near the edge is
-- never lost: a non-dense neighbour draws its own incidents as points, which may then be
-- counted in the dense tile's cell as well. So no tile reads more than 2,001 index entries
-- plus 2,000 incidents or a few cells.
-- EPSG:3857 out, EPSG:4326 filter. STABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION tiles.tile_incidents(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
-- No bitmap scans: a bitmap index scan collects every match before the LIMIT of the density
-- check applies (753,841 index entries, 160 ms, over the 10M hot spot); a plain index scan
-- stops at 2,001.
SET jit = off SET enable_bitmapscan = off SET search_path = public, pg_temp AS $$
DECLARE
    points_cap CONSTANT integer := 2000;
    dense boolean := false;
BEGIN
    IF z >= 16 THEN
        dense := (SELECT count(*) FROM (
                      SELECT 1 FROM raw.incidents i
                      WHERE i.point_geom && (SELECT tiles.envelope_4326(z, x, y))
                      LIMIT points_cap + 1) d) > points_cap;
    END IF;
    IF z < 16 OR dense THEN
        RETURN (
        SELECT coalesce(st_asmvt(t.*, 'incidents', 4096, 'geom', 'id'), '\x'::bytea)
        FROM (
            SELECT c.cell::bigint AS id,
                   c.incidents AS count,
                   c.places,
                   c.cell::text AS h3,
                   c.resolution::integer AS resolution,
                   st_asmvtgeom(st_transform(c.geom, 3857), st_tileenvelope(z, x, y), 4096,
                                CASE WHEN dense THEN 4096 ELSE 64 END, true) AS geom
            FROM risk.incident_counts c
            WHERE z >= 13
              AND c.resolution = (SELECT p.base_resolution - CASE WHEN z <= 13 THEN 1 ELSE 0 END
                                  FROM risk.parameters p)
              AND c.geom && (SELECT CASE WHEN dense
                                         THEN st_expand(e, 360.0 / 2 ^ z, 360.0 / 2 ^ z)
                                         ELSE e END
                             FROM tiles.envelope_4326(z, x, y) e)
              AND (NOT dense
                   OR st_intersects(st_geomfromewkb(h3_cell_to_boundary_wkb(c.cell)),
                                    tiles.envelope_4326(z, x, y)))
        ) t
        WHERE t.geom IS NOT NULL);
    END IF;
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
        CROSS JOIN (SELECT ref.time_zone_at(st_centroid(tiles.envelope_4326(z, x, y))) AS name)
            AS tz
        CROSS JOIN LATERAL (
            SELECT risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                   AS happened,
                   risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                   AT TIME ZONE tz.name AS local_time
        ) w
        WHERE i.location_support IN ('point', 'place')
          AND i.point_geom && (SELECT tiles.envelope_4326(z, x, y))
          AND i.first_seen_at <= gen.as_of
          AND w.happened > gen.as_of - make_interval(days => p.window_days)
          AND w.happened <= gen.as_of
        -- At most points_cap incidents reach here (denser tiles drew counts above); the
        -- limit stays as a guard.
        ORDER BY w.happened DESC
        LIMIT points_cap
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_incidents(integer, integer, integer) IS
    'MVT layer "incidents" (z >= 13): counts per H3 cell (count, places, h3, resolution; id = cell) below zoom 16 and in zoom-16 tiles holding more than 2,000 located incidents; otherwise from 16 points with category, week, month, precision (point|place), radius_m of the current window; no text; id = incident id.';
