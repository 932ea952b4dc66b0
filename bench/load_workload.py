"""The mixed HTTP workload of bench_load: a wrk Lua script drawing tiles at several zooms and
layers, risk lookups and report posts (multipart, a unique Idempotency-Key each), and the URL
lists it draws from."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from config.map import MapSettings
from tests.support.map_support import tile_of

ZOOMS = (10, 11, 12, 13, 14, 15, 16)
TILES_PER_ZOOM = 300
RISK_POINTS = 2000


@dataclass(frozen=True)
class Mix:
    """Shares of the request kinds (the rest are report posts)."""

    name: str
    tiles: float
    risk: float


MIXED = Mix("mixed", 0.80, 0.17)  # a map view is ~20 tiles; taps ask risk; few reports
TILES_ONLY = Mix("tiles", 1.0, 0.0)
RISK_ONLY = Mix("risk", 0.0, 1.0)
REPORTS_ONLY = Mix("reports", 0.0, 0.0)

WRK_SCRIPT = r"""
local tiles, risks = {}, {}
for line in io.lines("%(tiles)s") do tiles[#tiles + 1] = line end
for line in io.lines("%(risks)s") do risks[#risks + 1] = line end
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  math.randomseed(tonumber(id) * 7919 + %(seed)d)
  statuses = {}
  counter = 0
end
local boundary = "halobenchboundary"
local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name
    .. "\"\r\n\r\n" .. value .. "\r\n"
end
local function report(key)
  local lat = 59.28 + math.random() * 0.1
  local lon = 17.95 + math.random() * 0.2
  local body = field("category", "theft") .. field("occurred_at", "%(occurred_at)s")
    .. field("lat", string.format("%%.5f", lat)) .. field("lon", string.format("%%.5f", lon))
    .. field("accuracy_m", "15") .. field("description", "load test " .. key)
    .. "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/api/v1/reports/submit", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Idempotency-Key"] = key, ["X-Device-Id"] = key }, body)
end
function request()
  counter = counter + 1
  local u = math.random()
  if u < %(tiles_share)f then return wrk.format("GET", tiles[math.random(#tiles)]) end
  if u < %(tiles_share)f + %(risk_share)f then
    return wrk.format("GET", risks[math.random(#risks)])
  end
  return report("%(run)s-" .. id .. "-" .. counter)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      all[tostring(status)] = (all[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(all) do parts[#parts + 1] = string.format('"%%s": %%d', status, n) end
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, '
    .. '"p99_us": %%d, "socket_errors": %%d, "statuses": {%%s}}\n', summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
"""


def tile_paths(seed: int = 11) -> list[str]:
    """Tiles over Stockholm at zooms 10-16 (at most TILES_PER_ZOOM each, drawn at random):
    the risk layer, districts, and incidents from zoom 13."""
    rng = random.Random(seed)
    west, south, east, north = MapSettings().bounds
    paths = []
    for z in ZOOMS:
        _, x0, y0 = tile_of(west, north, z)
        _, x1, y1 = tile_of(east, south, z)
        tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        for x, y in rng.sample(tiles, min(TILES_PER_ZOOM, len(tiles))):
            layer = rng.choices(["risk", "districts", "incidents"], [0.7, 0.15, 0.15])[0]
            if layer == "incidents" and z < 13:
                layer = "risk"
            paths.append(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
    return paths


def risk_paths(api_url: str) -> list[str]:
    """Risk lookups at the centres of random resolution-9 cells of the study area (a point
    outside it is a 404, which would read as an error)."""
    with psycopg.connect(api_url) as conn:
        rows = conn.execute(
            "SELECT ST_Y(p), ST_X(p) FROM (SELECT h3_cell_to_geometry(cell) AS p"
            " FROM risk.cell_risk WHERE resolution = 9 ORDER BY random() LIMIT %s) c",
            (RISK_POINTS,),
        ).fetchall()
    return [f"/api/v1/risk?lat={lat:.6f}&lon={lon:.6f}" for lat, lon in rows]


def run_wrk(
    base: str, mix: Mix, tiles: list[str], risks: list[str], clients: int, seconds: int
) -> dict[str, Any]:
    """One wrk run of a mix: throughput, p50/p95/p99 (ms), statuses and errors."""
    occurred = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    run = f"load-{datetime.now(UTC):%Y%m%dT%H%M%S}-{mix.name}-{clients}"
    with tempfile.TemporaryDirectory() as folder:
        tiles_file, risks_file = Path(folder) / "tiles.txt", Path(folder) / "risks.txt"
        tiles_file.write_text("\n".join(tiles) + "\n")
        risks_file.write_text("\n".join(risks) + "\n")
        script = Path(folder) / "mix.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "tiles": tiles_file,
                "risks": risks_file,
                "seed": clients,
                "occurred_at": occurred,
                "tiles_share": mix.tiles,
                "risk_share": mix.risk,
                "run": run,
            }
        )
        out = subprocess.run(
            [
                *("wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s"),
                *("--timeout", "10s", "-s", str(script), "-H", "Accept-Encoding: gzip", base),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        sys.exit(f"wrk failed: {out.stderr or out.stdout}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    statuses = {int(k): v for k, v in data["statuses"].items()}
    failed = sum(n for status, n in statuses.items() if status >= 400) + data["socket_errors"]
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "requests": data["requests"],
        "errors": failed,
        "statuses": statuses,
    }
