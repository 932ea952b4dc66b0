-- 0005_risk: frozen copy of sql/070_risk_tables.sql, sql/071_risk_functions.sql, sql/072_risk_refresh.sql, sql/073_risk_features.sql, sql/074_risk_jobs.sql, sql/075_analytics_risk.sql.

-- ==== sql/070_risk_tables.sql ====
-- Risk tables: parameters, generations, the H3 cell universe, incident mass per cell, risk
-- per cell and per district, hour-of-week profile, model runs and predictions, backtests.
-- Rebuilt by risk.refresh_all() (sql/072_risk_refresh.sql) inside one transaction:
-- readers keep seeing the previous generation until it commits, and never block.
-- All geometries EPSG:4326. Idempotent.

CREATE TABLE IF NOT EXISTS risk.parameters (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    window_days integer NOT NULL DEFAULT 365 CHECK (window_days BETWEEN 7 AND 3650),
    half_life_days real NOT NULL DEFAULT 90 CHECK (half_life_days > 0),
    prior_strength real NOT NULL DEFAULT 2 CHECK (prior_strength > 0),
    ring_weights real[] NOT NULL DEFAULT '{0.5,0.25}',
    lower_quantile real NOT NULL DEFAULT 0.05 CHECK (lower_quantile > 0 AND lower_quantile < 0.5),
    alert_threshold real NOT NULL DEFAULT 0.6,
    clear_threshold real NOT NULL DEFAULT 0.5,
    base_resolution smallint NOT NULL DEFAULT 9 CHECK (base_resolution BETWEEN 7 AND 10),
    trend_days integer NOT NULL DEFAULT 90 CHECK (trend_days > 0),
    CHECK (clear_threshold < alert_threshold)
);
INSERT INTO risk.parameters DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
COMMENT ON TABLE risk.parameters IS
    'The one row of risk parameters: window, decay half-life, prior strength, ring weights, quantile, thresholds.';

CREATE TABLE IF NOT EXISTS risk.generations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    as_of timestamptz NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    located_incidents integer NOT NULL,
    located_share real,
    model_version text
);
COMMENT ON TABLE risk.generations IS
    'One row per refresh; the latest id is the tile generation (ETags, cache keys).';

