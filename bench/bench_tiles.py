"""Tile benchmark: Halo against tipg on the same database and tiles, and against its own SQL.

    .venv/bin/python -m bench.bench_tiles            # about 4 minutes; prints Markdown tables

One run, one database (default `halo_bench`, built by the migrations and loaded with the
Stockholm data of ../shared/data (the base map too), or the synthetic city without it), the
same risk tiles at zooms 8, 11 and 14 and the base map's streets at zoom 14. First a refresh
(`halo refresh`'s code) pre-renders the generation's tiles into a tile directory, as in
production. Servers, one uvicorn worker each, rate limits off:
  * Halo first request after a refresh: memory cache off, the refresh's tile directory on, so
    every request is what the first request of a tile is after a refresh (a store read);
  * Halo warm: the in-process cache holds the tiles (the cached-tile fast path);
  * Halo behind nginx: deploy/nginx/halo.conf.template (Debian nginx) in front of Halo warm,
    its cache filled before measuring;
  * Halo uncached: the memory cache on but holding nothing (a budget of one byte), so every
    request misses and renders in PostGIS, through the same single-flight path as a tile
    outside the pre-rendered set in production; its in-server time is compared with the
    raw SQL's;
  * tipg: `risk.cell_risk` as an OGC collection, filtered to the H3 resolution Halo shows at
    that zoom (`?resolution=`), and `basemap.streets` (as the analysts' role, when
    HALO_ANALYST_DATABASE_URL is set); tipg has no tile cache.
Load: `wrk` (Debian package) cycling through the tile list, 1 and 32 connections, gzip
accepted; the servers interleaved, `--reps` repetitions, medians. Raw SQL:
`SELECT tiles.tile_<layer>(z, x, y)` over one connection, as the API role. Risk at a point:
`/api/v1/risk` with one client against the route's own query (`risk.risk_at_point` with the
time echoed, as text) on one connection, prepared. Both sides run the statement prepared,
as the API role with its settings (jit off, the statement timeout): Halo reads a tile over
libpq, the statement prepared by name once per connection with text parameters and a binary
result (api/prepared_value.py); the raw side with psycopg (`prepare=True`, `binary=True`).
The raw SQL runs are interleaved with the servers' too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from api.routes.risk_at_point import RISK_SQL, risk_params
from bench.http_load import REPO, UVICORN_AS_SERVED, mean_ms, server, server_seconds, warm_up, wrk
from config.map import MapSettings
from config.settings import get_settings
from tests.support.dbtools import with_database
from tests.support.ingest_support import stockholm_city_command
from tests.support.nginx_proxy import nginx_binary, nginx_proxy

# What is measured: the risk layer at three zooms, and the base map's streets (the heaviest
# base-map layer) at the zoom a resident reads street names.
View = tuple[str, int]  # layer, zoom
VIEWS: tuple[View, ...] = (("risk", 8), ("risk", 11), ("risk", 14), ("streets", 14))
CLIENTS = (1, 32)
MAX_TILES_PER_ZOOM = 150
RISK_RESOLUTION = {8: 7, 11: 8, 14: 9}  # tiles.risk_resolution at the default base 9
TIPG_PROPERTIES = "cell,resolution,risk_score,relative_risk,rr_lower,rr_upper,evidence,district_id"
# tipg on the base map's streets: the same rows as Halo's z14 tile (every class is drawn
# from zoom 13), as the analysts' role (the API role has no privilege on basemap tables).
TIPG_STREETS = (
    "/collections/basemap.streets/tiles/WebMercatorQuad/{z}/{x}/{y}?properties=name,class"
)
HALO = REPO / ".venv" / "bin"
# Ports of the servers (HALO_BENCH_PORT_BASE moves them all).
PORT_BASE = int(os.environ.get("HALO_BENCH_PORT_BASE", "8800"))
FIRST, WARM, NGINX, UNCACHED, TIPG = (
    "Halo first request after refresh",
    "Halo warm",
    "Halo behind nginx",
    "Halo uncached",
    "tipg",
)
RISK_ROUTE = 'route="/api/v1/risk"'
RISK_AT = "2025-06-02T12:00:00+02:00"


def main() -> None:
    """Build or reuse the database, refresh with pre-render, start the servers, measure."""
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if nginx_binary() is None:
        sys.exit("nginx is missing: apt-get install nginx-light")
    settings = get_settings()
    owner_url = with_database(settings.database_url, args.database)
    api_url = with_database(settings.api_database_url, args.database)
    prepare_database(settings.database_url, owner_url, args.database, args.rebuild)
    with tempfile.TemporaryDirectory(prefix="halo-tiles-") as tile_dir:
        prerender = refresh_with_prerender(owner_url, Path(tile_dir))
        tiles = {view: tiles_with_data(api_url, *view) for view in VIEWS}
        say(f"tiles per view: { {label(v): len(t) for v, t in tiles.items()} }")
        points = risk_points(api_url)
        env = {**os.environ, "DATABASE_URL": owner_url, "HALO_API_DATABASE_URL": api_url}
        if args.uncached_only:
            rows, sql_times, risk_api, risk_sql = measure_uncached(
                env, api_url, tiles, points, args
            )
        else:
            analyst_url = settings.analyst_database_url
            streets_url = with_database(analyst_url, args.database) if analyst_url else None
            rows, sql_times, risk_api, risk_sql = measure_all(
                env, api_url, streets_url, tiles, points, tile_dir, args
            )
    print(header(prerender, args))
    print(render_table(rows, sql_times, args.uncached_only))
    print()
    print(render_risk(risk_api, risk_sql))


Measured = tuple[list[dict[str, Any]], dict[View, dict[str, Any]], dict[str, Any], dict[str, Any]]


def label(view: View) -> str:
    """A view as the tables print it."""
    return f"{view[0]} {view[1]}"


def measure_all(
    env: dict[str, str],
    api_url: str,
    streets_url: str | None,
    tiles: dict[View, list[Any]],
    points: list[tuple[float, float]],
    tile_dir: str,
    args: argparse.Namespace,
) -> Measured:
    """Every server (first request, warm, nginx, uncached, tipg), the raw SQL, risk at a point.
    tipg serves the streets as the analysts' role (`streets_url`); without one it skips them."""
    ports = [PORT_BASE + i for i in range(6)]
    streets_tipg = (
        server(tipg_command(), tipg_streets_env(env, streets_url), ports[5])
        if streets_url
        else nullcontext(None)
    )
    with (
        server(halo_command(), halo_env(env, cache=False, tile_dir=tile_dir), ports[0]) as first,
        server(halo_command(), halo_env(env, cache=True), ports[1]) as warm,
        server(halo_command(), uncached_env(env), ports[2]) as uncached,
        server(tipg_command(), tipg_env(env, api_url), ports[3]) as tipg,
        streets_tipg as tipg_of_streets,
        nginx_proxy(warm.removeprefix("http://"), ports[4]) as proxied,
    ):
        warm_up(warm, halo_paths(tiles))
        warm_up(proxied, halo_paths(tiles))
        tipg_bases = {v: tipg if v[0] == "risk" else tipg_of_streets for v in VIEWS}
        targets = [
            (FIRST, every_view(first), halo_paths(tiles)),
            (WARM, every_view(warm), halo_paths(tiles)),
            (NGINX, every_view(proxied), halo_paths(tiles)),
            (UNCACHED, every_view(uncached), halo_paths(tiles)),
            (TIPG, {v: b for v, b in tipg_bases.items() if b}, tipg_paths(tiles)),
        ]
        rows, sql_times = measure(targets, api_url, tiles, args.seconds, args.reps, CLIENTS)
        risk_api, risk_sql = measure_risk(uncached, api_url, points, args.seconds, args.reps)
    return rows, sql_times, risk_api, risk_sql


