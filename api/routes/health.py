"""Liveness and readiness: database, extensions, migrations, age of the last nightly run, and
(with the live feed on) the age of the newest event and of the feed's last good poll."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from api.deps import AppSettings, Pool
from api.errors import RETRY_AFTER_S
from api.freshness import FRESHNESS_SQL, judge_freshness
from config.feed import FeedSettings
from core.migration_head import migration_head

router = APIRouter(tags=["health"])

REQUIRED_EXTENSIONS = ("postgis", "h3", "h3_postgis")

READINESS_SQL = """
SELECT
    (SELECT json_object_agg(extname, extversion) FROM pg_extension) AS extensions,
    (SELECT version_num FROM public.alembic_version LIMIT 1) AS migration,
    (SELECT max(finished_at) FROM ops.job_runs
      WHERE kind = 'nightly' AND status = 'success') AS last_nightly_success,
    (SELECT status FROM ops.job_runs WHERE kind = 'nightly'
      ORDER BY started_at DESC LIMIT 1) AS last_nightly_status
"""
NO_FRESHNESS = dict.fromkeys(
    ("newest_event_at", "last_poll_at", "last_poll_ok_at", "last_error", "last_error_at")
)


@router.get("/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    summary="Readiness: database, extensions, migrations, nightly job, data freshness",
)
async def ready(pool: Pool, settings: AppSettings) -> JSONResponse:
    row = await _read_state(pool)
    if row is None:
        body = {"status": "unavailable", "checks": {"database": {"ok": False}}}
        return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_S})
    checks = evaluate_readiness(row, settings.nightly_stale_after_hours)
    checks["freshness"] = freshness_check(row, settings.feed)
    failing = {name for name, check in checks.items() if not check["ok"]}
    if failing & {"database", "extensions", "migrations"}:
        body = {"status": "unavailable", "checks": checks}
        return JSONResponse(body, status_code=503, headers={"Retry-After": RETRY_AFTER_S})
    return JSONResponse({"status": "degraded" if failing else "ok", "checks": checks})


async def _read_state(pool: AsyncConnectionPool) -> dict[str, Any] | None:
    """The readiness facts in one query; None when the database cannot be reached."""
    try:
        async with pool.connection(timeout=2.0) as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(READINESS_SQL)
            row: dict[str, Any] | None = await cur.fetchone()
            if row is None:
                return None
            try:  # a schema behind the code lacks it: the migrations check says so
                await cur.execute(FRESHNESS_SQL)
                return {**row, **(await cur.fetchone() or NO_FRESHNESS)}
            except psycopg.errors.UndefinedFunction:
                return {**row, **NO_FRESHNESS}
    except (psycopg.OperationalError, PoolTimeout):
        return None


def evaluate_readiness(row: dict[str, Any], stale_after_hours: float) -> dict[str, dict[str, Any]]:
    """Turn the readiness facts into named checks, each with `ok`."""
    extensions = row["extensions"] or {}
    missing = [name for name in REQUIRED_EXTENSIONS if name not in extensions]
    head = migration_head()
    last = row["last_nightly_success"]
    age_h = (datetime.now(UTC) - last).total_seconds() / 3600 if last else None
    nightly_ok = (
        age_h is not None and age_h <= stale_after_hours and row["last_nightly_status"] != "failed"
    )
    return {
        "database": {"ok": True},
        "extensions": {"ok": not missing, "versions": extensions, "missing": missing},
        "migrations": {"ok": row["migration"] == head, "current": row["migration"], "head": head},
        "nightly": {
            "ok": nightly_ok,
            "last_success_age_hours": round(age_h, 2) if age_h is not None else None,
            "last_status": row["last_nightly_status"],
            "stale_after_hours": stale_after_hours,
        },
    }


def freshness_check(row: dict[str, Any], feed: FeedSettings) -> dict[str, Any]:
    """Stale data or a failing feed make readiness `degraded` when the feed is on
    (HALO_FEED_ENABLED); `problems` says which, with the setting that decided it."""
    verdict = judge_freshness(row, feed)
    return {
        "ok": not feed.enabled or not verdict.problems,
        **verdict.as_json(),
        "stale_after_hours": feed.stale_after_hours,
        "poll_stale_after_minutes": feed.poll_stale_after_minutes,
        "problems": verdict.problems,
    }
