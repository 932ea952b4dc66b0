"""Tile benchmark: Halo against tipg on the same database and tiles, and against its own SQL.

    .venv/bin/python bench/bench_tiles.py            # about 3 minutes; prints a Markdown table

One run, one database (default `halo_bench`, built by the migrations and loaded with the
Stockholm data of ../shared/data, or the synthetic city without it), the same risk tiles at
zooms 8, 11 and 14. Servers, one uvicorn worker each, rate limits off:
  * Halo cold: server cache off, so every request renders in PostGIS (the first request of a
    tile after a refresh);
  * Halo warm: the in-process tile cache holds the tiles (filled before measuring);
  * tipg: `risk.cell_risk` as an OGC collection, filtered to the H3 resolution Halo shows at
    that zoom (`?resolution=`); tipg has no tile cache, so its warm run only has warmer
    database buffers.
Load: `wrk` (Debian package) cycling through the tile list, 1 and 32 connections, gzip
accepted. Raw SQL: `SELECT tiles.tile_risk(z, x, y)` over one connection, as the API role.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from config.map import MapSettings  # noqa: E402
from config.settings import get_settings  # noqa: E402
from tests.dbtools import with_database  # noqa: E402

ZOOMS = (8, 11, 14)
CLIENTS = (1, 32)
MAX_TILES_PER_ZOOM = 150
RISK_RESOLUTION = {8: 7, 11: 8, 14: 9}  # tiles.risk_resolution at the default base 9
TIPG_PROPERTIES = "cell,resolution,risk_score,relative_risk,rr_lower,rr_upper,evidence,district_id"
HALO = REPO / ".venv" / "bin"

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(list)s") do paths[#paths + 1] = line end
local threads = 0
function setup(thread) thread:set("offset", threads * 7919); threads = threads + 1 end
function init(args) i = tonumber(offset) or 0 end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"errors": %%d, "non2xx": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
"""


def main() -> None:
    """Build or reuse the database, start the three servers, measure, print the table."""
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    settings = get_settings()
    owner_url = with_database(settings.database_url, args.database)
    api_url = with_database(settings.api_database_url, args.database)
    prepare_database(settings.database_url, owner_url, args.database, args.rebuild)
    tiles = {z: tiles_with_data(api_url, z) for z in ZOOMS}
    print(f"tiles per zoom: { {z: len(t) for z, t in tiles.items()} }", file=sys.stderr)
    rows = []
    sql_times = {z: raw_sql_latency(api_url, tiles[z], args.seconds) for z in ZOOMS}
    env = {**os.environ, "DATABASE_URL": owner_url, "HALO_API_DATABASE_URL": api_url}
    with server(halo_command(), halo_env(env, cache=False), 8801) as cold:
        rows += measure("Halo cold", cold, halo_paths(tiles), args.seconds)
    with server(halo_command(), halo_env(env, cache=True), 8802) as warm:
        warm_up(warm, halo_paths(tiles))
        rows += measure("Halo warm", warm, halo_paths(tiles), args.seconds)
    with server(tipg_command(), tipg_env(env, api_url), 8803) as tipg:
        rows += measure("tipg cold", tipg, tipg_paths(tiles), args.seconds)
        rows += measure("tipg warm", tipg, tipg_paths(tiles), args.seconds)
    print(render_table(rows, sql_times))


