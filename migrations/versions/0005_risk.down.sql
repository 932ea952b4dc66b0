-- Downgrade of 0005_risk: the risk engine's views, functions and tables.
DROP VIEW IF EXISTS analytics.model_metrics, analytics.district_risk, analytics.cell_risk;
DROP FUNCTION IF EXISTS ops.request_nightly_run();
DROP FUNCTION IF EXISTS risk.cell_week_features(timestamptz, integer);
DROP FUNCTION IF EXISTS risk.cell_week_counts(timestamptz, integer);
DROP FUNCTION IF EXISTS risk.refresh_all(timestamptz);
DROP FUNCTION IF EXISTS risk.rebuild_empirical_hour_profile(timestamptz);
DROP FUNCTION IF EXISTS risk.rebuild_district_risk();
DROP FUNCTION IF EXISTS risk.evidence_of(double precision, double precision);
DROP FUNCTION IF EXISTS risk.city_rate();
DROP FUNCTION IF EXISTS risk.rebuild_cell_risk(text);
DROP FUNCTION IF EXISTS risk.rebuild_cell_mass(timestamptz);
DROP FUNCTION IF EXISTS risk.incident_shares(timestamptz, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS risk.rebuild_cells(integer);
DROP FUNCTION IF EXISTS risk.rebuild_place_cells(integer);
DROP FUNCTION IF EXISTS risk.posterior_rr(double precision, double precision, double precision,
                                          double precision, double precision);
DROP FUNCTION IF EXISTS risk.hour_of_week(timestamptz);
DROP FUNCTION IF EXISTS risk.incident_time(timestamptz, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS risk.incident_weight(real, timestamptz, timestamptz, real);
DROP FUNCTION IF EXISTS risk.cell_polygon(h3index);
DROP FUNCTION IF EXISTS risk.score_of(double precision);
DROP FUNCTION IF EXISTS risk.gamma_quantile(double precision, double precision, double precision);
DROP FUNCTION IF EXISTS risk.normal_quantile(double precision);
DROP TABLE IF EXISTS risk.backtest_results, risk.model_predictions, risk.model_runs,
    risk.hour_of_week_profile, risk.district_risk, risk.cell_risk, risk.cell_mass,
    risk.place_cells, risk.cells,
    risk.generations, risk.parameters;
