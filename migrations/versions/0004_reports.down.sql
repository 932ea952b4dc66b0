-- 0004_reports: downgrade (drops what sql/042_reports.sql, 043_report_fusion.sql and
-- 044_report_analytics.sql add).
DROP VIEW IF EXISTS analytics.report_clusters;
DROP FUNCTION IF EXISTS raw.cross_source_stats(timestamptz, timestamptz);
DROP FUNCTION IF EXISTS raw.report_stats(timestamptz, timestamptz);
DROP FUNCTION IF EXISTS risk.report_clusters_geojson(double precision, integer, integer);
DROP FUNCTION IF EXISTS risk.refresh_report_clusters(timestamptz);
DROP TABLE IF EXISTS risk.report_clusters;
DROP FUNCTION IF EXISTS raw.cluster_reports(double precision, integer, timestamptz, timestamptz);
DROP VIEW IF EXISTS raw.reports_for_risk;
DROP VIEW IF EXISTS raw.fused_events;
DROP VIEW IF EXISTS raw.report_corroboration;
DROP VIEW IF EXISTS raw.report_corroborations;
DROP FUNCTION IF EXISTS raw.iso_utc(timestamptz);
DROP FUNCTION IF EXISTS raw.moderate_report(bigint, text, integer);
DROP FUNCTION IF EXISTS raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer);
DROP FUNCTION IF EXISTS raw.in_alert_zone(double precision, double precision);
DROP VIEW IF EXISTS raw.report_receipts;
DROP TABLE IF EXISTS ref.compatible_categories;
DROP TABLE IF EXISTS ref.report_parameters;
DROP INDEX IF EXISTS raw.user_reports_moderation_status_received_at_idx;
DROP INDEX IF EXISTS raw.user_reports_client_sha256_received_at_idx;
DROP INDEX IF EXISTS raw.user_reports_occurred_at_idx;
DROP INDEX IF EXISTS raw.incidents_event_time_idx;
REVOKE UPDATE (photo_key) ON raw.user_reports FROM halo_api;
ALTER TABLE raw.user_reports DROP COLUMN IF EXISTS moderated_by_key_id;
COMMENT ON COLUMN raw.user_reports.geom IS NULL;
COMMENT ON COLUMN raw.user_reports.h3_cell IS NULL;
COMMENT ON COLUMN raw.user_reports.reported_during_alert IS NULL;
COMMENT ON COLUMN raw.user_reports.photo_key IS NULL;
