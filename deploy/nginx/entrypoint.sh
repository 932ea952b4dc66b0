#!/bin/sh
# Fill the template from the environment and run nginx in the foreground.
set -eu
: "${HALO_UPSTREAM:=api:8000}" "${LISTEN_PORT:=8080}" "${CACHE_DIR:=/var/cache/halo-nginx}"
: "${RUN_DIR:=/run/halo-nginx}" "${CACHE_MAX_SIZE:=1g}"
export HALO_UPSTREAM LISTEN_PORT CACHE_DIR RUN_DIR CACHE_MAX_SIZE
mkdir -p "$CACHE_DIR" "$RUN_DIR"
envsubst '${HALO_UPSTREAM} ${LISTEN_PORT} ${CACHE_DIR} ${RUN_DIR} ${CACHE_MAX_SIZE}' \
    < /etc/halo/halo.conf.template > "$RUN_DIR/nginx.conf"
exec nginx -c "$RUN_DIR/nginx.conf" -g 'daemon off;'
