-- Downgrade of 0011_cities: the old functions the restored ones call first, then the
-- generated part (drops after the functions that used the dropped ones are replaced),
-- then the hand-written table changes in reverse.
CREATE OR REPLACE FUNCTION ref.upsert_district(name text, municipality_code text, geojson text, source text)
 RETURNS integer
 LANGUAGE sql
AS $function$
    INSERT INTO ref.districts AS d (name, name_key, municipality_code, geom, area_km2, source)
    SELECT upsert_district.name, ref.normalize_name(upsert_district.name),
           upsert_district.municipality_code, g.geom, ST_Area(g.geom::geography) / 1e6,
           upsert_district.source
      FROM (SELECT ref.multipolygon_from_geojson(geojson) AS geom) g
    ON CONFLICT (name_key) DO UPDATE
        SET name = EXCLUDED.name, municipality_code = EXCLUDED.municipality_code,
            geom = EXCLUDED.geom, area_km2 = EXCLUDED.area_km2, source = EXCLUDED.source
    RETURNING d.id;
$function$;
REVOKE ALL ON FUNCTION ref.upsert_district(text,text,text,text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION risk.city_rate()
 RETURNS double precision
 LANGUAGE sql
 STABLE PARALLEL SAFE
BEGIN ATOMIC
 SELECT GREATEST(COALESCE((sum(m.mass) / sum(c.area_km2)), (0)::double precision), (0.000000001)::double precision) AS "greatest"
    FROM (risk.cell_mass m
      JOIN risk.cells c ON ((c.cell = m.cell)));
END;
CREATE OR REPLACE FUNCTION risk.hour_of_week(t timestamp with time zone)
 RETURNS smallint
 LANGUAGE sql
 STABLE PARALLEL SAFE STRICT
RETURN (((((EXTRACT(isodow FROM (t AT TIME ZONE 'Europe/Stockholm'::text)))::integer - 1) * 24) + (EXTRACT(hour FROM (t AT TIME ZONE 'Europe/Stockholm'::text)))::integer))::smallint;
COMMENT ON COLUMN push.devices.quiet_start IS 'Start of the quiet hours, local time (Europe/Stockholm); the window may wrap past midnight.';
DROP VIEW analytics.cell_risk;
CREATE VIEW analytics.cell_risk AS
 SELECT (r.cell)::bigint AS id,
    (r.cell)::text AS h3_cell,
    r.resolution,
    r.district_id,
    d.name AS district,
    r.area_km2,
    r.observed,
    r.expected,
    r.relative_risk,
    r.rr_lower,
    r.rr_upper,
    r.risk_score,
    r.evidence,
    r.trend,
    r.expected_week,
    r.category_mass,
    r.geom
   FROM (risk.cell_risk r
     LEFT JOIN ref.districts d ON ((d.id = r.district_id)));
DROP VIEW IF EXISTS analytics.cities;
DROP VIEW analytics.district_risk;
CREATE VIEW analytics.district_risk AS
 SELECT d.id,
    d.name,
    r.observed,
    r.expected,
    r.relative_risk,
    r.rr_lower,
    r.rr_upper,
    r.risk_score,
    r.evidence,
    r.incidents,
    r.incident_counts,
    r.trend,
    r.expected_week,
    d.area_km2,
    d.geom
   FROM (ref.districts d
     JOIN risk.district_risk r ON ((r.district_id = d.id)));
CREATE OR REPLACE FUNCTION push.enqueue_incident_messages(at_time timestamp with time zone, max_age_s integer, server_cap integer, time_zone text, critical_min double precision, high_min double precision, info_min double precision)
 RETURNS TABLE(queued bigint, suppressed bigint)
 LANGUAGE plpgsql
AS $function$
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
$function$;
REVOKE ALL ON FUNCTION push.enqueue_incident_messages(timestamp with time zone,integer,integer,text,double precision,double precision,double precision) FROM PUBLIC;
CREATE OR REPLACE FUNCTION raw.report_stats(t_from timestamp with time zone, t_until timestamp with time zone)
 RETURNS json
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog', 'public', 'pg_temp'
 SET jit TO 'off'
BEGIN ATOMIC
 WITH chosen AS (
          SELECT r.id,
             r.idempotency_key,
             r.request_sha256,
             r.category,
             r.occurred_at,
             r.received_at,
             r.geom,
             r.accuracy_m,
             r.h3_cell,
             r.description,
             r.photo_key,
             r.moderation_status,
             r.moderated_at,
             r.reported_during_alert,
             r.client_sha256,
             r.moderated_by_key_id,
             r.video_key,
             r.video_poster_key,
             r.address_sha256
            FROM raw.user_reports r
           WHERE ((r.occurred_at >= report_stats.t_from) AND (r.occurred_at < report_stats.t_until))
         )
  SELECT json_build_object('total', ( SELECT count(*) AS count
            FROM chosen), 'by_status', json_build_object('pending', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.moderation_status = 'pending'::text)), 'approved', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.moderation_status = 'approved'::text)), 'rejected', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.moderation_status = 'rejected'::text))), 'by_category', COALESCE(( SELECT json_agg(json_build_object('category', k.code, 'label_en', k.label_en, 'label_sv', k.label_sv, 'count', n.n) ORDER BY n.n DESC, k.code) AS json_agg
            FROM (( SELECT chosen.category,
                     count(*) AS n
                    FROM chosen
                   GROUP BY chosen.category) n
              JOIN ref.incident_categories k ON ((k.code = n.category)))), '[]'::json), 'by_day', COALESCE(( SELECT json_agg(json_build_object('day', d.day, 'count', d.n, 'approved', d.approved, 'rejected', d.rejected) ORDER BY d.day) AS json_agg
            FROM ( SELECT ((chosen.occurred_at AT TIME ZONE 'Europe/Stockholm'::text))::date AS day,
                     count(*) AS n,
                     count(*) FILTER (WHERE (chosen.moderation_status = 'approved'::text)) AS approved,
                     count(*) FILTER (WHERE (chosen.moderation_status = 'rejected'::text)) AS rejected
                    FROM chosen
                   GROUP BY (((chosen.occurred_at AT TIME ZONE 'Europe/Stockholm'::text))::date)) d), '[]'::json), 'with_photo', ( SELECT count(*) AS count
            FROM chosen
           WHERE (chosen.photo_key IS NOT NULL)), 'during_alert', ( SELECT count(*) AS count
            FROM chosen
           WHERE chosen.reported_during_alert), 'feeding_risk', ( SELECT count(*) AS count
            FROM (raw.reports_for_risk f
              JOIN chosen c ON ((c.id = f.report_id))))) AS json_build_object;
