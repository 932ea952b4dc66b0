-- The risk pipeline in SQL: rebuild the risk tables in dependency order inside one
-- transaction (readers see the previous generation until commit and never block: rows are
-- replaced with DELETE + INSERT, no TABLE lock), ANALYZE each, record a new generation.
-- Entry point: SELECT risk.refresh_all([as_of]). Idempotent definitions.

-- The study area of every city at the base resolution: the cells of its boundary and of its
-- districts (centroid containment; a district too small to hold a centroid gets the cell of
-- its point on surface); a city without a boundary gets the cells where its sources located
-- incidents that count for risk, plus one ring around them. A cell claimed by two cities
-- goes to the older one (lower id). Then the parents at the two coarser resolutions with the
-- in-area area. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cells(base_res integer) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
BEGIN
    DELETE FROM risk.cells;
    INSERT INTO risk.cells (cell, resolution, city_id, district_id, area_km2, geom)
    SELECT DISTINCT ON (cell) cell, base_res, city_id, district_id,
           h3_cell_area(cell, 'km^2'), risk.cell_polygon(cell)
    FROM (
        SELECT h3_polygon_to_cells(d.geom, base_res) AS cell, d.city_id, d.id AS district_id
        FROM ref.districts d WHERE d.city_id IS NOT NULL
        UNION ALL
        SELECT h3_lat_lng_to_cell(ST_PointOnSurface(d.geom), base_res), d.city_id, d.id
        FROM ref.districts d WHERE d.city_id IS NOT NULL
        UNION ALL
        SELECT h3_polygon_to_cells(c.boundary, base_res), c.id, NULL
        FROM ref.cities c WHERE c.boundary IS NOT NULL
        UNION ALL
        SELECT h3_grid_disk(history.cell, 1), history.city_id, NULL
        FROM (SELECT DISTINCT h3_cell_to_parent(i.h3_cell, base_res) AS cell, c.id AS city_id
              FROM ref.cities c
              JOIN ref.data_sources s ON s.city_id = c.id
              JOIN raw.incidents i ON i.source_id = s.id
              JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
              WHERE c.boundary IS NULL AND i.location_support = 'point'
                AND i.h3_cell IS NOT NULL) AS history
    ) AS candidates
    ORDER BY cell, city_id, district_id NULLS LAST;
    -- Parents: area is the sum of the in-area children; city and district are the majority.
    FOR parent_res IN REVERSE base_res - 1 .. base_res - 2 LOOP
        INSERT INTO risk.cells (cell, resolution, city_id, district_id, area_km2, geom)
        SELECT parent, parent_res, mode() WITHIN GROUP (ORDER BY c.city_id),
               mode() WITHIN GROUP (ORDER BY c.district_id), sum(c.area_km2),
               risk.cell_polygon(parent)
        FROM risk.cells c, h3_cell_to_parent(c.cell, parent_res) AS parent
        WHERE c.resolution = base_res
        GROUP BY parent;
    END LOOP;
    PERFORM risk.rebuild_place_cells(base_res);
    RETURN (SELECT count(*) FROM risk.cells);
END;
$$;

-- The base cells of every named place: those whose centre lies in the place's polygon, or
-- within its radius of its point; a place smaller than a cell gets the cell that holds it.
-- VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_place_cells(base_res integer) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM risk.place_cells;
    INSERT INTO risk.place_cells (place_id, cell)
    SELECT pl.id, c.cell
    FROM ref.places pl
    CROSS JOIN LATERAL (
        SELECT CASE WHEN pl.radius_m > 0
                    THEN ST_Buffer(pl.geom::geography, pl.radius_m)::geometry
                    ELSE pl.geom END AS area
    ) AS covered
    JOIN risk.cells c ON c.resolution = base_res AND c.geom && covered.area
     AND ST_Intersects(covered.area, ST_Centroid(c.geom));
    INSERT INTO risk.place_cells (place_id, cell)
    SELECT pl.id, c.cell
    FROM ref.places pl
    JOIN risk.cells c ON c.resolution = base_res
     AND c.cell = h3_lat_lng_to_cell(ST_PointOnSurface(pl.geom), base_res)
    WHERE NOT EXISTS (SELECT 1 FROM risk.place_cells pc WHERE pc.place_id = pl.id);
    RETURN (SELECT count(*) FROM risk.place_cells);
