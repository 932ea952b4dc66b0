"""The web map at /: a MapLibre GL JS page over the tiles; its assets are served by Halo."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

from config.map import MapSettings

router = APIRouter(include_in_schema=False)


@router.get("/")
async def web_map(request: Request) -> FileResponse:
    """The map page (HTML; the security middleware gives it the web CSP: same origin only)."""
    settings: MapSettings = request.app.state.settings.map
    page = settings.web_dir / "public" / "index.html"
    if not page.is_file():
        raise HTTPException(404, "The web map is not installed.")
    return FileResponse(page, headers={"Cache-Control": "no-cache"})


def mount_assets(app: FastAPI, settings: MapSettings) -> None:
    """/web: the page's own script and style; /vendor/maplibre-gl: MapLibre from npm
    (`npm ci --prefix web`), so no CDN is involved."""
    public = settings.web_dir / "public"
    maplibre = settings.web_dir / "node_modules" / "maplibre-gl" / "dist"
    app.mount("/web", StaticFiles(directory=public, check_dir=False), name="web")
    app.mount(
        "/vendor/maplibre-gl", StaticFiles(directory=maplibre, check_dir=False), name="maplibre"
    )
