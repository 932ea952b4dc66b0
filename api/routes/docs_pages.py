"""/docs (Swagger UI) and /redoc (ReDoc) from Halo's own copies of their assets.

FastAPI's defaults load both from a CDN, which Halo's CSP blocks and an offline site cannot
reach: the pages stayed blank. The assets come from npm (`web/package.json`: swagger-ui-dist,
redoc), like MapLibre, and are served under /vendor/.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from config.map import MapSettings

SWAGGER = "/vendor/swagger-ui"
REDOC = "/vendor/redoc"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    """Swagger UI over /openapi.json (the security middleware gives it the docs CSP)."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Halo API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    """ReDoc over /openapi.json, without Google Fonts (system fonts)."""
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="Halo API",
        redoc_js_url=f"{REDOC}/redoc.standalone.js",
        redoc_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        with_google_fonts=False,
    )


def install_docs(app: FastAPI, settings: MapSettings) -> None:
    """The two pages and their assets (node_modules of web/, as `npm ci --prefix web` lays it)."""
    modules = settings.web_dir / "node_modules"
    app.mount(
        SWAGGER,
        StaticFiles(directory=modules / "swagger-ui-dist", check_dir=False),
        name="swagger-ui",
    )
    app.mount(
        REDOC, StaticFiles(directory=modules / "redoc" / "bundles", check_dir=False), name="redoc"
    )
    app.include_router(router)