def every_view(base: str) -> dict[View, str]:
    """One server for every view."""
    return dict.fromkeys(VIEWS, base)


def measure_uncached(
    env: dict[str, str],
    api_url: str,
    tiles: dict[View, list[Any]],
    points: list[tuple[float, float]],
    args: argparse.Namespace,
) -> Measured:
    """Only what the in-server/SQL ratios need: Halo uncached with one client, the raw SQL
    and risk at a point (a short run while working on the request path)."""
    with server(halo_command(), uncached_env(env), PORT_BASE + 2) as uncached:
        targets = [(UNCACHED, every_view(uncached), halo_paths(tiles))]
        rows, sql_times = measure(targets, api_url, tiles, args.seconds, args.reps, (1,))
        risk_api, risk_sql = measure_risk(uncached, api_url, points, args.seconds, args.reps)
    return rows, sql_times, risk_api, risk_sql


def say(message: str) -> None:
    """A progress line on stderr."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def refresh_with_prerender(owner_url: str, tile_dir: Path) -> dict[str, Any]:
    """A refresh as `halo refresh` runs it, pre-rendering into `tile_dir`; its report."""
    from pipeline.risk.refresh import refresh_risk

    os.environ["HALO_MAP_TILE_DIR"] = str(tile_dir)
    try:
        started = time.perf_counter()
        with psycopg.connect(owner_url) as conn:
            row = conn.execute("SELECT as_of FROM risk.generations ORDER BY id DESC LIMIT 1")
            as_of = row.fetchone()
        generation = refresh_risk(owner_url, as_of[0] if as_of else None)
        total_s = time.perf_counter() - started
    finally:
        del os.environ["HALO_MAP_TILE_DIR"]
    with psycopg.connect(owner_url) as conn:
        details = conn.execute(
            "SELECT details FROM ops.job_runs WHERE kind = 'refresh' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    report = dict(details[0]["prerender"]) if details else {}
    report.update({"generation": generation.id, "refresh_s": round(total_s, 1)})
    say(f"refresh with pre-render: {report}")
    return report


def parse_args() -> argparse.Namespace:
    """The command line: database name, rebuild, seconds per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="halo_bench", help="database to build or reuse")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--seconds", type=int, default=2, help="duration of each run")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    parser.add_argument(
        "--uncached-only",
        action="store_true",
        help="only Halo uncached (1 client) against the raw SQL, and risk at a point",
    )
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
        refreshed = conn.execute("SELECT count(*) FROM risk.generations").fetchone() != (0,)
        no_basemap = conn.execute("SELECT NOT EXISTS (SELECT FROM basemap.streets)").fetchone()
    if not refreshed:
        load_data(owner_url, env)
    elif no_basemap == (True,) and (get_settings().data_dir / "basemap").is_dir():
        run([HALO / "halo", "load", "basemap"], env)  # a database from before the base map


