-- Per-database hardening, run by the superuser from bootstrap.sql in template1 (so every
-- database created later has it, test clones included) and in the Halo database. Idempotent.
-- Function privileges live in each database's catalog, hence once per database.

-- Large objects: no Halo role needs them; the analyst wrote 1 MB through them once
-- default_transaction_read_only was switched off. Reading stays possible for the superuser.
REVOKE EXECUTE ON FUNCTION pg_catalog.lo_creat(integer), pg_catalog.lo_create(oid),
    pg_catalog.lo_from_bytea(oid, bytea), pg_catalog.lowrite(integer, bytea),
    pg_catalog.lo_put(oid, bigint, bytea), pg_catalog.lo_truncate(integer, integer),
    pg_catalog.lo_truncate64(integer, bigint), pg_catalog.lo_unlink(oid),
    pg_catalog.lo_import(text), pg_catalog.lo_import(text, oid)
  FROM PUBLIC;
-- Temporary tables are writes too: only the owner and the API may make them.
SELECT format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()) \gexec
SELECT format('GRANT TEMPORARY ON DATABASE %I TO halo_owner, halo_api', current_database())
\gexec
-- `halo db promote` runs pg_promote() as the owner on a standby (docs/scaling.md runbook).
GRANT EXECUTE ON FUNCTION pg_catalog.pg_promote(boolean, integer) TO halo_owner;
