-- Cluster bootstrap for Halo, run by the superuser (db/init-cluster.sh provision); idempotent.
-- Creates the three login roles with passwords from psql variables, the extensions in
-- template1 (so every database the owner creates, test clones included, has them: PostGIS
-- and h3 are not trusted extensions, the owner could not create them) and the database.
-- Schemas, tables and grants belong to the alembic migrations, not to this file.
SET client_min_messages = warning;

SELECT format('CREATE ROLE %I', r)
FROM unnest(ARRAY['halo_owner', 'halo_api', 'halo_analyst']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
\gexec

-- The owner runs migrations, creates test databases and manages the two app roles.
SELECT format('ALTER ROLE halo_owner LOGIN CREATEDB CREATEROLE PASSWORD %L', :'owner_pw') \gexec
SELECT format('ALTER ROLE halo_api LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L', :'api_pw') \gexec
SELECT format('ALTER ROLE halo_analyst LOGIN NOCREATEDB NOCREATEROLE PASSWORD %L',
              :'analyst_pw') \gexec
-- The owner administers the app roles (grants and timeouts in the migrations).
GRANT halo_api, halo_analyst TO halo_owner WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;
-- The API's queries are short: PostgreSQL's JIT compiled the moderation queue for 1.7-2.2 s
-- (1-8 ms without). The API's pool also sets it per session (api/app.py).
ALTER ROLE halo_api SET jit = off;
-- Analysts (QGIS, ogrinfo) belong on the standby (docs/operations.md, "Replication"). Where they
-- reach a server: a few connections at most (an ALTER ROLE they cannot undo), and defaults
-- set per database by the superuser, which outrank what the role sets on itself.
ALTER ROLE halo_analyst CONNECTION LIMIT 8;
-- Streaming replication (a hot standby, docs/scaling.md): a replication-only role, created
-- when provisioning is given its password (pg_promote for the owner: harden_database.sql).
SELECT format('CREATE ROLE halo_replicator')
WHERE :'replicator_pw' <> '' AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'halo_replicator')
\gexec
SELECT format('ALTER ROLE halo_replicator LOGIN REPLICATION PASSWORD %L', :'replicator_pw')
WHERE :'replicator_pw' <> ''
\gexec

\connect template1
SET client_min_messages = warning;
\ir harden_database.sql
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS h3;
CREATE EXTENSION IF NOT EXISTS h3_postgis CASCADE;

\connect postgres
SET client_min_messages = warning;
SELECT format('CREATE DATABASE %I OWNER halo_owner', :'db_name')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db_name')
\gexec
-- The analysts' defaults in the Halo database (they outrank the role's own, see above).
SELECT format('ALTER ROLE halo_analyst IN DATABASE %I SET %s', :'db_name', setting)
  FROM unnest(ARRAY['default_transaction_read_only = on', 'statement_timeout = ''120s''',
                    'idle_in_transaction_session_timeout = ''60s''', 'work_mem = ''64MB''',
                    'temp_file_limit = ''1GB''']) AS setting
\gexec

\connect :db_name
SET client_min_messages = warning;
\ir harden_database.sql
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS h3;
CREATE EXTENSION IF NOT EXISTS h3_postgis CASCADE;
-- pg_cron lives in the main database only (cron.database_name); the owner may schedule.
CREATE EXTENSION IF NOT EXISTS pg_cron;
GRANT USAGE ON SCHEMA cron TO halo_owner;
