-- Privileges, all in one file (default privileges for objects created later: 005). Runs last,
-- after every file that creates objects, so each statement names objects that exist. Keep new
-- grants here, by role. Idempotent (GRANT and REVOKE repeats are no-ops).
--
-- halo_api: reads reference and risk data, writes reports and device registrations only
-- through narrow column grants and SECURITY DEFINER entry points.
-- halo_analyst: reads reference, risk and analytics data; nothing of raw, ops or push.

-- ==== Functions only the owner's jobs call: no EXECUTE for PUBLIC ====
-- Ingestion writes reference data and incidents.
REVOKE ALL ON FUNCTION raw.create_incident_staging() FROM PUBLIC;
REVOKE ALL ON FUNCTION raw.merge_incident_staging(smallint) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_municipality(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_district(text, text, text, smallint) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_city(text, text, text, text[], text[], double precision,
    double precision, real) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.sync_boundary_places(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ref.upsert_curated_place(
    text, text, double precision, double precision, real, text[], text[]) FROM PUBLIC;
-- The nightly report clusters and the rate-limit counter pruning.
REVOKE ALL ON FUNCTION risk.refresh_report_clusters(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION ops.prune_rate_limit_counters() FROM PUBLIC;

-- ==== halo_api ====
GRANT USAGE ON SCHEMA ref, raw, risk, tiles, ops, push TO halo_api;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO halo_api;
GRANT SELECT ON ops.job_runs TO halo_api;
GRANT SELECT ON ops.feed_state, raw.event_pages TO halo_api;
GRANT SELECT ON public.alembic_version TO halo_api;
-- Incidents and reports: read, submit, moderate.
GRANT SELECT ON raw.incidents TO halo_api;
GRANT SELECT, INSERT ON raw.user_reports TO halo_api;
GRANT UPDATE (moderation_status, moderated_at, moderated_by_key_id, photo_key, video_key,
               video_poster_key)
    ON raw.user_reports TO halo_api;
GRANT SELECT ON raw.report_receipts TO halo_api;
GRANT SELECT ON raw.report_corroborations, raw.report_corroboration, raw.fused_events,
    raw.reports_for_risk TO halo_api;
REVOKE ALL ON FUNCTION raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer, text, text, text, integer)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION raw.moderate_report(bigint, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION raw.submit_report(text, text, text, timestamptz, double precision,
    double precision, real, text, text, text, boolean, integer, integer, text, text, text, integer)
    TO halo_api;
GRANT EXECUTE ON FUNCTION raw.moderate_report(bigint, text, integer) TO halo_api;
-- API keys are checked only through ops.authenticate_api_key: the API role reads no key table
-- (an early revision granted it; revoked so a compromised API role cannot even list hashes).
REVOKE ALL ON ops.api_keys FROM halo_api;
REVOKE ALL ON FUNCTION ops.count_requests(text, bytea, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION ops.authenticate_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.count_requests(text, bytea, integer, integer) TO halo_api;
GRANT EXECUTE ON FUNCTION ops.authenticate_api_key(bytea) TO halo_api;
-- The admin trigger of the nightly run.
REVOKE ALL ON FUNCTION ops.request_nightly_run() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.request_nightly_run() TO halo_api;
-- Push: everything is the owner's; the API may only call the three device entry points.
REVOKE ALL ON ALL TABLES IN SCHEMA push FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA push FROM PUBLIC;
GRANT EXECUTE ON FUNCTION push.register_device(uuid, bytea, bytea, bytea, text, text, text[],
                                               time, time, smallint, integer[]) TO halo_api;
GRANT EXECUTE ON FUNCTION push.update_device(uuid, bytea, bytea, bytea, text, text, text[],
                                             time, time, smallint, integer[]) TO halo_api;
GRANT EXECUTE ON FUNCTION push.delete_device(uuid, bytea) TO halo_api;

-- Scrape-time facts for /metrics.
REVOKE ALL ON FUNCTION ops.metrics_facts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops.metrics_facts() TO halo_api;
-- Privacy: erasure of a report, of a client's reports, of a device (admin routes).
REVOKE ALL ON FUNCTION raw.erase_report(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION raw.erase_client_reports(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION push.erase_device(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION ops.apply_retention(integer, integer, integer, integer, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION raw.erase_report(bigint) TO halo_api;
GRANT EXECUTE ON FUNCTION raw.erase_client_reports(text) TO halo_api;
GRANT EXECUTE ON FUNCTION push.erase_device(uuid) TO halo_api;

-- ==== halo_analyst (QGIS) ====
-- Devices are people's, not analytics: nothing of push.
GRANT USAGE ON SCHEMA ref, risk, analytics TO halo_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ref, risk, analytics TO halo_analyst;
GRANT SELECT ON analytics.place_points, analytics.place_areas TO halo_analyst;

-- The base map: analysts read it (QGIS); the API reaches it only through the tile functions.
GRANT USAGE ON SCHEMA basemap TO halo_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA basemap TO halo_analyst;
