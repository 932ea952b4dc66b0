"""Neighbourhoods: a GeoJSON FeatureCollection with risk, and one neighbourhood's details."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from api.deps import ReadConn, read_pool
from api.errors import problem_response
from api.http_cache import GeoJSONResponse, cached_answer, etag_for
from api.map_models import NeighborhoodCollection, NeighborhoodDetails
from api.tiles.service import Tiles

router = APIRouter(tags=["neighborhoods"])

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: If-None-Match names the current ETag"}
}


@router.get(
    "/api/v1/neighborhoods",
    summary="Neighbourhoods with their risk (GeoJSON)",
    response_class=GeoJSONResponse,
    responses={200: {"model": NeighborhoodCollection}, **NOT_MODIFIED},
)
async def list_neighborhoods(
    request: Request,
    service: Tiles,
    zoom: Annotated[
        int | None, Query(ge=0, le=22, description="Simplify the outlines for this map zoom")
    ] = None,
) -> Response:
    """Every neighbourhood (EPSG:4326) with risk_score, interval, evidence, incidents, trend.

    Ordered by id. With `zoom`, outlines are simplified to about half a pixel at that zoom.
    """
    generation = await service.current_generation(read_pool(request))
    key = ("neighborhoods", -1 if zoom is None else zoom, 0, 0)

    async def produce() -> bytes:
        # Its own connection: the render may outlive this request (others wait for it).
        async with read_pool(request).connection() as conn:
            cur = await conn.execute("SELECT risk.neighborhoods_geojson(%s)::text", (zoom,))
            row = await cur.fetchone()
        return str(row[0] if row else "").encode()

    return await cached_answer(
        request,
        service.settings,
        generation,
        etag_for(generation, *key),
        lambda: service.cached_with_source(generation, key, produce),
        lambda answer: service.gzip_of(key, answer),
        GeoJSONResponse,
    )


@router.get(
    "/api/v1/neighborhoods/{district_id}",
    summary="One neighbourhood's details",
    response_model=NeighborhoodDetails,
    responses={404: problem_response("No neighbourhood with this id")},
)
async def neighborhood_details(
    conn: ReadConn, district_id: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> NeighborhoodDetails:
    """Risk with its interval, evidence level, trend, incidents by category over the window."""
    cur = await conn.execute("SELECT risk.neighborhood_details(%s)", (district_id,))
    row = await cur.fetchone()
    if row is None or row[0] is None:
        raise HTTPException(404, "No neighbourhood with this id.")
    return NeighborhoodDetails.model_validate(row[0])
