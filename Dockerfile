# The Halo application image: API (uvicorn), migrations and batch jobs (the `halo` command).

# The web map's MapLibre GL JS comes from npm (no CDN), built in its own stage.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/public ./public

FROM python:3.11-slim-trixie
# pg_dump/pg_restore 17 for `halo backup` and `halo restore` (same major as the server);
# ffmpeg (with ffprobe) re-muxes report videos without metadata and takes their poster frame.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-17 ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt alembic.ini ./
COPY api ./api
COPY cli ./cli
COPY config ./config
COPY core ./core
COPY db ./db
COPY migrations ./migrations
COPY models ./models
COPY pipeline ./pipeline
COPY sql ./sql
COPY --from=web /web ./web
# Editable: sql/, alembic.ini and web/ are read from /app at run time.
RUN pip install --no-cache-dir -c constraints.txt -e . \
 && useradd --system --uid 10001 halo
USER halo
ENV HALO_ENV=production \
    HALO_MAP_WEB_DIR=/app/web \
    HALO_PG_BIN_DIR=/usr/lib/postgresql/17/bin
EXPOSE 8000
# `halo serve` leaves proxy headers to HALO_TRUSTED_PROXIES and logs JSON.
CMD ["halo", "serve", "--host", "0.0.0.0", "--port", "8000"]
