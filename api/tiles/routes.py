"""GET /tiles/{layer}/{z}/{x}/{y}.mvt: Mapbox Vector Tiles with versioned ETags and gzip (the
generation, or the base map's load: api/tiles/versions.py)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import read_pool
from api.errors import problem_response
from api.http_cache import cached_answer, etag_of
from api.tiles.service import RENDER_ERROR, Tiles
from core.tiles.layers import LAYERS, layer_named

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


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    summary="A vector tile of one layer",
    response_class=Response,
    responses=TILE_RESPONSES,
)
async def get_tile(
    request: Request, service: Tiles, layer: str, z: int, x: int, y: int
) -> Response:
    """One MVT tile (EPSG:3857, extent 4096) of an allow-listed layer: risk, districts, incidents.

    Out-of-range z/x/y answer 404 before any SQL; an empty tile answers 204. The ETag is tied
    to the risk generation, so `If-None-Match` gets a 304 until the next refresh; for the base
    map (water, streets) to its load, so a 304 until the refresh after a `halo load basemap`. The
    X-Halo-Cache header says where the tile came from: memory, store (disk/Redis) or render.
    """
    failed = getattr(request.state, RENDER_ERROR, None)
    if failed is not None:  # the fast path's render failed: answer its error, do not retry
        raise failed
    chosen = layer_named(layer)
    if chosen is None:
        raise HTTPException(404, f"Unknown layer; layers: {', '.join(LAYERS)}.")
    if not chosen.has_tile(z, x, y):
        detail = f"Layer {chosen.name} has tiles for zoom {chosen.minzoom}-{chosen.maxzoom}."
        raise HTTPException(404, detail)
    pool = read_pool(request)
    generation = await service.current_generation(pool)
    version = service.version_of(chosen.name, generation)
    key = (chosen.name, z, x, y)
    return await cached_answer(
        request,
        service.settings,
        generation,
        etag_of(version.etag, *key),
        lambda: service.tile(pool, generation, chosen, z, x, y),
        lambda answer: service.gzip_of(key, answer),
        media_type=MVT_MEDIA_TYPE,
        min_gzip_bytes=0,
        empty_is_204=True,
        version=version.url,
    )
