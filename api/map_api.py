"""Wire the map API into the app: the tile service and the web map's assets (its routes are
in api/routers.py)."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import web_map
from api.tiles.service import TileService
from config.settings import Settings


def install_map(app: FastAPI, settings: Settings) -> None:
    """The tile service on app.state, and the web map's static assets."""
    app.state.tiles = TileService(settings.map)
    web_map.mount_assets(app, settings.map)


async def close_map(app: FastAPI) -> None:
    """Release what the tile service holds (Redis connections)."""
    await app.state.tiles.close()
