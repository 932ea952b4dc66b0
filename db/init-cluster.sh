#!/bin/sh
# Initialise and provision a Halo PostgreSQL cluster. Runs as the `postgres` user inside the
# database environment (the Docker image or the local chroot), never on the host directly.
#
#   init-cluster.sh init  DATA_DIR PORT LISTEN   create the cluster (no-op when it exists)
#   init-cluster.sh provision                    roles, database, extensions (idempotent)
#   init-cluster.sh standby DATA_DIR PRIMARY_HOST PRIMARY_PORT
#                                                a hot standby of the primary (pg_basebackup;
#                                                no-op when it exists); HALO_DB_REPLICATOR_PASSWORD
#
# Passwords come from the environment (HALO_DB_OWNER_PASSWORD, HALO_DB_API_PASSWORD,
# HALO_DB_ANALYST_PASSWORD); none is stored in the repository.
set -eu
PG_BIN=/usr/lib/postgresql/17/bin
DB_NAME=${HALO_DB_NAME:-halo}

init() {
    data=$1 port=$2 listen=$3
    if [ -f "$data/PG_VERSION" ]; then
        return 0
    fi
    echo "initdb: creating cluster in $data"
    "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer \
        --auth-host=scram-sha-256 >/dev/null
    cat >>"$data/postgresql.conf" <<CONF
# --- Halo ---
listen_addresses = '$listen'
port = $port
unix_socket_directories = '/var/run/postgresql'
dynamic_shared_memory_type = sysv
shared_preload_libraries = 'pg_cron'
cron.database_name = '$DB_NAME'
cron.use_background_workers = on
max_connections = 200
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
timezone = 'UTC'
log_timezone = 'UTC'
logging_collector = off
log_min_duration_statement = 2000
CONF
    # Host connections with passwords only; the superuser only through the local socket.
    cat >"$data/pg_hba.conf" <<HBA
local all postgres peer
local all all scram-sha-256
host  all postgres 0.0.0.0/0 reject
host  all postgres ::/0 reject
host  all all 0.0.0.0/0 scram-sha-256
host  all all ::/0 scram-sha-256
host  replication halo_replicator 0.0.0.0/0 scram-sha-256
host  replication halo_replicator ::/0 scram-sha-256
HBA
}

standby() {
    data=$1 host=$2 port=$3
    if [ -f "$data/PG_VERSION" ]; then
        return 0
    fi
    : "${HALO_DB_REPLICATOR_PASSWORD:?set HALO_DB_REPLICATOR_PASSWORD}"
    echo "pg_basebackup: standby of $host:$port in $data"
    # -R writes primary_conninfo and standby.signal: the copy starts as a hot standby.
    PGPASSWORD="$HALO_DB_REPLICATOR_PASSWORD" "$PG_BIN/pg_basebackup" -h "$host" -p "$port" \
        -U halo_replicator -D "$data" -R -X stream -c fast >/dev/null
}

psql_su() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql "$@"
}

provision() {
    : "${HALO_DB_OWNER_PASSWORD:?set HALO_DB_OWNER_PASSWORD}"
    : "${HALO_DB_API_PASSWORD:?set HALO_DB_API_PASSWORD}"
    : "${HALO_DB_ANALYST_PASSWORD:?set HALO_DB_ANALYST_PASSWORD}"
    psql_su -d postgres \
        -v owner_pw="$HALO_DB_OWNER_PASSWORD" \
        -v api_pw="$HALO_DB_API_PASSWORD" \
        -v analyst_pw="$HALO_DB_ANALYST_PASSWORD" \
        -v db_name="$DB_NAME" \
        -v replicator_pw="${HALO_DB_REPLICATOR_PASSWORD:-}" \
        -f "${HALO_BOOTSTRAP_SQL:-/usr/local/bin/bootstrap.sql}"
}

case "${1:-}" in
    init) shift; init "$@" ;;
    provision) provision ;;
    standby) shift; standby "$@" ;;
    *) echo "usage: $0 init DATA_DIR PORT LISTEN | provision | standby DATA_DIR HOST PORT" >&2; exit 2 ;;
esac