END;
$$;

-- Every incident that counts for risk, first seen by `cutoff` and happening in
-- (occurred_from, occurred_until], with the base cells of its support and its share of each
-- (1 for a point; 1/n over the n cells of a place or district). Municipality- and
-- county-only incidents have no cell and are not returned. App reports that feed risk
-- (raw.reports_for_risk: approved or corroborated, severity capped and weighted by the
-- source's reliability) are exact points with share 1 once eligible by `cutoff`; their ids
-- are negated (-report_id) so they never collide with incident ids. STABLE.
CREATE OR REPLACE FUNCTION risk.incident_shares(
    cutoff timestamptz, occurred_from timestamptz, occurred_until timestamptz
) RETURNS TABLE (incident_id bigint, category text, severity real, occurred timestamptz,
                 first_seen_at timestamptz, cell h3index, share double precision,
                 precise boolean)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    WITH params AS (SELECT base_resolution AS res FROM risk.parameters),
    base_cells AS (
        SELECT c.cell, c.district_id, c.geom FROM risk.cells c, params
        WHERE c.resolution = params.res
    ),
    incidents AS (
        SELECT i.id, i.category, i.severity, i.location_support, i.h3_cell, i.place_id,
               i.district_id, i.first_seen_at,
               risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at) AS occurred
        FROM raw.incidents i
        JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
        WHERE i.first_seen_at <= cutoff
          AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
              > occurred_from
          AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
              <= occurred_until
          AND i.location_support IN ('point', 'place', 'district')
    ),
    place_cell_sets AS (
        SELECT place_id, array_agg(cell) AS cells FROM risk.place_cells GROUP BY place_id
    ),
    district_cells AS (
        SELECT district_id, array_agg(cell) AS cells FROM base_cells
        WHERE district_id IS NOT NULL GROUP BY district_id
    ),
    reports AS (
        SELECT -r.report_id AS id, r.category, r.severity, r.occurred_at AS occurred,
               r.first_seen_at, r.h3_cell
        FROM raw.reports_for_risk r
        WHERE r.counts_from <= cutoff
          AND r.occurred_at > occurred_from AND r.occurred_at <= occurred_until
    )
    SELECT i.id, i.category, i.severity, i.occurred, i.first_seen_at, b.cell, 1.0, true
    FROM incidents i
    CROSS JOIN params
    JOIN base_cells b ON b.cell = h3_cell_to_parent(i.h3_cell, params.res)
    WHERE i.location_support = 'point'
    UNION ALL
    SELECT r.id, r.category, r.severity, r.occurred, r.first_seen_at, b.cell, 1.0, true
    FROM reports r
    CROSS JOIN params
    JOIN base_cells b ON b.cell = h3_cell_to_parent(r.h3_cell, params.res)
    UNION ALL
    -- A place of up to 7 cells (a square, a station) is precise; a larger one (an area such
    -- as Järva) is not.
    SELECT i.id, i.category, i.severity, i.occurred, i.first_seen_at, u.cell,
           1.0 / cardinality(pc.cells), cardinality(pc.cells) <= 7
    FROM incidents i
    JOIN place_cell_sets pc ON pc.place_id = i.place_id
    CROSS JOIN LATERAL unnest(pc.cells) AS u(cell)
    WHERE i.location_support = 'place'
    UNION ALL
    SELECT i.id, i.category, i.severity, i.occurred, i.first_seen_at, u.cell,
           1.0 / cardinality(dc.cells), false
    FROM incidents i
    JOIN district_cells dc ON dc.district_id = i.district_id
    CROSS JOIN LATERAL unnest(dc.cells) AS u(cell)
    WHERE i.location_support = 'district';
