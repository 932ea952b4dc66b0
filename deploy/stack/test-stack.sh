#!/usr/bin/env bash
# The compose stack, built and started on this machine (`make test-stack`; CI runs it after
# `make test`). Sets podman up (idempotent), builds the two images, starts the stack with
# podman-compose, waits for readiness and checks through the published port only:
#   the API refuses to start with default secrets; the web map, its assets, /docs, /redoc and
#   decoded tiles after the first-start bootstrap; a report with a photo that survives
#   `down` + `up`; the hot standby db-replica streaming synchronously (commits wait for it),
#   tiles and risk served by the API's read pool on it, an acknowledged report on it; the backup service's dump passes `halo restore --verify`; /metrics refused
#   from outside the allowed networks; healthchecks pass; SIGTERM stops the API cleanly.
# Cleans up (containers, volumes, the images it built) whatever happens. Prints image sizes,
# the time from `up` to ready and the time of each step.
#
# Settings: HALO_STACK_PORT (published API port, default 18700; the database gets +1),
# HALO_STACK_PROJECT (compose project name), HALO_STACK_KEEP=1 (leave the stack running),
# HALO_STACK_KEEP_IMAGES=1 (keep the built images: a warm rebuild while working on the stack),
# HALO_DATA_HOST_DIR (the data directory, default ../shared/data), HALO_STACK_ARCHIVE=0/1.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
started_all=$(date +%s)
step_started=$started_all
step() {  # print the time of the step that ended, then announce the next
  local now; now=$(date +%s)
  [ -n "${STEP:-}" ] && printf '    (%s: %d s)\n' "$STEP" $((now - step_started))
  STEP=$1; step_started=$now
  echo "==> stack: $1"
}

PORT=${HALO_STACK_PORT:-18700}
PROJECT=${HALO_STACK_PROJECT:-halostack$PORT}
TAG=stack-$PORT
APP_IMAGE=localhost/halo-app:$TAG
DB_IMAGE=localhost/halo-db:$TAG
URL=http://127.0.0.1:$PORT
PY=$REPO/.venv/bin/python
CHECK="$PY $REPO/deploy/stack/check_stack.py $URL"
TOOLS=${HALO_STACK_TOOLS:-/opt/halo-stack-tools}
WORK=$(mktemp -d)
chmod 755 "$WORK"

step "podman (runc, no default ulimits, debian:trixie-slim)"
bash deploy/stack/setup-podman.sh
# podman-compose >= 1.1 waits for `service_completed_successfully` (Debian 12 has 1.0.3).
if ! "$TOOLS/bin/podman-compose" --version >/dev/null 2>&1; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --disable-pip-version-check podman-compose==1.6.0
fi
COMPOSE=("$TOOLS/bin/podman-compose" -p "$PROJECT" -f "$REPO/docker-compose.yml")

