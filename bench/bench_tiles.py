"""Tile benchmark: Halo against tipg on the same database and tiles, and against its own SQL.

    .venv/bin/python -m bench.bench_tiles            # about 3 minutes; prints a Markdown table

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
import os
import shutil
import subprocess
import sys
import time
from typing import Any

import psycopg
from psycopg import sql

from bench.http_load import REPO, mean_ms, server, server_seconds, warm_up, wrk
from config.map import MapSettings
from config.settings import get_settings
from tests.support.dbtools import with_database

ZOOMS = (8, 11, 14)
CLIENTS = (1, 32)
MAX_TILES_PER_ZOOM = 150
RISK_RESOLUTION = {8: 7, 11: 8, 14: 9}  # tiles.risk_resolution at the default base 9
TIPG_PROPERTIES = "cell,resolution,risk_score,relative_risk,rr_lower,rr_upper,evidence,district_id"
HALO = REPO / ".venv" / "bin"


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
    sql_times = {z: raw_sql_latency(api_url, tiles[z], args.seconds) for z in ZOOMS}
    env = {**os.environ, "DATABASE_URL": owner_url, "HALO_API_DATABASE_URL": api_url}
    with (
        server(halo_command(), halo_env(env, cache=False), 8801) as cold,
        server(halo_command(), halo_env(env, cache=True), 8802) as warm,
        server(tipg_command(), tipg_env(env, api_url), 8803) as tipg,
    ):
        warm_up(warm, halo_paths(tiles))
        targets = [
            ("Halo cold", cold, halo_paths(tiles)),
            ("tipg cold", tipg, tipg_paths(tiles)),
            ("Halo warm", warm, halo_paths(tiles)),
            ("tipg warm", tipg, tipg_paths(tiles)),
        ]
        rows = measure(targets, args.seconds)
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
    from tests.support.synthetic_city import AS_OF, add_hotspot_history, make_city

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
    from tests.support.map_support import tile_of

    _, x0, y0 = tile_of(west, north, z)
    _, x1, y1 = tile_of(east, south, z)
    return {"x0": x0, "x1": x1, "y0": y0, "y1": y1}


def raw_sql_latency(
    api_url: str, tiles: list[tuple[int, int, int]], seconds: float
) -> dict[str, Any]:
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


def halo_paths(tiles: dict[int, list[Any]]) -> dict[int, list[str]]:
    """Halo's tile URLs per zoom."""
    return {z: [f"/tiles/risk/{z}/{x}/{y}.mvt" for _, x, y in ts] for z, ts in tiles.items()}


def tipg_paths(tiles: dict[int, list[Any]]) -> dict[int, list[str]]:
    """tipg's URLs of the same tiles, filtered to the resolution Halo shows."""
    return {
        z: [
            f"/collections/risk.cell_risk/tiles/WebMercatorQuad/{z}/{x}/{y}"
            f"?resolution={RISK_RESOLUTION[z]}&properties={TIPG_PROPERTIES}"
            for _, x, y in ts
        ]
        for z, ts in tiles.items()
    }


def measure(
    targets: list[tuple[str, str, dict[int, list[str]]]], seconds: int
) -> list[dict[str, Any]]:
    """wrk at each zoom and client count, the servers interleaved (so load from elsewhere on
    the machine hits them alike); one row each."""
    rows = []
    for z in ZOOMS:
        for clients in CLIENTS:
            for label, base, paths in targets:
                before = server_seconds(base)
                result = wrk(base, paths[z], clients, seconds)
                result["server_ms"] = mean_ms(before, server_seconds(base))
                rows.append({"server": label, "z": z, "clients": clients, **result})
                print(label, z, clients, result, file=sys.stderr)
    order = [label for label, _, _ in targets]
    return sorted(rows, key=lambda r: (order.index(r["server"]), r["z"], r["clients"]))


def render_table(rows: list[dict[str, Any]], sql_times: dict[int, dict[str, Any]]) -> str:
    """Markdown: every run (with Halo's in-server mean), then the ratios the issue asks for."""
    lines = [
        "| server | z | clients | req/s | p50 ms | p99 ms | in-server mean ms | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        inside = "" if r["server_ms"] is None else f"{r['server_ms']:.2f}"
        lines.append(
            f"| {r['server']} | {r['z']} | {r['clients']} | {r['rps']:.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {inside} | {r['failed']} |"
        )
    for z, t in sql_times.items():
        lines.append(
            f"| raw SQL tiles.tile_risk | {z} | 1 | {t['rps']:.0f} | "
            f"{t['p50_ms']:.2f} | {t['p99_ms']:.2f} | {t['mean_ms']:.2f} | 0 |"
        )
    return "\n".join([*lines, "", *ratio_table(rows, sql_times)])


def ratio_table(rows: list[dict[str, Any]], sql_times: dict[int, dict[str, Any]]) -> list[str]:
    """Halo against tipg (cold, warm) and Halo's 1-client cold time against the raw SQL."""
    lines = [
        "| z | clients | Halo/tipg cold req/s | Halo/tipg warm req/s "
        "| Halo cold p50 over SQL p50 (client) | in-server mean over SQL mean |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    by = {(r["server"], r["z"], r["clients"]): r for r in rows}
    for z in ZOOMS:
        single = by[("Halo cold", z, 1)]
        client_overhead = single["p50_ms"] / sql_times[z]["p50_ms"] - 1
        server_overhead = (single["server_ms"] or 0) / sql_times[z]["mean_ms"] - 1
        for c in CLIENTS:
            cold = by[("Halo cold", z, c)]["rps"] / by[("tipg cold", z, c)]["rps"]
            warm = by[("Halo warm", z, c)]["rps"] / by[("tipg warm", z, c)]["rps"]
            overheads = f"{client_overhead:+.0%} | {server_overhead:+.0%}" if c == 1 else "| "
            lines.append(f"| {z} | {c} | {cold:.1f}x | {warm:.1f}x | {overheads} |")
    return lines


if __name__ == "__main__":
    main()
