"""GET /api/v1/incidents and /api/v1/incidents/{id}: recent events with their real location
support (CONTRACTS.md). A minimal read-only version for the web map of issue 15; the live-data
issue (14) owns the full one."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.exceptions import RequestValidationError

from api.deps import Conn
from api.errors import problem_response

router = APIRouter(tags=["incidents"])

POLISEN_SITE = "https://polisen.se"
MAX_RADIUS_M = 20_000
# ISO 8601 text only (a bare number would otherwise pass as seconds since 1970).
ISO_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$"
# One query for the list and the single incident; every value is bound. Geometry: the point,
# the place's area, or (single incident only) the simplified district/municipality.
INCIDENTS_SQL = """
SELECT i.id, s.code, i.event_type, i.category, k.label_sv, k.label_en, i.title, i.summary,
       coalesce(i.occurred_at, i.first_seen_at) AS occurred_at, i.published_at,
       i.raw_payload ->> 'url' AS url, i.location_support,
       coalesce(pl.name, d.name, m.name) AS location_name, i.district_id,
       nullif(coalesce(pl.radius_m, i.support_radius_m), 0) AS radius_m,
       CASE WHEN %(one)s OR i.location_support IN ('point', 'place') THEN
           st_asgeojson(CASE i.location_support
               WHEN 'point' THEN i.point_geom
               WHEN 'place' THEN pl.geom
               WHEN 'district' THEN st_simplifypreservetopology(d.geom, 0.0002)
               WHEN 'municipality' THEN st_simplifypreservetopology(m.geom, 0.002)
           END, 6) END AS geometry
  FROM raw.incidents i
  JOIN ref.data_sources s ON s.id = i.source_id
  JOIN ref.incident_categories k ON k.code = i.category
  LEFT JOIN ref.places pl ON pl.id = i.place_id
  LEFT JOIN ref.districts d ON d.id = i.district_id
  LEFT JOIN ref.municipalities m ON m.code = i.municipality_code
 WHERE (%(id)s::bigint IS NULL OR i.id = %(id)s)
   AND (%(district)s::integer IS NULL OR i.district_id = %(district)s)
   AND (%(category)s::text IS NULL OR i.category = %(category)s)
   AND (%(since)s::timestamptz IS NULL OR coalesce(i.occurred_at, i.first_seen_at) >= %(since)s)
   AND (%(until)s::timestamptz IS NULL OR coalesce(i.occurred_at, i.first_seen_at) < %(until)s)
   AND (%(area)s::text IS NULL OR st_intersects(
            CASE i.location_support WHEN 'point' THEN i.point_geom WHEN 'place' THEN pl.geom
                                    WHEN 'district' THEN d.geom END,
            st_geomfromtext(%(area)s, 4326)))
   AND (%(after_t)s::timestamptz IS NULL
        OR (coalesce(i.occurred_at, i.first_seen_at), i.id) < (%(after_t)s, %(after_id)s))
 ORDER BY coalesce(i.occurred_at, i.first_seen_at) DESC, i.id DESC
 LIMIT %(limit)s
