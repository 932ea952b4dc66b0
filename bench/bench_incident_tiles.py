"""The 10M wall: the incidents tile layer over many incidents, counts per cell (now) against
points (before), on generated Stockholm-like data (bench/load_dataset.py).

    .venv/bin/python -m bench.bench_incident_tiles --sizes 1000000,3000000

Each size gets its own database `halo_inctiles_<size>` (migrated, real districts, generated
incidents; kept unless --drop, reused when it already holds that many). Per size: the refresh
time and the part of it that builds risk.incident_counts, then the incidents tile at
Sergels torg (the densest hot spot) at zooms 13-16 as the API role, twice (the second with
warm buffers), and at each zoom the previous points layer (the 2,000 most recent points; the
function as the revision's downgrade restores it) on the same rows. Prints a Markdown table;
extrapolate to 10M from the sizes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from bench.bench_load import SERGELS_TORG, create_database, has_incidents
from bench.http_load import REPO
from bench.load_dataset import AS_OF, generate_incidents
from config.settings import get_settings
from tests.support.dbtools import with_database
from tests.support.map_support import tile_of

# tiles.tile_incidents before issue 19 (points at every zoom, the 2,000 most recent per tile):
# its definition as the downgrade of the revision restores it, created as a temporary function.
OLD_FUNCTION = REPO / "migrations" / "versions" / "0002_tile_counts.down.sql"


def old_tile_function() -> str:
    """CREATE FUNCTION pg_temp.tile_incidents_old(z, x, y): the layer before counts."""
    text = OLD_FUNCTION.read_text()
    start = text.index("CREATE OR REPLACE FUNCTION tiles.tile_incidents")
    end = text.index("$function$;", start) + len("$function$;")
    old = "FUNCTION pg_temp.tile_incidents_old"
    return text[start:end].replace("FUNCTION tiles.tile_incidents", old)


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def timed(
    conn: psycopg.Connection, query: str, params: Sequence[Any] | Mapping[str, Any]
) -> tuple[float, int]:
    """Milliseconds of the second of two runs (warm buffers and plans), and the bytes."""
    elapsed, size = 0.0, 0
    for _ in range(2):
        started = time.perf_counter()
        row = conn.execute(query, params).fetchone()
        elapsed = (time.perf_counter() - started) * 1000
        size = len(row[0]) if row and row[0] else 0
    return elapsed, size


def reusable(owner: str, size: int) -> bool:
    """Whether the database holds this many generated incidents (False if half-built)."""
    try:
        return has_incidents(owner, size)
    except psycopg.Error:
        return False


def measure(size: int, drop: bool) -> list[str]:
    """Build (or reuse) the database of one size and time its refresh and tiles."""
    settings = get_settings()
    name = f"halo_inctiles_{size}"
    owner = with_database(settings.database_url, name)
    admin = with_database(settings.database_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not (exists and reusable(owner, size)):
        create_database(admin, owner, name)
        say(f"{name}: generating {size:,} incidents")
        seconds = generate_incidents(owner, size, progress=lambda n: say(f"  {n:,} rows"))
        say(f"{name}: generated in {seconds:.0f} s")
    with psycopg.connect(owner) as conn:
        started = time.perf_counter()
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        refresh_s = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute("SELECT risk.rebuild_incident_counts(%s)", (AS_OF,))
        counts_s = time.perf_counter() - started
        conn.commit()
        cells = conn.execute("SELECT count(*) FROM risk.incident_counts").fetchone()
    say(f"{name}: refresh {refresh_s:.1f} s, of which incident counts {counts_s:.1f} s")
    lines = []
    with psycopg.connect(with_database(settings.api_database_url, name), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '10min'")
        conn.execute(old_tile_function())
        for z in (13, 14, 15, 16):
            tile = tile_of(*SERGELS_TORG, z)
            ms, nbytes = timed(conn, "SELECT tiles.tile_incidents(%s, %s, %s)", tile)
            kind = "counts" if z < 16 else "points (2,000 newest)"
            lines.append(f"| {size:,} | {z} | {kind} | {ms:.1f} | {nbytes:,} |")
            ms, nbytes = timed(conn, "SELECT pg_temp.tile_incidents_old(%s, %s, %s)", tile)
            before = "before: points (2,000 newest)"
            lines.append(f"| {size:,} | {z} | {before} | {ms:.1f} | {nbytes:,} |")
    lines.append(
        f"| {size:,} | refresh | whole {refresh_s:.1f} s; incident counts {counts_s:.1f} s "
        f"({cells[0] if cells else 0:,} cells) | | |"
    )
    if drop:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,3000000", help="incident counts")
    parser.add_argument("--drop", action="store_true", help="drop the databases afterwards")
    args = parser.parse_args()
    lines = ["| incidents | z | layer | ms (warm) | bytes |", "|---:|---:|---|---:|---:|"]
    for size in [int(s) for s in args.sizes.split(",") if s]:
        lines += measure(size, args.drop)
        say("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