def parse_args() -> argparse.Namespace:
    """The command line: database name, rebuild, seconds per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="halo_bench", help="database to build or reuse")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--seconds", type=int, default=3, help="duration of each run")
    return parser.parse_args()


def prepare_database(maintenance_url: str, owner_url: str, name: str, rebuild: bool) -> None:
    """Create, migrate and load the bench database unless it already has a risk generation."""
    admin = with_database(maintenance_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if rebuild:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": owner_url}
    run([HALO / "halo", "db", "migrate"], env)
    with psycopg.connect(owner_url) as conn:
        if conn.execute("SELECT count(*) FROM risk.generations").fetchone() != (0,):
            return
    load_data(owner_url, env)


def load_data(owner_url: str, env: dict[str, str]) -> None:
    """Stockholm's real data when ../shared/data is there, else the synthetic city."""
    if (get_settings().data_dir / "polisen").is_dir():
        for command in (["load", "boundaries"], ["load", "gazetteer"], ["ingest", "polisen"]):
            run([HALO / "halo", *command], env)
        run([HALO / "halo", "refresh"], env)
        return
    from tests.synthetic_city import AS_OF, add_hotspot_history, make_city

    with psycopg.connect(owner_url) as conn:
        make_city(conn)
        add_hotspot_history(conn)
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))


def run(command: list[object], env: dict[str, str]) -> None:
    """Run a halo command, echoing it on stderr."""
    print("$", " ".join(str(c) for c in command), file=sys.stderr)
    subprocess.run([str(c) for c in command], env=env, check=True, stdout=subprocess.DEVNULL)


