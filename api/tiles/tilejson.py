"""TileJSON 3.0.0 per layer (/tiles/{layer}.json) and the web map's MapLibre style (/style.json)."""

from __future__ import annotations

import json
import zlib
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import read_pool
from api.errors import problem_response
from api.http_cache import cached_answer, etag_for
from api.routes.legend import (
    LegendClass,
    Thresholds,
    alert_thresholds,
    fill_color,
    fill_opacity,
    legend,
)
from api.tiles.service import Produce, Tiles
from config.map import MapSettings
from core.tiles.layers import LAYERS, Layer, layer_named

router = APIRouter(tags=["tiles"])

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
# The base-map layers and their credits; the other layers carry the data's credit.
ATTRIBUTIONS = {"streets": OSM_ATTRIBUTION, "water": "Water: Stockholms stad (CC0)"}


TEXT_FONT = "DejaVu Sans Book"
BOLD_FONT = "DejaVu Sans Bold"
# Street class, fill colour, width at zoom 16 / 4 (minor streets least, motorways most).
STREET_CLASSES = [
    ("minor", "#ffffff", 1.6),
    ("tertiary", "#ffffff", 2.0),
    ("secondary", "#fbeac0", 2.4),
    ("primary", "#f7d58c", 2.8),
    ("motorway", "#f0b36a", 3.2),
]


def base_url(request: Request) -> str:
    """The public base URL of this API (scheme and host as the client sees them)."""
    return str(request.base_url).rstrip("/")


# The lon/lat box of every city's study area (the risk cells); NULL before a refresh.
CITIES_BOUNDS_SQL = (
    "SELECT st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e)"
    " FROM (SELECT st_extent(geom) AS e FROM risk.cell_risk) s WHERE e IS NOT NULL"
)
# The lon/lat box of a base-map layer's own data (tiles.basemap_bounds); no row when empty.
BASEMAP_BOUNDS_SQL = "SELECT west, south, east, north FROM tiles.basemap_bounds(%s)"
Bounds = tuple[float, float, float, float]
# The credit of the data layers, from the data: each source with incidents (its attribution,
# else its name), then the boundary sources (ref.municipalities.attribution: SCB).
DATA_ATTRIBUTION_SQL = r"""
SELECT string_agg(credit, '; ' ORDER BY rank, credit) FROM (
    SELECT 1 AS rank, coalesce(s.attribution, 'Data: ' || s.name) AS credit
      FROM ref.data_sources s
     WHERE s.kind <> 'user_reports'
       AND EXISTS (SELECT 1 FROM raw.incidents i WHERE i.source_id = s.id)
    UNION
    -- SCB's credit is stored as its Swedish form, "Källa: SCB"; the credit line is one list
    -- in every language, so it names the source without the Swedish "Källa:" (source).
    SELECT DISTINCT 2, 'boundaries: ' || regexp_replace(m.attribution, '^Källa:\s*', '')
      FROM ref.municipalities m
) credits
"""


