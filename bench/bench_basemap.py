"""Base-map tiles beside the risk layer: size and render time per layer and zoom, side by side.

    .venv/bin/python -m bench.bench_basemap [--database halo_demo] [--repeat 3]

Renders the tiles of a 3 x 3 block around T-Centralen at zooms 10, 12, 14 and 16 with each
layer's SQL function as the API role (no HTTP, no cache: the cost a cache miss pays) on a
database that already holds the base map and a risk refresh (`make run` / `halo load basemap`).
Prints the mean tile size (raw MVT and gzip) and the mean and worst render time, and the
render time as a ratio to the risk layer's at the same zoom.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time

import psycopg
from psycopg import sql

from config.settings import get_settings
from tests.support.dbtools import with_database
from tests.support.map_support import tile_of

T_CENTRALEN = (18.0590, 59.3313)
ZOOMS = (10, 12, 14, 16)
LAYERS = ("risk", "water", "streets", "district_labels")


def block(z: int) -> list[tuple[int, int, int]]:
    """The 3 x 3 tiles around T-Centralen at zoom z."""
    _, x0, y0 = tile_of(*T_CENTRALEN, z)
    return [(z, x, y) for x in (x0 - 1, x0, x0 + 1) for y in (y0 - 1, y0, y0 + 1)]


def measure(conn: psycopg.Connection, layer: str, z: int, repeat: int) -> dict[str, float]:
    """Mean raw and gzip bytes, mean and worst milliseconds over the block, `repeat` times."""
    query = sql.SQL("SELECT {}(%s, %s, %s)").format(sql.Identifier("tiles", f"tile_{layer}"))
    sizes, zipped, times = [], [], []
    for _ in range(repeat):
        for tile in block(z):
            start = time.perf_counter()
            row = conn.execute(query, tile, binary=True).fetchone()
            times.append((time.perf_counter() - start) * 1000)
            raw = bytes(row[0]) if row and row[0] else b""
            sizes.append(len(raw))
            zipped.append(len(gzip.compress(raw)) if raw else 0)
    return {
        "bytes": statistics.mean(sizes),
        "gzip": statistics.mean(zipped),
        "ms": statistics.mean(times),
        "worst": max(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database name (default: the configured one)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = get_settings().api_database_url
    if args.database:
        url = with_database(url, args.database)
    print(f"{'layer':<16}{'zoom':>5}{'mean B':>10}{'gzip B':>9}{'mean ms':>9}{'worst ms':>10}"
          f"{'x risk':>8}")  # fmt: skip
    with psycopg.connect(url, autocommit=True) as conn:
        for z in ZOOMS:
            results = {layer: measure(conn, layer, z, args.repeat) for layer in LAYERS}
            for layer, r in results.items():
                ratio = r["ms"] / results["risk"]["ms"] if results["risk"]["ms"] else 0.0
                print(
                    f"{layer:<16}{z:>5}{r['bytes']:>10.0f}{r['gzip']:>9.0f}{r['ms']:>9.2f}"
                    f"{r['worst']:>10.2f}{ratio:>8.2f}"
                )


if __name__ == "__main__":
    main()
