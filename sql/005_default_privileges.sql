-- Default privileges: tables, views and functions the owner creates later in these schemas
-- are readable (tables, views) or executable (tile functions) the same way as the existing
-- ones. Runs before any table is created, so every later file is covered. Idempotent.
ALTER DEFAULT PRIVILEGES IN SCHEMA ref, risk
    GRANT SELECT ON TABLES TO halo_api, halo_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics
    GRANT SELECT ON TABLES TO halo_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA tiles
    GRANT EXECUTE ON FUNCTIONS TO halo_api;