def load_data(owner_url: str, env: dict[str, str]) -> None:
    """Stockholm's real data when ../shared/data is there, else the synthetic city."""
    if (get_settings().data_dir / "polisen").is_dir():
        city = stockholm_city_command(get_settings().data_dir)
        commands = (
            ["load", "boundaries"],
            city,
            ["load", "gazetteer"],
            ["load", "basemap"],
            ["ingest", "polisen"],
        )
        for command in commands:
            run([HALO / "halo", *command], env)
        run([HALO / "halo", "refresh"], env)
        return
    from tests.support.synthetic_city import AS_OF, add_hotspot_history, make_city

    with psycopg.connect(owner_url) as conn:
        make_city(conn)
        add_hotspot_history(conn)
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))


def run(command: list[object], env: dict[str, str]) -> None:
    """Run a halo command, echoing it on stderr."""
    print("$", " ".join(str(c) for c in command), file=sys.stderr)
    subprocess.run([str(c) for c in command], env=env, check=True, stdout=subprocess.DEVNULL)


def tiles_with_data(api_url: str, layer: str, z: int) -> list[tuple[int, int, int]]:
    """The non-empty tiles of a layer over Stockholm at zoom z (at most MAX_TILES_PER_ZOOM)."""
    west, south, east, north = MapSettings().bounds
    query = sql.SQL(
        "SELECT x, y FROM generate_series(%(x0)s::int, %(x1)s::int) x,"
        " generate_series(%(y0)s::int, %(y1)s::int) y"
        " WHERE length({}(%(z)s::int, x, y)) > 0 ORDER BY x, y"
    ).format(tile_function(layer))
    with psycopg.connect(api_url) as conn:
        rows = conn.execute(query, {"z": z, **tile_range(z, west, south, east, north)}).fetchall()
    step = max(1, len(rows) // MAX_TILES_PER_ZOOM)
    return [(z, x, y) for x, y in rows[::step][:MAX_TILES_PER_ZOOM]]


def tile_range(z: int, west: float, south: float, east: float, north: float) -> dict[str, int]:
    """The x/y ranges of the tiles covering a lon/lat box at zoom z."""
    from tests.support.map_support import tile_of

    _, x0, y0 = tile_of(west, north, z)
    _, x1, y1 = tile_of(east, south, z)
    return {"x0": x0, "x1": x1, "y0": y0, "y1": y1}


def tile_function(layer: str) -> sql.Composable:
    """The layer's tile function, tiles.tile_<layer>."""
    return sql.Identifier("tiles", f"tile_{layer}")


def raw_sql_latency(
    api_url: str, layer: str, tiles: list[tuple[int, int, int]], seconds: float
) -> dict[str, Any]:
    """p50/p99 of the layer's tile function over one connection (prepared, binary), as the
    API role."""
    times = []
    query = sql.SQL("SELECT {}(%s, %s, %s)").format(tile_function(layer))
    with psycopg.connect(api_url, autocommit=True) as conn:
        conn.execute(query, tiles[0], binary=True)  # PROJ set-up
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            conn.execute(
                query,
                tiles[i % len(tiles)],
                binary=True,
                prepare=True,
            ).fetchone()
            times.append(time.perf_counter() - started)
            i += 1
    return {
        "mean_ms": sum(times) / len(times) * 1000,
        "p50_ms": percentile(times, 50) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
        "rps": len(times) / seconds,
    }


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def halo_command() -> list[str]:
    """uvicorn serving Halo's app factory as `halo serve` runs it: Halo writes its own access
    log and reads the proxy headers itself, so uvicorn's are off."""
    return [str(HALO / "uvicorn"), "api.app:create_app", "--factory", *UVICORN_AS_SERVED]


def halo_env(env: dict[str, str], cache: bool, tile_dir: str | None = None) -> dict[str, str]:
    """Halo's settings: rate limits off, the memory cache on or off, a tile directory."""
    values = {
        **env,
        "HALO_RATE_LIMIT_ENABLED": "false",
        "HALO_MAP_TILE_CACHE_MAX_BYTES": str(256 * 2**20 if cache else 0),
        "HALO_MAP_PRERENDER_ON_SERVE": "false",  # warmed by the benchmark's own pass
        "HALO_LOG_LEVEL": "WARNING",
    }
    if tile_dir:
        values["HALO_MAP_TILE_DIR"] = tile_dir
    return values


def uncached_env(env: dict[str, str]) -> dict[str, str]:
    """Halo with its memory cache on and a budget of one byte: every tile misses, and takes
    the miss path of production (single flight, the LRU's put) rather than no cache at all."""
    return {**halo_env(env, cache=False), "HALO_MAP_TILE_CACHE_MAX_BYTES": "1"}


def tipg_streets_env(env: dict[str, str], analyst_url: str) -> dict[str, str]:
    """tipg's settings for the base map: the analysts' role, basemap.streets only. tipg creates
    its helper functions at startup, which the role's read-only default refuses: it is turned
    off for tipg's sessions (the role still has no privilege to write anything)."""
    return {
        **env,
        "DATABASE_URL": f"{analyst_url}?default_transaction_read_only=off",
        "TIPG_DB_SCHEMAS": '["basemap"]',
        "TIPG_DB_TABLES": '["basemap.streets"]',
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


def halo_paths(tiles: dict[View, list[Any]]) -> dict[View, list[str]]:
    """Halo's tile URLs per view."""
    return {
        (layer, z): [f"/tiles/{layer}/{z}/{x}/{y}.mvt" for _, x, y in ts]
        for (layer, z), ts in tiles.items()
    }


def tipg_paths(tiles: dict[View, list[Any]]) -> dict[View, list[str]]:
    """tipg's URLs of the same tiles: the risk filtered to the resolution Halo shows."""
    return {
        (layer, z): [
            f"/collections/risk.cell_risk/tiles/WebMercatorQuad/{z}/{x}/{y}"
            f"?resolution={RISK_RESOLUTION[z]}&properties={TIPG_PROPERTIES}"
            if layer == "risk"
            else TIPG_STREETS.format(z=z, x=x, y=y)
            for _, x, y in ts
        ]
        for (layer, z), ts in tiles.items()
    }


# A server's label, its base URL per view (a view it lacks is not measured), its paths.
Target = tuple[str, dict[View, str], dict[View, list[str]]]


def measure(
    targets: list[Target],
    api_url: str,
    tiles: dict[View, list[Any]],
    seconds: int,
    reps: int,
    client_counts: tuple[int, ...],
) -> tuple[list[dict[str, Any]], dict[View, dict[str, Any]]]:
    """wrk at each view and client count, the servers and the raw SQL interleaved (so load
    from elsewhere on the machine hits them alike), `reps` times; medians of each."""
    runs: dict[tuple[str, View, int], list[dict[str, Any]]] = {}
    sql_runs: dict[View, list[dict[str, Any]]] = {}
    for rep in range(reps):
        for view in VIEWS:
            sql_runs.setdefault(view, []).append(
                raw_sql_latency(api_url, view[0], tiles[view], seconds)
            )
            for clients in client_counts:
                for name, bases, paths in targets:
                    if view not in bases:
                        continue
                    base = bases[view]
                    before = server_seconds(base)
                    result = wrk(base, paths[view], clients, seconds)
                    # Behind nginx, Halo's /metrics would show only what nginx passed on.
                    after = server_seconds(base) if name != NGINX else before
                    result["server_ms"] = mean_ms(before, after)
                    runs.setdefault((name, view, clients), []).append(result)
                    say(f"rep {rep + 1} {name} {label(view)} c{clients}: {result['rps']:.0f} req/s")
    rows = [{"server": k[0], "z": k[1], "clients": k[2], **median_of(v)} for k, v in runs.items()]
    order = [name for name, _, _ in targets]
    rows.sort(key=lambda r: (order.index(r["server"]), VIEWS.index(r["z"]), r["clients"]))
    return rows, {view: median_sql(v) for view, v in sql_runs.items()}


def median_sql(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each raw-SQL measure over the repetitions."""
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def median_of(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each measure over the repetitions (failures summed)."""
    inside = [r["server_ms"] for r in results if r["server_ms"] is not None]
    return {
        "rps": statistics.median(r["rps"] for r in results),
        "p50_ms": statistics.median(r["p50_ms"] for r in results),
        "p99_ms": statistics.median(r["p99_ms"] for r in results),
        "server_ms": statistics.median(inside) if inside else None,
        "failed": sum(r["failed"] for r in results),
    }


def risk_points(api_url: str) -> list[tuple[float, float]]:
    """(lon, lat) of 100 base cells' centres over the study area."""
    with psycopg.connect(api_url) as conn:
        rows = conn.execute(
            "SELECT st_x(c), st_y(c) FROM (SELECT st_centroid(geom) c, cell FROM risk.cell_risk"
            " WHERE resolution = (SELECT max(resolution) FROM risk.cell_risk)"
            " ORDER BY cell LIMIT 100) s"
        ).fetchall()
    return [(float(x), float(y)) for x, y in rows]


def raw_risk_latency(
    api_url: str, points: list[tuple[float, float]], seconds: float
) -> dict[str, Any]:
    """Mean/p50/p99 of the route's own query (RISK_SQL of api/routes/risk_at_point.py, with
    its parameters: risk.risk_at_point, the time echoed, as text) over one connection,
    prepared, as the API role."""
    when = datetime.fromisoformat(RISK_AT)
    times = []
    with psycopg.connect(api_url, autocommit=True) as conn:
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            lon, lat = points[i % len(points)]
            started = time.perf_counter()
            conn.execute(RISK_SQL, risk_params(lat, lon, when), prepare=True).fetchone()
            times.append(time.perf_counter() - started)
            i += 1
    return {
        "mean_ms": sum(times) / len(times) * 1000,
        "p50_ms": percentile(times, 50) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
        "rps": len(times) / seconds,
    }


def measure_risk(
    base: str, api_url: str, points: list[tuple[float, float]], seconds: int, reps: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """/api/v1/risk with one client (with Halo's in-server mean) and its raw SQL, interleaved:
    medians of `reps` runs each."""
    at = RISK_AT.replace("+", "%2B")
    paths = [f"/api/v1/risk?lat={lat}&lon={lon}&at={at}" for lon, lat in points]
    results, sql_results = [], []
    for _ in range(reps):
        before = server_seconds(base, RISK_ROUTE)
        result = wrk(base, paths, 1, seconds)
        result["server_ms"] = mean_ms(before, server_seconds(base, RISK_ROUTE))
        results.append(result)
        sql_results.append(raw_risk_latency(api_url, points, seconds))
    return median_of(results), median_sql(sql_results)


def header(prerender: dict[str, Any], args: argparse.Namespace) -> str:
    """What was measured, on what."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs, load average"
        f" {load} (shared machine), {args.seconds} s per run, median of {args.reps}"
        f" interleaved repetitions.\n\nRefresh with pre-render: generation"
        f" {prerender.get('generation')}, {prerender.get('rendered')} of"
        f" {prerender.get('planned')} tiles ({prerender.get('empty')} empty,"
        f" {prerender.get('bytes_gzip', 0) / 1e6:.1f} MB gzip) in {prerender.get('seconds')} s"
        f" (whole refresh {prerender.get('refresh_s')} s), complete: {prerender.get('complete')}.\n"
    )


def render_table(
    rows: list[dict[str, Any]], sql_times: dict[View, dict[str, Any]], uncached_only: bool
) -> str:
    """Markdown: every run (with Halo's in-server mean), then the ratios the issue asks for."""
    lines = [
        "| server | layer z | clients | req/s | p50 ms | p99 ms | in-server mean ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        inside = "" if r["server_ms"] is None else f"{r['server_ms']:.2f}"
        lines.append(
            f"| {r['server']} | {label(r['z'])} | {r['clients']} | {r['rps']:.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {inside} | {r['failed']} |"
        )
    for view, t in sql_times.items():
        lines.append(
            f"| raw SQL tiles.tile_{view[0]} | {label(view)} | 1 | {t['rps']:.0f} | "
            f"{t['p50_ms']:.2f} | {t['p99_ms']:.2f} | {t['mean_ms']:.2f} | 0 |"
        )
    ratios = uncached_ratio_table if uncached_only else ratio_table
    return "\n".join([*lines, "", *ratios(rows, sql_times)])


def uncached_ratio_table(
    rows: list[dict[str, Any]], sql_times: dict[View, dict[str, Any]]
) -> list[str]:
    """The uncached in-server time against the raw SQL time, per view (one client)."""
    lines = [
        "| layer z | uncached in-server / SQL mean (aim 1.25x) | uncached p50 / SQL p50 (client) "
        "| p99 ms uncached / SQL |",
        "|---:|---:|---:|---|",
    ]
    by = {r["z"]: r for r in rows if r["server"] == UNCACHED and r["clients"] == 1}
    for view in VIEWS:
        uncached, sql_time = by[view], sql_times[view]
        inside = uncached["server_ms"]
        overhead = f"{inside / sql_time['mean_ms']:.2f}x" if inside else ""
        client = f"{uncached['p50_ms'] / sql_time['p50_ms']:.2f}x"
        lines.append(
            f"| {label(view)} | {overhead} | {client} "
            f"| {uncached['p99_ms']:.1f} / {sql_time['p99_ms']:.1f} |"
        )
    return lines


def ratio_table(rows: list[dict[str, Any]], sql_times: dict[View, dict[str, Any]]) -> list[str]:
    """Halo (first request, warm, behind nginx) against tipg in req/s, with p99s, and the
    uncached in-server time against the raw SQL time."""
    lines = [
        "| layer z | clients | first/tipg (aim 10x) | warm/tipg (aim 15x) | nginx/tipg "
        "| p99 ms first / warm / nginx / tipg | uncached in-server / SQL mean (aim 1.25x) "
        "| uncached p50 / SQL p50 (client) |",
        "|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    by = {(r["server"], r["z"], r["clients"]): r for r in rows}
    for view in VIEWS:
        for c in CLIENTS:
            tipg = by.get((TIPG, view, c))  # None: tipg not run for this view
            halo = [by[(name, view, c)] for name in (FIRST, WARM, NGINX)]
            cells = " | ".join(f"{h['rps'] / tipg['rps']:.1f}x" if tipg else "-" for h in halo)
            p99 = " / ".join(f"{r['p99_ms']:.1f}" for r in [*halo, *([tipg] if tipg else [])])
            uncached = by[(UNCACHED, view, c)]
            inside, sql_time = uncached["server_ms"], sql_times[view]
            overhead = f"{inside / sql_time['mean_ms']:.2f}x" if c == 1 and inside else ""
            client = f"{uncached['p50_ms'] / sql_time['p50_ms']:.2f}x" if c == 1 else ""
            lines.append(f"| {label(view)} | {c} | {cells} | {p99} | {overhead} | {client} |")
    return lines


def render_risk(api: dict[str, Any], raw: dict[str, Any]) -> str:
    """Risk at a point: the API (one client) against its SQL."""
    inside = api["server_ms"] or 0.0
    return "\n".join(
        [
            "| risk at a point, 1 client | req/s | p50 ms | p99 ms | mean ms (in-server) |",
            "|---|---:|---:|---:|---:|",
            f"| Halo /api/v1/risk | {api['rps']:.0f} | {api['p50_ms']:.2f} | "
            f"{api['p99_ms']:.2f} | {inside:.2f} |",
            f"| raw SQL (the route's query) | {raw['rps']:.0f} | {raw['p50_ms']:.2f} | "
            f"{raw['p99_ms']:.2f} | {raw['mean_ms']:.2f} |",
            "",
            f"In-server over SQL mean: {inside / raw['mean_ms']:.2f}x (aim 1.25x); client p50"
            f" over SQL p50: {api['p50_ms'] / raw['p50_ms']:.2f}x.",
        ]
    )


if __name__ == "__main__":
    main()
