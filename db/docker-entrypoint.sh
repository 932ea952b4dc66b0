#!/bin/sh
# Container entry point: create the cluster on first start, provision roles, database and
# extensions (idempotent, passwords from the environment), then run PostgreSQL in the foreground.
set -eu
halo-init-cluster init "$PGDATA" 5432 '*'
pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
halo-init-cluster provision
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
exec postgres -D "$PGDATA" -c synchronous_standby_names="${HALO_DB_SYNCHRONOUS_STANDBY_NAMES:-}"
