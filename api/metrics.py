"""Prometheus metrics: requests and latencies by route, pool usage, tile cache, nightly job age.

Request metrics are counted by a middleware under the route *template* (never the raw path,
which would make a series per tile). Database-derived values are read at scrape time.
With several uvicorn workers set PROMETHEUS_MULTIPROC_DIR (prometheus_client multiprocess mode).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import shutil
import time
import weakref

import psycopg
from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AppSettings, Pool
from api.errors import problem
from config.settings import Settings
from config.version import __version__, git_sha

log = logging.getLogger("halo.api.metrics")

REGISTRY = CollectorRegistry()
# The process (memory, CPU, open files) and Python (GC, version) collectors; in multiprocess
# mode the workers' registries are merged and these per-process ones are left out.
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

BUILD_INFO = Gauge(
    "halo_build_info",
    "Always 1; the running build's version and git commit as labels.",
    ["version", "git_sha"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
BUILD_INFO.labels(__version__, git_sha()).set(1)
NEWEST_INCIDENT_AGE = Gauge(
    "halo_newest_incident_age_seconds",
    "Seconds since the newest incident of any source occurred (+Inf if none).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
PENDING_MODERATION = Gauge(
    "halo_pending_moderation_reports",
    "Reports awaiting moderation.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
PUSH_BACKLOG = Gauge(
    "halo_push_outbox_backlog",
    "Push messages waiting to be sent (pending or being sent).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
PHOTO_STORE_FREE = Gauge(
    "halo_photo_store_free_ratio",
    "Free share (0-1) of the file system of the photo store (absent with S3).",
    multiprocess_mode="min",
    registry=REGISTRY,
)
PUSH_OLDEST_DUE_AGE = Gauge(
    "halo_push_outbox_oldest_due_age_seconds",
    "Seconds the oldest waiting push message is overdue (0 when none is).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

REQUESTS = Counter(
    "halo_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "halo_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "halo_rate_limited_requests",
    "Requests refused with 429, by route class.",
    ["route_class"],
    registry=REGISTRY,
)
TILE_CACHE_HITS = Counter(
    "halo_tile_cache_hits", "Tiles served from the server-side cache.", ["layer"], registry=REGISTRY
)
TILE_CACHE_MISSES = Counter(
    "halo_tile_cache_misses", "Tiles rendered by the database.", ["layer"], registry=REGISTRY
)
POOL_CONNECTIONS = Gauge(
    "halo_db_pool_connections",
    "Connections of the API's pool, by state (in_use, idle).",
    ["state"],
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_MAX = Gauge(
    "halo_db_pool_max_connections",
    "Largest size of the API's pool.",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
POOL_WAITING = Gauge(
    "halo_db_pool_requests_waiting",
    "Requests waiting for a pool connection.",
    multiprocess_mode="livesum",
    registry=REGISTRY,
)
DATABASE_UP = Gauge(
    "halo_database_up",
    "1 if the scrape could read the database, else 0.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
NIGHTLY_AGE = Gauge(
    "halo_nightly_last_success_age_seconds",
    "Seconds since the last successful nightly run finished (+Inf if none).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "halo_job_last_success_timestamp_seconds",
    "End of the last successful run, by job kind (Unix time).",
    ["kind"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
JOB_FAILURES = Gauge(
    "halo_job_failed_runs",
    "Runs recorded as failed in ops.job_runs, by job kind.",
    ["kind"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
JOB_LAST_FAILURE = Gauge(
    "halo_job_last_failure_timestamp_seconds",
    "End of the last failed run, by job kind (Unix time).",
    ["kind"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

DATA_AGE = Gauge(
    "halo_data_newest_event_age_seconds",
    "Seconds since the newest incident's occurred_at (+Inf if none).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
FEED_LAST_POLL_OK = Gauge(
    "halo_feed_last_poll_ok_timestamp_seconds",
    "End of the live feed's last successful poll (Unix time; 0 if never).",
    ["source"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
FEED_FAILURES = Gauge(
    "halo_feed_consecutive_failures",
    "Failed polls of the live feed since its last good one.",
    ["source"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
INCIDENTS_INGESTED = Gauge(
    "halo_incidents_ingested",
    "Incidents stored, by source and the source's own type.",
    ["source", "type"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
UNKNOWN_TYPES = Gauge(
    "halo_unknown_event_types",
    "Incidents whose source type has no category (stored as unmapped), by source and type.",
    ["source", "type"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
EVENT_PAGES = Gauge(
    "halo_feed_event_pages",
    "Event pages of the live feed by status (pending, fetched, unparseable, gone, failed).",
    ["status"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

FEED_SQL = """
SELECT s.code, extract(epoch FROM f.last_poll_ok_at)::float8, f.consecutive_failures
  FROM ops.feed_state f JOIN ref.data_sources s ON s.id = f.source_id
