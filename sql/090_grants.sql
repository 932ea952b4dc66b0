-- Privileges: the API role reads reference and risk data and writes reports; the analyst
-- role reads reference, risk and analytics data only. Idempotent (GRANT repeats are no-ops).

GRANT USAGE ON SCHEMA ref, raw, risk, tiles, ops TO halo_api;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO halo_api;
GRANT SELECT ON raw.incidents TO halo_api;
GRANT SELECT, INSERT ON raw.user_reports TO halo_api;
GRANT UPDATE (moderation_status, moderated_at) ON raw.user_reports TO halo_api;
GRANT SELECT ON ops.job_runs TO halo_api;
GRANT SELECT ON ops.feed_state, raw.event_pages TO halo_api;
GRANT SELECT ON public.alembic_version TO halo_api;

GRANT USAGE ON SCHEMA ref, risk, analytics TO halo_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA ref, risk, analytics TO halo_analyst;

-- The base map: analysts read it (QGIS); the API reaches it only through the tile functions.
GRANT USAGE ON SCHEMA basemap TO halo_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA basemap TO halo_analyst;
