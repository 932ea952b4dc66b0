#!/bin/sh
# Hot standby container entry point (compose service db-replica): on first start copy the
# primary with pg_basebackup (-R: starts as a standby streaming from it), then run PostgreSQL.
# After `halo db promote` it keeps running as a primary; its data volume says so.
set -eu
until pg_isready -h "${HALO_PRIMARY_HOST:-db}" -p 5432 -q; do sleep 1; done
halo-init-cluster standby "$PGDATA" "${HALO_PRIMARY_HOST:-db}" 5432
exec postgres -D "$PGDATA" -c listen_addresses='*' -c port=5432
