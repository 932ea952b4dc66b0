"""The mobile web build's browser test: a static server for mobile/dist, a Halo API that lets
that origin call it (CORS), and Debian's Chromium through Playwright."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx

from config.settings import Settings
from tests.support.dbtools import settings_for
from tests.support.live_server import live_server, serving
from tests.support.map_support import MapCity

MOBILE_DIST = Path(__file__).resolve().parents[2] / "mobile" / "dist"


class QuietStaticHandler(SimpleHTTPRequestHandler):
    """Serves files without logging; ES module workers need a JavaScript MIME type for .mjs."""

    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def static_site(root: Path) -> Iterator[str]:
    """Serve `root` on a loopback port; yields the origin (http://127.0.0.1:PORT)."""
    handler = functools.partial(QuietStaticHandler, directory=str(root))
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as origin:
        yield origin


@contextmanager
def halo_for_app(
    settings: Settings, city: MapCity, app_origin: str, photo_dir: Path
) -> Iterator[httpx.Client]:
    """A live API on the city's database that the app's origin may call (CORS); rate limits
    off, the generation re-read on every request, report photos under `photo_dir`."""
    base = settings_for(settings, city.db)
    config = base.model_copy(
        update={
            "map": base.map.model_copy(update={"generation_check_s": 0.0}),
            "rate_limits": base.rate_limits.model_copy(update={"enabled": False}),
            "security": base.security.model_copy(update={"cors_origins": [app_origin]}),
            "reports": base.reports.model_copy(update={"photo_dir": photo_dir}),
        }
    )
    with live_server(config) as client:
        yield client
