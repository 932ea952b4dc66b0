-- Downgrade of 0015_sum_in_double: undo the hand-written part first (reverse order), then:
CREATE OR REPLACE FUNCTION risk.rebuild_cell_risk(model text)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
DECLARE
    p risk.parameters;
BEGIN
    SELECT * INTO p FROM risk.parameters;

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
    SELECT c.cell, c.resolution, c.city_id, c.district_id, c.area_km2, c.geom,
           coalesce(sum(t.mass), 0) AS observed, coalesce(sum(t.mass_precise), 0) AS precise,
           c.area_km2 * risk.city_rate(c.city_id) AS expected, sum(t.recent_mass) AS recent,
           sum(t.previous_mass) AS previous, sum(t.expected_week) AS expected_week
    FROM risk.cells c
    LEFT JOIN base_to_target t ON t.target = c.cell
    GROUP BY c.cell;
    CREATE INDEX ON cell_observed (cell);
    ANALYZE cell_observed;
    -- Per city, the model's weekly count per km2 over the base cells it predicts (no row
    -- without a model) and the typical (mean) cell area of each level: a second city changes
    -- neither for the first.
    DROP TABLE IF EXISTS city_model_rate;
    CREATE TEMP TABLE city_model_rate ON COMMIT DROP AS
    SELECT city_id, sum(expected_week) / nullif(sum(area_km2), 0) AS rate
    FROM cell_observed WHERE resolution = p.base_resolution AND expected_week > 0
    GROUP BY city_id;

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
    LEFT JOIN cell_observed n ON n.cell = x.index AND x.distance > 0 AND n.city_id = o.city_id
    GROUP BY o.cell;

    DROP TABLE IF EXISTS cell_posterior;
    CREATE TEMP TABLE cell_posterior ON COMMIT DROP AS
    SELECT o.cell, o.resolution, o.city_id, o.district_id, o.area_km2, o.observed, o.expected,
           prior.rr AS prior_rr, post.rr, post.rr_lower, post.rr_upper,
           risk.evidence_of(o.observed, o.precise) AS evidence,
           coalesce(cat.category_mass, '{}') AS category_mass,
           (coalesce(o.recent, 0) + 1) / (coalesce(o.previous, 0) + 1) AS trend,
           o.expected_week, o.geom
    FROM cell_observed o
    JOIN cell_prior prior ON prior.cell = o.cell
    JOIN (SELECT city_id, resolution, avg(area_km2) AS area FROM cell_observed
          GROUP BY city_id, resolution) typical
         -- A level finer than the model's has no information of its own beyond its model
         -- cell's: it weighs the model cell's evidence, so its children carry the parent's
         -- score instead of fading to "not clearly higher" as the hexagons shrink.
         ON typical.resolution = greatest(least(o.resolution, p.model_resolution),
                                          p.base_resolution - 2)
        AND typical.city_id = o.city_id
    LEFT JOIN city_model_rate model_rate ON model_rate.city_id = o.city_id
    CROSS JOIN LATERAL risk.model_evidence(o.observed, o.expected, prior.rr, o.expected_week,
                                           o.area_km2, model_rate.rate, typical.area,
                                           risk.evidence_weeks(p)) ev
    CROSS JOIN LATERAL risk.posterior_rr(ev.evidence_observed, ev.evidence_expected,
                                         ev.evidence_prior, p.prior_strength,
                                         p.lower_quantile) post
    LEFT JOIN cell_categories cat ON cat.cell = o.cell;

    PERFORM risk.choose_alert_multiples();

    DELETE FROM risk.cell_risk;
    INSERT INTO risk.cell_risk (cell, resolution, city_id, district_id, area_km2, observed,
        expected, prior_rr, relative_risk, rr_lower, rr_upper, risk_score, evidence,
        category_mass, trend, expected_week, geom)
    SELECT c.cell, c.resolution, c.city_id, c.district_id, c.area_km2, c.observed, c.expected,
           c.prior_rr, c.rr, c.rr_lower, c.rr_upper,
           risk.score_of(c.rr_lower, coalesce(k.alert_multiple, 1)), c.evidence,
           c.category_mass, c.trend, c.expected_week, c.geom
    FROM cell_posterior c
    LEFT JOIN risk.city_rates k ON k.city_id = c.city_id;
    RETURN (SELECT count(*) FROM risk.cell_risk);
