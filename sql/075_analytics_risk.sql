-- Analytics views of the risk tables for QGIS (read-only analyst role): a stable integer
-- key, typed EPSG:4326 geometries, comments that QGIS shows as layer abstracts. Idempotent.

CREATE OR REPLACE VIEW analytics.cell_risk AS
SELECT r.cell::bigint AS id, r.cell::text AS h3_cell, r.resolution, r.district_id,
       d.name AS district, r.area_km2, r.observed, r.expected, r.relative_risk, r.rr_lower,
       r.rr_upper, r.risk_score, r.evidence, r.trend, r.expected_week, r.category_mass,
       r.geom::geometry(Polygon, 4326) AS geom, k.code AS city,
       coalesce(m.alert_multiple, 1) AS alert_multiple
FROM risk.cell_risk r
LEFT JOIN ref.districts d ON d.id = r.district_id
LEFT JOIN ref.cities k ON k.id = r.city_id
LEFT JOIN risk.city_rates m ON m.city_id = r.city_id;
COMMENT ON VIEW analytics.cell_risk IS
    'Risk per H3 cell (resolutions 7-9; filter on resolution). risk_score = RR_lo/(k+RR_lo), k = alert_multiple (the city''s reference multiple, 1 unless its alert zones would exceed its alert_area): 0.6 means at least 1.5 x k times the city rate with confidence. evidence: point (exact locations) or inferred (spread from district-level locations).';

CREATE OR REPLACE VIEW analytics.district_risk AS
SELECT d.id, d.name, r.observed, r.expected, r.relative_risk, r.rr_lower, r.rr_upper,
       r.risk_score, r.evidence, r.incidents, r.incident_counts, r.trend, r.expected_week,
       d.area_km2, d.geom::geometry(MultiPolygon, 4326) AS geom, k.code AS city,
       coalesce(m.alert_multiple, 1) AS alert_multiple
FROM ref.districts d
JOIN risk.district_risk r ON r.district_id = d.id
LEFT JOIN ref.cities k ON k.id = d.city_id
LEFT JOIN risk.city_rates m ON m.city_id = d.city_id;
COMMENT ON VIEW analytics.district_risk IS
    'Risk per district (of its city, against its city''s rate), same meaning as analytics.cell_risk (risk_score = RR_lo/(alert_multiple+RR_lo)); incident counts by category over the window.';

CREATE OR REPLACE VIEW analytics.cities AS
SELECT c.id, c.code, c.name, c.time_zone, r.rate_per_km2, r.area_km2, r.located_incidents,
       r.located_share, c.boundary::geometry(MultiPolygon, 4326) AS geom, c.alert_area,
       r.alert_multiple, r.alert_area_share,
       round((r.alert_multiple * p.alert_threshold / (1 - p.alert_threshold))::numeric, 2)
           AS alert_times_city_rate
FROM ref.cities c
LEFT JOIN risk.city_rates r ON r.city_id = c.id
CROSS JOIN risk.parameters p;
COMMENT ON VIEW analytics.cities IS
    'The cities: time zone, the city rate of the last refresh (located incident mass per km2 over the study area, which every expected count of the city uses), study-area km2, located incidents and share, boundary (NULL: the study area is the located cells plus a ring); the alert rule: alert_area (the cap on the alert zones'' share of the area), alert_multiple k (risk_score = RR_lo/(k+RR_lo)), the share it gives, and what the alert level means in multiples of the city rate (k x threshold / (1 - threshold): 1.5 k at the default 0.6).';

CREATE OR REPLACE VIEW analytics.model_metrics AS
SELECT b.id, b.model_version, m.trained_at, m.family, b.level, b.method, b.metric,
       b.area_pct, b.value, b.computed_at, b.city
FROM risk.backtest_results b
LEFT JOIN risk.model_runs m ON m.version = b.model_version;
COMMENT ON VIEW analytics.model_metrics IS
    'Rolling-origin backtest metrics per model version and city: hit rate and PAI by area share, calibration by decile, alert-zone stability; the model beside the uniform, last-52-week and ring-KDE baselines and the published risk_score. Side by side: analytics.model_comparison.';

-- One row per model version, city, level and method: the backtest's headline figures side by side
-- (QGIS attribute table, /api/v1/model/metrics' comparison). The key is the smallest id of
-- the row's metrics (stable while the version's results stand).
CREATE OR REPLACE VIEW analytics.model_comparison AS
SELECT min(b.id) AS id, b.model_version, m.trained_at, b.level, b.method,
       max(b.value) FILTER (WHERE b.metric = 'pai' AND b.area_pct = 5) AS pai_5,
       max(b.value) FILTER (WHERE b.metric = 'hit_rate' AND b.area_pct = 5) AS hit_rate_5,
       max(b.value) FILTER (WHERE b.metric = 'pai' AND b.area_pct = 1) AS pai_1,
       max(b.value) FILTER (WHERE b.metric = 'pai' AND b.area_pct = 10) AS pai_10,
       max(b.value) FILTER (WHERE b.metric = 'deviance') AS deviance,
       max(b.value) FILTER (WHERE b.metric = 'predicted_total')
       / nullif(max(b.value) FILTER (WHERE b.metric = 'observed_total'), 0)
           AS predicted_over_observed,
       max(b.value) FILTER (WHERE b.metric = 'calibration_worst_decile')
           AS calibration_worst_decile,
       max(b.value) FILTER (WHERE b.metric = 'alert_area_share') AS alert_area_share,
       max(b.value) FILTER (WHERE b.metric = 'alert_jaccard_week_to_week')
           AS alert_jaccard_week_to_week,
       max(b.value) FILTER (WHERE b.metric = 'alert_jaccard_day_to_day')
           AS alert_jaccard_day_to_day,
       b.city
FROM risk.backtest_results b
LEFT JOIN risk.model_runs m ON m.version = b.model_version
GROUP BY b.model_version, m.trained_at, b.city, b.level, b.method;
COMMENT ON VIEW analytics.model_comparison IS
    'Backtest headline per model version, city, level and method, side by side: PAI and hit rate at 5 % of the area, Poisson deviance, predicted/observed total, worst calibration decile (>= 100 expected), alert-zone area and overlap (risk_score rows). risk_score is the published score; score_no_model the score without the model (the fallback).';