END;
CREATE OR REPLACE FUNCTION risk.incident_shares(cutoff timestamp with time zone, occurred_from timestamp with time zone, occurred_until timestamp with time zone)
 RETURNS TABLE(incident_id bigint, category text, severity real, occurred timestamp with time zone, first_seen_at timestamp with time zone, cell h3index, share double precision, precise boolean)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
BEGIN ATOMIC
 WITH params AS (
          SELECT parameters.base_resolution AS res
            FROM risk.parameters
         ), base_cells AS (
          SELECT c.cell,
             c.district_id,
             c.geom
            FROM risk.cells c,
             params
           WHERE (c.resolution = params.res)
         ), incidents AS (
          SELECT i.id,
             i.category,
             i.severity,
             i.location_support,
             i.h3_cell,
             i.place_id,
             i.district_id,
             i.first_seen_at,
             risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at) AS occurred
            FROM (raw.incidents i
              JOIN ref.incident_categories k ON (((k.code = i.category) AND k.counts_for_risk)))
           WHERE ((i.first_seen_at <= incident_shares.cutoff) AND (risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at) > incident_shares.occurred_from) AND (risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at) <= incident_shares.occurred_until) AND (i.location_support = ANY (ARRAY['point'::text, 'place'::text, 'district'::text])))
         ), place_cell_sets AS (
          SELECT place_cells.place_id,
             array_agg(place_cells.cell) AS cells
            FROM risk.place_cells
           GROUP BY place_cells.place_id
         ), district_cells AS (
          SELECT base_cells.district_id,
             array_agg(base_cells.cell) AS cells
            FROM base_cells
           GROUP BY base_cells.district_id
         ), reports AS (
          SELECT (- r.report_id) AS id,
             r.category,
             r.severity,
             r.occurred_at AS occurred,
             r.first_seen_at,
             r.h3_cell
            FROM raw.reports_for_risk r
           WHERE ((r.counts_from <= incident_shares.cutoff) AND (r.occurred_at > incident_shares.occurred_from) AND (r.occurred_at <= incident_shares.occurred_until))
         )
  SELECT i.id,
     i.category,
     i.severity,
     i.occurred,
     i.first_seen_at,
     b.cell,
     1.0,
     true
    FROM ((incidents i
      CROSS JOIN params)
      JOIN base_cells b ON ((b.cell = h3_cell_to_parent(i.h3_cell, (params.res)::integer))))
   WHERE (i.location_support = 'point'::text)
 UNION ALL
  SELECT r.id,
     r.category,
     r.severity,
     r.occurred,
     r.first_seen_at,
     b.cell,
     1.0,
     true
    FROM ((reports r
      CROSS JOIN params)
      JOIN base_cells b ON ((b.cell = h3_cell_to_parent(r.h3_cell, (params.res)::integer))))
 UNION ALL
  SELECT i.id,
     i.category,
     i.severity,
     i.occurred,
     i.first_seen_at,
     u.cell,
     (1.0 / (cardinality(pc.cells))::numeric),
     (cardinality(pc.cells) <= 7)
    FROM ((incidents i
      JOIN place_cell_sets pc ON ((pc.place_id = i.place_id)))
      CROSS JOIN LATERAL unnest(pc.cells) u(cell))
   WHERE (i.location_support = 'place'::text)
 UNION ALL
  SELECT i.id,
     i.category,
     i.severity,
     i.occurred,
     i.first_seen_at,
     u.cell,
     (1.0 / (cardinality(dc.cells))::numeric),
     false
    FROM ((incidents i
      JOIN district_cells dc ON ((dc.district_id = i.district_id)))
      CROSS JOIN LATERAL unnest(dc.cells) u(cell))
   WHERE (i.location_support = 'district'::text);
