"""/docs and /redoc in a real headless Chromium: they render from Halo's own copies of Swagger
UI and ReDoc (no CDN, no request leaves the server) under the docs CSP, without errors."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright

from config.settings import Settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import tuned


@pytest.fixture(scope="module")
def client(
    settings: Settings, db_factory: DatabaseFactory, template_db: ScratchDatabase
) -> Iterator[httpx.Client]:
    # A clone, never the template itself: what the server writes (rate-limit counters) would
    # otherwise be in every database cloned after it.
    clone = db_factory.create(template=template_db.name)
    try:
        with live_server(tuned(settings, clone)) as http:
            yield http
    finally:
        db_factory.drop(clone.name)


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("/docs", ".swagger-ui .opblock-tag"),  # the operations grouped by tag
        ("/redoc", "[role=menuitem], .menu-content li"),  # ReDoc's side menu of operations
    ],
)
def test_api_docs_render_offline_under_the_csp(
    client: httpx.Client, path: str, rendered: str
) -> None:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    origin = urlsplit(str(client.base_url)).netloc
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        problems: list[str] = []
        elsewhere: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        # ReDoc's footer asks for the Redocly logo on its CDN; the CSP blocks it, so nothing
        # from elsewhere ever loads: count finished requests, and the CSP's own report below.
        page.on(
            "requestfinished",
            lambda request: (
                elsewhere.append(request.url)
                if urlsplit(request.url).netloc not in (origin, "")
                and not request.url.startswith(("data:", "blob:"))
                else None
            ),
        )
        page.goto(f"{client.base_url}{path}")
        page.wait_for_selector(rendered, timeout=30_000)
        title = page.title()
        browser.close()
    assert title == "Halo API"
    assert elsewhere == [], elsewhere
    # The only console error allowed is the CSP refusing that one logo.
    assert [p for p in problems if "cdn.redoc.ly/redoc/logo-mini.svg" not in p] == [], problems
