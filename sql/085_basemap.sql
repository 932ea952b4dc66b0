-- The base map under the risk layer: streets (OpenStreetMap, ODbL: "© OpenStreetMap
-- contributors") and water (Stockholms stad, CC0), loaded by `halo load basemap`, plus labels
-- of the districts already in ref.districts. Tables in EPSG:4326 with GiST indexes; one tile
-- function per layer in the tiles schema, generalised by zoom, in the same shape as the risk
-- tiles (080_tiles.sql). The API role has no privilege on the tables: the tile functions are
-- SECURITY DEFINER with a pinned search_path. Analysts read the tables. Idempotent.

-- Streets merged by name and class (ST_LineMerge of the OSM edges), so a street is a few
-- long lines that can carry a label, not hundreds of edges between crossings.
CREATE TABLE IF NOT EXISTS basemap.streets (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text,
    class text NOT NULL CHECK (class IN ('motorway', 'primary', 'secondary', 'tertiary', 'minor')),
    geom geometry(LineString, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS streets_geom_idx ON basemap.streets USING gist (geom);
COMMENT ON TABLE basemap.streets IS
    'OSM streets (ODbL, © OpenStreetMap contributors), merged by name and class; EPSG:4326.';

-- Water, cut into pieces of at most 256 vertices (a tile reads only the pieces it touches);
-- detail 0 as loaded, detail 1 simplified (about 30 m) for zooms below 12.
CREATE TABLE IF NOT EXISTS basemap.water (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    detail smallint NOT NULL CHECK (detail IN (0, 1)),
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS water_geom_idx ON basemap.water USING gist (geom);
COMMENT ON TABLE basemap.water IS
    'Water of Stockholm municipality (Stockholms stad, CC0), subdivided; detail 0 full, 1 simplified.';

-- The class of an OSM highway value; links take their road's class; NULL for others
-- (footways, tracks: not in the base map). IMMUTABLE.
CREATE OR REPLACE FUNCTION basemap.street_class(highway text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE regexp_replace(highway, '_link$', '')
    WHEN 'motorway' THEN 'motorway' WHEN 'trunk' THEN 'motorway'
    WHEN 'primary' THEN 'primary' WHEN 'secondary' THEN 'secondary'
    WHEN 'tertiary' THEN 'tertiary'
    WHEN 'residential' THEN 'minor' WHEN 'unclassified' THEN 'minor'
    WHEN 'living_street' THEN 'minor' WHEN 'road' THEN 'minor'
END;

-- Smallest zoom at which a street class is drawn. IMMUTABLE.
CREATE OR REPLACE FUNCTION basemap.street_minzoom(class text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE class WHEN 'motorway' THEN 8 WHEN 'primary' THEN 10 WHEN 'secondary' THEN 11
                  WHEN 'tertiary' THEN 12 ELSE 13 END;

-- Replace every street with the LineString features of a GeoJSON feature array (properties
-- name, highway); returns the number of merged lines written. One transaction with the
-- caller's: a failed load leaves the previous streets. VOLATILE.
CREATE OR REPLACE FUNCTION basemap.replace_streets(features jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp AS $$
DECLARE
    written integer;
BEGIN
    DELETE FROM basemap.streets;
    INSERT INTO basemap.streets (name, class, geom)
    SELECT m.name, m.class, m.geom
      FROM (SELECT e.name, e.class, (st_dump(st_linemerge(st_collect(e.geom)))).geom AS geom
              FROM (SELECT nullif(btrim(f -> 'properties' ->> 'name'), '') AS name,
                           basemap.street_class(f -> 'properties' ->> 'highway') AS class,
                           st_setsrid(st_geomfromgeojson(f ->> 'geometry'), 4326) AS geom
                      FROM jsonb_array_elements(features) f
                     WHERE f -> 'geometry' ->> 'type' IN ('LineString', 'MultiLineString')) e
             WHERE e.class IS NOT NULL
             GROUP BY e.name, e.class) m
     WHERE geometrytype(m.geom) = 'LINESTRING';
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END;
$$;

-- Replace the water with the polygons of a GeoJSON feature array, made valid and subdivided,
-- at both details; returns the number of pieces written. VOLATILE.
CREATE OR REPLACE FUNCTION basemap.replace_water(features jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp AS $$
DECLARE
    written integer;
BEGIN
    DELETE FROM basemap.water;
    WITH whole AS (
        SELECT st_collectionextract(st_makevalid(st_collect(
                   st_setsrid(st_geomfromgeojson(f ->> 'geometry'), 4326))), 3) AS geom
          FROM jsonb_array_elements(features) f
         WHERE f -> 'geometry' ->> 'type' IN ('Polygon', 'MultiPolygon')
    ), details AS (
        SELECT 0 AS detail, geom FROM whole
        UNION ALL
        SELECT 1, st_collectionextract(st_makevalid(st_simplifypreservetopology(geom, 0.0003)), 3)
          FROM whole
    )
    INSERT INTO basemap.water (detail, geom)
    SELECT d.detail, p.geom
      FROM details d
     CROSS JOIN LATERAL st_subdivide(d.geom, 256) AS p(geom)
     WHERE NOT st_isempty(p.geom) AND geometrytype(p.geom) = 'POLYGON';
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END;
$$;

-- Layer "water": water polygons, the simplified detail below zoom 12. EPSG:3857 out,
-- EPSG:4326 filter. STABLE, PARALLEL SAFE, SECURITY DEFINER (reads basemap).
CREATE OR REPLACE FUNCTION tiles.tile_water(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT SECURITY DEFINER
SET jit = off SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (
    SELECT coalesce(st_asmvt(t.*, 'water', 4096, 'geom'), '\x'::bytea)
    FROM (
        SELECT st_asmvtgeom(st_transform(w.geom, 3857), st_tileenvelope(z, x, y), 4096, 64,
                            true) AS geom
        FROM basemap.water w
        WHERE w.detail = CASE WHEN z < 12 THEN 1 ELSE 0 END
          AND w.geom && (SELECT tiles.envelope_4326(z, x, y))
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_water(integer, integer, integer) IS
    'MVT layer "water": water polygons (no attributes); simplified below zoom 12.';

-- Layer "streets": streets of the classes shown at zoom z (basemap.street_minzoom), with
-- name and class, simplified to about one tile pixel below zoom 15. EPSG:3857 out, EPSG:4326
-- filter. STABLE, PARALLEL SAFE, SECURITY DEFINER (reads basemap).
CREATE OR REPLACE FUNCTION tiles.tile_streets(z integer, x integer, y integer) RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT SECURITY DEFINER
SET jit = off SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (
    SELECT coalesce(st_asmvt(t.*, 'streets', 4096, 'geom', 'id'), '\x'::bytea)
    FROM (
        SELECT s.id, s.name, s.class,
               st_asmvtgeom(st_transform(CASE WHEN z < 15
                                              THEN st_simplify(s.geom, 360.0 / 2 ^ z / 4096)
                                              ELSE s.geom END, 3857),
                            st_tileenvelope(z, x, y), 4096, 64, true) AS geom
        FROM basemap.streets s
        WHERE basemap.street_minzoom(s.class) <= z
          AND s.geom && (SELECT tiles.envelope_4326(z, x, y))
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_streets(integer, integer, integer) IS
    'MVT layer "streets": name, class (motorway|primary|secondary|tertiary|minor); classes by zoom; id = street id.';

-- The lon/lat box of one base-map layer's data ('water' or 'streets'): the bounds of its
-- TileJSON, so the web map shows that layer (and its credit) only over it. No row when the
-- layer is empty or not a base-map layer. Reads the whole table (a few ms for the Stockholm
-- base map); the API calls it once per tile generation. STABLE, SECURITY DEFINER (the API
-- role does not read basemap).
CREATE OR REPLACE FUNCTION tiles.basemap_bounds(layer text)
RETURNS TABLE (west double precision, south double precision,
               east double precision, north double precision)
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = public, pg_temp
BEGIN ATOMIC
    SELECT st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e)
      FROM (SELECT CASE layer WHEN 'water' THEN (SELECT st_extent(geom) FROM basemap.water)
                              WHEN 'streets' THEN (SELECT st_extent(geom) FROM basemap.streets)
                   END AS e) extent
     WHERE e IS NOT NULL;
END;
COMMENT ON FUNCTION tiles.basemap_bounds(text) IS
    'Lon/lat box (west, south, east, north) of base-map layer water or streets; no row if empty.';

-- Layer "district_labels": one point per district (ST_PointOnSurface: always inside, unlike a
-- centroid) with its name and area, for name labels. EPSG:3857 out, EPSG:4326 filter.
-- STABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION tiles.tile_district_labels(z integer, x integer, y integer)
RETURNS bytea
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET jit = off SET search_path = public, pg_temp AS $$
BEGIN
    RETURN (
    SELECT coalesce(st_asmvt(t.*, 'district_labels', 4096, 'geom', 'id'), '\x'::bytea)
    FROM (
        SELECT d.id, d.name, round(d.area_km2::numeric, 2)::double precision AS area_km2,
               st_asmvtgeom(st_transform(st_pointonsurface(d.geom), 3857),
                            st_tileenvelope(z, x, y), 4096, 0, true) AS geom
        FROM ref.districts d
        WHERE d.geom && (SELECT tiles.envelope_4326(z, x, y))
    ) t
    WHERE t.geom IS NOT NULL);
END;
$$;
COMMENT ON FUNCTION tiles.tile_district_labels(integer, integer, integer) IS
    'MVT layer "district_labels": a point inside each district with name and area_km2; id = district id.';