END;
CREATE OR REPLACE FUNCTION risk.rebuild_cell_mass(as_of timestamp with time zone)
 RETURNS real
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION risk.rebuild_cell_risk(model text)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
DECLARE
    p risk.parameters;
    rate double precision;
    model_rate double precision;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    rate := risk.city_rate();

    -- Each base cell counted into itself and its parents (a hash join, not a scan per cell).
    DROP TABLE IF EXISTS cell_observed;
    CREATE TEMP TABLE cell_observed ON COMMIT DROP AS
    WITH base_predicted AS (
        -- The model predicts cells of risk.parameters.model_resolution; a base cell gets
        -- its area's share of its parent's prediction.
        SELECT b.cell, mp.expected_count * b.area_km2 / pm.area_km2 AS expected_week
        FROM risk.cells b
        JOIN risk.cells pm ON pm.cell = h3_cell_to_parent(b.cell, p.model_resolution)
        JOIN risk.model_predictions mp ON mp.cell = pm.cell AND mp.model_version = model
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
    -- The model's weekly count per km2 over the base cells it predicts (NULL without a model).
    SELECT sum(expected_week) / nullif(sum(area_km2), 0) INTO model_rate
    FROM cell_observed WHERE resolution = p.base_resolution AND expected_week > 0;

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
    JOIN (SELECT resolution, avg(area_km2) AS area FROM cell_observed GROUP BY resolution)
         typical ON typical.resolution = o.resolution
    CROSS JOIN LATERAL risk.model_evidence(o.observed, o.expected, prior.rr, o.expected_week,
                                           o.area_km2, model_rate, typical.area,
                                           risk.evidence_weeks(p)) ev
    CROSS JOIN LATERAL risk.posterior_rr(ev.evidence_observed, ev.evidence_expected,
                                         ev.evidence_prior, p.prior_strength,
                                         p.lower_quantile) post
    LEFT JOIN cell_categories cat ON cat.cell = o.cell;
    RETURN (SELECT count(*) FROM risk.cell_risk);
END;
$function$;
CREATE OR REPLACE FUNCTION risk.rebuild_cells(base_res integer)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION risk.rebuild_district_risk()
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
DECLARE
    p risk.parameters;
    rate double precision;
    model_rate double precision;
BEGIN
    PERFORM risk.require_incident_cells();
    SELECT * INTO p FROM risk.parameters;
    rate := risk.city_rate();
    SELECT sum(r.expected_week) / nullif(sum(r.area_km2), 0) INTO model_rate
    FROM risk.cell_risk r WHERE r.resolution = p.base_resolution AND r.expected_week > 0;

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
               sum(r.expected_week) AS expected_week,
               sum(c.area_km2) AS cell_area
        FROM risk.cells c
        JOIN risk.cell_mass m USING (cell)
        JOIN risk.cell_risk r USING (cell)
        WHERE c.resolution = p.base_resolution
        GROUP BY c.district_id
    ) o ON o.district_id = d.id
    CROSS JOIN LATERAL (SELECT d.area_km2 * rate AS expected) e
    CROSS JOIN (SELECT avg(area_km2) AS area FROM ref.districts) typical
    CROSS JOIN LATERAL risk.model_evidence(o.observed, e.expected, 1.0, o.expected_week,
                                           o.cell_area, model_rate, typical.area,
                                           risk.evidence_weeks(p)) ev
    CROSS JOIN LATERAL risk.posterior_rr(ev.evidence_observed, ev.evidence_expected,
                                         ev.evidence_prior, p.prior_strength,
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
$function$;
CREATE OR REPLACE FUNCTION risk.rebuild_empirical_hour_profile(as_of timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
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
$function$;
CREATE OR REPLACE FUNCTION risk.refresh_all(p_as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
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
    PERFORM risk.rebuild_incident_counts(as_of);
    ANALYZE risk.incident_counts;

    PERFORM risk.require_incident_cells();
    INSERT INTO risk.generations (as_of, located_incidents, located_share, model_version)
    VALUES (as_of, (SELECT count(DISTINCT id) FROM incident_cells), located, model)
    RETURNING id INTO generation;
    RETURN generation;
END;
$function$;
CREATE OR REPLACE FUNCTION risk.risk_at_point(lon double precision, lat double precision, at timestamp with time zone)
 RETURNS json
 LANGUAGE sql
 STABLE PARALLEL SAFE STRICT
 SET jit TO 'off'
BEGIN ATOMIC
 SELECT json_build_object('cell', (r.cell)::text, 'resolution', r.resolution, 'district', json_build_object('id', d.id, 'name', d.name), 'generation', gen.id, 'as_of', gen.as_of, 'risk_score', round((r.risk_score)::numeric, 3), 'relative_risk', round((r.relative_risk)::numeric, 3), 'rr_lower', round((r.rr_lower)::numeric, 3), 'rr_upper', round((r.rr_upper)::numeric, 3), 'observed', round((r.observed)::numeric, 3), 'expected', round((r.expected)::numeric, 3), 'evidence', r.evidence, 'trend', round((r.trend)::numeric, 2), 'at', json_build_object('time', risk_at_point.at, 'hour_of_week', how.h, 'factor', round((COALESCE(f.factor, (1)::real))::numeric, 3), 'relative_risk', round(((r.relative_risk * COALESCE(f.factor, (1)::real)))::numeric, 3), 'rr_lower', round(((r.rr_lower * COALESCE(f.factor, (1)::real)))::numeric, 3), 'risk_score', round((risk.score_of(((r.rr_lower * COALESCE(f.factor, (1)::real)))::double precision))::numeric, 3)), 'why', COALESCE(( SELECT json_agg(json_build_object('category', top.key, 'label_en', k.label_en, 'label_sv', k.label_sv, 'share', round(top.share, 3)) ORDER BY top.share DESC, top.key) AS json_agg
            FROM (( SELECT e.key,
                     ((e.value)::numeric / NULLIF(sum((e.value)::numeric) OVER (), (0)::numeric)) AS share
                    FROM jsonb_each_text(r.category_mass) e(key, value)
                   ORDER BY (e.value)::numeric DESC, e.key
                  LIMIT 3) top
              JOIN ref.incident_categories k ON ((k.code = top.key)))
           WHERE (top.share > (0)::numeric)), '[]'::json)) AS json_build_object
    FROM ((((risk.cell_risk r
      JOIN ref.districts d ON ((d.id = r.district_id)))
      CROSS JOIN risk.current_generation() gen(id, as_of))
      CROSS JOIN ( SELECT risk.hour_of_week(risk_at_point.at) AS h) how)
      LEFT JOIN risk.hour_of_week_profile f ON ((f.hour_of_week = how.h)))
   WHERE (r.cell = h3_lat_lng_to_cell(point(risk_at_point.lon, risk_at_point.lat), (( SELECT max(m.resolution) AS max
            FROM risk.cell_risk m))::integer));
END;
CREATE OR REPLACE FUNCTION tiles.tile_incidents(z integer, x integer, y integer)
 RETURNS bytea
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE STRICT
 SET jit TO 'off'
 SET enable_bitmapscan TO 'off'
 SET search_path TO 'public', 'pg_temp'
AS $function$
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
        -- At most points_cap incidents reach here (denser tiles drew counts above); the
        -- limit stays as a guard.
        ORDER BY w.happened DESC
        LIMIT points_cap
    ) t
    WHERE t.geom IS NOT NULL);
END;
$function$;
REVOKE ALL ON FUNCTION tiles.tile_incidents(integer,integer,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tiles.tile_incidents(integer,integer,integer) TO halo_api;
GRANT EXECUTE ON FUNCTION tiles.tile_incidents(integer,integer,integer) TO PUBLIC;
DROP FUNCTION IF EXISTS ref.time_zone_at(geometry);
DROP FUNCTION IF EXISTS ref.upsert_city(text,text,text,text[],text[],double precision,double precision,real);
DROP FUNCTION IF EXISTS ref.upsert_district(text,text,text,smallint);
DROP FUNCTION IF EXISTS risk.city_rate(smallint);
DROP FUNCTION IF EXISTS risk.hour_of_week(timestamp with time zone,text);
DROP FUNCTION IF EXISTS risk.incident_city(smallint,h3index,integer);
DROP FUNCTION IF EXISTS risk.rebuild_city_rates(timestamp with time zone);
COMMENT ON COLUMN ref.districts.municipality_code IS NULL;
COMMENT ON VIEW analytics.district_risk IS 'Risk per Stockholm district (stadsdel), same meaning as analytics.cell_risk; incident counts by category over the window.';
COMMENT ON VIEW analytics.districts IS 'Neighborhoods: the city districts (stadsdelar) of Stockholm, water removed; the units of the risk map.';
COMMENT ON TABLE ref.districts IS 'Neighborhoods: the city districts (stadsdelar) of Stockholm, water removed.';
COMMENT ON TABLE risk.cell_risk IS 'Risk per H3 cell and resolution. risk_score = RR_lo / (1 + RR_lo), RR_lo the lower 5% bound of the relative risk against the city rate; 0.6 means at least 1.5x the city rate, with confidence.';
COMMENT ON TABLE risk.cells IS 'The study area: H3 cells (resolutions 7-9) whose area lies in a district; area_km2 counts the in-district part (base resolution: the full cell).';
COMMENT ON TABLE risk.hour_of_week_profile IS 'Relative incident rate by hour of the week (0 = Monday 00:00 Europe/Stockholm), mean 1.';

-- ==== hand-written, reversed ====
-- One profile (the first city's) and the cells in a district survive the downgrade.
DELETE FROM risk.hour_of_week_profile
 WHERE city_id <> (SELECT min(city_id) FROM risk.hour_of_week_profile);
ALTER TABLE risk.hour_of_week_profile DROP CONSTRAINT hour_of_week_profile_city_id_fkey;
ALTER TABLE risk.hour_of_week_profile DROP CONSTRAINT hour_of_week_profile_pkey;
ALTER TABLE risk.hour_of_week_profile DROP COLUMN city_id;
ALTER TABLE risk.hour_of_week_profile ADD CONSTRAINT hour_of_week_profile_pkey
    PRIMARY KEY (hour_of_week);
DROP TABLE risk.city_rates;
DELETE FROM risk.cell_risk WHERE district_id IS NULL;
ALTER TABLE risk.cell_risk DROP COLUMN city_id;
ALTER TABLE risk.cell_risk ALTER COLUMN district_id SET NOT NULL;
DELETE FROM risk.cells WHERE district_id IS NULL;
DROP INDEX risk.cells_city_id_idx;
ALTER TABLE risk.cells DROP COLUMN city_id;
ALTER TABLE risk.cells ALTER COLUMN district_id SET NOT NULL;
DELETE FROM ref.districts WHERE municipality_code IS NULL;
ALTER TABLE ref.districts ALTER COLUMN municipality_code SET NOT NULL;
DROP INDEX ref.districts_city_id_idx;
ALTER TABLE ref.districts DROP COLUMN city_id;
ALTER TABLE ref.data_sources DROP COLUMN city_id;
DROP TABLE ref.cities;
GRANT SELECT ON analytics.cell_risk, analytics.district_risk TO halo_analyst;
COMMENT ON VIEW analytics.cell_risk IS
    'Risk per H3 cell (resolutions 7-9; filter on resolution). risk_score = RR_lo/(1+RR_lo): 0.6 means at least 1.5x the city rate with confidence. evidence: point (exact locations) or inferred (spread from district-level locations).';
