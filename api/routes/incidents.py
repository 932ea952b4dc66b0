"""The incident feed: GET /api/v1/incidents (filters, newest first, keyset pages), one
incident, and GET /api/v1/freshness. Contract: CONTRACTS.md "Incidents API"."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from psycopg.rows import dict_row

from api.deps import AppSettings, ReadConn
from api.errors import problem_response
from api.freshness import FRESHNESS_SQL, judge_freshness
from api.http_cache import not_modified
from api.incident_cursor import BadCursor, decode_cursor, encode_cursor, query_digest
from api.incident_models import FreshnessAnswer, Incident, IncidentPage

router = APIRouter(tags=["incidents"])

MAX_BBOX_DEGREES = 3.0  # wider than Stockholm county is a mistake, not a map view
MAX_RADIUS_M = 20_000
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
CACHE_CONTROL = "public, max-age=15, must-revalidate"
PAGE_SQL = """
SELECT id, occurred_at, item::text FROM raw.incidents_page(
    %(min_lon)s, %(min_lat)s, %(max_lon)s, %(max_lat)s, %(lon)s, %(lat)s, %(radius_m)s,
    %(district)s, %(category)s, %(since)s, %(until)s, %(after_at)s, %(after_id)s, %(limit)s)
"""
ONE_SQL = (
    "SELECT item::text FROM raw.incidents_page(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, NULL, NULL, 1, %s, true)"
)
CATEGORY_SQL = "SELECT 1 FROM ref.incident_categories WHERE code = %s"
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: If-None-Match names the current ETag"}
}


@dataclass(frozen=True)
class Filters:
    """The validated filters of a list request (what a cursor is bound to)."""

    min_lon: float | None = None
    min_lat: float | None = None
    max_lon: float | None = None
    max_lat: float | None = None
    lon: float | None = None
    lat: float | None = None
    radius_m: float | None = None
    district: int | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _invalid(detail: str) -> HTTPException:
    return HTTPException(422, detail)


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """minLon,minLat,maxLon,maxLat within the world, ordered, at most MAX_BBOX_DEGREES wide."""
    parts = text.split(",")
    if len(parts) != 4:
        raise _invalid("bbox must be minLon,minLat,maxLon,maxLat")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise _invalid("bbox must be four numbers") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise _invalid("bbox must be four finite numbers")
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise _invalid("bbox must satisfy minLon < maxLon and minLat < maxLat, on the globe")
    if max_lon - min_lon > MAX_BBOX_DEGREES or max_lat - min_lat > MAX_BBOX_DEGREES:
        raise _invalid(f"bbox is larger than {MAX_BBOX_DEGREES:g} degrees on a side")
    return min_lon, min_lat, max_lon, max_lat


def _utc(moment: datetime | None, name: str) -> datetime | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        inside = EARLIEST <= moment <= LATEST
    except OverflowError:  # an offset that pushes year 1 or 9999 off the calendar
        inside = False
    if not inside:
        raise _invalid(f"{name} must lie between 1990 and 2200")
    return moment.astimezone(UTC)


def build_filters(
    bbox: str | None,
    lat: float | None,
    lon: float | None,
    radius_m: float | None,
    district: int | None,
    category: str | None,
    since: datetime | None,
    until: datetime | None,
) -> Filters:
    """The filters, or a 422 naming what is wrong."""
    circle = (lat, lon, radius_m)
    if bbox is not None and any(v is not None for v in circle):
        raise _invalid("give either bbox or lat/lon/radius_m, not both")
    if any(v is not None for v in circle) and any(v is None for v in circle):
        raise _invalid("lat, lon and radius_m go together")
    if lat is not None and not (math.isfinite(lat) and -90 <= lat <= 90):
        raise _invalid("lat must lie in [-90, 90]")
    if lon is not None and not (math.isfinite(lon) and -180 <= lon <= 180):
        raise _invalid("lon must lie in [-180, 180]")
    since_utc, until_utc = _utc(since, "since"), _utc(until, "until")
    if since_utc and until_utc and since_utc >= until_utc:
        raise _invalid("since must be earlier than until")
    rest = Filters(
        None, None, None, None, lon, lat, radius_m, district, category, since_utc, until_utc
    )
    if bbox is None:
        return rest
    min_lon, min_lat, max_lon, max_lat = parse_bbox(bbox)
    return replace(rest, min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


@router.get(
    "/api/v1/incidents",
    summary="Incidents, newest first (filters, cursor pages)",
    response_model=IncidentPage,
    responses={**NOT_MODIFIED},
)
async def list_incidents(
    request: Request,
    conn: ReadConn,
    settings: AppSettings,
    bbox: Annotated[
        str | None,
        Query(max_length=100, description="minLon,minLat,maxLon,maxLat (EPSG:4326), ≤ 3° a side"),
    ] = None,
    lat: Annotated[float | None, Query(description="Circle centre (with lon, radius_m)")] = None,
    lon: Annotated[float | None, Query(description="Circle centre (with lat, radius_m)")] = None,
    radius_m: Annotated[float | None, Query(gt=0, le=MAX_RADIUS_M)] = None,
    district: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    category: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}$")] = None,
    since: Annotated[datetime | None, Query(description="occurred_at ≥ since (ISO 8601)")] = None,
    until: Annotated[datetime | None, Query(description="occurred_at < until (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor")] = None,
) -> Response:
    """Incidents newest first by occurred_at, then id. A spatial filter (bbox or circle)
    matches incidents whose known area — a point, a place or a district — meets it;
    municipality- and county-level incidents are never placed in a small area, so they
    appear only in lists without a spatial filter. Geometry is given for point and place
    support; for districts use `district_id` and /api/v1/neighborhoods/{id}."""
    filters = build_filters(bbox, lat, lon, radius_m, district, category, since, until)
    if category is not None:
        known = await (await conn.execute(CATEGORY_SQL, (category,))).fetchone()
        if known is None:
            raise _invalid(f"unknown category {category!r}")
    key = settings.security.client_hash_salt.get_secret_value().encode()
    digest = query_digest(asdict(filters))
    after_at, after_id = None, None
    if cursor is not None:
        try:
            after_at, after_id = decode_cursor(key, cursor, digest)
        except BadCursor as exc:
            raise _invalid(str(exc)) from None
    params = {**asdict(filters), "after_at": after_at, "after_id": after_id, "limit": limit + 1}
    rows = await (await conn.execute(PAGE_SQL, params)).fetchall()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(key, rows[-1][1], rows[-1][0], digest)
    freshness = await _freshness_row(conn)
    as_of = judge_freshness(freshness, settings.feed).as_json()["newest_event_at"]
    head = b'{"items":[' + b",".join(row[2].encode() for row in rows) + b"],"
    tail = {"next_cursor": next_cursor, "as_of": as_of}
    body = head + json.dumps(tail)[1:].encode()
    return _cached(request, body)


@router.get(
    "/api/v1/incidents/{incident_id}",
    summary="One incident (geometry always present)",
    response_model=Incident,
    responses={404: problem_response("No incident with this id"), **NOT_MODIFIED},
)
async def one_incident(
    request: Request, conn: ReadConn, incident_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Response:
    """One incident; district-, municipality- and county-level ones carry their area's
    simplified polygon, never a point."""
    row = await (await conn.execute(ONE_SQL, (incident_id,))).fetchone()
    if row is None:
        raise HTTPException(404, "No incident with this id.")
    return _cached(request, row[0].encode())


@router.get(
    "/api/v1/freshness",
    summary="How fresh the data is (newest event, last successful poll)",
    response_model=FreshnessAnswer,
)
async def freshness(conn: ReadConn, settings: AppSettings) -> dict[str, Any]:
    """`stale` is true when the newest event is older than HALO_FEED_STALE_AFTER_HOURS;
    `feed` is off when no live feed is configured (HALO_FEED_ENABLED)."""
    return judge_freshness(await _freshness_row(conn), settings.feed).as_json()


async def _freshness_row(conn: ReadConn) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(FRESHNESS_SQL)
    row = await cur.fetchone()
    assert row is not None
    return row


def _cached(request: Request, body: bytes) -> Response:
    """The JSON body with a strong ETag of its content; 304 when the client has it."""
    etag = '"i-' + hashlib.sha256(body).hexdigest()[:24] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
