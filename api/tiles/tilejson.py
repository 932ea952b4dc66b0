"""TileJSON 3.0.0 per layer (/tiles/{layer}.json) and the web map's MapLibre style (/style.json)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from api.deps import read_pool
from api.errors import problem_response
from api.tiles.layers import LAYERS, Layer, layer_named
from api.tiles.routes import tile_service
from config.map import MapSettings

router = APIRouter(tags=["tiles"])

ATTRIBUTION = "Data: Swedish Police Authority public information; boundaries: Stockholm stad, SCB"
# risk_score -> colour: light for the city rate and below, darker for a higher reported rate.
SCORE_COLOURS = [
    "interpolate",
    ["linear"],
    ["coalesce", ["get", "risk_score"], 0],
    0.0, "#ffffcc",
    0.3, "#fed976",
    0.5, "#fd8d3c",
    0.6, "#e31a1c",
    0.8, "#800026",
]  # fmt: skip
# Less opaque where the evidence is weaker: inferred from district-level locations, or none.
EVIDENCE_OPACITY = ["match", ["get", "evidence"], "point", 0.65, "inferred", 0.4, 0.15]


def base_url(request: Request) -> str:
    """The public base URL of this API (scheme and host as the client sees them)."""
    return str(request.base_url).rstrip("/")


def tilejson(layer: Layer, settings: MapSettings, base: str, generation: int) -> dict[str, Any]:
    """The TileJSON 3.0.0 document of one layer; tile URLs carry the generation (?v=)."""
    lon, lat, zoom = settings.center
    return {
        "tilejson": "3.0.0",
        "name": f"halo-{layer.name}",
        "description": layer.description,
        "version": f"1.0.{generation}",
        "attribution": ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.mvt?v={generation}"],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": list(settings.bounds),
        "center": [lon, lat, max(layer.minzoom, min(zoom, layer.maxzoom))],
        "vector_layers": [
            {
                "id": layer.name,
                "description": layer.description,
                "minzoom": layer.minzoom,
                "maxzoom": layer.maxzoom,
                "fields": layer.fields,
            }
        ],
    }


@router.get(
    "/tiles/{layer}.json",
    summary="TileJSON 3.0.0 of one layer",
    responses={404: problem_response("Unknown layer")},
)
async def get_tilejson(request: Request, layer: str) -> JSONResponse:
    """Tile URL template (with the current generation), zoom range, bounds and fields."""
    chosen = layer_named(layer)
    if chosen is None:
        raise HTTPException(404, f"Unknown layer; layers: {', '.join(LAYERS)}.")
    service = tile_service(request)
    generation = await service.generation.current(read_pool(request))
    document = tilejson(chosen, service.settings, base_url(request), generation)
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=60"})


def style(settings: MapSettings, base: str) -> dict[str, Any]:
    """A MapLibre style over the three layers: risk hexagons by score, districts, incidents."""
    lon, lat, zoom = settings.center

    def source(name: str) -> dict[str, str]:
        return {"type": "vector", "url": f"{base}/tiles/{name}.json"}

    return {
        "version": 8,
        "name": "Halo: reported incident rate",
        "center": [lon, lat],
        "zoom": zoom,
        "sources": {name: source(name) for name in LAYERS},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#eef0f2"}},
            _layer("districts-fill", "districts", "fill", {"fill-color": "#ffffff"}),
            _layer(
                "risk-fill",
                "risk",
                "fill",
                {"fill-color": SCORE_COLOURS, "fill-opacity": EVIDENCE_OPACITY},
            ),
            _layer(
                "risk-outline",
                "risk",
                "line",
                {"line-color": "#ffffff", "line-width": 0.4, "line-opacity": 0.6},
                minzoom=11,
            ),
            _layer(
                "districts-line", "districts", "line", {"line-color": "#44546a", "line-width": 1}
            ),
            _layer(
                "incidents",
                "incidents",
                "circle",
                {
                    "circle-radius": 3.5,
                    "circle-color": "#1f3b73",
                    "circle-stroke-color": "#ffffff",
                    "circle-stroke-width": 1,
                    "circle-opacity": ["match", ["get", "precision"], "point", 0.9, 0.5],
                },
                minzoom=13,
            ),
        ],
    }


def _layer(
    layer_id: str, source: str, kind: str, paint: dict[str, Any], minzoom: int | None = None
) -> dict[str, Any]:
    layer: dict[str, Any] = {
        "id": layer_id,
        "type": kind,
        "source": source,
        "source-layer": source,
        "paint": paint,
    }
    if minzoom is not None:
        layer["minzoom"] = minzoom
    return layer


@router.get("/style.json", summary="MapLibre style of the web map")
async def get_style(request: Request) -> JSONResponse:
    """Style spec v8 over this API's TileJSON sources; no glyphs, sprites or outside hosts."""
    document = style(tile_service(request).settings, base_url(request))
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})
