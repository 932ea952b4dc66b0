#!/usr/bin/env bash
# Local Halo database without Docker: PostgreSQL 17 + PostGIS + h3-pg + pg_cron from Debian 13,
# in a root filesystem built by mmdebstrap from db/packages.txt and run under chroot as the
# `postgres` user on 127.0.0.1:$HALO_LOCAL_DB_PORT. Debian 12 hosts have no h3-pg, hence this.
#
#   db/localdb.sh up | down | status | psql [ARGS] | env | logs | tool pg_dump|pg_restore ARGS
#   db/localdb.sh promote        promote the hot standby (HALO_LOCAL_REPLICA=1) to primary
#
# HALO_LOCAL_REPLICA=1 adds a hot standby (pg_basebackup of the primary, port
# HALO_LOCAL_REPLICA_PORT, default the primary's + 1), started and stopped with the primary,
# synchronous (a commit waits for it); local.env then points the API's read pool and the
# analysts at it. Off by default, so `make test` does not pay for it.
#
# State lives outside the repository in $HALO_HOME (default ~/.cache/halo): the root filesystem
# (rebuilt only when the package list changes; the data directory is carried over) and
# local.env with generated passwords and the connection URLs. When DATABASE_URL is set, Halo
# uses that server instead and `up` does nothing.
#
# A second, throwaway setup beside the usual one (tests/test_localdb_replica.py does this):
#   HALO_HOME=/tmp/x                   its own local.env
#   HALO_LOCAL_ROOTFS=~/.cache/halo/pg-rootfs   an existing root filesystem, used as it is:
#                                      never built or rebuilt here (refused if its package list
#                                      differs from db/packages.txt)
#   HALO_LOCAL_DATA_ROOT=/var/lib/halo-scratch/x   where, inside the root filesystem, the data
#                                      directories, logs and this setup's copy of the
#                                      provisioning scripts live (default /var/lib/halo)
#   HALO_LOCAL_DB_PORT, HALO_LOCAL_REPLICA_PORT    its own ports
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
HALO_HOME=${HALO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/halo}
PORT=${HALO_LOCAL_DB_PORT:-55432}
MIRROR=${HALO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS=${HALO_LOCAL_ROOTFS:-$HALO_HOME/pg-rootfs}
ENV_FILE=$HALO_HOME/local.env
DATA_ROOT=${HALO_LOCAL_DATA_ROOT:-/var/lib/halo}   # inside the root filesystem
DATA=$DATA_ROOT/pgdata
LOG=$DATA_ROOT/postgres.log
# The provisioning scripts: the image's place for the usual setup; a setup of its own keeps
# its copy beside its data, so it never changes what another setup runs.
if [ "$DATA_ROOT" = /var/lib/halo ]; then TOOLS=/usr/local/bin; else TOOLS=$DATA_ROOT/bin; fi
PG_BIN=/usr/lib/postgresql/17/bin
REPLICA=${HALO_LOCAL_REPLICA:-0}
RPORT=${HALO_LOCAL_REPLICA_PORT:-$((PORT + 1))}
RDATA=$DATA_ROOT/pgdata-replica
RLOG=$DATA_ROOT/postgres-replica.log

say() { printf 'localdb: %s\n' "$*" >&2; }

need_root() {
    [ "$(id -u)" -eq 0 ] || { say "needs root (chroot); run with sudo"; exit 1; }
}

packages_hash() { grep -v '^#' "$here/packages.txt" | sha256sum | cut -c1-16; }

in_root() {  # run a command in the root filesystem as postgres, with a clean environment
    chroot --userspec=postgres:postgres "$ROOTFS" /usr/bin/env -i \
        PATH="$PG_BIN:$TOOLS:/usr/bin:/bin" LANG=C.UTF-8 HOME=/var/lib/postgresql "$@"
}

build_rootfs() {
    local want; want=$(packages_hash)
    if [ -f "$ROOTFS/.halo-packages" ] && [ "$(cat "$ROOTFS/.halo-packages")" = "$want" ]; then
        return 0
    fi
    if [ -n "${HALO_LOCAL_ROOTFS:-}" ]; then  # someone else's: never rebuilt from here
        say "$ROOTFS is not a root filesystem of db/packages.txt ($want); build it with db/localdb.sh up"
        exit 1
    fi
    command -v mmdebstrap >/dev/null || {
        say "installing mmdebstrap (apt-get)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
    }
    local pkgs; pkgs=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | paste -sd, -)
    say "building the Debian 13 root filesystem ($pkgs) in $ROOTFS.new (about 30 s, 1 GB)"
    rm -rf "$ROOTFS.new"
    mkdir -p "$HALO_HOME"
    mmdebstrap --quiet --variant=apt --include="$pkgs" trixie "$ROOTFS.new" "$MIRROR"
    if [ -d "$ROOTFS/var/lib/halo" ]; then
        say "package list changed: keeping the data directory"
        cmd_down_servers || true
        mv "$ROOTFS/var/lib/halo" "$ROOTFS.new/var/lib/halo"
    fi
    echo "$want" >"$ROOTFS.new/.halo-packages"
    rm -rf "$ROOTFS.old"; [ -d "$ROOTFS" ] && mv "$ROOTFS" "$ROOTFS.old"
    mv "$ROOTFS.new" "$ROOTFS"; rm -rf "$ROOTFS.old"
}

