-- Downgrade of 0014_backtest_per_city: undo the hand-written part first (reverse order), then:
-- The views lose their last column (city): CREATE OR REPLACE cannot drop one.
DROP VIEW analytics.model_comparison;
DROP VIEW analytics.model_metrics;
-- Two cities' rows of one version would collide in the old key: keep the first city's.
DELETE FROM risk.backtest_results b USING risk.backtest_results o
 WHERE o.model_version = b.model_version AND o.level = b.level AND o.method = b.method
   AND o.metric = b.metric AND o.area_pct = b.area_pct AND o.city < b.city;
ALTER TABLE risk.backtest_results DROP CONSTRAINT backtest_results_pkey;
ALTER TABLE risk.backtest_results DROP COLUMN city;
ALTER TABLE risk.backtest_results ADD CONSTRAINT backtest_results_pkey
    PRIMARY KEY (model_version, level, method, metric, area_pct);
CREATE VIEW analytics.model_comparison AS
 SELECT min(b.id) AS id,
    b.model_version,
    m.trained_at,
    b.level,
    b.method,
    max(b.value) FILTER (WHERE ((b.metric = 'pai'::text) AND (b.area_pct = (5)::double precision))) AS pai_5,
    max(b.value) FILTER (WHERE ((b.metric = 'hit_rate'::text) AND (b.area_pct = (5)::double precision))) AS hit_rate_5,
    max(b.value) FILTER (WHERE ((b.metric = 'pai'::text) AND (b.area_pct = (1)::double precision))) AS pai_1,
    max(b.value) FILTER (WHERE ((b.metric = 'pai'::text) AND (b.area_pct = (10)::double precision))) AS pai_10,
    max(b.value) FILTER (WHERE (b.metric = 'deviance'::text)) AS deviance,
    (max(b.value) FILTER (WHERE (b.metric = 'predicted_total'::text)) / NULLIF(max(b.value) FILTER (WHERE (b.metric = 'observed_total'::text)), (0)::double precision)) AS predicted_over_observed,
    max(b.value) FILTER (WHERE (b.metric = 'calibration_worst_decile'::text)) AS calibration_worst_decile,
    max(b.value) FILTER (WHERE (b.metric = 'alert_area_share'::text)) AS alert_area_share,
    max(b.value) FILTER (WHERE (b.metric = 'alert_jaccard_week_to_week'::text)) AS alert_jaccard_week_to_week,
    max(b.value) FILTER (WHERE (b.metric = 'alert_jaccard_day_to_day'::text)) AS alert_jaccard_day_to_day
   FROM (risk.backtest_results b
     LEFT JOIN risk.model_runs m ON ((m.version = b.model_version)))
  GROUP BY b.model_version, m.trained_at, b.level, b.method;
CREATE VIEW analytics.model_metrics AS
 SELECT b.id,
    b.model_version,
    m.trained_at,
    m.family,
    b.level,
    b.method,
    b.metric,
    b.area_pct,
    b.value,
    b.computed_at
   FROM (risk.backtest_results b
     LEFT JOIN risk.model_runs m ON ((m.version = b.model_version)));
COMMENT ON VIEW analytics.model_comparison IS 'Backtest headline per model version, level and method, side by side: PAI and hit rate at 5 % of the area, Poisson deviance, predicted/observed total, worst calibration decile (>= 100 expected), alert-zone area and overlap (risk_score rows). risk_score is the published score; score_no_model the score without the model (the fallback).';
COMMENT ON VIEW analytics.model_metrics IS 'Rolling-origin backtest metrics per model version: hit rate and PAI by area share, calibration by decile, alert-zone stability; the model beside the uniform, last-52-week and ring-KDE baselines and the published risk_score. Side by side: analytics.model_comparison.';
COMMENT ON TABLE risk.backtest_results IS 'Rolling-origin backtest metrics per model version, level and method (model and baselines).';
