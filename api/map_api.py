"""Wire the map API into the app: the tile service, its routes and the web map."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import alert_zones, legend, neighborhoods, risk_at_point, web_map
from api.tiles import glyphs, tilejson
from api.tiles import routes as tile_routes
from api.tiles.service import TileService
from config.settings import Settings


def install_map(app: FastAPI, settings: Settings) -> None:
    """Tiles, TileJSON, style and glyphs, the legend, neighbourhoods, risk at a point, alert
    zones, the web map."""
    app.state.tiles = TileService(settings.map)
    modules = (tile_routes, tilejson, glyphs, legend, neighborhoods, risk_at_point, alert_zones)
    for module in (*modules, web_map):
        app.include_router(module.router)
    web_map.mount_assets(app, settings.map)


async def close_map(app: FastAPI) -> None:
    """Release what the tile service holds (Redis connections)."""
    await app.state.tiles.close()
