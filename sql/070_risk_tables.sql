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
    model_resolution smallint NOT NULL DEFAULT 8 CHECK (model_resolution BETWEEN 5 AND 10),
    CHECK (clear_threshold < alert_threshold)
);
INSERT INTO risk.parameters DEFAULT VALUES ON CONFLICT (id) DO NOTHING;
COMMENT ON TABLE risk.parameters IS
    'The one row of risk parameters: window, decay half-life, prior strength, ring weights, quantile, thresholds, the model''s H3 resolution.';
COMMENT ON COLUMN risk.parameters.model_resolution IS
    'H3 resolution the model (pipeline/risk/blend.py) is fitted and predicts at: 8 for text-located police events, 9 for exact point sources; at most base_resolution.';

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
    district_id integer REFERENCES ref.districts (id) ON DELETE CASCADE,
    area_km2 double precision NOT NULL CHECK (area_km2 > 0),
    geom geometry(Polygon, 4326) NOT NULL,
    city_id smallint NOT NULL REFERENCES ref.cities (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS cells_geom_idx ON risk.cells USING gist (geom);
CREATE INDEX IF NOT EXISTS cells_district_id_idx ON risk.cells (district_id);
CREATE INDEX IF NOT EXISTS cells_city_id_idx ON risk.cells (city_id);
COMMENT ON TABLE risk.cells IS
    'The study area of every city: H3 cells (resolutions 7-9) of its boundary and districts (or, without a boundary, of its located history plus a ring); area_km2 counts the in-area part (base resolution: the full cell). district_id NULL: in no district.';

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
    district_id integer,
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
    geom geometry(Polygon, 4326) NOT NULL,
    city_id smallint NOT NULL
);
CREATE INDEX IF NOT EXISTS cell_risk_geom_idx ON risk.cell_risk USING gist (geom);
CREATE INDEX IF NOT EXISTS cell_risk_resolution_idx ON risk.cell_risk (resolution);
COMMENT ON TABLE risk.cell_risk IS
    'Risk per H3 cell and resolution. risk_score = RR_lo / (k + RR_lo), RR_lo the lower 5% bound of the relative risk against the rate of the cell''s city and k its reference multiple (risk.city_rates.alert_multiple, 1 unless the city''s alert zones would exceed its alert_area); 0.6 means at least 1.5 x k times the city rate, with confidence.';
COMMENT ON COLUMN risk.cell_risk.evidence IS
    'point: most of the mass comes from exactly located incidents or named places; inferred: mostly spread from district-level locations; none: no incidents.';
COMMENT ON COLUMN risk.cell_risk.expected_week IS 'Model-predicted incidents next week (statsmodels GLM), when a model has run.';
COMMENT ON COLUMN risk.cell_risk.trend IS 'Mass of the last trend_days against the trend_days before (1 = flat).';

CREATE TABLE IF NOT EXISTS risk.incident_counts (
    cell h3index PRIMARY KEY,
    resolution smallint NOT NULL,
    incidents integer NOT NULL CHECK (incidents > 0),
    places integer NOT NULL CHECK (places >= 0),
    geom geometry(Point, 4326) NOT NULL
);
CREATE INDEX IF NOT EXISTS incident_counts_geom_idx ON risk.incident_counts USING gist (geom);
COMMENT ON TABLE risk.incident_counts IS
    'Incidents the incidents tile layer may show (point and place support, counting for risk, in the generation''s window) per H3 cell at the base resolution and its two parents; geom = cell centre. The layer draws these counts below zoom 16.';

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

CREATE TABLE IF NOT EXISTS risk.city_rates (
    city_id smallint PRIMARY KEY REFERENCES ref.cities (id) ON DELETE CASCADE,
    rate_per_km2 double precision NOT NULL CHECK (rate_per_km2 > 0),
    mass double precision NOT NULL,
    area_km2 double precision NOT NULL,
    located_incidents integer NOT NULL,
    located_share real,
    alert_multiple real NOT NULL DEFAULT 1 CHECK (alert_multiple >= 1),
    alert_area_share real
);
COMMENT ON TABLE risk.city_rates IS
    'Per city and refresh: located incident mass per km2 over its study area (the rate every expected count of its cells and districts uses), the located share (located / (located + municipality-only events of its municipalities)), and the reference multiple k of the city''s risk_score with the alert area it gives.';
COMMENT ON COLUMN risk.city_rates.alert_multiple IS
    'Reference multiple k of the city rate: risk_score = RR_lo / (k + RR_lo), so 0.6 means at least 1.5 x k times the city rate, with confidence. The smallest rung of risk.alert_multiples() whose alert zones cover at most ref.cities.alert_area of the city at every level (resolutions 7-9); 1 where the cap holds unscaled (sparse data).';
COMMENT ON COLUMN risk.city_rates.alert_area_share IS
    'Share of the city''s area in alert zones with that multiple, at its largest level (the one the cap binds).';

CREATE TABLE IF NOT EXISTS risk.hour_of_week_profile (
    city_id smallint NOT NULL REFERENCES ref.cities (id) ON DELETE CASCADE,
    hour_of_week smallint NOT NULL CHECK (hour_of_week BETWEEN 0 AND 167),
    factor real NOT NULL CHECK (factor >= 0),
    source text NOT NULL CHECK (source IN ('model', 'empirical')),
    PRIMARY KEY (city_id, hour_of_week)
);
COMMENT ON TABLE risk.hour_of_week_profile IS
    'Relative incident rate by hour of the week per city (0 = Monday 00:00 in the city''s time zone), mean 1.';

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
    'Expected incidents per cell (at risk.parameters.model_resolution when trained) in the week after the model''s as_of.';

CREATE TABLE IF NOT EXISTS risk.backtest_results (
    id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    model_version text NOT NULL,
    level text NOT NULL CHECK (level IN ('district', 'h3', 'h3_7', 'h3_8', 'h3_9', 'h3_10')),
    method text NOT NULL,
    metric text NOT NULL,
    area_pct real NOT NULL DEFAULT 0,
    value double precision,
    computed_at timestamptz NOT NULL DEFAULT now(),
    city text NOT NULL DEFAULT 'all' CHECK (city ~ '^[a-z0-9_-]{1,40}$'),
    PRIMARY KEY (model_version, city, level, method, metric, area_pct)
);
COMMENT ON TABLE risk.backtest_results IS
    'Rolling-origin backtest metrics per model version, city, level and method (model and baselines).';
COMMENT ON COLUMN risk.backtest_results.city IS
    'The city (ref.cities.code) whose folds these are: each city is backtested alone, as the nightly fits it; ''all'' for the whole study area when no city has one yet, and for the SQL alert-zone rows (level h3), which span every city.';