def tilejson(
    layer: Layer,
    settings: MapSettings,
    base: str,
    generation: int,
    bounds: Bounds | None = None,
    credit: str | None = None,
    tile_version: str | None = None,
) -> dict[str, Any]:
    """The TileJSON 3.0.0 document of one layer; tile URLs carry `tile_version` (?v=: the
    base map's load for its layers, api/tiles/versions.py), by default the generation; bounds:
    the base map's own extent for its layers, the cities' study areas for the others, else
    HALO_MAP_BOUNDS; credit: the data layers' attribution (DATA_ATTRIBUTION_SQL)."""
    lon, lat, zoom = settings.center
    return {
        "tilejson": "3.0.0",
        "name": f"halo-{layer.name}",
        "description": layer.description,
        "version": f"1.0.{generation}",
        "attribution": ATTRIBUTIONS.get(layer.name, credit or ""),
        "scheme": "xyz",
        "tiles": [
            f"{base}/tiles/{layer.name}/{{z}}/{{x}}/{{y}}.mvt?v={tile_version or generation}"
        ],
        "minzoom": layer.minzoom,
        "maxzoom": layer.maxzoom,
        "bounds": list(bounds or settings.bounds),
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
async def get_tilejson(request: Request, service: Tiles, layer: str) -> Response:
    """Tile URL template (with the current generation), zoom range, bounds and fields."""
    chosen = layer_named(layer)
    if chosen is None:
        raise HTTPException(404, f"Unknown layer; layers: {', '.join(LAYERS)}.")
    generation = await service.current_generation(read_pool(request))
    tile_version = service.version_of(chosen.name, generation).url
    base = base_url(request)

    async def produce() -> bytes:
        async with read_pool(request).connection() as conn:
            if chosen.name in ATTRIBUTIONS:  # a base-map layer: where its data is
                found = await conn.execute(BASEMAP_BOUNDS_SQL, (chosen.name,))
            else:
                found = await conn.execute(CITIES_BOUNDS_SQL)
            row = await found.fetchone()
            credit = await (await conn.execute(DATA_ATTRIBUTION_SQL)).fetchone()
        bounds = (row[0], row[1], row[2], row[3]) if row else None
        credit_line = credit[0] if credit else None
        document = tilejson(
            chosen, service.settings, base, generation, bounds, credit_line, tile_version
        )
        return _json(document)

    return await _document(request, service, generation, f"tilejson-{chosen.name}", base, produce)


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


async def _document(
    request: Request, service: Tiles, generation: int, name: str, base: str, produce: Produce
) -> Response:
    """A JSON document of this generation and base URL (the host is in its URLs, so in its
    key and ETag), cached like the tiles; browsers keep it briefly (it names the generation)."""
    key = (f"{name}@{base}", 0, 0, 0)
    lifetime = f"public, max-age={LIFETIMES[name.split('-')[0]]}"
    return await cached_answer(
        request,
        service.settings,
        generation,
        etag_for(generation, name, zlib.crc32(base.encode())),
        lambda: service.cached_with_source(generation, key, produce),
        lambda answer: service.gzip_of(key, answer),
        media_type="application/json",
        cache_control_value=lifetime,
    )


# Browser lifetimes of the documents, seconds (unchanged by the server cache).
LIFETIMES = {"tilejson": 60, "style": 300}


def style(settings: MapSettings, base: str, thresholds: Thresholds) -> dict[str, Any]:
    """A MapLibre style: land, water, streets, the risk hexagons by the legend's classes,
    districts, incidents, then street and district names (glyphs served by Halo)."""
    lon, lat, zoom = settings.center

    def source(name: str) -> dict[str, str]:
        return {"type": "vector", "url": f"{base}/tiles/{name}.json"}

    document: dict[str, Any] = {
        "version": 8,
        "name": "Halo: reported incident rate",
        "center": [lon, lat],
        "zoom": zoom,
        "glyphs": f"{base}/fonts/{{fontstack}}/{{range}}.pbf",
        "sources": {name: source(name) for name in LAYERS},
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#e4e2dc"}},
            _layer("districts-fill", "districts", "fill", {"fill-color": "#f6f4ef"}),
            _layer("water", "water", "fill", {"fill-color": "#a8cbe5"}),
            *street_layers(),
            *risk_layers(legend(thresholds).classes),
            *label_layers(),
        ],
    }
    if settings.style_url:
        # The web map draws Halo's layers over this base style instead of Halo's base map.
        document["metadata"] = {"halo:base_style": settings.style_url}
    return document


def risk_layers(classes: list[LegendClass]) -> list[dict[str, Any]]:
    """Risk hexagons coloured and as opaque as the legend says, outlines, districts, incidents."""
    return [
        _layer(
            "risk-fill",
            "risk",
            "fill",
            {"fill-color": fill_color(classes), "fill-opacity": fill_opacity(classes)},
        ),
        _layer(
            "risk-outline",
            "risk",
            "line",
            {"line-color": "#ffffff", "line-width": 0.4, "line-opacity": 0.5},
            minzoom=11,
        ),
        _layer(
            "districts-line",
            "districts",
            "line",
            {"line-color": "#5a6a80", "line-dasharray": [3, 2],
             "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.6, 14, 1.4]},
        ),
        _layer(
            "incidents-counts",
            "incidents",
            "circle",
            {
                # Area grows with the count: radius ~ sqrt(count), 4 px for one incident.
                "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]],
                                  1, 4, 10, 14, 40, 28],
                "circle-color": "#1f3b73",
                "circle-opacity": 0.55,
                "circle-stroke-color": "#ffffff",
                "circle-stroke-width": 1,
            },
            minzoom=13,
            # Counts also in zoom-16 tiles too dense for points (more than 2,000 incidents).
            only=["has", "count"],
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
            minzoom=16,
            only=["!", ["has", "count"]],
        ),
    ]  # fmt: skip


