-- Downgrade of 0010_dense_incident_tiles: undo the hand-written part first (reverse order), then:
CREATE OR REPLACE FUNCTION tiles.tile_incidents(z integer, x integer, y integer)
 RETURNS bytea
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE STRICT
 SET jit TO 'off'
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
    IF z < 16 THEN
        RETURN (
        SELECT coalesce(st_asmvt(t.*, 'incidents', 4096, 'geom', 'id'), '\x'::bytea)
        FROM (
            SELECT c.cell::bigint AS id,
                   c.incidents AS count,
                   c.places,
                   c.cell::text AS h3,
                   c.resolution::integer AS resolution,
                   st_asmvtgeom(st_transform(c.geom, 3857), st_tileenvelope(z, x, y), 4096, 64,
                                true) AS geom
            FROM risk.incident_counts c
            WHERE z >= 13
              AND c.resolution = (SELECT p.base_resolution - CASE WHEN z <= 13 THEN 1 ELSE 0 END
                                  FROM risk.parameters p)
              AND c.geom && (SELECT tiles.envelope_4326(z, x, y))
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
        CROSS JOIN LATERAL (
            SELECT risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                   AS happened,
                   risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                   AT TIME ZONE 'Europe/Stockholm' AS local_time
        ) w
        WHERE i.location_support IN ('point', 'place')
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
$function$;
REVOKE ALL ON FUNCTION tiles.tile_incidents(integer,integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tiles.tile_incidents(integer,integer,integer) TO halo_api;
GRANT EXECUTE ON FUNCTION tiles.tile_incidents(integer,integer,integer) TO PUBLIC;
