"""GET /tiles/{layer}/{z}/{x}/{y}.mvt: Mapbox Vector Tiles with generation ETags and gzip."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import read_pool
from api.errors import problem_response
from api.http_cache import (
    accepts_gzip,
    cache_headers,
    etag_for,
    gzip_variant,
    not_modified,
    not_modified_response,
)
from api.tiles.layers import LAYERS, layer_named
from api.tiles.service import TileService

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"

router = APIRouter(tags=["tiles"])

TILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The tile (gzip-encoded when the client accepts it)",
        "content": {MVT_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    },
    204: {"description": "An empty tile: nothing of the layer there"},
    304: {"description": "Not modified: If-None-Match names the current ETag"},
    404: problem_response("Unknown layer, or z/x/y outside the layer's tile range"),
    503: problem_response("The database is busy or slow; see Retry-After"),
}


def tile_service(request: Request) -> TileService:
    """The app's tile service (created in api.map_api.install_map)."""
    service: TileService = request.app.state.tiles
    return service


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    summary="A vector tile of one layer",
    response_class=Response,
    responses=TILE_RESPONSES,
)
async def get_tile(request: Request, layer: str, z: int, x: int, y: int) -> Response:
    """One MVT tile (EPSG:3857, extent 4096) of an allow-listed layer: risk, districts, incidents.

    Out-of-range z/x/y answer 404 before any SQL; an empty tile answers 204. The ETag is tied
    to the risk generation, so `If-None-Match` gets a 304 until the next refresh.
    """
    chosen = layer_named(layer)
    if chosen is None:
        raise HTTPException(404, f"Unknown layer; layers: {', '.join(LAYERS)}.")
    if not chosen.has_tile(z, x, y):
        detail = f"Layer {chosen.name} has tiles for zoom {chosen.minzoom}-{chosen.maxzoom}."
        raise HTTPException(404, detail)
    service = tile_service(request)
    generation = await service.generation.current(read_pool(request))
    etag = etag_for(generation, chosen.name, z, x, y)
    gzipped = accepts_gzip(request)
    headers = cache_headers(
        service.settings, request, generation, gzip_variant(etag) if gzipped else etag
    )
    if not_modified(request, etag):
        return not_modified_response(headers)
    tile = await service.tile(read_pool(request), generation, chosen, z, x, y)
    if not tile.raw:
        return Response(status_code=204, headers={**headers, "ETag": etag})
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        body = service.gzip_of((chosen.name, z, x, y), tile)
    else:
        body = tile.raw
    return Response(body, media_type=MVT_MEDIA_TYPE, headers=headers)
