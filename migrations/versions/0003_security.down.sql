-- 0003_security: downgrade (drops what sql/050_security.sql and sql/060_analytics_base.sql add).
DROP VIEW IF EXISTS analytics.incident_points;
DROP VIEW IF EXISTS analytics.incidents;
DROP VIEW IF EXISTS analytics.districts;
DROP VIEW IF EXISTS analytics.municipalities;
DROP FUNCTION IF EXISTS ops.authenticate_api_key(bytea);
DROP FUNCTION IF EXISTS ops.count_requests(text, bytea, integer, integer);
DROP FUNCTION IF EXISTS ops.prune_rate_limit_counters();
DROP TABLE IF EXISTS ops.rate_limit_counters;
