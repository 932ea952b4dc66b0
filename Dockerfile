# The Halo application image: API (uvicorn), migrations, batch jobs, scheduler, feed, backups
# (all the `halo` command). One base for every stage: Debian 13 (trixie-slim) with Debian's own
# python3 and nodejs, so the same file builds where only Debian's mirror is reachable.

# --- Web assets: MapLibre GL JS, Swagger UI and ReDoc from npm (served by Halo: no CDN) ---
FROM debian:trixie-slim AS web
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /web
COPY web/package.json web/package-lock.json ./
# A build behind a TLS-inspecting proxy passes its CA bundle as the build secret
# "ca-certificates" (deploy/stack/test-stack.sh does); elsewhere the secret is simply absent.
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-certificates; fi \
 && npm ci --no-audit --no-fund --omit=dev --loglevel=error \
 && mkdir -p /assets/node_modules/redoc /assets/node_modules/swagger-ui-dist \
 && cp -r node_modules/maplibre-gl /assets/node_modules/ \
 && cp -r node_modules/redoc/bundles /assets/node_modules/redoc/ \
 && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
       node_modules/swagger-ui-dist/favicon-32x32.png /assets/node_modules/swagger-ui-dist/
COPY web/public /assets/public

# --- The application ---
FROM debian:trixie-slim
ARG DEBIAN_FRONTEND=noninteractive
# python3-venv: the app's own environment; postgresql-client-17: pg_dump/pg_restore of the
# server's major for `halo backup` / `halo restore`; tini: PID 1 that forwards SIGTERM so
# uvicorn drains open requests and one-shot loops stop at once; ffmpeg (with ffprobe) re-muxes
# report videos without metadata and takes their poster frame; fonts-dejavu-core is the font
# of the map's label glyphs (built below).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates postgresql-client-17 tini ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --home-dir /home/halo --uid 10001 --user-group --shell /bin/sh halo \
 && mkdir -p /var/lib/halo/photos /var/lib/halo/tiles /backups \
 && chown -R halo:halo /var/lib/halo /backups
ENV VIRTUAL_ENV=/opt/halo \
    PATH=/opt/halo/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
# Dependencies first (their own layer, rebuilt only when the pins change).
COPY pyproject.toml constraints.txt ./
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export PIP_CERT=/run/secrets/ca-certificates; fi \
 && python3 -m venv /opt/halo \
 && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install --no-cache-dir --disable-pip-version-check -c constraints.txt -r /tmp/requirements.txt \
      "setuptools>=68" \
 && rm /tmp/requirements.txt
COPY alembic.ini ./
COPY api ./api
COPY cli ./cli
COPY config ./config
COPY core ./core
COPY db ./db
COPY migrations ./migrations
COPY models ./models
COPY pipeline ./pipeline
COPY sql ./sql
COPY deploy/bootstrap.sh ./deploy/bootstrap.sh
# Only what is served: the page, MapLibre, Swagger UI and ReDoc (not their build trees).
COPY --from=web /assets ./web
# Halo runs from this checkout (README "Packaging"): sql/, alembic.ini and web/ are read from
# /app at run time, so the install is editable and root-owned (the app cannot rewrite itself).
ARG HALO_GIT_SHA=unknown
RUN pip install --no-cache-dir --disable-pip-version-check --no-deps --no-build-isolation -e . \
 && HALO_ENV=local HALO_HOME=/tmp/halo-build halo glyphs build --out /app/glyphs \
 && rm -rf /tmp/halo-build
USER halo
ENV HOME=/home/halo \
    HALO_ENV=production \
    HALO_LOG_FORMAT=json \
    HALO_MAP_WEB_DIR=/app/web \
    HALO_MAP_GLYPHS_DIR=/app/glyphs \
    HALO_PG_BIN_DIR=/usr/lib/postgresql/17/bin \
    HALO_REPORTS_PHOTO_DIR=/var/lib/halo/photos \
    HALO_BACKUP_DIR=/backups \
    HALO_GIT_SHA=$HALO_GIT_SHA
# Photos and dumps live on the volumes compose mounts here; a fresh named volume takes these
# folders' owner (halo, 10001). No VOLUME line: it would give every other container (migrate,
# jobs) anonymous volumes that outlive `down`.
EXPOSE 8000
STOPSIGNAL SIGTERM
# uvicorn re-raises SIGTERM after its graceful shutdown (exit 143): -e 143 reports that as 0.
ENTRYPOINT ["/usr/bin/tini", "-g", "-e", "143", "--"]
# `halo serve` leaves proxy headers to HALO_TRUSTED_PROXIES and logs JSON.
CMD ["halo", "serve", "--host", "0.0.0.0", "--port", "8000"]
