# Halo: the two commands a newcomer needs (see README).
#   make run   install everything, start the local database, migrate, load the bundled
#              Stockholm data when ../shared/data is present, serve on http://127.0.0.1:8000
#   make test  install everything, start the local database, run ruff, mypy and pytest
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make
HOST ?= 127.0.0.1
PORT ?= 8000
# Debian packages the tests and tools need beside Python: mmdebstrap builds the database,
# gdal-bin (ogrinfo) checks the analyst's QGIS access, chromium runs the web map test,
# fonts-dejavu-core is the font the map's label glyphs are built from; redis-server runs the
# shared tile cache test (HALO_MAP_REDIS_URL); ffmpeg (ffmpeg, ffprobe) re-muxes report videos
# without metadata; nginx-light and wrk run the tile proxy test and the benchmarks.
SYSTEM_PACKAGES := mmdebstrap gdal-bin chromium fonts-dejavu-core redis-server ffmpeg nginx-light wrk

.PHONY: run test install system-packages web-assets glyphs mobile-modules mobile-test mobile-web \
	mobile-native-export db-up \
	db-down migrate demo-data serve lint pytest clean

run: install db-up migrate demo-data serve

test: install db-up lint mobile-test mobile-native-export mobile-web pytest monitoring-rules

$(STAMPS)/system.stamp: Makefile
	@echo "==> Debian packages: $(SYSTEM_PACKAGES)"
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then echo "need root to install: $$missing"; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@mkdir -p $(STAMPS) && touch $@

system-packages: $(STAMPS)/system.stamp

$(STAMPS)/python.stamp: pyproject.toml constraints.txt
	@echo "==> Python environment in $(VENV) (pinned by constraints.txt)"
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/web.stamp: web/package.json web/package-lock.json
	@echo "==> Web map assets (MapLibre GL JS from npm, served by Halo: no CDN)"
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	@npm ci --prefix web --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

web-assets: $(STAMPS)/web.stamp

# The map's label glyphs (SDF PBFs) from the Debian font, into $HALO_HOME/glyphs (outside git).
$(STAMPS)/glyphs.stamp: $(STAMPS)/python.stamp $(STAMPS)/system.stamp $(wildcard pipeline/glyphs/*.py)
	@echo "==> Map label glyphs (DejaVu Sans, built offline: no font CDN)"
	@$(BIN)/halo glyphs build
	@mkdir -p $(STAMPS) && touch $@

glyphs: $(STAMPS)/glyphs.stamp

install: system-packages $(STAMPS)/python.stamp web-assets glyphs

db-up: system-packages
	@echo "==> Local database (PostgreSQL 17 + PostGIS + h3-pg in a Debian 13 chroot)"
	@db/localdb.sh up

db-down:
	@db/localdb.sh down

migrate: install
	@echo "==> Migrations (alembic upgrade head)"
	@$(BIN)/halo db migrate

# The bundled defaults: Stockholm's boundaries and city row, the gazetteer, the base map and the polisen.se
# archive from ../shared/data (idempotent: a second run changes nothing), then retrain and refresh.
# The same script is the compose stack's first start (deploy/bootstrap.sh): one list of steps.
demo-data: install
	@echo "==> Bundled data and the first nightly run (deploy/bootstrap.sh)"
	@PATH="$(CURDIR)/$(BIN):$$PATH" HALO_DATA_DIR="$${HALO_DATA_DIR:-../shared/data}" deploy/bootstrap.sh

# The scheduler, the feed and the server share a tile directory, as in the compose stack: each
# refresh pre-renders the new generation's tiles there before publishing it (the base map is
# carried over), and the server reads them (docs/map-api.md, Caching).
# The live feed polls the real polisen.se by default (HALO_FEED_BASE_URL); without network it
# logs once, backs off and readiness says `unreachable` while the map is served. FEED=fake
# replays the archive from a local fake of polisen.se instead; FEED=off runs no feed.
FEED ?= live
serve: install
	@echo "==> Scheduler in the background (nightly at 02:00 UTC, and on the admin trigger)"
	@echo "==> Live feed in the background (FEED=$(FEED): live polisen.se, fake replay, or off)"
	@echo "==> Serving Halo on http://$(HOST):$(PORT) (map at /, docs at /docs)"
	@export HALO_FEED_ENABLED=$$([ "$(FEED)" = off ] && echo false || echo true); \
	  export HALO_MAP_TILE_DIR="$${HALO_MAP_TILE_DIR:-$${HALO_HOME:-$$HOME/.cache/halo}/tiles}"; \
	  $(BIN)/halo scheduler & scheduler=$$!; feed=; \
	  if [ "$(FEED)" = live ]; then $(BIN)/halo feed & feed=$$!; \
	  elif [ "$(FEED)" = fake ]; then $(BIN)/halo feed --fake & feed=$$!; fi; \
	  trap 'kill $$scheduler $$feed 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/halo serve --host $(HOST) --port $(PORT)

$(STAMPS)/mobile.stamp: mobile/package.json mobile/package-lock.json
	@echo "==> Mobile app modules (Expo SDK 56, jest-expo)"
	@npm ci --prefix mobile --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

mobile-modules: $(STAMPS)/mobile.stamp

mobile-test: mobile-modules
	@echo "==> Mobile unit tests (type check, format check, jest)"
	@CI=true npm test --prefix mobile --silent

# The phone bundles (Android and iOS JavaScript, Hermes bytecode): every native-only module
# (MapLibre Native, geofencing, notifications, the photo and video picker) must resolve.
# No device or SDK needed; npm's modules only, no network. Output in mobile/dist-native.
mobile-native-export: mobile-modules
	@echo "==> Mobile native bundles (expo export --platform android --platform ios)"
	@npm run export:native --prefix mobile --silent

# Always rebuilt (about 4 s warm): the browser test in pytest drives this web build.
mobile-web: mobile-modules
	@echo "==> Mobile web build (expo export --platform web)"
	@npm run export:web --prefix mobile --silent

lint: install
	@echo "==> ruff (lint, format), mypy and the import contracts (README, Layout)"
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy .
	@$(BIN)/lint-imports --no-cache

pytest: install
	@echo "==> pytest against the real database"
	@$(BIN)/pytest -q -p no:cacheprovider

# --- Operations (issue 16): alerting rules, and the compose stack built and run with podman ---
# promtool comes with Debian's prometheus package.
SYSTEM_PACKAGES += prometheus
.PHONY: monitoring-rules test-stack

monitoring-rules: system-packages
	@echo "==> Prometheus alerting rules (promtool check + unit tests)"
	@promtool check rules deploy/monitoring/halo-rules.yml
	@cd deploy/monitoring && promtool test rules halo-rules.test.yml

# Builds the images, starts the stack with podman-compose, checks it through its published
# port, cleans up (deploy/stack/test-stack.sh; HALO_STACK_PORT, default 18700).
test-stack: install
	@deploy/stack/test-stack.sh

clean:
	rm -rf $(VENV) $(STAMPS)
