"""Load benchmark: a generated Stockholm-like dataset, refresh time by size, and a mixed HTTP
workload (tiles at zooms 10-16, risk lookups, report posts) at 1, 10 and 50 clients.

    .venv/bin/python -m bench.bench_load                          # 100k and 1M incidents
    .venv/bin/python -m bench.bench_load --sizes 10000000 --load-sizes 10000000
    .venv/bin/python -m bench.bench_load --sizes 1000000 --reuse  # keep the generated data

Each size gets its own database `halo_load_<size>` on the configured server (migrated, real
Stockholm districts from ../shared/data, generated incidents: bench/load_dataset.py), kept
afterwards (drop with --drop). --reuse keeps a database's generated incidents, reinstalls the
working tree's risk and tile SQL and times the refresh again (10M incidents took 7.4 min to
generate and 7.5 min to refresh here, 2026-12-05); --hot-tiles-only only reinstalls the SQL and
times the heaviest tiles. `--database-prefix` names the databases (default `halo_load_`) and
HALO_BENCH_PORT_BASE the server's port (default 8811). The refresh is `risk.refresh_all` as
`halo refresh` runs it. The workload runs against uvicorn (`--workers`, default 2) with rate
limits off, through `wrk` (Debian package). Results are merged into bench/load_results.json
(by size, scenario and clients) and rendered to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from psycopg import sql

from bench.http_load import REPO, UVICORN_AS_SERVED, server
from bench.load_dataset import AS_OF, generate_incidents
from bench.load_workload import (
    MIXED,
    REPORTS_ONLY,
    RISK_ONLY,
    TILES_ONLY,
    risk_paths,
    run_wrk,
    tile_paths,
)
from config.settings import get_settings
from migrations.schema import alembic_config
from pipeline.ingest.boundaries import load_boundaries
from pipeline.ingest.cities import add_city
from pipeline.risk.refresh import refresh_risk
from tests.support.dbtools import with_database
from tests.support.ingest_support import stockholm_city
from tests.support.map_support import tile_of

RESULTS_JSON = REPO / "bench" / "load_results.json"
RESULTS_MD = REPO / "bench" / "RESULTS.md"
WARM_UP_S = 8
# The API server's port (HALO_BENCH_PORT_BASE moves it, as in bench_tiles).
PORT = int(os.environ.get("HALO_BENCH_PORT_BASE", "8811"))
SERGELS_TORG = (18.0637, 59.3326)
HOT_BLOCK = 5  # tiles each way around the hot spot whose slowest is reported
# Reinstalled on --reuse: the refresh and tile functions, so a rerun measures the working tree.
REINSTALLED_SQL = ("07*.sql", "08*.sql")
# (mix, tile cache on, client counts)
SCENARIOS = [
    (MIXED, True, (1, 10, 50)),
    (TILES_ONLY, False, (1, 10, 50)),
    (RISK_ONLY, True, (10,)),
    (REPORTS_ONLY, True, (10,)),
]


def parse_args() -> argparse.Namespace:
    """The command line: sizes to build, sizes to load, run length, workers, reuse, drop."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="incident counts to build")
    parser.add_argument("--load-sizes", default="1000000", help="sizes to run the workload on")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the generated incidents of an earlier run"
    )
    parser.add_argument("--drop", action="store_true", help="drop the databases at the end")
    parser.add_argument(
        "--hot-tiles-only",
        action="store_true",
        help="on existing databases: reinstall the tile SQL and time the heaviest tiles only",
    )
    parser.add_argument(
        "--database-prefix", default="halo_load_", help="databases are <prefix><size>"
    )
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.load_sizes = [int(s) for s in args.load_sizes.split(",") if s]
    return args