ensure_env_file() {
    [ -f "$ENV_FILE" ] && return 0
    say "generating local passwords in $ENV_FILE"
    mkdir -p "$HALO_HOME"
    gen() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-24; }
    (umask 077; cat >"$ENV_FILE" <<ENV
HALO_DB_OWNER_PASSWORD=$(gen)
HALO_DB_API_PASSWORD=$(gen)
HALO_DB_ANALYST_PASSWORD=$(gen)
ENV
    )
}

ensure_replicator_password() {  # added to older local.env files on first use of the standby
    grep -q '^HALO_DB_REPLICATOR_PASSWORD=' "$ENV_FILE" && return 0
    local pw; pw=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-24)
    (umask 077; echo "HALO_DB_REPLICATOR_PASSWORD=$pw" >>"$ENV_FILE")
}

write_urls() {  # (re)write the URL lines so a changed port takes effect
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    local base="127.0.0.1:$PORT/halo"
    (umask 077; grep -v -E '^(DATABASE_URL|HALO_API_DATABASE_URL|HALO_ANALYST_DATABASE_URL)=' \
        "$ENV_FILE" >"$ENV_FILE.tmp" || true
     cat >>"$ENV_FILE.tmp" <<ENV
DATABASE_URL=postgresql://halo_owner:$HALO_DB_OWNER_PASSWORD@$base
HALO_API_DATABASE_URL=postgresql://halo_api:$HALO_DB_API_PASSWORD@$base
HALO_ANALYST_DATABASE_URL=postgresql://halo_analyst:$HALO_DB_ANALYST_PASSWORD@$base
ENV
     mv "$ENV_FILE.tmp" "$ENV_FILE")
    [ "$REPLICA" = 1 ] || { sed -i '/^HALO_API_READ_DATABASE_URL=/d' "$ENV_FILE"; return 0; }
    # Multi-host: the standby for reads while it runs, the primary otherwise; analysts on it.
    local hosts="127.0.0.1:$PORT,127.0.0.1:$RPORT/halo"
    (umask 077; sed -i -e '/^HALO_API_READ_DATABASE_URL=/d' -e '/^HALO_ANALYST_DATABASE_URL=/d' "$ENV_FILE"
     cat >>"$ENV_FILE" <<ENV
HALO_API_READ_DATABASE_URL=postgresql://halo_api:$HALO_DB_API_PASSWORD@$hosts?target_session_attrs=prefer-standby
HALO_ANALYST_DATABASE_URL=postgresql://halo_analyst:$HALO_DB_ANALYST_PASSWORD@127.0.0.1:$RPORT/halo
ENV
    )
}

replica_running() {
    [ -d "$ROOTFS$RDATA" ] && in_root pg_ctl -D "$RDATA" status >/dev/null 2>&1
}