"""
# Counting incidents by source and type reads the whole incidents table (seconds at 10M rows),
# so it runs at most once per TYPE_COUNTS_EVERY_S per process, not at every 15 s scrape.
TYPE_COUNTS_EVERY_S = 300.0
TYPES_SQL = """
SELECT s.code, i.event_type, count(*), count(*) FILTER (WHERE i.category = 'unmapped')
  FROM raw.incidents i JOIN ref.data_sources s ON s.id = i.source_id
 GROUP BY s.code, i.event_type
"""
NEWEST_SQL = "SELECT extract(epoch FROM newest_event_at)::float8 FROM ops.freshness('polisen')"
PAGES_SQL = "SELECT status, count(*) FROM raw.event_pages GROUP BY status"

JOBS_SQL = """
SELECT kind,
       extract(epoch FROM max(finished_at) FILTER (WHERE status = 'success'))::float8,
       count(*) FILTER (WHERE status = 'failed'),
       extract(epoch FROM max(finished_at) FILTER (WHERE status = 'failed'))::float8
  FROM ops.job_runs
 GROUP BY kind
"""
FACTS_SQL = """
SELECT extract(epoch FROM newest_incident_at)::float8, pending_reports, push_backlog,
       extract(epoch FROM push_oldest_due_at)::float8
  FROM ops.metrics_facts()
