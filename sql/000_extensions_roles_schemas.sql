-- Extensions, roles and schemas of the Halo database. Idempotent.
-- The extensions are created by the superuser at provisioning (db/bootstrap.sql); the
-- IF NOT EXISTS statements here only assert their presence (no-op when installed).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS h3;
CREATE EXTENSION IF NOT EXISTS h3_postgis CASCADE;

-- Roles are cluster-wide; provisioning gives them LOGIN and passwords. Created here NOLOGIN
-- only if missing, so a fresh install on an existing server has them too.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'halo_api') THEN
        CREATE ROLE halo_api NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'halo_analyst') THEN
        CREATE ROLE halo_analyst NOLOGIN;
    END IF;
END
$$;

-- The API answers interactive requests: short statements, never an idle open transaction.
ALTER ROLE halo_api SET statement_timeout = '5s';
ALTER ROLE halo_api SET idle_in_transaction_session_timeout = '30s';
-- Analysts (QGIS) read only; longer queries allowed.
ALTER ROLE halo_analyst SET default_transaction_read_only = on;
ALTER ROLE halo_analyst SET statement_timeout = '120s';

-- Alembic's version table, as alembic creates it, so a fresh install can grant on it.
CREATE TABLE IF NOT EXISTS public.alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Schemas by purpose.
CREATE SCHEMA IF NOT EXISTS ref;
COMMENT ON SCHEMA ref IS 'Reference data: categories, data sources, districts, municipalities, place gazetteer.';
CREATE SCHEMA IF NOT EXISTS raw;
COMMENT ON SCHEMA raw IS 'Ingested facts: incidents from every source and user reports, as received.';
CREATE SCHEMA IF NOT EXISTS risk;
COMMENT ON SCHEMA risk IS 'Computed risk: materialized tables refreshed nightly, model outputs.';
CREATE SCHEMA IF NOT EXISTS analytics;
COMMENT ON SCHEMA analytics IS 'Read-only views for analysts (QGIS): stable keys, typed geometries.';
CREATE SCHEMA IF NOT EXISTS tiles;
COMMENT ON SCHEMA tiles IS 'Vector tile functions tile_<layer>(z, x, y) -> bytea.';
CREATE SCHEMA IF NOT EXISTS basemap;
COMMENT ON SCHEMA basemap IS 'Base map under the risk layer: OSM streets (ODbL) and municipal water (CC0).';
CREATE SCHEMA IF NOT EXISTS ops;
COMMENT ON SCHEMA ops IS 'Operations: job runs, API keys.';