start_replica() {  # after the primary is up and provisioned
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    if replica_running; then
        say "standby already running on 127.0.0.1:$RPORT"
    else
        in_root env HALO_DB_REPLICATOR_PASSWORD="$HALO_DB_REPLICATOR_PASSWORD" \
            halo-init-cluster standby "$RDATA" 127.0.0.1 "$PORT"
        clear_stale_pid "$RDATA"
        say "starting the hot standby on 127.0.0.1:$RPORT"
        in_root pg_ctl -D "$RDATA" -l "$RLOG" -o "-p $RPORT -c listen_addresses=127.0.0.1" -w -t 120 start >/dev/null
    fi
    set_synchronous_standbys 'ANY 1 (*)'
}

set_synchronous_standbys() {  # commits wait for a standby only while one is configured
    [ "$(su_sql "SHOW synchronous_standby_names")" = "$1" ] && return 0
    su_sql "ALTER SYSTEM SET synchronous_standby_names = '$1'"
    su_sql "SELECT pg_reload_conf()"
}

su_sql() {
    in_root psql -X -q -At -h /run/postgresql -p "$PORT" -d postgres -c "$1"
}

is_running() {
    [ -d "$ROOTFS$DATA" ] && in_root pg_ctl -D "$DATA" status >/dev/null 2>&1
}

clear_stale_pid() {  # a crash leaves postmaster.pid behind; its pid may now be another process
    local pidfile="$ROOTFS${1:-$DATA}/postmaster.pid"
    [ -f "$pidfile" ] || return 0
    local pid; pid=$(head -1 "$pidfile")
    if ! [ -r "/proc/$pid/comm" ] || [ "$(cat "/proc/$pid/comm")" != "postgres" ]; then
        say "removing stale postmaster.pid (pid $pid is not a running postgres)"
        rm -f "$pidfile"
    fi
}

stop_server() {
    is_running || return 0
    in_root pg_ctl -D "$DATA" -m fast -w stop >/dev/null
}

cmd_up() {
    if [ -n "${DATABASE_URL:-}" ]; then
        say "DATABASE_URL is set: using that server, not starting a local one"
        return 0
    fi
    need_root
    build_rootfs
    if is_running; then
        say "already running on 127.0.0.1:$PORT"
    else
        mkdir -p "$ROOTFS$DATA_ROOT" "$ROOTFS$TOOLS" "$ROOTFS/run/postgresql"
        chroot "$ROOTFS" chown postgres:postgres "$DATA_ROOT" /run/postgresql
        [ -e "$ROOTFS/var/run/postgresql" ] || ln -s /run/postgresql "$ROOTFS/var/run/postgresql"
        install -m 0755 "$here/init-cluster.sh" "$ROOTFS$TOOLS/halo-init-cluster"
        in_root halo-init-cluster init "$DATA" "$PORT" 127.0.0.1
        clear_stale_pid
        say "starting PostgreSQL 17 on 127.0.0.1:$PORT"
        in_root pg_ctl -D "$DATA" -l "$LOG" -o "-p $PORT -c listen_addresses=127.0.0.1" -w -t 60 start >/dev/null
    fi
    # A primary restarted with `ANY 1 (*)` from an earlier `up` would make provisioning's
    # commits wait for a standby that is not running yet (or never will): they run without
    # one, and start_replica turns waiting on once the standby streams.
    replica_running || set_synchronous_standbys ''
    ensure_env_file
    [ "$REPLICA" = 1 ] && ensure_replicator_password
    write_urls
    install -m 0644 "$here/bootstrap.sql" "$ROOTFS$TOOLS/bootstrap.sql"
    install -m 0644 "$here/harden_database.sql" "$ROOTFS$TOOLS/harden_database.sql"
    install -m 0755 "$here/init-cluster.sh" "$ROOTFS$TOOLS/halo-init-cluster"
    # shellcheck disable=SC1090
    set -a; . "$ENV_FILE"; set +a
    chroot --userspec=postgres:postgres "$ROOTFS" /usr/bin/env -i PATH="$PG_BIN:$TOOLS:/usr/bin:/bin" \
        LANG=C.UTF-8 PGPORT="$PORT" HALO_BOOTSTRAP_SQL="$TOOLS/bootstrap.sql" \
        HALO_DB_OWNER_PASSWORD="$HALO_DB_OWNER_PASSWORD" \
        HALO_DB_API_PASSWORD="$HALO_DB_API_PASSWORD" \
        HALO_DB_ANALYST_PASSWORD="$HALO_DB_ANALYST_PASSWORD" \
        HALO_DB_REPLICATOR_PASSWORD="${HALO_DB_REPLICATOR_PASSWORD:-}" halo-init-cluster provision
    [ "$REPLICA" = 1 ] && start_replica
    say "ready: connection settings in $ENV_FILE"
}