# Secrets of this run only; strong and random, as production requires.
secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))'; }
cat >"$WORK/stack.env" <<ENV
HALO_DB_OWNER_PASSWORD=$(secret)
HALO_DB_API_PASSWORD=$(secret)
HALO_DB_ANALYST_PASSWORD=$(secret)
HALO_DB_REPLICATOR_PASSWORD=$(secret)
HALO_CLIENT_HASH_SALT=$(secret)
HALO_PUSH_TOKEN_KEY=$("$PY" -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
HALO_API_PORT=$PORT
HALO_API_BIND=127.0.0.1
HALO_DB_PORT=$((PORT + 1))
HALO_DB_REPLICA_PORT=$((PORT + 2))
HALO_IMAGE=$APP_IMAGE
HALO_DB_IMAGE=$DB_IMAGE
HALO_GIT_SHA=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
HALO_DATA_HOST_DIR=$(realpath -m "${HALO_DATA_HOST_DIR:-../shared/data}")
HALO_BOOTSTRAP_ARCHIVE=${HALO_STACK_ARCHIVE:-1}
HALO_ENV_FILE=$WORK/stack.env
# Only the container's own loopback may scrape: the test's requests come from outside.
HALO_METRICS_ALLOWED_NETWORKS=127.0.0.1/32
ENV
set -a; . "$WORK/stack.env"; set +a
# The stack runs with its standby and the compose default: synchronous commit, 'ANY 1 (*)'.
unset HALO_DB_SYNCHRONOUS_STANDBY_NAMES

container() {  # the container of a compose service
  podman ps -a --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1
}
cleanup() {
  local rc=$?
  if [ "${HALO_STACK_KEEP:-0}" = 1 ]; then echo "==> stack left running (project $PROJECT)"; exit $rc; fi
  if [ $rc -ne 0 ]; then
    echo "==> stack: FAILED; last log lines of each service:"
    for s in db db-replica migrate bootstrap api scheduler feed backup; do
      c=$(container $s); [ -n "$c" ] && { echo "--- $s"; podman logs --tail 15 "$c" 2>&1 || true; }
    done
  fi
  echo "==> stack: cleaning up (containers, volumes, images of this run)"
  "${COMPOSE[@]}" down -v >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=com.docker.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  echo "    volumes left: $(podman volume ls -q | wc -l), containers left: $(podman ps -aq | wc -l)"
  if [ "${HALO_STACK_KEEP_IMAGES:-0}" != 1 ]; then
    podman rmi -f "$APP_IMAGE" "$DB_IMAGE" >/dev/null 2>&1 || true
    podman image prune -f >/dev/null 2>&1 || true   # their build stages
  fi
  rm -rf "$WORK"
  echo "==> stack: total $(( $(date +%s) - started_all )) s, exit $rc"
  exit $rc
}
trap cleanup EXIT
trap "exit 143" TERM INT
"${COMPOSE[@]}" down -v >/dev/null 2>&1 || true   # a previous run killed half-way

step "build images (--network host)"
# docker format: OCI images drop HEALTHCHECK.
podman build --network host --format docker -q -t "$DB_IMAGE" db >/dev/null
podman build --network host --format docker -q -t "$APP_IMAGE" --build-arg "HALO_GIT_SHA=$HALO_GIT_SHA" \
  --secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt . >/dev/null
podman images --format '    image {{.Repository}}:{{.Tag}}  {{.Size}}' | grep ":$TAG"

step "the API refuses to start with default secrets"
set +e
refused=$(podman run --rm -e HALO_ENV=production \
  -e DATABASE_URL="postgresql://halo_owner:$HALO_DB_OWNER_PASSWORD@db/halo" \
  -e HALO_API_DATABASE_URL="postgresql://halo_api:$HALO_DB_API_PASSWORD@db/halo" \
  "$APP_IMAGE" halo serve 2>&1)
code=$?
set -e
echo "    exit $code: $refused"
[ $code -ne 0 ] && grep -q HALO_CLIENT_HASH_SALT <<<"$refused" || { echo "FAIL: started with the default salt"; exit 1; }

# The live feed (`halo feed`) comes with the live-data issue: start it only when the image has it.
SERVICES=(db db-replica migrate bootstrap api scheduler backup)
if podman run --rm "$APP_IMAGE" halo feed --help >/dev/null 2>&1; then SERVICES+=(feed)
else echo "    (this build has no 'halo feed': the feed service is not started)"; fi

# Podman 4.3 cannot wait for "healthy", and the `--requires` links podman-compose adds make it
# fail to start a service whose dependency is a finished one-shot ("not found in input list").
# So `up` goes in the compose file's order, one stage at a time, each with --no-deps:
# db and db-replica (its entry point waits for db; the primary's commits wait for it), then
# migrate (it waits for logins itself) until it exits 0, then the rest, and backup once
# bootstrap is done. Docker
# compose follows the same order from the file's depends_on conditions.
stack_up() {
  local log=$WORK/up-$(date +%s).log
  "${COMPOSE[@]}" up -d --no-build --no-deps db db-replica >>"$log" 2>&1 || { cat "$log"; exit 1; }
  "${COMPOSE[@]}" up -d --no-build --no-deps migrate >>"$log" 2>&1 || { cat "$log"; exit 1; }
  local code; code=$(timeout 300 podman wait "$(container migrate)")
  [ "$code" = 0 ] || { echo "FAIL: migrate exit $code"; podman logs --tail 5 "$(container migrate)"; exit 1; }
  local rest=()
  for s in "${SERVICES[@]:3}"; do [ "$s" = backup ] || rest+=("$s"); done
  "${COMPOSE[@]}" up -d --no-build --no-deps "${rest[@]}" >>"$log" 2>&1 || { cat "$log"; exit 1; }
}
backup_up() {  # after bootstrap, as the compose file orders it
  code=$(timeout 900 podman wait "$(container bootstrap)")
  [ "$code" = 0 ] || { echo "FAIL: bootstrap exit $code"; podman logs --tail 20 "$(container bootstrap)"; exit 1; }
  "${COMPOSE[@]}" up -d --no-build --no-deps backup >>"$WORK/up-backup.log" 2>&1 || { cat "$WORK/up-backup.log"; exit 1; }
}

step "compose up: ${SERVICES[*]}"
up_started=$(date +%s)
stack_up
$CHECK ready
echo "    up -> ready: $(( $(date +%s) - up_started )) s"

step "first start with data: bootstrap (boundaries, gazetteer, archive, nightly)"
backup_up
podman logs "$(container bootstrap)" 2>&1 | grep '^bootstrap:' | sed 's/^/    /'
echo "    up -> data loaded: $(( $(date +%s) - up_started )) s"

step "web map, assets, API docs, tiles"
$CHECK map

step "a report with a photo"
key=$(podman exec "$(container api)" halo keys create stack-test --scope admin 2>/dev/null)
$CHECK report "$key" "$WORK/report.json"

step "replica: streaming synchronously, reads on it, the acknowledged report on it"
stack_sql() {  # SQL as the superuser inside a database container (local socket)
  podman exec "$(container "$1")" psql -X -At -h /var/run/postgresql -d halo -c "$2"
}
replica_streaming() {  # the primary sees db-replica as a streaming synchronous standby
  local streaming
  for _ in $(seq 1 30); do
    streaming=$(stack_sql db "SELECT state || ' ' || sync_state FROM pg_stat_replication")
    grep -Eq '^streaming (sync|quorum)$' <<<"$streaming" && break
    sleep 1
  done
  echo "    primary's pg_stat_replication: ${streaming:-none}"
  grep -Eq '^streaming (sync|quorum)$' <<<"$streaming" \
    || { echo "FAIL: db-replica is not a streaming synchronous standby"; exit 1; }
  [ "$(stack_sql db-replica 'SELECT pg_is_in_recovery()')" = t ] || { echo "FAIL: db-replica is not in recovery"; exit 1; }
}
echo "    primary: synchronous_standby_names = '$(stack_sql db 'SHOW synchronous_standby_names')'"
replica_streaming
$CHECK reads
on_replica=$(stack_sql db-replica "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'halo-read'")
on_primary=$(stack_sql db "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'halo-read'")
echo "    read pool connections: $on_replica on db-replica, $on_primary on db"
[ "$on_replica" -gt 0 ] && [ "$on_primary" = 0 ] || { echo "FAIL: the read pool is not on the replica"; exit 1; }
report_id=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/report.json")
# synchronous_commit = on: the 201 came after the standby flushed the report; replaying it
# takes a moment more.
for _ in $(seq 1 50); do
  [ "$(stack_sql db-replica "SELECT count(*) FROM raw.user_reports WHERE id = $report_id")" = 1 ] && break
  sleep 0.1
done
[ "$(stack_sql db-replica "SELECT count(*) FROM raw.user_reports WHERE id = $report_id")" = 1 ] \
  || { echo "FAIL: report $report_id (acknowledged 201) is not on the replica"; exit 1; }
echo "    report $report_id (acknowledged 201) is on db-replica; replay lag $(stack_sql db-replica \
  "SELECT pg_size_pretty(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()))")"

