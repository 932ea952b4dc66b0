"""Live feed benchmark: event -> visible latency, and /api/v1/incidents against its raw SQL.

1. Event -> visible: events appear on the local fake of polisen.se; one feed cycle polls,
   stores them and runs the light refresh; a Halo server then shows a new tile ETag. Times
   per step (poll+store, refresh, until the ETag moved), over several rounds. The production
   wait before a poll (HALO_FEED_INTERVAL_S, pacing) comes on top and is printed beside.
2. /api/v1/incidents with wrk at 1 and 32 clients over a mix of filters, against the same
   queries of raw.incidents_page() straight over psycopg (1 and 32 connections).

    .venv/bin/python -m bench.bench_feed [--database NAME] [--rebuild] [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from bench.bench_tiles import percentile, prepare_database
from bench.http_load import server, wrk
from config.feed import FeedSettings
from config.ingest import IngestSettings
from config.settings import get_settings
from pipeline.feed.fake_polisen import FakePolisen, load_replay, serve_fake
from pipeline.feed.service import LiveFeed
from tests.support.dbtools import with_database
from tests.support.feed_support import VirtualClock, feed_settings

HALO = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory"]
PORT = 18431
ROUNDS = 5
TILE = "/tiles/risk/10/563/300.mvt"
# The filters of the incident-list mix: (query string, raw.incidents_page arguments).
QUERIES: list[tuple[str, dict[str, object]]] = [
    ("", {}),
    ("category=violent", {"category": "violent"}),
    (
        "bbox=17.95,59.30,18.15,59.36",
        dict(min_lon=17.95, min_lat=59.30, max_lon=18.15, max_lat=59.36),
    ),
    ("lat=59.3144&lon=18.0736&radius_m=2000", dict(lon=18.0736, lat=59.3144, radius_m=2000.0)),
    (
        "since=2025-06-01T00:00:00Z&until=2025-07-01T00:00:00Z",
        dict(since=datetime(2025, 6, 1, tzinfo=UTC), until=datetime(2025, 7, 1, tzinfo=UTC)),
    ),
]
PAGE_SQL = """SELECT id, occurred_at, item::text FROM raw.incidents_page(
    %(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, %(lon)s, %(lat)s, %(radius_m)s,
    %(district)s, %(category)s, %(since)s, %(until)s, NULL, NULL, 51)"""
NO_FILTER = dict.fromkeys(
    (
        "min_lon",
        "min_lat",
        "max_lon",
        "max_lat",
        "lon",
        "lat",
        "radius_m",
        "district",
        "category",
        "since",
        "until",
    )
)


def main() -> None:
    """Prepare the database, start a Halo server, measure both parts, print the tables."""
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    settings = get_settings()
    owner_url = with_database(settings.database_url, args.database)
    api_url = with_database(settings.api_database_url, args.database)
    prepare_database(settings.database_url, owner_url, args.database, args.rebuild)
    env = {
        **os.environ,
        "DATABASE_URL": owner_url,
        "HALO_API_DATABASE_URL": api_url,
        "HALO_RATE_LIMIT_ENABLED": "false",
        "HALO_LOG_LEVEL": "WARNING",
    }
    with server(HALO, env, PORT) as base:
        latency = event_to_visible(owner_url, base)
        http_rows = [endpoint_run(base, clients, args.seconds) for clients in (1, 32)]
    sql_rows = [raw_sql_run(api_url, clients, args.seconds) for clients in (1, 32)]
    print(render(latency, http_rows, sql_rows))


def parse_args() -> argparse.Namespace:
    """The command line: database name, rebuild, seconds per run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default="halo_bench_feed", help="database to build or reuse")
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the database")
    parser.add_argument("--seconds", type=int, default=3, help="duration of each run")
    return parser.parse_args()


