"""Analyst routes (scope analyst): report clusters (GeoJSON), report and cross-source stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from api.deps import Conn
from api.errors import KEY_RESPONSES
from api.http_cache import GeoJSONResponse
from api.reports.models import ClusterCollection, CrossSourceStats, IsoDateTime, ReportStats
from api.security import AnalystKey

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=KEY_RESPONSES)

CLUSTERS_SQL = "SELECT risk.report_clusters_geojson(%s, %s, %s)::text"
STATS_SQL = "SELECT raw.report_stats(%s, %s)"
CROSS_SOURCE_SQL = "SELECT raw.cross_source_stats(%s, %s)"
DEFAULT_WINDOW = timedelta(days=30)
MAX_WINDOW = timedelta(days=3660)

WindowFrom = Annotated[
    IsoDateTime | None,
    Query(alias="from", description="Start (inclusive) of the event time; default until - 30 d"),
]
WindowUntil = Annotated[
    IsoDateTime | None, Query(alias="until", description="End (exclusive); default now")
]


@router.get(
    "/clusters",
    summary="DBSCAN clusters of recent reports (GeoJSON)",
    response_class=GeoJSONResponse,
    responses={200: {"model": ClusterCollection}},
)
async def report_clusters(
    _key: AnalystKey,
    conn: Conn,
    eps_m: Annotated[
        float | None, Query(ge=10, le=5000, description="DBSCAN radius, metres (EPSG:3006)")
    ] = None,
    min_points: Annotated[int | None, Query(ge=2, le=1000)] = None,
    window_days: Annotated[int | None, Query(ge=1, le=3650)] = None,
) -> Response:
    """Clusters of non-rejected reports: their hull, counts by category and status, time span.

    Without parameters, the nightly clusters (risk.report_clusters); with any, computed now,
    the others taken from ref.report_parameters.
    """
    cur = await conn.execute(CLUSTERS_SQL, (eps_m, min_points, window_days))
    row = await cur.fetchone()
    return GeoJSONResponse(str(row[0] if row else "").encode())


@router.get("/stats", summary="Report counts by status, category and day")
async def report_stats(
    _key: AnalystKey, conn: Conn, t_from: WindowFrom = None, t_until: WindowUntil = None
) -> ReportStats:
    """Reports that happened in [from, until): totals by moderation status, category and
    local day (the report's city's time zone), with photo, during an alert, and how many
    feed risk."""
    start, end = _window(t_from, t_until)
    stats = await _json(conn, STATS_SQL, start, end)
    return ReportStats.model_validate({"from": start, "until": end, **stats})


@router.get("/cross-source-stats", summary="Corroboration of reports by police events")
async def cross_source_stats(
    _key: AnalystKey, conn: Conn, t_from: WindowFrom = None, t_until: WindowUntil = None
) -> CrossSourceStats:
    """Events that happened in [from, until): the share of reports a police event
    corroborates, per source and district, and the fused events' confidence."""
    start, end = _window(t_from, t_until)
    stats = await _json(conn, CROSS_SOURCE_SQL, start, end)
    return CrossSourceStats.model_validate({"from": start, "until": end, **stats})


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = (end or datetime.now(UTC)).astimezone(UTC)
    start = (start or end - DEFAULT_WINDOW).astimezone(UTC)
    if start >= end:
        raise HTTPException(422, "`from` must be before `until`.")
    if end - start > MAX_WINDOW:
        raise HTTPException(422, "The window may span at most 3660 days.")
    return start, end


async def _json(conn: Conn, query: str, start: datetime, end: datetime) -> dict[str, Any]:
    cur = await conn.execute(query, (start, end))
    row = await cur.fetchone()
    assert row is not None
    value: dict[str, Any] = row[0]
    return value
