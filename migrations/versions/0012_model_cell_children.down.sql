-- Downgrade of 0012_model_cell_children: undo the hand-written part first (reverse order), then:
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

    DELETE FROM risk.cell_risk;
    INSERT INTO risk.cell_risk (cell, resolution, city_id, district_id, area_km2, observed,
        expected, prior_rr, relative_risk, rr_lower, rr_upper, risk_score, evidence,
        category_mass, trend, expected_week, geom)
    SELECT o.cell, o.resolution, o.city_id, o.district_id, o.area_km2, o.observed, o.expected,
           prior.rr, post.rr, post.rr_lower, post.rr_upper, risk.score_of(post.rr_lower),
           risk.evidence_of(o.observed, o.precise),
           coalesce(cat.category_mass, '{}'),
           (coalesce(o.recent, 0) + 1) / (coalesce(o.previous, 0) + 1),
           o.expected_week, o.geom
    FROM cell_observed o
    JOIN cell_prior prior ON prior.cell = o.cell
    JOIN (SELECT city_id, resolution, avg(area_km2) AS area FROM cell_observed
          GROUP BY city_id, resolution) typical
         ON typical.resolution = o.resolution AND typical.city_id = o.city_id
    LEFT JOIN city_model_rate model_rate ON model_rate.city_id = o.city_id
    CROSS JOIN LATERAL risk.model_evidence(o.observed, o.expected, prior.rr, o.expected_week,
                                           o.area_km2, model_rate.rate, typical.area,
                                           risk.evidence_weeks(p)) ev
    CROSS JOIN LATERAL risk.posterior_rr(ev.evidence_observed, ev.evidence_expected,
                                         ev.evidence_prior, p.prior_strength,
                                         p.lower_quantile) post
    LEFT JOIN cell_categories cat ON cat.cell = o.cell;
    RETURN (SELECT count(*) FROM risk.cell_risk);
END;
$function$;