def label_layers() -> list[dict[str, Any]]:
    """Street names along their lines (main streets from z12, all from z13), then district
    names (bold, larger districts first)."""
    halo = {"text-halo-color": "#ffffff", "text-halo-width": 1.6}
    streets = _layer(
        "street-labels",
        "streets",
        "symbol",
        {"text-color": "#3b3b3b", **halo},
        minzoom=12,  # the tiles hold minor streets from 13: main streets are named first
    )
    streets["filter"] = ["has", "name"]
    streets["layout"] = {
        "symbol-placement": "line",
        "text-field": ["get", "name"],
        "text-font": [TEXT_FONT],
        "text-size": ["interpolate", ["linear"], ["zoom"], 12, 10, 16, 14],
        "text-max-angle": 30,
        "symbol-spacing": 300,
    }
    districts = _layer(
        "district-labels",
        "district_labels",
        "symbol",
        {"text-color": "#22303f", **halo},
        minzoom=10,
    )
    districts["layout"] = {
        "text-field": ["get", "name"],
        "text-font": [BOLD_FONT],
        "text-size": ["interpolate", ["linear"], ["zoom"], 10, 10, 14, 14],
        "text-max-width": 8,
        "symbol-sort-key": ["-", 0, ["coalesce", ["get", "area_km2"], 0]],
    }
    return [streets, districts]


def street_layers() -> list[dict[str, Any]]:
    """Streets by class: a casing under a fill, wider for bigger roads and at higher zoom."""
    layers = []
    for cls, colour, width in STREET_CLASSES:
        widths = _zoom_widths(width * 0.4, width * 4)
        casing = _layer(
            f"street-{cls}-casing",
            "streets",
            "line",
            {"line-color": "#c8c1b4", "line-width": _zoom_widths(width * 0.4 + 1, width * 4 + 2)},
            minzoom=12,
        )
        fill = _layer(
            f"street-{cls}", "streets", "line", {"line-color": colour, "line-width": widths}
        )
        for layer in (casing, fill):
            layer["filter"] = ["==", ["get", "class"], cls]
            layer["layout"] = {"line-join": "round", "line-cap": "round"}
        layers += [casing, fill]
    # Casings first, so a crossing street's fill is never cut by another's casing.
    return [layer for layer in layers if layer["id"].endswith("casing")] + [
        layer for layer in layers if not layer["id"].endswith("casing")
    ]


def _zoom_widths(at_10: float, at_16: float) -> list[Any]:
    """Line width growing exponentially from zoom 10 to 16."""
    return ["interpolate", ["exponential", 1.6], ["zoom"], 10, at_10, 16, at_16]


def _layer(
    layer_id: str,
    source: str,
    kind: str,
    paint: dict[str, Any],
    minzoom: int | None = None,
    maxzoom: int | None = None,
    only: list[Any] | None = None,
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
    if maxzoom is not None:
        layer["maxzoom"] = maxzoom
    if only is not None:
        layer["filter"] = only
    return layer


@router.get("/style.json", summary="MapLibre style of the web map")
async def get_style(request: Request, service: Tiles) -> Response:
    """Style spec v8 over this API's TileJSON sources and glyphs; no sprites or outside hosts
    (unless HALO_MAP_STYLE_URL names an external base style, given in metadata)."""
    generation = await service.current_generation(read_pool(request))
    base = base_url(request)

    async def produce() -> bytes:
        async with read_pool(request).connection() as conn:
            thresholds = await alert_thresholds(conn)
        return _json(style(service.settings, base, thresholds))

    return await _document(request, service, generation, "style", base, produce)