END;

-- Incident mass per base cell for the window ending at as_of: each incident's weight
-- (severity x decay) times its share of the cell. Hand-off: creates the temp table
-- pg_temp.incident_cells (id, category, cell, share, precise, weight, recent, previous),
-- dropped at commit, which risk.rebuild_district_risk and risk.refresh_all read later in
-- the same transaction (they refuse to run without it: risk.require_incident_cells). Returns the located
-- share of all cities' incidents (located / (located + municipality-only events of the
-- cities' municipalities, ref.cities.municipality_codes)).
-- VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cell_mass(as_of timestamptz) RETURNS real
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
      AND i.location_support = 'municipality'
      AND i.municipality_code IN (SELECT unnest(c.municipality_codes) FROM ref.cities c)
      AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
          BETWEEN as_of - make_interval(days => p.window_days) AND as_of;
    RETURN CASE WHEN located + unlocated > 0
                THEN located::real / (located + unlocated) END;
END;
$$;

-- The hand-off check: raises 55000 (object_not_in_prerequisite_state) unless
-- risk.rebuild_cell_mass ran earlier in this transaction, instead of a bare "relation
-- incident_cells does not exist" (or, worse, a stale table of another as_of). VOLATILE.
CREATE OR REPLACE FUNCTION risk.require_incident_cells() RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF to_regclass('pg_temp.incident_cells') IS NULL THEN
        RAISE EXCEPTION 'pg_temp.incident_cells is missing: call risk.rebuild_cell_mass(as_of) first, in the same transaction'
            USING ERRCODE = '55000';
    END IF;
END;
$$;