END;
$function$;
CREATE OR REPLACE FUNCTION risk.rebuild_city_rates(as_of timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
DECLARE
    p risk.parameters;
    previous jsonb;
BEGIN
    PERFORM risk.require_incident_cells();
    SELECT * INTO p FROM risk.parameters;
    -- Each city's reference multiple carries over until risk.choose_alert_multiples (in
    -- risk.rebuild_cell_risk) moves it: the previous k its hysteresis starts from.
    previous := (SELECT jsonb_object_agg(city_id, jsonb_build_array(alert_multiple,
                                                                    alert_area_share))
                 FROM risk.city_rates);
    DELETE FROM risk.city_rates;
    INSERT INTO risk.city_rates (city_id, rate_per_km2, mass, area_km2, located_incidents,
                                 located_share, alert_multiple, alert_area_share)
    SELECT a.city_id, greatest(coalesce(a.mass / a.area_km2, 0), 1e-9), a.mass, a.area_km2,
           coalesce(l.located, 0),
           CASE WHEN coalesce(l.located, 0) + coalesce(u.unlocated, 0) > 0
                THEN coalesce(l.located, 0)::real
                     / (coalesce(l.located, 0) + coalesce(u.unlocated, 0)) END,
           coalesce((previous -> a.city_id::text ->> 0)::real, 1),
           (previous -> a.city_id::text ->> 1)::real
    -- ON, not USING: pg_dump writes USING unqualified, and a restore (empty search_path)
    -- then cannot find h3index's = operator; an explicit = is dumped schema-qualified.
    FROM (SELECT c.city_id, coalesce(sum(m.mass), 0) AS mass, sum(c.area_km2) AS area_km2
          FROM risk.cell_mass m JOIN risk.cells c ON c.cell = m.cell
          GROUP BY c.city_id) a
    LEFT JOIN (SELECT c.city_id, count(DISTINCT ic.id) AS located
               FROM incident_cells ic JOIN risk.cells c ON c.cell = ic.cell
               GROUP BY c.city_id) l ON l.city_id = a.city_id
    LEFT JOIN (SELECT c.id AS city_id, count(*) AS unlocated
               FROM ref.cities c
               JOIN raw.incidents i ON i.municipality_code = ANY (c.municipality_codes)
               JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
               WHERE i.location_support = 'municipality' AND i.first_seen_at <= as_of
                 AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
                     BETWEEN as_of - make_interval(days => p.window_days) AND as_of
               GROUP BY c.id) u ON u.city_id = a.city_id;
    RETURN (SELECT count(*) FROM risk.city_rates);
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
BEGIN
    PERFORM risk.require_incident_cells();
    SELECT * INTO p FROM risk.parameters;

    DELETE FROM risk.district_risk;
    INSERT INTO risk.district_risk (district_id, observed, expected, relative_risk, rr_lower,
        rr_upper, risk_score, evidence, incident_counts, incidents, trend, expected_week)
    SELECT d.id, o.observed, e.expected, post.rr, post.rr_lower, post.rr_upper,
           risk.score_of(post.rr_lower, coalesce(k.alert_multiple, 1)),
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
    CROSS JOIN LATERAL (SELECT d.area_km2 * risk.city_rate(d.city_id) AS expected) e
    JOIN (SELECT city_id, avg(area_km2) AS area FROM ref.districts GROUP BY city_id) typical
         ON typical.city_id = d.city_id
    LEFT JOIN (SELECT city_id, sum(expected_week) / nullif(sum(area_km2), 0) AS rate
               FROM risk.cell_risk
               WHERE resolution = p.base_resolution AND expected_week > 0
               GROUP BY city_id) model_rate ON model_rate.city_id = d.city_id
    CROSS JOIN LATERAL risk.model_evidence(o.observed, e.expected, 1.0, o.expected_week,
                                           o.cell_area, model_rate.rate, typical.area,
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
    ) cnt ON cnt.district_id = d.id
    LEFT JOIN risk.city_rates k ON k.city_id = d.city_id;
    RETURN (SELECT count(*) FROM risk.district_risk);
END;
$function$;
