"""The web map in a real headless Chromium (Debian's, driven by Playwright): it loads under its
strict CSP from Halo alone, renders tile features, and a click shows details."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from config.map import WEB_DIR
from config.settings import Settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.map_support import MapCity, map_api

MAPLIBRE = WEB_DIR / "node_modules" / "maplibre-gl" / "dist" / "maplibre-gl.mjs"
LOADED = "() => window.haloMap && window.haloMap.loaded() && window.haloMap.areTilesLoaded()"


@pytest.fixture(scope="module")
def client(settings: Settings, city: MapCity) -> Iterator[httpx.Client]:
    with map_api(settings, city) as http:
        yield http


@pytest.fixture(scope="module")
def browser_page() -> Iterator[tuple[Page, list[str]]]:
    """A Chromium page and the problems it reports (console errors, CSP violations)."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    if not MAPLIBRE.is_file():
        pytest.fail("maplibre-gl is missing: npm ci --prefix web")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        yield page, problems
        browser.close()


def open_map(page: Page, client: httpx.Client, lon: float, lat: float, zoom: int) -> list[str]:
    """Load the map centred on (lon, lat); returns every URL the page requested."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{client.base_url}/#{zoom}/{lat}/{lon}")
    page.wait_for_function(LOADED, timeout=30_000)
    return requested


def test_map_page_loads_only_from_halo_and_renders_tile_features(
    browser_page: tuple[Page, list[str]], client: httpx.Client, city: MapCity
) -> None:
    page, problems = browser_page
    requested = open_map(page, client, *city.hotspot, zoom=14)
    hexagons = page.evaluate(
        "() => window.haloMap.queryRenderedFeatures({layers: ['risk-fill']})"
        ".map(f => ({id: f.id, score: f.properties.risk_score, res: f.properties.resolution}))"
    )
    districts = page.evaluate(
        "() => window.haloMap.queryRenderedFeatures({layers: ['districts-line']})"
        ".map(f => f.properties.name)"
    )
    assert hexagons and {h["res"] for h in hexagons} == {9}
    assert max(h["score"] for h in hexagons) >= 0.6
    assert "Västra" in districts
    assert any("/tiles/risk/14/" in url for url in requested)
    assert all(url.startswith((str(client.base_url), "data:", "blob:")) for url in requested)
    page.locator("#classes li").nth(3).wait_for(timeout=10_000)
    assert page.locator("#legend").inner_text().count("the city rate") >= 4
    assert not [p for p in problems if "Content Security Policy" in p or "page error" in p]


def test_clicking_the_map_shows_the_risk_details_of_that_place(
    browser_page: tuple[Page, list[str]], client: httpx.Client, city: MapCity
) -> None:
    page, problems = browser_page
    open_map(page, client, *city.hotspot, zoom=14)
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.haloMap.project([lon, lat]); return [p.x, p.y]; }",
        list(city.hotspot),
    )
    page.mouse.click(x, y)
    details = page.locator(".halo-details")
    details.wait_for(timeout=10_000)
    text = details.inner_text()
    assert "Västra" in text
    assert "Level" in text and "Violence" in text
    assert "hour factor" not in text and "H3" not in text
    assert "dangerous" not in page.content().lower()
    assert not [p for p in problems if "Content Security Policy" in p]