step "metrics: refused from outside, served inside"
$CHECK metrics-refused
podman exec "$(container api)" python3 -c "
import urllib.request as u
text = u.urlopen('http://127.0.0.1:8000/metrics').read().decode()
for name in ('halo_build_info', 'process_resident_memory_bytes', 'halo_pending_moderation_reports'):
    assert name in text, name
print('    /metrics from the container itself: build info, process, moderation backlog')"

step "backup service's dump passes halo restore --verify"
backup_ctr=$(container backup)
for _ in $(seq 1 120); do
  dump=$(podman exec "$backup_ctr" sh -c 'ls -t /backups/halo-*.dump 2>/dev/null | head -n 1' || true)
  [ -n "$dump" ] && podman exec "$backup_ctr" test -f "${dump%.dump}.manifest.json" 2>/dev/null && break
  dump=""; sleep 2
done
[ -n "$dump" ] || { echo "FAIL: no dump from the backup service"; exit 1; }
podman exec "$backup_ctr" ls -ln /backups | sed 's/^/    /'
podman exec "$backup_ctr" halo restore --verify "$dump" | sed 's/^/    /'

step "healthchecks"
for s in api backup; do
  podman healthcheck run "$(container $s)" >/dev/null && echo "    $s healthy" || { echo "FAIL: $s unhealthy"; exit 1; }
done

step "graceful stop: SIGTERM ends the API cleanly (no SIGKILL)"
api_ctr=$(container api)
stop_started=$(date +%s)
podman stop -t 30 "$api_ctr" >/dev/null
code=$(podman inspect "$api_ctr" --format '{{.State.ExitCode}}')
echo "    api stopped in $(( $(date +%s) - stop_started )) s, exit $code"
[ "$code" = 0 ] || { echo "FAIL: api exit $code on SIGTERM"; exit 1; }
podman logs "$api_ctr" 2>&1 | grep -q '"Finished server process' \
  || { echo "FAIL: uvicorn did not shut down gracefully"; exit 1; }
echo "    uvicorn: shutdown complete (open requests drained)"

step "down + up: the report and its photo survive"
"${COMPOSE[@]}" down >/dev/null 2>&1
up_started=$(date +%s)
stack_up
$CHECK ready
echo "    up -> ready (second start): $(( $(date +%s) - up_started )) s"
$CHECK survived "$key" "$WORK/report.json"
replica_streaming   # the standby resumed from its own volume (no new base backup)
backup_up

step "done"
echo "==> stack: all checks passed"
