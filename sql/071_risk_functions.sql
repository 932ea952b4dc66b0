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

-- The score against k times the city rate: RR_lo / (k + RR_lo); 0.6 <=> RR_lo >= 1.5 k. k is
-- the city's reference multiple (risk.city_rates.alert_multiple; 1 gives the one-argument
-- form). IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.score_of(rr_lower double precision, multiple double precision)
RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN (greatest(rr_lower, 0) / (greatest(multiple, 1) + greatest(rr_lower, 0)))::real;

-- The ladder of reference multiples a city's k is chosen from, smallest first. A fixed
-- ladder (not a free quantile) keeps k, and so the alert zones, unchanged from one day to the
-- next unless the city's evidence moves a whole rung. pipeline/risk/alert_rule.py
-- ALERT_MULTIPLES is the same list (tests/test_alert_rule.py holds them equal). IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.alert_multiples() RETURNS real[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{1,1.25,1.5,2,2.5,3,4,5,6,8,10,15,20}'::real[];

-- A city's multiple falls back to a lower rung only when that rung's alert zones stay within
-- this share of its cap (hysteresis; it rises as soon as the cap is exceeded).
-- pipeline/risk/alert_rule.py ALERT_AREA_RELAX is the same number. IMMUTABLE.
CREATE OR REPLACE FUNCTION risk.alert_area_relax() RETURNS real
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 0.8;

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

-- Hour of the week in the given time zone (a city's), 0 = Monday 00:00-00:59. STABLE (time
-- zone data).
CREATE OR REPLACE FUNCTION risk.hour_of_week(t timestamptz, time_zone text) RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE STRICT
RETURN ((extract(isodow FROM t AT TIME ZONE time_zone)::int - 1) * 24
        + extract(hour FROM t AT TIME ZONE time_zone)::int)::smallint;

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