-- Per city: located incident mass per km2 over its study area (the "city rate" every
-- expected count of its cells and districts uses; a tiny floor keeps an empty city from
-- dividing by zero), and its located share (located / (located + municipality-only events
-- of its municipalities) in the window); its reference multiple (alert_multiple) is carried
-- over from the last refresh for risk.choose_alert_multiples. Reads the pg_temp.incident_cells
-- hand-off of risk.rebuild_cell_mass (checked first). VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_city_rates(as_of timestamptz) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
    -- Masses are real; summing them as real accumulates in float4, whose rounding depends on
    -- the plan's row order (another city's rows change it): sum in double precision.
    FROM (SELECT c.city_id, coalesce(sum(m.mass::float8), 0) AS mass, sum(c.area_km2) AS area_km2
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
$$;

-- The city rate of one city from the last refresh (1e-9 when it has none yet). STABLE.
CREATE OR REPLACE FUNCTION risk.city_rate(city smallint) RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce((SELECT r.rate_per_km2 FROM risk.city_rates r WHERE r.city_id = city),
                    1e-9);
END;

-- Evidence level of a cell or district: none without mass; point when at least half of the
-- mass comes from exact points or small places; else inferred (spread from districts).
-- IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.evidence_of(observed double precision, precise double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN observed <= 0 THEN 'none'
            WHEN precise >= 0.5 * observed THEN 'point' ELSE 'inferred' END;

-- The weeks of evidence the published score weighs: the window's length after the decay
-- (sum of 0.5^(age / half-life) over the window), as the observed mass has always had.
-- IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.evidence_weeks(p risk.parameters) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p.half_life_days / ln(2) * (1 - power(0.5, p.window_days / p.half_life_days)) / 7.0;

-- What the posterior weighs for a cell or district. With a model prediction: the model's
-- relative risk RR_m = expected_week / (area x model_rate) with the evidence of a typical
-- unit of its level (typical_area: the mean area of the level's units) over the window's
-- weeks of evidence (risk.evidence_weeks): O = RR_m x E against E = model_rate x
-- typical_area x weeks, prior at the city rate (the model already shrinks a thin unit toward
-- its rings and the city rate; a unit clipped by the study area's edge is not less certain
-- than the model says). RR_lo then rises with RR_m alone: the published score ranks exactly
-- as the model does, and a level the model expects little of (sparse data, small cells)
-- stays uncertain (a small E). Without one: the observed mass against the city rate's and
-- the given (ring) prior. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.model_evidence(
    observed double precision, expected double precision, ring_prior double precision,
    expected_week double precision, area_km2 double precision, model_rate double precision,
    typical_area double precision, weeks double precision,
    OUT evidence_observed double precision, OUT evidence_expected double precision,
    OUT evidence_prior double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN modelled THEN expected_week / area_km2 * typical_area * weeks
                ELSE observed END,
           CASE WHEN modelled THEN model_rate * typical_area * weeks ELSE expected END,
           CASE WHEN modelled THEN 1.0 ELSE ring_prior END
    FROM (SELECT expected_week IS NOT NULL AND model_rate > 0 AND area_km2 > 0
                 AND typical_area > 0 AND weeks > 0 AS modelled) AS m;
END;

-- Risk per cell at the base resolution and its two parents. Where the model predicts the
-- cell (expected_week), the model's expected counts over the window against its city rate
-- (risk.model_evidence), so the published score ranks as the model does; elsewhere (no model
-- yet, or a cell the model never saw) the observed mass against the city rate with a
-- leave-one-out prior from the neighbour rings (weights risk.parameters.ring_weights).
-- Either way the empirical-Bayes posterior and its bounds, then the city's reference multiple
-- k (risk.choose_alert_multiples) and risk_score = RR_lo / (k + RR_lo). VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cell_risk(model text) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
           -- In double precision: a real sum's rounding depends on the row order.
           coalesce(sum(t.mass::float8), 0) AS observed,
           coalesce(sum(t.mass_precise::float8), 0) AS precise,
           c.area_km2 * risk.city_rate(c.city_id) AS expected,
           sum(t.recent_mass::float8) AS recent, sum(t.previous_mass::float8) AS previous,
           sum(t.expected_week::float8) AS expected_week
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
    SELECT city_id, sum(expected_week::float8) / nullif(sum(area_km2), 0) AS rate
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
           (coalesce(sum(p.ring_weights[x.distance]::float8 * n.observed), 0)
            + p.prior_strength)
           / (coalesce(sum(p.ring_weights[x.distance]::float8 * n.expected), 0)
              + p.prior_strength)
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
$$;

-- The per-city alert rule. For each city, the smallest reference multiple k on the ladder
-- risk.alert_multiples() whose alert zones (risk.score_of(RR_lo, k) >= alert_threshold) cover
-- at most the city's ref.cities.alert_area of its area at the levels alerts are given on: the
-- base resolution (the report rules, raw.in_alert_zone) and its parent (/api/v1/alert-zones'
-- default, HALO_MAP_ALERT_ZONES_RESOLUTION); the top rung when none does. Hysteresis, so the
-- zones do not jump when the share hovers at the cap: k rises as soon as the cap is exceeded
-- but falls back (never below that smallest rung) only to a rung that stays within
-- risk.alert_area_relax() x the cap. Sparse evidence (RR_lo well below RR) keeps k = 1; a
-- dense, concentrated city gets the multiple that keeps "alert" rare, so the score means
-- "well above this city's usual level" instead of covering a tenth of it. Written to
-- risk.city_rates (alert_multiple, alert_area_share) for the cell and district scores of this
-- refresh; the k it holds before (the last refresh's, carried by risk.rebuild_city_rates) is
-- the previous one.
-- pipeline/risk/alert_rule.py alert_multiple mirrors it. Reads the pg_temp.cell_posterior
-- hand-off of risk.rebuild_cell_risk. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.choose_alert_multiples() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
BEGIN
    WITH shares AS (
        -- Per city and rung: the alert zones' largest share of the area over the levels.
        SELECT l.city_id, m.multiple, m.rung, max(l.share) AS share, max(l.cap) AS cap
        FROM unnest(risk.alert_multiples()) WITH ORDINALITY AS m(multiple, rung)
        CROSS JOIN LATERAL (
            SELECT c.city_id, city.alert_area AS cap,
                   coalesce(sum(c.area_km2) FILTER (
                       WHERE risk.score_of(c.rr_lower, m.multiple) >= p.alert_threshold), 0)
                   / sum(c.area_km2) AS share
            FROM cell_posterior c
            JOIN ref.cities city ON city.id = c.city_id
            CROSS JOIN risk.parameters p
            WHERE c.resolution >= p.base_resolution - 1
            GROUP BY c.city_id, c.resolution, city.alert_area
        ) l
        GROUP BY l.city_id, m.multiple, m.rung
    ),
    bounds AS (
        -- within: the smallest rung within the cap (the top rung when none is); relaxed: the
        -- smallest within the relaxed cap (the top rung when none is).
        SELECT city_id,
               coalesce(min(multiple) FILTER (WHERE share <= cap), max(multiple)) AS within,
               coalesce(min(multiple) FILTER (WHERE share <= cap * risk.alert_area_relax()),
                        max(multiple)) AS relaxed
        FROM shares GROUP BY city_id
    ),
    chosen AS (
        SELECT b.city_id, greatest(b.within, least(b.relaxed, r.alert_multiple)) AS multiple
        FROM bounds b JOIN risk.city_rates r ON r.city_id = b.city_id
    )
    UPDATE risk.city_rates r
       SET alert_multiple = c.multiple, alert_area_share = s.share
    FROM chosen c
    JOIN shares s ON s.city_id = c.city_id AND s.multiple = c.multiple
    WHERE r.city_id = c.city_id;
    RETURN (SELECT count(*) FROM risk.city_rates);
END;
$$;

-- Risk per district: the model's relative risk (as for cells, risk.model_evidence, with its
-- city's model rate and typical district) or else the located mass, against its city's rate,
-- prior centred on that rate.
-- VOLATILE (writes). Reads the pg_temp.incident_cells hand-off of risk.rebuild_cell_mass
-- (checked first).
CREATE OR REPLACE FUNCTION risk.rebuild_district_risk() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
               -- In double precision: a real sum's rounding depends on the row order.
               coalesce(sum(m.mass::float8), 0) AS observed,
               coalesce(sum(m.mass_precise::float8), 0) AS precise,
               coalesce(sum(m.recent_mass::float8), 0) AS recent,
               coalesce(sum(m.previous_mass::float8), 0) AS previous,
               sum(r.expected_week::float8) AS expected_week,
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
    LEFT JOIN (SELECT city_id, sum(expected_week::float8) / nullif(sum(area_km2), 0) AS rate
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
$$;

-- The city an incident belongs to: its source's city, else the city of the study-area cell
-- holding it, else its district's city; NULL when none. STABLE.
CREATE OR REPLACE FUNCTION risk.incident_city(
    source_id smallint, h3_cell h3index, district_id integer
) RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = public, pg_temp
BEGIN ATOMIC
    SELECT coalesce(
        (SELECT s.city_id FROM ref.data_sources s WHERE s.id = incident_city.source_id),
        (SELECT c.city_id FROM risk.cells c, risk.parameters p
          WHERE c.cell = public.h3_cell_to_parent(incident_city.h3_cell, p.base_resolution)),
        (SELECT d.city_id FROM ref.districts d WHERE d.id = incident_city.district_id));
END;

-- Empirical hour-of-week profile per city (mean 1, lightly smoothed with the neighbouring
-- hours, in the city's time zone), written for the cities without a model-fitted profile.
-- VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_empirical_hour_profile(as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
BEGIN
    DELETE FROM risk.hour_of_week_profile f
     WHERE f.source = 'empirical' OR f.city_id NOT IN (SELECT id FROM ref.cities);
    CREATE TEMP TABLE empirical_cities ON COMMIT DROP AS
    SELECT c.id, c.time_zone FROM ref.cities c
    WHERE NOT EXISTS (SELECT 1 FROM risk.hour_of_week_profile f WHERE f.city_id = c.id);
    INSERT INTO risk.hour_of_week_profile (city_id, hour_of_week, factor, source)
    SELECT s.city_id, s.h,
           (s.smoothed / greatest(avg(s.smoothed) OVER (PARTITION BY s.city_id), 1e-9))::real,
           'empirical'
    FROM (
        SELECT ec.id AS city_id, h.h,
               (coalesce(c.prev, 0) + 2 * coalesce(c.n, 0) + coalesce(c.next, 0) + 1)
               AS smoothed
        FROM empirical_cities ec
        CROSS JOIN generate_series(0, 167) AS h(h)
        LEFT JOIN (
            SELECT city_id, how, n, lag(n) OVER w AS prev, lead(n) OVER w AS next
            FROM (SELECT ec.id AS city_id, g.how, count(i.id) AS n
                  FROM empirical_cities ec
                  CROSS JOIN generate_series(0, 167) AS g(how)
                  LEFT JOIN (
                      SELECT i.id, i.occurred_at,
                             risk.incident_city(i.source_id, i.h3_cell, i.district_id) AS city_id
                      FROM raw.incidents i
                      WHERE i.occurred_at > as_of - interval '2 years'
                        AND i.occurred_at <= as_of
                  ) i ON i.city_id = ec.id
                     AND risk.hour_of_week(i.occurred_at, ec.time_zone) = g.how
                  GROUP BY ec.id, g.how) counts
            WINDOW w AS (PARTITION BY city_id ORDER BY how)
        ) c ON c.city_id = ec.id AND c.how = h.h
    ) s;
    DROP TABLE empirical_cities;
    RETURN (SELECT count(*) FROM risk.hour_of_week_profile);
END;
$$;

-- Counts of the incidents the incidents tile layer shows (same rule as tiles.tile_incidents:
-- point and place support, counting for risk, first seen by as_of, happened in the window),
-- per H3 cell at the base resolution and its two parents, with the cell centre. Tiles below
-- zoom 16 draw these counts, so a tile reads a few hundred rows whatever the incident count.
-- VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_incident_counts(as_of timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    p risk.parameters;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    DELETE FROM risk.incident_counts;
    CREATE TEMP TABLE base_counts ON COMMIT DROP AS
    SELECT public.h3_lat_lng_to_cell(i.point_geom::point, p.base_resolution) AS cell,
           count(*) AS incidents,
           count(*) FILTER (WHERE i.location_support = 'place') AS places
    FROM raw.incidents i
    JOIN ref.incident_categories k ON k.code = i.category AND k.counts_for_risk
    CROSS JOIN LATERAL (
        SELECT risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at) AS happened
    ) w
    WHERE i.location_support IN ('point', 'place')
      AND i.point_geom IS NOT NULL
      AND i.first_seen_at <= as_of
      AND w.happened > as_of - make_interval(days => p.window_days)
      AND w.happened <= as_of
    GROUP BY 1;
    INSERT INTO risk.incident_counts (cell, resolution, incidents, places, geom)
    SELECT a.cell, public.h3_get_resolution(a.cell), a.incidents, a.places,
           public.st_setsrid(public.st_makepoint((public.h3_cell_to_lat_lng(a.cell))[0],
                                                 (public.h3_cell_to_lat_lng(a.cell))[1]), 4326)
    FROM (
        SELECT cell, incidents, places FROM base_counts
        UNION ALL
        SELECT public.h3_cell_to_parent(cell, p.base_resolution - d), sum(incidents),
               sum(places)
        FROM base_counts CROSS JOIN (VALUES (1), (2)) AS up (d)
        GROUP BY 1
    ) a;
    DROP TABLE base_counts;
END;
$$;

-- The whole refresh, one transaction, never two at once: cells -> mass -> cell risk ->
-- district risk -> hour profile -> new generation; ANALYZE after each table.
-- Returns the new generation id. Raises 55P03 when another refresh holds the lock.
CREATE OR REPLACE FUNCTION risk.refresh_all(p_as_of timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
    PERFORM risk.rebuild_city_rates(as_of);
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
$$;