def event_to_visible(owner_url: str, base: str) -> list[dict[str, float]]:
    """Per round: poll+store ms, refresh ms, and ms from the poll until a new tile ETag."""
    events = load_replay(get_settings().data_dir)[-300:]
    for event in events:  # new ids: events the database has not seen
        for version in (event.last, event.first):
            if version is not None:
                version["id"] = int(version["id"]) + 50_000_000
    clock = VirtualClock()  # the pacing waits are policy, not work: skipped here
    fake = FakePolisen(events, clock=clock)
    rounds = []
    with serve_fake(fake) as fake_base, httpx.Client(base_url=base) as api:
        settings = feed_settings(
            base_url=f"{fake_base}/api/events",
            page_base_url=fake_base,
            light_refresh_interval_min=0,
            pages_per_cycle=0,
        )
        feed = LiveFeed(owner_url, settings, IngestSettings(), clock=clock, sleep=clock.sleep)
        timings: dict[str, float] = {}

        def timed_refresh(url: str) -> int | None:
            from pipeline.feed.light_refresh import light_refresh

            started = time.perf_counter()
            generation = light_refresh(url)
            timings["refresh"] = time.perf_counter() - started
            return generation

        feed.refresh = timed_refresh
        fake.release(100)
        feed.run_cycle()  # the backlog
        for _ in range(ROUNDS):
            etag = api.get(TILE).headers.get("etag")
            fake.release(5)
            timings.clear()
            started = time.perf_counter()
            report = feed.run_cycle()
            cycle = time.perf_counter() - started
            while api.get(TILE).headers.get("etag") == etag:
                time.sleep(0.02)
                if time.perf_counter() - started > 60:
                    sys.exit("the tile ETag did not change within 60 s")
            visible = time.perf_counter() - started
            refresh = timings.get("refresh", 0.0)
            rounds.append(
                {
                    "inserted": report.inserted,
                    "poll_store_ms": (cycle - refresh) * 1000,
                    "refresh_ms": refresh * 1000,
                    "visible_ms": visible * 1000,
                }
            )
            print("round", rounds[-1], file=sys.stderr)
    return rounds


def endpoint_paths(base: str) -> list[str]:
    """The mix: first pages of each filter, and a second page of each."""
    paths = []
    with httpx.Client(base_url=base) as client:
        for query, _ in QUERIES:
            path = "/api/v1/incidents" + (f"?{query}" if query else "")
            paths.append(path)
            cursor = client.get(path).json()["next_cursor"]
            if cursor:
                paths.append(path + ("&" if query else "?") + f"cursor={cursor}")
    return paths


def endpoint_run(base: str, clients: int, seconds: int) -> dict[str, float]:
    """wrk over the mix."""
    result = wrk(base, endpoint_paths(base), clients, seconds)
    print("http", clients, result, file=sys.stderr)
    return {"clients": clients, **result}


def raw_sql_run(api_url: str, clients: int, seconds: int) -> dict[str, float]:
    """The same first pages as raw.incidents_page() calls, `clients` connections in threads."""
    times: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        mine = []
        with psycopg.connect(api_url, autocommit=True) as conn:
            i = offset
            while time.perf_counter() < deadline:
                params = {**NO_FILTER, **QUERIES[i % len(QUERIES)][1]}
                started = time.perf_counter()
                conn.execute(PAGE_SQL, params, prepare=True).fetchall()
                mine.append(time.perf_counter() - started)
                i += 1
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "clients": clients,
        "rps": len(times) / seconds,
        "p50_ms": percentile(times, 50) * 1000,
        "p99_ms": percentile(times, 99) * 1000,
    }


def render(
    latency: list[dict[str, Any]], http_rows: list[dict[str, Any]], sql_rows: list[dict[str, Any]]
) -> str:
    """Markdown tables: the latency steps, then endpoint vs raw SQL with ratios."""
    interval = FeedSettings().interval_s
    lines = [
        f"Event -> visible ({len(latency)} rounds of 5 new events)",
        "",
        "| step | median ms | max ms |",
        "|---|---:|---:|",
    ]
    for key, label in (
        ("poll_store_ms", "poll + parse + geocode + store"),
        ("refresh_ms", "light refresh (risk.refresh_all)"),
        ("visible_ms", "poll start -> new tile ETag served"),
    ):
        values = [r[key] for r in latency]
        lines.append(f"| {label} | {statistics.median(values):.0f} | {max(values):.0f} |")
    worst = max(r["visible_ms"] for r in latency) / 1000
    lines += [
        "",
        f"In production the poll waits up to HALO_FEED_INTERVAL_S (default {interval:.0f} s) "
        f"and the refresh up to HALO_FEED_LIGHT_REFRESH_INTERVAL_MIN: worst case "
        f"≈ {interval:.0f} s + {worst:.1f} s with the refresh interval elapsed.",
        "",
        "| /api/v1/incidents | clients | req/s | p50 ms | p99 ms | failed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in http_rows:
        lines.append(
            f"| HTTP (wrk) | {r['clients']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['failed']} |"
        )
    for r in sql_rows:
        lines.append(
            f"| raw SQL raw.incidents_page | {r['clients']} | {r['rps']:.0f} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | 0 |"
        )
    lines += ["", "| clients | HTTP/SQL req/s | HTTP p99 / SQL p99 |", "|---:|---:|---:|"]
    for h, s in zip(http_rows, sql_rows, strict=True):
        lines.append(
            f"| {h['clients']} | {h['rps'] / s['rps']:.2f}x | {h['p99_ms'] / s['p99_ms']:.1f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