"""

router = APIRouter()


class MetricsMiddleware:
    """Count every HTTP request and its duration under the matched route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_label(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def route_label(scope: Scope) -> str:
    """The route template of a request, the app's own doc pages by path, else "unmatched"."""
    route = getattr(scope.get("route"), "path", None)
    if route:
        return str(route)
    app = scope.get("app")
    own_pages = {getattr(app, name, None) for name in ("docs_url", "redoc_url", "openapi_url")}
    if scope["path"] in own_pages - {None}:
        return str(scope["path"])
    return "unmatched"


def client_allowed(host: str | None, networks: list[str]) -> bool:
    """Whether a client address lies in one of the allowed networks."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, pool: Pool, settings: AppSettings) -> Response:
    """The Prometheus text exposition; only for clients in HALO_METRICS_ALLOWED_NETWORKS."""
    host = request.client.host if request.client else None
    if not client_allowed(host, settings.security.metrics_allowed_networks):
        return problem(403, "Forbidden", "Metrics are not served to this address.")
    _read_pool(pool)
    _read_photo_store(settings)
    await _read_jobs(pool)
    await _read_feed(pool)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def exposition() -> bytes:
    """This process's metrics, or all workers' in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _read_photo_store(settings: Settings) -> None:
    """Free space of the disk photo store's file system (alert before uploads start failing)."""
    reports = settings.reports
    if reports.photo_s3_bucket:
        return
    try:
        usage = shutil.disk_usage(reports.photo_dir)
    except OSError:
        return  # not created yet: no photo stored so far
    PHOTO_STORE_FREE.set(usage.free / usage.total if usage.total else 0.0)


def _read_pool(pool: AsyncConnectionPool) -> None:
    stats = pool.get_stats()
    size, idle = stats.get("pool_size", 0), stats.get("pool_available", 0)
    POOL_CONNECTIONS.labels("in_use").set(size - idle)
    POOL_CONNECTIONS.labels("idle").set(idle)
    POOL_MAX.set(stats.get("pool_max", 0))
    POOL_WAITING.set(stats.get("requests_waiting", 0))


async def _read_jobs(pool: AsyncConnectionPool) -> None:
    """Job facts from ops.job_runs; a database outage shows as halo_database_up 0."""
    try:
        async with pool.connection(timeout=2.0) as conn:
            cur = await conn.execute(JOBS_SQL)
            rows = await cur.fetchall()
            cur = await conn.execute(FACTS_SQL)
            facts = await cur.fetchone()
    except (psycopg.Error, PoolTimeout):
        log.warning("metrics: database not readable")
        DATABASE_UP.set(0)
        return
    DATABASE_UP.set(1)
    now = time.time()
    NIGHTLY_AGE.set(math.inf)
    for kind, last_success, failures, last_failure in rows:
        JOB_FAILURES.labels(kind).set(failures)
        if last_success is not None:
            JOB_LAST_SUCCESS.labels(kind).set(last_success)
            if kind == "nightly":
                NIGHTLY_AGE.set(max(0.0, now - last_success))
        if last_failure is not None:
            JOB_LAST_FAILURE.labels(kind).set(last_failure)
    if facts is not None:
        newest, pending, backlog, oldest_due = facts
        NEWEST_INCIDENT_AGE.set(max(0.0, now - newest) if newest is not None else math.inf)
        PENDING_MODERATION.set(pending)
        PUSH_BACKLOG.set(backlog)
        PUSH_OLDEST_DUE_AGE.set(max(0.0, now - oldest_due) if oldest_due is not None else 0.0)


# When each pool (one per app, so per database) last counted incidents by type.
_type_counts_read_at: weakref.WeakKeyDictionary[AsyncConnectionPool, float] = (
    weakref.WeakKeyDictionary()
)


async def _type_counts(
    pool: AsyncConnectionPool, conn: psycopg.AsyncConnection
) -> list[tuple[str, str, int, int]]:
    """Incidents by source and type, or nothing when this pool read them less than
    TYPE_COUNTS_EVERY_S ago (the gauges keep the values of that read)."""
    if time.monotonic() - _type_counts_read_at.get(pool, -math.inf) < TYPE_COUNTS_EVERY_S:
        return []
    rows = await (await conn.execute(TYPES_SQL)).fetchall()
    _type_counts_read_at[pool] = time.monotonic()
    return rows


async def _read_feed(pool: AsyncConnectionPool) -> None:
    """Data age, the live feed's polls and pages, incidents by source and type, unknown types."""
    try:
        async with pool.connection(timeout=2.0) as conn:
            newest = await (await conn.execute(NEWEST_SQL)).fetchone()
            feeds = await (await conn.execute(FEED_SQL)).fetchall()
            types = await _type_counts(pool, conn)
            pages = await (await conn.execute(PAGES_SQL)).fetchall()
    except (psycopg.Error, PoolTimeout):
        log.warning("metrics: feed facts not readable")
        return
    newest_epoch = newest[0] if newest else None
    DATA_AGE.set(math.inf if newest_epoch is None else max(0.0, time.time() - newest_epoch))
    for source, last_ok, failures in feeds:
        FEED_LAST_POLL_OK.labels(source).set(last_ok or 0)
        FEED_FAILURES.labels(source).set(failures)
    for source, event_type, count, unmapped in types:
        INCIDENTS_INGESTED.labels(source, event_type).set(count)
        if unmapped:
            UNKNOWN_TYPES.labels(source, event_type).set(unmapped)
    for status, count in pages:
        EVENT_PAGES.labels(status).set(count)