def say(message: str) -> None:
    """A progress line on stderr, with the time."""
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def build(
    owner_url: str, name: str, size: int, reuse: bool, previous: dict[str, Any]
) -> dict[str, Any]:
    """Create, migrate and fill the database of one size, then time the refresh. With
    `reuse` and a database already filled, keep its incidents, reinstall the working tree's
    risk and tile SQL (idempotent files) and time the refresh again."""
    admin = with_database(owner_url, "postgres")
    url = with_database(owner_url, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists and reuse and has_incidents(url, size):
        say(f"{name}: reusing its incidents; reinstalling {', '.join(REINSTALLED_SQL)}")
        reinstall_sql(url)
        generate_s = previous.get("generate_s")
    else:
        create_database(admin, url, name)
        say(f"{name}: generating {size:,} incidents")
        generate_s = generate_incidents(url, size, progress=lambda n: say(f"  {n:,} rows"))
        say(f"{name}: generated in {generate_s:.0f} s")
    started = time.perf_counter()
    generation = refresh_risk(url, AS_OF)
    refresh_s = time.perf_counter() - started
    say(f"{name}: refresh {refresh_s:.1f} s ({generation.cells} cells)")
    return {
        "size": size,
        "generate_s": generate_s,
        "refresh_s": refresh_s,
        "located": generation.located_incidents,
        "cells": generation.cells,
        **database_sizes(url),
    }


def has_incidents(url: str, size: int) -> bool:
    """Whether the database holds the generated incidents of this size."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM raw.incidents i JOIN ref.data_sources s ON s.id = i.source_id"
            " WHERE s.code = 'bench_load'"
        ).fetchone()
    return row is not None and row[0] == size


def reinstall_sql(url: str) -> None:
    """Run the risk and tile SQL files of the working tree (CREATE OR REPLACE)."""
    with psycopg.connect(url) as conn:
        for pattern in REINSTALLED_SQL:
            for path in sorted((REPO / "sql").glob(pattern)):
                conn.execute(path.read_text(encoding="utf-8"))


def create_database(admin: str, url: str, name: str) -> None:
    """A new database (dropped first) at the migrations' head, with Stockholm's districts."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    command.upgrade(alembic_config(url), "head")
    data = get_settings().data_dir / "boundaries"
    load_boundaries(
        url,
        data / "stockholm_stadsdelar_utan_vatten_simplified.geojson",
        data / "sweden_kommuner_scb.geojson",
    )
    add_city(url, stockholm_city(get_settings().data_dir))


def hot_tiles(api_url: str, name: str) -> list[dict[str, Any]]:
    """The heaviest tiles: each layer at each zoom, the HOT_BLOCK x HOT_BLOCK tiles around
    Sergels torg (the densest hot spot), each rendered twice by SQL as the API role (timed the
    second time, with warm buffers and plans), without the API's statement timeout so that the
    time past it is measured too; per layer and zoom the slowest tile."""
    rows = []
    with psycopg.connect(with_database(api_url, name), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '10min'")
        for layer, zooms in (("risk", range(10, 17)), ("incidents", range(13, 17))):
            query = sql.SQL("SELECT tiles.{}(%s, %s, %s)").format(sql.Identifier(f"tile_{layer}"))
            for z in zooms:
                slowest: dict[str, Any] = {"layer": layer, "z": z, "bytes": 0, "ms": 0.0}
                _, cx, cy = tile_of(*SERGELS_TORG, z)
                half = HOT_BLOCK // 2
                for x in range(cx - half, cx + half + 1):
                    for y in range(cy - half, cy + half + 1):
                        for _ in range(2):
                            started = time.perf_counter()
                            row = conn.execute(query, (z, x, y)).fetchone()
                            ms = (time.perf_counter() - started) * 1000
                        if ms > slowest["ms"]:
                            size = len(row[0]) if row and row[0] else 0
                            slowest.update({"ms": ms, "bytes": size})
                rows.append({**slowest, "tiles": HOT_BLOCK**2})
    return rows


def database_sizes(url: str) -> dict[str, Any]:
    """Bytes of the database and of raw.incidents (total and indexes)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT pg_database_size(current_database()),"
            " pg_total_relation_size('raw.incidents'), pg_indexes_size('raw.incidents')"
        ).fetchone()
    assert row is not None
    return {"db_bytes": row[0], "incidents_bytes": row[1], "incident_index_bytes": row[2]}


def workload(
    owner_url: str, api_url: str, name: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Every scenario against a server of the database; one row per run."""
    tiles, risks = tile_paths(), risk_paths(with_database(api_url, name))
    env = {
        **os.environ,
        "DATABASE_URL": with_database(owner_url, name),
        "HALO_API_DATABASE_URL": with_database(api_url, name),
        "HALO_RATE_LIMIT_ENABLED": "false",
        "HALO_REPORTS_PER_CLIENT_DAILY_LIMIT": "10000",
        "HALO_LOG_LEVEL": "WARNING",
    }
    command = [str(REPO / ".venv" / "bin" / "uvicorn"), "api.app:create_app", "--factory"]
    command += UVICORN_AS_SERVED
    command += ["--workers", str(args.workers)]
    rows = []
    with tempfile.TemporaryDirectory() as photos:
        env["HALO_REPORTS_PHOTO_DIR"] = photos
        for cache in (True, False):
            scenarios = [s for s in SCENARIOS if s[1] == cache]
            env["HALO_MAP_TILE_CACHE_MAX_BYTES"] = str(256 * 2**20 if cache else 0)
            with server(command, env, PORT) as base:
                # Warm-up: connections, plans, buffers and (cache on) each worker's LRU.
                run_wrk(base, MIXED if cache else TILES_ONLY, tiles, risks, 10, WARM_UP_S)
                for mix, _, client_counts in scenarios:
                    for clients in client_counts:
                        result = run_wrk(base, mix, tiles, risks, clients, args.seconds)
                        row = {"mix": mix.name, "cache": cache, "clients": clients, **result}
                        say(
                            f"  {mix.name} cache={'on' if cache else 'off'} c={clients}: "
                            f"{result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
                            f"errors {result['errors']}"
                        )
                        rows.append(row)
    return rows


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    with psycopg.connect(get_settings().database_url) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "ram_gib": round(mem_kb / 2**20, 1),
        "cpu": cpu,
        "load_average": os.getloadavg(),
        "postgres": version[0] if version else "?",
    }


def main() -> None:
    """Build each size, time its refresh, run the workload, merge and render the results."""
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    settings = get_settings()
    results = load_results()
    host = machine()
    for size in sorted(set(args.sizes) | set(args.load_sizes)):
        name = f"{args.database_prefix}{size}"
        if args.hot_tiles_only:
            reinstall_sql(with_database(settings.database_url, name))
            results.setdefault("hot_tiles", {})[str(size)] = hot_tiles(
                settings.api_database_url, name
            )
            save_results(results)
            continue
        previous = results["refresh"].get(str(size), {})
        built = build(settings.database_url, name, size, args.reuse, previous)
        results["refresh"][str(size)] = {**built, "machine": host}
        save_results(results)
        results.setdefault("hot_tiles", {})[str(size)] = hot_tiles(settings.api_database_url, name)
        save_results(results)
        if size in args.load_sizes:
            say(f"{name}: workload")
            rows = workload(settings.database_url, settings.api_database_url, name, args)
            results["workload"][str(size)] = {
                "rows": rows,
                "machine": host,
                "seconds": args.seconds,
                "workers": args.workers,
            }
        save_results(results)
    if args.drop:
        drop_databases(settings.database_url, args.database_prefix, args.sizes + args.load_sizes)
    from bench.load_report import render

    text = render(results)
    RESULTS_MD.write_text(text)
    print(text)


def load_results() -> dict[str, Any]:
    """The results of earlier runs (bench/load_results.json), or an empty set."""
    if RESULTS_JSON.exists():
        data: dict[str, Any] = json.loads(RESULTS_JSON.read_text())
        return data
    return {"refresh": {}, "workload": {}}


def save_results(results: dict[str, Any]) -> None:
    """Write the merged results (after each step, so a failure keeps what was measured)."""
    RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")


def drop_databases(owner_url: str, prefix: str, sizes: list[int]) -> None:
    """Drop the benchmark databases of these sizes."""
    with psycopg.connect(with_database(owner_url, "postgres"), autocommit=True) as conn:
        for size in set(sizes):
            name = sql.Identifier(f"{prefix}{size}")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


if __name__ == "__main__":
    main()
