#!/bin/sh
# First start with data (compose service `bootstrap`, and `make run`'s demo-data; one-shot,
# idempotent: a second run changes nothing). Loads what the map needs from the data directory
# at HALO_DATA_DIR (mounted read-only in compose): Stockholm's boundaries and its city row, the
# gazetteer, the base map (when this version has `halo load basemap`) and the polisen.se
# archive, then runs the nightly pipeline once so the risk layer is there before 02:00.
# Without a data directory it says so and exits 0.
set -eu
data=${HALO_DATA_DIR:-/data}
if [ ! -d "$data/boundaries" ]; then
  echo "bootstrap: no data directory at $data (mount it read-only): starting without data"
  exit 0
fi
has_command() { halo "$@" --help >/dev/null 2>&1; }

echo "bootstrap: boundaries, the city of Stockholm and the gazetteer"
halo load boundaries
# The study area, rate and time zone come from the city (as `make run`'s demo-data adds it).
districts="$data/boundaries/stockholm_stadsdelar_utan_vatten_simplified.geojson"
halo city add Stockholm --tz Europe/Stockholm --boundary "$districts" --districts "$districts" \
  --municipality 0180 --view 59.3293,18.0686,11 --source polisen --emergency 112 --police "114 14"
halo load gazetteer
if has_command load basemap; then
  echo "bootstrap: base map"
  halo load basemap
else
  echo "bootstrap: this version has no 'halo load basemap': base map skipped"
fi
archive="$data/polisen/stockholm_county_events_2022_2025.json"
if [ "${HALO_BOOTSTRAP_ARCHIVE:-1}" = 1 ] && [ -f "$archive" ]; then
  echo "bootstrap: polisen.se archive"
  halo ingest polisen "$archive"
fi
if [ "${HALO_BOOTSTRAP_NIGHTLY:-1}" = 1 ]; then
  echo "bootstrap: nightly pipeline (retrain, refresh)"
  halo nightly --backtest-origins 0
fi
echo "bootstrap: done"