cmd_down_servers() {  # the standby first: the primary's last commits still reach it
    if replica_running; then
        say "stopping the standby"
        in_root pg_ctl -D "$RDATA" -m fast -w stop >/dev/null
    fi
    if is_running; then say "stopping"; stop_server; else say "not running"; fi
}

cmd_down() {
    need_root
    cmd_down_servers
}

cmd_promote() {  # the runbook's step when the primary is lost (docs/scaling.md)
    need_root
    replica_running || { say "no standby runs"; exit 1; }
    in_root pg_ctl -D "$RDATA" -w promote >/dev/null
    say "standby promoted: it accepts writes on 127.0.0.1:$RPORT"
}

cmd_status() {
    if [ -n "${DATABASE_URL:-}" ]; then echo "external server (DATABASE_URL)"; return 0; fi
    if [ ! -d "$ROOTFS" ]; then echo "not built ($ROOTFS)"; return 3; fi
    if is_running; then echo "running on 127.0.0.1:$PORT, data $ROOTFS$DATA"; else echo "stopped"; return 3; fi
    if replica_running; then
        local lag
        lag=$(in_root psql -X -At -h /run/postgresql -p "$RPORT" -d postgres -c \
            "SELECT CASE WHEN pg_is_in_recovery() THEN 'replay lag ' || coalesce(
                 pg_size_pretty(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())),
                 '?') || ', last replayed commit ' || coalesce(
                 round(extract(epoch FROM now() - pg_last_xact_replay_timestamp()))::text || ' s ago',
                 'none yet') ELSE 'promoted: a primary now' END")
        echo "standby on 127.0.0.1:$RPORT, data $ROOTFS$RDATA: $lag"
    elif [ "$REPLICA" = 1 ]; then
        echo "standby: stopped"
    fi
}

cmd_psql() {
    need_root
    chroot --userspec=postgres:postgres "$ROOTFS" /usr/bin/env -i PATH="$PG_BIN:/usr/local/bin:/usr/bin:/bin" \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" psql -h /run/postgresql -p "$PORT" -d halo "$@"
}

cmd_tool() {  # a PostgreSQL 17 client tool (pg_dump, pg_restore, psql) over TCP; stdin/stdout pass through
    need_root
    local tool=$1; shift
    case "$tool" in pg_dump|pg_restore|psql|pg_dumpall) ;; *) say "not a client tool: $tool"; exit 2 ;; esac
    chroot --userspec=postgres:postgres "$ROOTFS" /usr/bin/env -i PATH="$PG_BIN:/usr/bin:/bin" \
        LANG=C.UTF-8 PGPASSWORD="${PGPASSWORD:-}" "$tool" "$@"
}

case "${1:-}" in
    up) cmd_up ;;
    tool) shift; cmd_tool "$@" ;;
    down) cmd_down ;;
    promote) cmd_promote ;;
    status) cmd_status ;;
    psql) shift; cmd_psql "$@" ;;
    env) cat "$ENV_FILE" ;;
    logs) tail -n "${2:-50}" "$ROOTFS$LOG" ;;
    *) echo "usage: $0 up|down|status|promote|psql [ARGS]|env|logs [N]|tool NAME [ARGS]" >&2; exit 2 ;;
esac