"""
CIRCLE_SQL = (
    "SELECT st_astext(st_buffer(st_setsrid(st_point(%s, %s), 4326)::geography, %s)::geometry)"
)


def bad(field: str, message: str) -> RequestValidationError:
    """One clear 422 line for a query parameter."""
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error"}]
    )


def incident(row: tuple[Any, ...]) -> dict[str, Any]:
    """One Incident of the contract from a row of INCIDENTS_SQL."""
    url = row[10]
    if url and url.startswith("/"):
        url = POLISEN_SITE + url
    location: dict[str, Any] = {
        "support": row[11],
        "name": row[12],
        "district_id": row[13],
        "geometry": json.loads(row[15]) if row[15] else None,
    }
    if row[11] == "place" and row[14]:
        location["radius_m"] = round(row[14])
    return {
        "id": row[0],
        "source": row[1],
        "type": row[2],
        "category": row[3],
        "category_label": {"sv": row[4], "en": row[5]},
        "title": row[6],
        "summary": row[7],
        "occurred_at": row[8].isoformat() if row[8] else None,
        "published_at": row[9].isoformat() if row[9] else None,
        "url": url if url and url.startswith("https://") else None,
        "location": location,
    }


def iso_time(field: str, text: str | None) -> datetime | None:
    """An ISO 8601 date or date-time (UTC when it has no offset), or None."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise bad(field, "expected ISO 8601, e.g. 2025-12-31T12:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def encode_cursor(row: tuple[Any, ...]) -> str:
    """An opaque cursor after this row."""
    return base64.urlsafe_b64encode(f"{row[8].isoformat()}|{row[0]}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) a cursor stands for; 422 if it is not one of ours."""
    try:
        when, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(when), int(ident)
    except ValueError:
        raise bad("cursor", "cursor is not one this API gave") from None


async def area_of(
    conn: Conn, bbox: str | None, lat: float | None, lon: float | None, radius_m: int | None
) -> str | None:
    """The WKT of the bbox or of the circle, or None for no area filter."""
    if bbox is not None:
        try:
            xmin, ymin, xmax, ymax = (float(v) for v in bbox.split(","))
        except ValueError:
            raise bad("bbox", "bbox must be minLon,minLat,maxLon,maxLat") from None
        if not (-180 <= xmin < xmax <= 180 and -90 <= ymin < ymax <= 90):
            raise bad("bbox", "bbox must be ordered min,min,max,max within -180..180, -90..90")
        return f"POLYGON(({xmin} {ymin},{xmax} {ymin},{xmax} {ymax},{xmin} {ymax},{xmin} {ymin}))"
    given = [v is not None for v in (lat, lon, radius_m)]
    if any(given) and not all(given):
        raise bad("radius_m", "lat, lon and radius_m go together")
    if lat is None or lon is None or radius_m is None:
        return None
    cur = await conn.execute(CIRCLE_SQL, (lon, lat, radius_m))
    row = await cur.fetchone()
    return str(row[0]) if row else None


@router.get("/api/v1/incidents", summary="Recent incidents, newest first")
async def list_incidents(
    conn: Conn,
    bbox: Annotated[str | None, Query(max_length=200)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_m: Annotated[int | None, Query(ge=1, le=MAX_RADIUS_M)] = None,
    district: Annotated[int | None, Query(ge=1)] = None,
    category: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
    since: Annotated[str | None, Query(pattern=ISO_PATTERN, max_length=40)] = None,
    until: Annotated[str | None, Query(pattern=ISO_PATTERN, max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Incidents in a box or circle, a district or a category; cursor pages onwards."""
    after = decode_cursor(cursor) if cursor else (None, None)
    params = {
        "one": False, "id": None, "district": district, "category": category,
        "since": iso_time("since", since), "until": iso_time("until", until),
        "area": await area_of(conn, bbox, lat, lon, radius_m),
        "after_t": after[0], "after_id": after[1], "limit": limit + 1,
    }  # fmt: skip
    cur = await conn.execute(INCIDENTS_SQL, params)
    rows = await cur.fetchall()
    page = rows[:limit]
    as_of = await conn.execute("SELECT max(first_seen_at) FROM raw.incidents")
    newest = await as_of.fetchone()
    return {
        "items": [incident(row) for row in page],
        "next_cursor": encode_cursor(page[-1]) if len(rows) > limit else None,
        "as_of": newest[0].isoformat() if newest and newest[0] else None,
    }


@router.get(
    "/api/v1/incidents/{incident_id}",
    summary="One incident, with its geometry",
    responses={404: problem_response("No such incident")},
)
async def get_incident(conn: Conn, incident_id: int) -> dict[str, Any]:
    """One incident; geometry always present (a simplified polygon for district support)."""
    params = {
        "one": True, "id": incident_id, "district": None, "category": None, "since": None,
        "until": None, "area": None, "after_t": None, "after_id": None, "limit": 1,
    }  # fmt: skip
    cur = await conn.execute(INCIDENTS_SQL, params)
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(404, "No such incident.")
    return incident(row)