CREATE TABLE IF NOT EXISTS risk.cells (
    cell h3index PRIMARY KEY,
    resolution smallint NOT NULL,
    district_id integer NOT NULL REFERENCES ref.districts (id) ON DELETE CASCADE,
    area_km2 double precision NOT NULL CHECK (area_km2 > 0),
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS cells_geom_idx ON risk.cells USING gist (geom);
CREATE INDEX IF NOT EXISTS cells_district_id_idx ON risk.cells (district_id);
COMMENT ON TABLE risk.cells IS
    'The study area: H3 cells (resolutions 7-9) whose area lies in a district; area_km2 counts the in-district part (base resolution: the full cell).';

CREATE TABLE IF NOT EXISTS risk.place_cells (
    place_id integer NOT NULL REFERENCES ref.places (id) ON DELETE CASCADE,
    cell h3index NOT NULL,
    PRIMARY KEY (place_id, cell)
);
COMMENT ON TABLE risk.place_cells IS
    'The base-resolution cells a named place covers (its polygon or its point and radius); an incident located to the place is spread over them.';

CREATE TABLE IF NOT EXISTS risk.cell_mass (
    cell h3index PRIMARY KEY,
    mass real NOT NULL,
    mass_precise real NOT NULL,
    category_mass jsonb NOT NULL,
    recent_mass real NOT NULL,
    previous_mass real NOT NULL
);
COMMENT ON TABLE risk.cell_mass IS
    'Incident mass per base-resolution cell: severity x time decay, each incident spread evenly over the cells of its support.';

CREATE TABLE IF NOT EXISTS risk.cell_risk (
    cell h3index PRIMARY KEY,
    resolution smallint NOT NULL,
    district_id integer NOT NULL,
    area_km2 double precision NOT NULL,
    observed real NOT NULL,
    expected real NOT NULL,
    prior_rr real NOT NULL,
    relative_risk real NOT NULL,
    rr_lower real NOT NULL,
    rr_upper real NOT NULL,
    risk_score real NOT NULL CHECK (risk_score >= 0 AND risk_score <= 1),
    evidence text NOT NULL CHECK (evidence IN ('point', 'inferred', 'none')),
    category_mass jsonb NOT NULL,
    trend real,
    expected_week real,
    geom geometry(Polygon, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS cell_risk_geom_idx ON risk.cell_risk USING gist (geom);
CREATE INDEX IF NOT EXISTS cell_risk_resolution_idx ON risk.cell_risk (resolution);
COMMENT ON TABLE risk.cell_risk IS
    'Risk per H3 cell and resolution. risk_score = RR_lo / (1 + RR_lo), RR_lo the lower 5% bound of the relative risk against the city rate; 0.6 means at least 1.5x the city rate, with confidence.';
COMMENT ON COLUMN risk.cell_risk.evidence IS
    'point: most of the mass comes from exactly located incidents or named places; inferred: mostly spread from district-level locations; none: no incidents.';
COMMENT ON COLUMN risk.cell_risk.expected_week IS 'Model-predicted incidents next week (statsmodels GLM), when a model has run.';
COMMENT ON COLUMN risk.cell_risk.trend IS 'Mass of the last trend_days against the trend_days before (1 = flat).';

CREATE TABLE IF NOT EXISTS risk.district_risk (
    district_id integer PRIMARY KEY REFERENCES ref.districts (id) ON DELETE CASCADE,
    observed real NOT NULL,
    expected real NOT NULL,
    relative_risk real NOT NULL,
    rr_lower real NOT NULL,
    rr_upper real NOT NULL,
    risk_score real NOT NULL CHECK (risk_score >= 0 AND risk_score <= 1),
    evidence text NOT NULL CHECK (evidence IN ('point', 'inferred', 'none')),
    incident_counts jsonb NOT NULL,
    incidents integer NOT NULL,
    trend real,
    expected_week real
);
COMMENT ON TABLE risk.district_risk IS
    'Risk per district, same meaning as risk.cell_risk; incident_counts by category over the window.';

CREATE TABLE IF NOT EXISTS risk.hour_of_week_profile (
    hour_of_week smallint PRIMARY KEY CHECK (hour_of_week BETWEEN 0 AND 167),
    factor real NOT NULL CHECK (factor >= 0),
    source text NOT NULL CHECK (source IN ('model', 'empirical'))
);
COMMENT ON TABLE risk.hour_of_week_profile IS
    'Relative incident rate by hour of the week (0 = Monday 00:00 Europe/Stockholm), mean 1.';

CREATE TABLE IF NOT EXISTS risk.model_runs (
    version text PRIMARY KEY,
    job_run_id bigint REFERENCES ops.job_runs (id) ON DELETE SET NULL,
    trained_at timestamptz NOT NULL DEFAULT now(),
    as_of timestamptz NOT NULL,
    family text NOT NULL,
    formula text NOT NULL,
    n_obs integer NOT NULL,
    aic double precision,
    deviance double precision,
    pearson_chi2 double precision,
    coefficients jsonb NOT NULL,
    fit jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE risk.model_runs IS 'Every trained model: version, coefficients and fit statistics.';

CREATE TABLE IF NOT EXISTS risk.model_predictions (
    cell h3index NOT NULL,
    week_start timestamptz NOT NULL,
    expected_count real NOT NULL CHECK (expected_count >= 0),
    model_version text NOT NULL REFERENCES risk.model_runs (version) ON DELETE CASCADE,
    PRIMARY KEY (model_version, cell)
);
COMMENT ON TABLE risk.model_predictions IS
    'Expected incidents per resolution-8 cell in the week after the model''s as_of.';

CREATE TABLE IF NOT EXISTS risk.backtest_results (
    id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    model_version text NOT NULL,
    level text NOT NULL CHECK (level IN ('district', 'h3')),
    method text NOT NULL,
    metric text NOT NULL,
    area_pct real NOT NULL DEFAULT 0,
    value double precision,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_version, level, method, metric, area_pct)
);
COMMENT ON TABLE risk.backtest_results IS
    'Rolling-origin backtest metrics per model version, level and method (model and baselines).';


-- ==== sql/071_risk_functions.sql ====
-- Pure functions of the risk model. SQL-standard bodies are parsed at creation, so they run
-- safely where search_path is only pg_catalog (REFRESH, pg_cron). Idempotent.

-- Standard normal quantile for 0 < p < 1 (Abramowitz & Stegun 26.2.23, |error| < 4.5e-4).
-- IMMUTABLE, PARALLEL SAFE.
CREATE OR REPLACE FUNCTION risk.normal_quantile(p double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
    SELECT CASE WHEN p <= 0 OR p >= 1 THEN NULL
                ELSE sign(p - 0.5) * (t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
                                          / (1 + 1.432788 * t + 0.189269 * t * t
                                             + 0.001308 * t * t * t))
           END
    FROM (SELECT sqrt(-2 * ln(least(p, 1 - p))) AS t WHERE p > 0 AND p < 1) AS tail;
END;

-- Quantile of Gamma(shape, rate) at the normal quantile z (Wilson-Hilferty cube-root
-- approximation; good for shape >= 1, which the prior guarantees). IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.gamma_quantile(
    shape double precision, rate double precision, z double precision
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN (shape / rate) * power(greatest(0, 1 - 1 / (9 * shape) + z / (3 * sqrt(shape))), 3);

-- The documented score: RR_lo / (1 + RR_lo), in [0, 1); 0.6 <=> RR_lo >= 1.5. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.score_of(rr_lower double precision) RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN (greatest(rr_lower, 0) / (1 + greatest(rr_lower, 0)))::real;

-- Boundary polygon of an H3 cell, EPSG:4326, from h3-pg core functions (schema-qualified:
-- the h3_postgis wrappers fail where search_path is pg_catalog). IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.cell_polygon(cell h3index) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN public.st_setsrid(public.st_geomfromewkb(public.h3_cell_to_boundary_wkb(cell)), 4326);

-- Weight of an incident: category severity x exponential decay with the given half-life,
-- age measured from as_of. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.incident_weight(
    severity real, occurred timestamptz, as_of timestamptz, half_life_days real
) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN severity * power(0.5, greatest(extract(epoch FROM as_of - occurred), 0)
                                 / 86400.0 / half_life_days);

-- When an incident counts as having happened: its own time, else publication, else first
-- sight. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.incident_time(
    occurred_at timestamptz, published_at timestamptz, first_seen_at timestamptz
) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(occurred_at, published_at, first_seen_at);

-- Hour of the week in Stockholm local time, 0 = Monday 00:00-00:59. STABLE (time zone data).
CREATE OR REPLACE FUNCTION risk.hour_of_week(t timestamptz) RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE STRICT
RETURN ((extract(isodow FROM t AT TIME ZONE 'Europe/Stockholm')::int - 1) * 24
        + extract(hour FROM t AT TIME ZONE 'Europe/Stockholm')::int)::smallint;

-- Empirical-Bayes posterior of a relative risk: Gamma prior with mean prior_rr and the given
-- strength, Poisson observed/expected. Returns (rr, rr_lower, rr_upper) at quantile q and
-- 1 - q. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.posterior_rr(
    observed double precision, expected double precision, prior_rr double precision,
    prior_strength double precision, q double precision,
    OUT rr double precision, OUT rr_lower double precision, OUT rr_upper double precision
)
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
BEGIN ATOMIC
    SELECT (prior_strength + observed) / (prior_strength / prior_rr + expected),
           risk.gamma_quantile(prior_strength + observed, prior_strength / prior_rr + expected,
                               risk.normal_quantile(q)),
           risk.gamma_quantile(prior_strength + observed, prior_strength / prior_rr + expected,
                               risk.normal_quantile(1 - q));
END;


-- ==== sql/072_risk_refresh.sql ====
-- The risk pipeline in SQL: rebuild the risk tables in dependency order inside one
-- transaction (readers see the previous generation until commit and never block: rows are
-- replaced with DELETE + INSERT, no TABLE lock), ANALYZE each, record a new generation.
-- Entry point: SELECT risk.refresh_all([as_of]). Idempotent definitions.

-- Base-resolution cells of every district (centroid containment; a district too small to
-- hold a centroid gets the cell of its point on surface), and their parents at the two
-- coarser resolutions with the in-district area. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cells(base_res integer) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
        SELECT district_id, array_agg(cell) AS cells FROM base_cells GROUP BY district_id
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
-- (severity x decay) times its share of the cell. Leaves the temp table incident_cells
-- (incident, cell, share) for the later steps of the same transaction. Returns the located
-- share of the city's incidents (located / (located + Stockholm-municipality-only)).
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
      AND i.location_support = 'municipality' AND i.municipality_code = '0180'
      AND risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)
          BETWEEN as_of - make_interval(days => p.window_days) AND as_of;
    RETURN CASE WHEN located + unlocated > 0
                THEN located::real / (located + unlocated) END;
END;
$$;

-- Located incident mass per km2 over the study area (the "city rate" every expected count
-- uses); a tiny floor keeps an empty city from dividing by zero. STABLE.
CREATE OR REPLACE FUNCTION risk.city_rate() RETURNS double precision
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT greatest(coalesce(sum(m.mass) / sum(c.area_km2), 0), 1e-9)
    -- ON, not USING: pg_dump writes USING unqualified, and a restore (empty search_path)
    -- then cannot find h3index's = operator; an explicit = is dumped schema-qualified.
    FROM risk.cell_mass m JOIN risk.cells c ON c.cell = m.cell;
END;

-- Evidence level of a cell or district: none without mass; point when at least half of the
-- mass comes from exact points or small places; else inferred (spread from districts).
-- IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.evidence_of(observed double precision, precise double precision)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN observed <= 0 THEN 'none'
            WHEN precise >= 0.5 * observed THEN 'point' ELSE 'inferred' END;

-- Risk per cell at the base resolution and its two parents: observed mass against the
-- city rate, a leave-one-out prior from the neighbour rings (weights risk.parameters
-- .ring_weights), the empirical-Bayes posterior and its bounds. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_cell_risk(model text) RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    p risk.parameters;
    rate double precision;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    rate := risk.city_rate();

    -- Each base cell counted into itself and its parents (a hash join, not a scan per cell).
    DROP TABLE IF EXISTS cell_observed;
    CREATE TEMP TABLE cell_observed ON COMMIT DROP AS
    WITH base_predicted AS (
        -- The model predicts resolution-8 cells; a base cell gets its area's share.
        SELECT b.cell, mp.expected_count * b.area_km2 / p8.area_km2 AS expected_week
        FROM risk.cells b
        JOIN risk.cells p8 ON p8.cell = h3_cell_to_parent(b.cell, 8)
        JOIN risk.model_predictions mp ON mp.cell = p8.cell AND mp.model_version = model
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
    CROSS JOIN LATERAL risk.posterior_rr(o.observed, o.expected, prior.rr, p.prior_strength,
                                         p.lower_quantile) post
    LEFT JOIN cell_categories cat ON cat.cell = o.cell;
    RETURN (SELECT count(*) FROM risk.cell_risk);
END;
$$;

-- Risk per district: located mass against the city rate, prior centred on the city rate.
-- VOLATILE (writes). Reads the incident_cells hand-off of risk.rebuild_cell_mass.
CREATE OR REPLACE FUNCTION risk.rebuild_district_risk() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
DECLARE
    p risk.parameters;
    rate double precision;
BEGIN
    SELECT * INTO p FROM risk.parameters;
    rate := risk.city_rate();

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
               sum(r.expected_week) AS expected_week
        FROM risk.cells c
        JOIN risk.cell_mass m USING (cell)
        JOIN risk.cell_risk r USING (cell)
        WHERE c.resolution = p.base_resolution
        GROUP BY c.district_id
    ) o ON o.district_id = d.id
    CROSS JOIN LATERAL (SELECT d.area_km2 * rate AS expected) e
    CROSS JOIN LATERAL risk.posterior_rr(o.observed, e.expected, 1.0, p.prior_strength,
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
$$;

-- Empirical hour-of-week profile (mean 1, lightly smoothed with the neighbouring hours),
-- written only when no model-fitted profile exists. VOLATILE (writes).
CREATE OR REPLACE FUNCTION risk.rebuild_empirical_hour_profile(as_of timestamptz)
RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_temp SET client_min_messages = warning AS $$
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
    PERFORM risk.rebuild_cell_risk(model);
    ANALYZE risk.cell_risk;
    PERFORM risk.rebuild_district_risk();
    ANALYZE risk.district_risk;
    PERFORM risk.rebuild_empirical_hour_profile(as_of);

    INSERT INTO risk.generations (as_of, located_incidents, located_share, model_version)
    VALUES (as_of, (SELECT count(DISTINCT id) FROM incident_cells), located, model)
    RETURNING id INTO generation;
    RETURN generation;
END;
$$;


-- ==== sql/073_risk_features.sql ====
-- Features of the statsmodels model, computed in SQL: counts per resolution-8 cell and
-- week from what was known at `cutoff`, with lags, decayed sums of the cell and its ring,
-- the district rate and seasonality. Used by the nightly retrain and the backtest.

-- Incident counts (support shares) per resolution-8 cell and week before cutoff:
-- week_no 0 .. n_weeks - 1, oldest first; week n_weeks starts at cutoff. STABLE.
CREATE OR REPLACE FUNCTION risk.cell_week_counts(cutoff timestamptz, n_weeks integer)
RETURNS TABLE (cell h3index, week_no integer, n double precision)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    SELECT h3_cell_to_parent(s.cell, 8),
           n_weeks - ceil(extract(epoch FROM cutoff - s.occurred) / 604800.0)::integer,
           sum(s.share)
    FROM risk.incident_shares(cutoff, cutoff - make_interval(days => 7 * n_weeks), cutoff) s
    GROUP BY 1, 2;
END;

-- One row per resolution-8 cell of the study area and week_no 0 .. n_weeks (the last is the
-- week to predict: observed is NULL). Features use only weeks before the row's week: the
-- last 52 weeks' count and a decayed sum (half-life 13 weeks) of the cell, the decayed sum
-- of its first ring, its district's decayed rate, the season. (Last-week and last-4-week
-- counts were tried and dropped: with ~16 located incidents a week in the city they only
-- added noise in the backtest.) STABLE.
CREATE OR REPLACE FUNCTION risk.cell_week_features(cutoff timestamptz, n_weeks integer)
RETURNS TABLE (cell h3index, district_id integer, week_no integer, week_start timestamptz,
               observed double precision, last52 double precision, decayed double precision,
               ring_decayed double precision, district_rate double precision,
               woy_sin double precision, woy_cos double precision, area_km2 double precision)
LANGUAGE sql STABLE SET search_path = public, pg_temp
BEGIN ATOMIC
    WITH cells8 AS (
        SELECT c.cell, c.district_id, c.area_km2 FROM risk.cells c WHERE c.resolution = 8
    ),
    counts AS (SELECT * FROM risk.cell_week_counts(cutoff, n_weeks)),
    grid AS (
        SELECT c.cell, c.district_id, c.area_km2, w.week_no,
               CASE WHEN w.week_no < n_weeks THEN coalesce(k.n, 0) END AS y,
               coalesce(k.n, 0) AS y0
        FROM cells8 c
        CROSS JOIN generate_series(0, n_weeks) AS w(week_no)
        LEFT JOIN counts k ON k.cell = c.cell AND k.week_no = w.week_no
    ),
    lagged AS (
        SELECT g.*,
               sum(g.y0) OVER (w ROWS BETWEEN 52 PRECEDING AND 1 PRECEDING) AS last52,
               -- sum_{j<t} y_j * lambda^(t-1-j), lambda = 0.5^(1/13), via a running sum.
               power(0.5, (g.week_no - 1) / 13.0)
                 * sum(g.y0 * power(0.5, -g.week_no / 13.0))
                   OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS decayed
        FROM grid g
        WINDOW w AS (PARTITION BY g.cell ORDER BY g.week_no)
    ),
    ring AS (
        SELECT l.cell, l.week_no, avg(nb.decayed) AS ring_decayed
        FROM lagged l
        CROSS JOIN LATERAL h3_grid_disk(l.cell, 1) AS disk(cell)
        JOIN lagged nb ON nb.cell = disk.cell AND nb.week_no = l.week_no
        WHERE disk.cell <> l.cell
        GROUP BY l.cell, l.week_no
    ),
    district AS (
        SELECT l.district_id, l.week_no, sum(l.decayed) / sum(l.area_km2) AS rate
        FROM lagged l GROUP BY l.district_id, l.week_no
    )
    SELECT l.cell, l.district_id, l.week_no,
           cutoff - make_interval(days => 7 * (n_weeks - l.week_no)),
           l.y, coalesce(l.last52, 0),
           coalesce(l.decayed, 0), coalesce(r.ring_decayed, 0), coalesce(d.rate, 0),
           sin(2 * pi() * extract(doy FROM cutoff - make_interval(days => 7 * (n_weeks - l.week_no))) / 365.25),
           cos(2 * pi() * extract(doy FROM cutoff - make_interval(days => 7 * (n_weeks - l.week_no))) / 365.25),
           l.area_km2
    FROM lagged l
    LEFT JOIN ring r ON r.cell = l.cell AND r.week_no = l.week_no
    LEFT JOIN district d ON d.district_id = l.district_id AND d.week_no = l.week_no
    ORDER BY l.week_no, l.cell;
END;


-- ==== sql/074_risk_jobs.sql ====
-- The API's one way to start the nightly pipeline: queue a run for the scheduler. The API
-- role may call this function but may not write ops.job_runs itself. Idempotent.

-- Queue a nightly run unless one is already queued or running; returns that run's id and
-- whether it was newly queued. SECURITY DEFINER (owner's rights), VOLATILE.
CREATE OR REPLACE FUNCTION ops.request_nightly_run(OUT run_id bigint, OUT queued boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Serialise concurrent requests so two callers cannot both queue a run.
    PERFORM pg_advisory_xact_lock(hashtext('halo.ops.request_nightly_run'));
    SELECT id INTO run_id FROM ops.job_runs
    WHERE kind = 'nightly' AND status IN ('queued', 'running')
    ORDER BY id DESC LIMIT 1;
    IF FOUND THEN
        queued := false;
        RETURN;
    END IF;
    INSERT INTO ops.job_runs (kind, status) VALUES ('nightly', 'queued') RETURNING id INTO run_id;
    queued := true;
END;
$$;
REVOKE ALL ON FUNCTION ops.request_nightly_run() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.request_nightly_run() TO halo_api;
COMMENT ON FUNCTION ops.request_nightly_run() IS
    'Queue a nightly run (retrain, refresh, backtest) for the scheduler; one at a time.';


-- ==== sql/075_analytics_risk.sql ====
-- Analytics views of the risk tables for QGIS (read-only analyst role): a stable integer
-- key, typed EPSG:4326 geometries, comments that QGIS shows as layer abstracts. Idempotent.

CREATE OR REPLACE VIEW analytics.cell_risk AS
SELECT r.cell::bigint AS id, r.cell::text AS h3_cell, r.resolution, r.district_id,
       d.name AS district, r.area_km2, r.observed, r.expected, r.relative_risk, r.rr_lower,
       r.rr_upper, r.risk_score, r.evidence, r.trend, r.expected_week, r.category_mass,
       r.geom::geometry(Polygon, 4326) AS geom
FROM risk.cell_risk r
LEFT JOIN ref.districts d ON d.id = r.district_id;
COMMENT ON VIEW analytics.cell_risk IS
    'Risk per H3 cell (resolutions 7-9; filter on resolution). risk_score = RR_lo/(1+RR_lo): 0.6 means at least 1.5x the city rate with confidence. evidence: point (exact locations) or inferred (spread from district-level locations).';

CREATE OR REPLACE VIEW analytics.district_risk AS
SELECT d.id, d.name, r.observed, r.expected, r.relative_risk, r.rr_lower, r.rr_upper,
       r.risk_score, r.evidence, r.incidents, r.incident_counts, r.trend, r.expected_week,
       d.area_km2, d.geom::geometry(MultiPolygon, 4326) AS geom
FROM ref.districts d
JOIN risk.district_risk r ON r.district_id = d.id;
COMMENT ON VIEW analytics.district_risk IS
    'Risk per Stockholm district (stadsdel), same meaning as analytics.cell_risk; incident counts by category over the window.';

CREATE OR REPLACE VIEW analytics.model_metrics AS
SELECT b.id, b.model_version, m.trained_at, m.family, b.level, b.method, b.metric,
       b.area_pct, b.value, b.computed_at
FROM risk.backtest_results b
LEFT JOIN risk.model_runs m ON m.version = b.model_version;
COMMENT ON VIEW analytics.model_metrics IS
    'Rolling-origin backtest metrics per model version: hit rate and PAI by area share, calibration by decile, alert-zone stability; the model beside the uniform, last-52-week and ring-KDE baselines.';