def tiles_with_data(api_url: str, z: int) -> list[tuple[int, int, int]]:
    """The non-empty risk tiles over Stockholm at zoom z (at most MAX_TILES_PER_ZOOM)."""
    west, south, east, north = MapSettings().bounds
    with psycopg.connect(api_url) as conn:
        rows = conn.execute(
            "SELECT x, y FROM generate_series(%(x0)s::int, %(x1)s::int) x,"
            " generate_series(%(y0)s::int, %(y1)s::int) y"
            " WHERE length(tiles.tile_risk(%(z)s::int, x, y)) > 0 ORDER BY x, y",
            {"z": z, **tile_range(z, west, south, east, north)},
        ).fetchall()
    step = max(1, len(rows) // MAX_TILES_PER_ZOOM)
    return [(z, x, y) for x, y in rows[::step][:MAX_TILES_PER_ZOOM]]


def tile_range(z: int, west: float, south: float, east: float, north: float) -> dict[str, int]:
    """The x/y ranges of the tiles covering a lon/lat box at zoom z."""
    from tests.map_support import tile_of

    _, x0, y0 = tile_of(west, north, z)
    _, x1, y1 = tile_of(east, south, z)
    return {"x0": x0, "x1": x1, "y0": y0, "y1": y1}


def raw_sql_latency(api_url: str, tiles: list[tuple[int, int, int]], seconds: float) -> dict:
    """p50/p99 of the tile function over one connection (prepared, binary), as the API role."""
    times = []
    with psycopg.connect(api_url, autocommit=True) as conn:
        conn.execute("SELECT tiles.tile_risk(%s, %s, %s)", tiles[0], binary=True)  # PROJ set-up
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.execute(
                "SELECT tiles.tile_risk(%s, %s, %s)",
                tiles[i % len(tiles)],
                binary=True,
                prepare=True,
            ).fetchone()
            times.append(time.perf_counter() - started)
            i += 1
    return {
        "p50_ms": percentile(times, 50) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
        "rps": len(times) / seconds,
    }


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def halo_command() -> list[str]:
    """uvicorn serving Halo's app factory."""
    return [str(HALO / "uvicorn"), "api.app:create_app", "--factory"]


def halo_env(env: dict[str, str], cache: bool) -> dict[str, str]:
    """Halo's settings: rate limits off, the tile cache on or off."""
    return {
        **env,
        "HALO_RATE_LIMIT_ENABLED": "false",
        "HALO_MAP_TILE_CACHE_MAX_BYTES": str(256 * 2**20 if cache else 0),
        "HALO_LOG_LEVEL": "WARNING",
    }


def tipg_command() -> list[str]:
    """uvicorn serving tipg."""
    return [str(HALO / "uvicorn"), "tipg.main:app"]


def tipg_env(env: dict[str, str], api_url: str) -> dict[str, str]:
    """tipg's settings: the API role, risk.cell_risk only."""
    return {
        **env,
        "DATABASE_URL": api_url,
        "TIPG_DB_SCHEMAS": '["risk"]',
        "TIPG_DB_TABLES": '["risk.cell_risk"]',
    }


def halo_paths(tiles: dict[int, list]) -> dict[int, list[str]]:
    """Halo's tile URLs per zoom."""
    return {z: [f"/tiles/risk/{z}/{x}/{y}.mvt" for _, x, y in ts] for z, ts in tiles.items()}


def tipg_paths(tiles: dict[int, list]) -> dict[int, list[str]]:
    """tipg's URLs of the same tiles, filtered to the resolution Halo shows."""
    return {
        z: [
            f"/collections/risk.cell_risk/tiles/WebMercatorQuad/{z}/{x}/{y}"
            f"?resolution={RISK_RESOLUTION[z]}&properties={TIPG_PROPERTIES}"
            for _, x, y in ts
        ]
        for z, ts in tiles.items()
    }


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """A uvicorn process (one worker) on a loopback port; yields its base URL."""
    process = subprocess.Popen(
        [
            *command,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def wait_until_up(base: str, process: subprocess.Popen) -> None:
    """Poll / until the server answers (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server on {base} exited with {process.returncode}")
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit(f"server on {base} did not start")


def warm_up(base: str, paths: dict[int, list[str]]) -> None:
    """Request every tile once (fills Halo's cache)."""
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as client:
        for zoom_paths in paths.values():
            for path in zoom_paths:
                client.get(path).raise_for_status()


def measure(label: str, base: str, paths: dict[int, list[str]], seconds: int) -> list[dict]:
    """wrk at each zoom and client count; one row each."""
    rows = []
    for z in ZOOMS:
        for clients in CLIENTS:
            result = wrk(base, paths[z], clients, seconds)
            rows.append({"server": label, "z": z, "clients": clients, **result})
            print(label, z, clients, result, file=sys.stderr)
    return rows


def wrk(base: str, paths: list[str], clients: int, seconds: int) -> dict:
    """One wrk run cycling through `paths`: requests/s, p50, p99, failures."""
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = Path(folder) / "cycle.lua"
        script.write_text(WRK_SCRIPT % {"list": listing})
        threads = min(clients, 2)
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{clients}",
                f"-d{seconds}s",
                "-s",
                str(script),
                "-H",
                "Accept-Encoding: gzip",
                base,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        sys.exit(f"wrk failed: {out.stderr or out.stdout}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "failed": data["errors"] + data["non2xx"],
    }


def render_table(rows: list[dict], sql_times: dict[int, dict]) -> str:
    """Markdown: every run, then the ratios the issue asks for."""
    lines = [
        "| server | z | clients | req/s | p50 ms | p99 ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['server']} | {r['z']} | {r['clients']} | {r['rps']:.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['failed']} |"
        )
    for z, t in sql_times.items():
        lines.append(
            f"| raw SQL tiles.tile_risk | {z} | 1 | {t['rps']:.0f} | "
            f"{t['p50_ms']:.2f} | {t['p99_ms']:.2f} | 0 |"
        )
    lines += [
        "",
        "| z | clients | Halo cold / tipg cold (req/s) | Halo warm / tipg warm (req/s) "
        "| Halo cold p50 over raw SQL p50 |",
        "|---:|---:|---:|---:|---:|",
    ]
    by = {(r["server"], r["z"], r["clients"]): r for r in rows}
    for z in ZOOMS:
        for c in CLIENTS:
            cold = by[("Halo cold", z, c)]["rps"] / by[("tipg cold", z, c)]["rps"]
            warm = by[("Halo warm", z, c)]["rps"] / by[("tipg warm", z, c)]["rps"]
            overhead = by[("Halo cold", z, 1)]["p50_ms"] / sql_times[z]["p50_ms"] - 1
            lines.append(
                f"| {z} | {c} | {cold:.1f}x | {warm:.1f}x | "
                f"{overhead:+.0%}{'' if c == 1 else ' (1 client)'} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
