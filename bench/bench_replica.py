"""Reads from a hot standby against reads from the primary, under a write load.

    .venv/bin/python -m bench.bench_replica          # about 2 minutes; needs root (chroot)

On a throwaway primary + synchronous standby (tests/pg_cluster.py; ports 55500-55599, never
the shared server), one migrated database with the test city. Two Halo servers in this
process, identical except for HALO_API_READ_DATABASE_URL: one reads from the primary, one
from the standby. Each run sends tiles (many distinct tiles, the tile cache off: every
request renders in PostGIS) and risk at a point (distinct points) with 8 parallel clients,
while a writer inserts reports into the primary as fast as it can (each commit waits for the
standby). Prints requests per second and latency percentiles, side by side, with the ratio.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from config.settings import get_settings
from pipeline.risk.refresh import refresh_risk
from tests.support.live_server import live_server
from tests.support.opstools import tuned
from tests.support.replica_pair import synchronous_pair
from tests.support.report_support import insert_report

CLIENTS = 8
SECONDS = 12
TILES = [
    f"/tiles/districts/{z}/{x}/{y}.mvt"
    for z, x0, y0 in ((11, 1120, 595), (12, 2242, 1192))
    for x in range(x0, x0 + 8)
    for y in range(y0, y0 + 6)
]
# 80 points spread over the small city's Södermalm district (its study area: outside it the
# answer is a 404, which would time an error, not a risk answer).
POINTS = [
    f"/api/v1/risk?lat={59.306 + (i % 16) * 0.0011:.4f}&lon={18.035 + (i // 16) * 0.014:.4f}"
    for i in range(80)
]


def _writer(url: str, stop: threading.Event, counts: list[int]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            insert_report(conn, 18.07, 59.31, datetime.now(UTC) - timedelta(hours=1))
            counts[0] += 1


def _load(base: str, paths: list[str]) -> dict[str, float]:
    """CLIENTS parallel clients cycling through `paths` for SECONDS; req/s and latencies."""
    latencies: list[float] = []
    errors = [0]
    deadline = time.monotonic() + SECONDS

    def client(offset: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            i = offset
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status = http.get(paths[i % len(paths)]).status_code
                latencies.append(time.perf_counter() - started)
                errors[0] += status >= 400
                i += CLIENTS

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / SECONDS,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95)] * 1000,
        "errors": errors[0],
    }


def main() -> None:
    """Build the pair, measure, print the table, tear everything down."""
    with synchronous_pair("bench-") as pair:
        db, standby = pair.db, pair.standby
        # A refresh first, so "risk at a point" times a full answer (without one it is a 404).
        refresh_risk(db.owner_url)
        base = tuned(
            get_settings(), db, rate_limits={"enabled": False}, map={"tile_cache_max_bytes": 0}
        )
        on_standby = base.model_copy(update={"api_read_database_url": standby.url("api", db.name)})
        rows = []
        stop, written = threading.Event(), [0]
        writer = threading.Thread(target=_writer, args=(db.owner_url, stop, written))
        writer.start()
        try:
            with live_server(base) as one, live_server(on_standby) as two:
                for name, paths in (("tiles", TILES), ("risk at a point", POINTS)):
                    p = _load(str(one.base_url), paths)
                    s = _load(str(two.base_url), paths)
                    rows.append((name, p, s))
        finally:
            stop.set()
            writer.join()
        print(
            f"\nReads under a write load ({written[0]} reports written, synchronous standby), "
            f"{CLIENTS} clients, {SECONDS} s each\n"
        )
        print("| reads | from | req/s | p50 ms | p95 ms | errors |")
        print("|---|---|---:|---:|---:|---:|")
        for name, p, s in rows:
            for where, m in (("primary", p), ("standby", s)):
                print(
                    f"| {name} | {where} | {m['rps']:.0f} | {m['p50_ms']:.1f} | "
                    f"{m['p95_ms']:.1f} | {m['errors']:.0f} |"
                )
            print(
                f"| {name} | standby / primary | {s['rps'] / p['rps']:.2f}x | "
                f"{s['p50_ms'] / p['p50_ms']:.2f}x | {s['p95_ms'] / p['p95_ms']:.2f}x | |"
            )


if __name__ == "__main__":
    main()
