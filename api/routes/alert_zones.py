"""Alert zones for on-device geofencing: merged polygons at or above the alert and clear scores."""

from __future__ import annotations

import gzip
import math
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from api.deps import ReadConn, read_pool
from api.http_cache import (
    GeoJSONResponse,
    cache_headers,
    encoded_response,
    etag_for,
    not_modified,
    not_modified_response,
)
from api.map_models import AlertZones
from api.tiles.service import Tiles
from config.map import MapSettings

router = APIRouter(tags=["alert zones"])

NUMBER = r"-?\d{1,3}(\.\d{1,12})?"
BBOX_PATTERN = rf"^{NUMBER},{NUMBER},{NUMBER},{NUMBER}$"
ZONES_SQL = "SELECT risk.alert_zones_geojson(%s, %s, %s, %s, %s)::text"


def parse_bbox(text: str, settings: MapSettings) -> tuple[float, float, float, float]:
    """min_lon,min_lat,max_lon,max_lat in WGS 84, ordered and no larger than the limit."""
    values = [float(v) for v in text.split(",")] if re.fullmatch(BBOX_PATTERN, text) else []
    problems = bbox_problems(values, settings.alert_zones_max_bbox_deg)
    if problems:
        raise RequestValidationError(
            [{"loc": ("query", "bbox"), "msg": problems, "type": "value_error"}]
        )
    xmin, ymin, xmax, ymax = values
    return xmin, ymin, xmax, ymax


def bbox_problems(values: list[float], max_deg: float) -> str | None:
    """What is wrong with a parsed bbox, or None."""
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        return "bbox must be four numbers: min_lon,min_lat,max_lon,max_lat"
    xmin, ymin, xmax, ymax = values
    if not (-180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        return "bbox must be ordered min,min,max,max within -180..180 and -90..90"
    if xmax - xmin > max_deg or ymax - ymin > max_deg:
        return f"bbox may span at most {max_deg} degrees each way"
    return None


@router.get(
    "/api/v1/alert-zones",
    summary="Alert zones in a box, for geofencing on the device",
    response_class=GeoJSONResponse,
    responses={
        200: {"model": AlertZones},
        304: {"description": "Not modified: If-None-Match names the current ETag"},
    },
)
async def alert_zones(
    request: Request,
    conn: ReadConn,
    service: Tiles,
    bbox: Annotated[
        str,
        Query(
            max_length=100,
            pattern=BBOX_PATTERN,
            description="min_lon,min_lat,max_lon,max_lat (WGS 84), at most 1 degree each way",
        ),
    ],
    resolution: Annotated[
        int | None,
        Query(
            ge=7,
            le=9,
            description="H3 resolution of the zones (default: HALO_MAP_ALERT_ZONES_RESOLUTION)",
        ),
    ] = None,
) -> Response:
    """Merged, simplified polygons of the cells with risk_score >= the alert threshold, and of
    those >= the lower clear threshold (enter at alert, leave outside clear: hysteresis), with
    the generation. The app decides alerts locally; it never sends its location."""
    box = parse_bbox(bbox, service.settings)
    resolution = resolution or service.settings.alert_zones_resolution
    generation = await service.generation.current(read_pool(request))
    etag = etag_for(generation, "alert-zones", *box, resolution)
    headers = cache_headers(service.settings, request, generation, etag)
    if not_modified(request, etag):
        return not_modified_response(headers)
    cur = await conn.execute(ZONES_SQL, (*box, resolution))
    row = await cur.fetchone()
    body = str(row[0] if row else "").encode()
    level = service.settings.gzip_level
    return encoded_response(
        request, body, lambda: gzip.compress(body, level, mtime=0), headers, GeoJSONResponse
    )
