"""The web map over the real Stockholm (boundaries, OSM streets, water, the polisen.se archive)
in Debian's Chromium: street and district names rendered with Halo's glyphs, the event list
as the API gives it, a district-level event shown as its district, Swedish and English, a
phone viewport. Screenshots are kept in ARTIFACTS for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FloatRect, Page

from config.settings import Settings
from tests.support.basemap_support import T_CENTRALEN, built_glyphs, stockholm, stockholm_api
from tests.support.browser import chromium
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.test_web_map import LOADED

ARTIFACTS = Path(os.environ.get("HALO_TEST_ARTIFACTS", "/tmp/halo-artifacts/web-map"))  # noqa: S108
LON, LAT = T_CENTRALEN


@pytest.fixture(scope="module")
def client(
    settings: Settings,
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    glyphs = built_glyphs(tmp_path_factory.mktemp("glyphs"))
    with (
        stockholm(settings, db_factory, template_db) as db,
        stockholm_api(settings, db, glyphs) as http,
    ):
        yield http


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def open_page(
    browser: Browser,
    client: httpx.Client,
    path: str,
    *,
    locale: str = "en-GB",
    size: tuple[int, int] = (1200, 800),
    phone: bool = False,
) -> tuple[Page, list[str]]:
    """A new page at `path`, the map loaded and its tiles in; and the page's errors."""
    context = browser.new_context(
        locale=locale,
        viewport={"width": size[0], "height": size[1]},
        is_mobile=phone,
        has_touch=phone,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.goto(f"{client.base_url}{path}")
    page.wait_for_function(LOADED, timeout=30_000)
    page.wait_for_function(
        "() => window.haloState.legend && window.haloState.items && window.haloState.citiesLoaded",
        timeout=10_000,
    )
    page.wait_for_timeout(600)  # labels fade in after placement
    page.wait_for_function(LOADED, timeout=30_000)
    return page, errors


def rendered(page: Page, layer: str, prop: str = "name") -> list[Any]:
    """A property of the features MapLibre drew in a style layer."""
    values: list[Any] = page.evaluate(
        "([layer, prop]) => window.haloMap.queryRenderedFeatures({layers: [layer]})"
        ".map(f => f.properties[prop])",
        [layer, prop],
    )
    return values


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_zoom_14_over_t_centralen_shows_street_names_in_swedish(
    browser: Browser, client: httpx.Client
) -> None:
    page, errors = open_page(browser, client, f"/#14.5/{LAT}/{LON}", locale="sv-SE")
    streets = set(rendered(page, "street-labels"))
    assert {"Vasagatan", "Kungsgatan"} <= streets
    assert len(streets) >= 10
    assert "Norrmalm" in rendered(page, "district-labels")
    assert page.evaluate("() => window.haloMap.queryRenderedFeatures({layers: ['water']}).length")
    legend = page.locator("#panel").inner_text()
    assert "Minst 1,5\u00d7 stadens nivå (varningsnivå)" in legend
    assert "I nödsituation ring 112; för att nå polisen annars 114 14." in legend
    assert page.evaluate("document.documentElement.lang") == "sv"
    shot(page, "z14_t_centralen_sv")
    assert not errors
    page.context.close()


def test_zoom_11_in_english_shows_districts_water_and_the_alert_level(
    browser: Browser, client: httpx.Client
) -> None:
    page, errors = open_page(browser, client, "/#11/59.33/18.065")
    districts = set(rendered(page, "district-labels"))
    assert {"Södermalm", "Norrmalm"} <= districts and len(districts) >= 15
    scores = rendered(page, "risk-fill", "risk_score")
    enter = page.evaluate("() => window.haloState.legend.thresholds.alert_enter")
    assert max(scores) >= enter  # the alert level is on the map at the city view
    attribution = page.locator(".maplibregl-ctrl-attrib").inner_text()
    assert "© OpenStreetMap contributors" in attribution
    assert "Data up to 31 Dec 2025" in page.locator("#as-of").inner_text()
    shot(page, "z11_en")
    assert not errors
    page.context.close()


def test_the_list_shows_the_apis_events_newest_first_with_source_links(
    browser: Browser, client: httpx.Client
) -> None:
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 800})
    page = context.new_page()
    with page.expect_response(lambda r: "/api/v1/incidents?" in r.url) as answer:
        page.goto(f"{client.base_url}/#13/{LAT}/{LON}")
    page.locator("#event-list li[data-id]").first.wait_for(timeout=15_000)
    api = client.get(answer.value.url).json()["items"]
    shown = page.eval_on_selector_all(
        "#event-list li[data-id]", "items => items.map(i => i.dataset.id)"
    )
    assert shown == [str(item["id"]) for item in api]
    times = [item["occurred_at"] for item in api]
    assert times == sorted(times, reverse=True)
    first = page.locator("#event-list li[data-id]").first
    assert api[0]["type"] in first.inner_text() and "ago" in first.inner_text()
    assert first.locator("a").get_attribute("href") == api[0]["url"]
    assert api[0]["url"].startswith("https://polisen.se/")
    shot(page, "list_en")
    context.close()


def test_a_district_level_event_highlights_its_district_and_shares_a_link(
    browser: Browser, client: httpx.Client
) -> None:
    page, errors = open_page(browser, client, f"/#13/{LAT}/{LON}")
    items = page.evaluate("() => window.haloState.items")
    chosen = next(i for i in items if i["location"]["support"] == "district")
    page.locator(f"#event-list li[data-id='{chosen['id']}']").click()
    page.locator("#selected .precision").wait_for(timeout=10_000)
    page.wait_for_function(LOADED, timeout=30_000)
    name = chosen["location"]["name"]
    precision = page.locator("#selected .precision").inner_text()
    assert precision == f"Location known only to the district {name}"
    assert page.evaluate(
        "() => window.haloMap.queryRenderedFeatures({layers: ['selection-line']}).length"
    )
    assert not page.evaluate(
        "() => window.haloMap.queryRenderedFeatures({layers: ['selection-point']}).length"
    )
    shot(page, "district_selected_en")
    link = page.locator("#selected input").input_value()
    assert f"incident={chosen['id']}" in link
    shared, _ = open_page(browser, client, link.removeprefix(str(client.base_url)))
    shared.locator("#selected .precision").wait_for(timeout=10_000)
    assert name in shared.locator("#selected").inner_text()
    shared.context.close()
    assert not errors
    page.context.close()


def test_a_place_event_shows_an_area_never_a_pin(browser: Browser, client: httpx.Client) -> None:
    page, _ = open_page(browser, client, f"/#13/{LAT}/{LON}")
    items = page.evaluate("() => window.haloState.items")
    chosen = next(i for i in items if i["location"]["support"] == "place")
    page.locator(f"#event-list li[data-id='{chosen['id']}']").click()
    page.locator("#selected .precision").wait_for(timeout=10_000)
    page.wait_for_function(LOADED, timeout=30_000)
    assert "Approximate location" in page.locator("#selected .precision").inner_text()
    assert page.evaluate(
        "() => window.haloMap.queryRenderedFeatures({layers: ['selection-fill']}).length"
    )
    assert not page.evaluate(
        "() => window.haloMap.queryRenderedFeatures({layers: ['selection-point']}).length"
    )
    page.context.close()


def test_the_language_switch_changes_every_visible_string(
    browser: Browser, client: httpx.Client
) -> None:
    page, _ = open_page(browser, client, f"/#13/{LAT}/{LON}", locale="sv-SE")
    swedish = page.locator("body").inner_text()
    assert "Senaste händelser nära kartans mitt" in swedish and "Källa" in swedish
    page.locator("#languages button[data-lang='en']").click()
    english = page.locator("body").inner_text()
    assert "Recent events near the map centre" in english and "Source" in english
    assert "Källa" not in english and "stadens nivå" not in english
    assert "lang=en" in page.url
    shot(page, "list_en_after_switch")
    page.context.close()


def test_the_emergency_line_is_the_city_s_own_and_112_outside_every_city(
    browser: Browser, client: httpx.Client
) -> None:
    """The numbers come from the city whose box holds the map's centre (/api/v1/cities): 112
    and 114 14 over Stockholm; over the Pacific, in no city, the GSM number 112 alone. The
    legend is worded for the city on the map."""
    page, errors = open_page(browser, client, f"/#13/{LAT}/{LON}")
    page.wait_for_function("() => window.haloState.city?.code === 'stockholm'", timeout=10_000)
    legend_url = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('/api/v1/legend'))"
    )
    assert any(url.endswith("/api/v1/legend?city=stockholm") for url in legend_url), legend_url
    emergency = page.locator("#emergency")
    police = "to reach the police otherwise 114 14."
    assert emergency.inner_text() == f"In an emergency call 112; {police}"
    assert page.title() == "Halo: reported incidents in Stockholm"
    page.evaluate("() => window.haloMap.jumpTo({center: [-140, 40], zoom: 5})")
    page.wait_for_function("() => window.haloState.city === null", timeout=10_000)
    assert emergency.inner_text() == "In an emergency call 112."
    assert page.title() == "Halo: reported incidents"
    page.locator("#languages button[data-lang='sv']").click()
    assert emergency.inner_text() == "I nödsituation ring 112."
    page.evaluate(f"() => window.haloMap.jumpTo({{center: [{LON}, {LAT}], zoom: 13}})")
    page.wait_for_function("() => window.haloState.city?.code === 'stockholm'", timeout=10_000)
    assert emergency.inner_text() == "I nödsituation ring 112; för att nå polisen annars 114 14."
    assert page.title() == "Halo: rapporterade händelser i Stockholm"
    assert not errors
    page.context.close()


def test_the_base_map_and_its_credit_show_only_over_the_base_maps_data(
    browser: Browser, client: httpx.Client
) -> None:
    """MapLibre credits every source with a visible layer, in view or not: over Vancouver,
    far outside the base map's bounds, Stockholm's water and OpenStreetMap are no longer
    credited (nor their tiles asked for), the data's credit stays; back over Stockholm they
    return."""
    data_credit = client.get("/tiles/risk.json").json()["attribution"]
    page, errors = open_page(browser, client, f"/#12/{LAT}/{LON}")
    credit = page.locator(".maplibregl-ctrl-attrib")
    over_stockholm = credit.inner_text()
    assert "Water: Stockholms stad (CC0)" in over_stockholm
    assert "© OpenStreetMap contributors" in over_stockholm
    assert data_credit and data_credit in over_stockholm
    shot(page, "credit_stockholm")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.evaluate("() => window.haloMap.jumpTo({center: [-123.12, 49.28], zoom: 12})")
    page.wait_for_function(LOADED, timeout=30_000)
    page.wait_for_timeout(300)  # the credit line follows the next frame
    over_vancouver = credit.inner_text()
    assert "Stockholms stad" not in over_vancouver
    assert "OpenStreetMap" not in over_vancouver
    assert data_credit in over_vancouver
    assert not [url for url in requested if "/tiles/water/" in url or "/tiles/streets/" in url]
    shot(page, "credit_vancouver")
    page.evaluate(f"() => window.haloMap.jumpTo({{center: [{LON}, {LAT}], zoom: 12}})")
    page.wait_for_function(LOADED, timeout=30_000)
    page.wait_for_timeout(300)
    assert "Water: Stockholms stad (CC0)" in credit.inner_text()
    assert page.evaluate("() => window.haloMap.queryRenderedFeatures({layers: ['water']}).length")
    assert not errors
    page.context.close()


def test_on_a_phone_the_panels_fold_and_the_attribution_stays_clear(
    browser: Browser, client: httpx.Client
) -> None:
    page, errors = open_page(
        browser, client, f"/#13/{LAT}/{LON}", locale="sv-SE", size=(390, 844), phone=True
    )
    assert page.evaluate("() => document.getElementById('legend').open") is False
    assert page.evaluate("() => document.getElementById('events').open") is False
    attribution = page.locator(".maplibregl-ctrl-attrib").bounding_box()
    assert attribution and attribution["y"] + attribution["height"] <= 844
    for other in ("#panel", "#events", ".maplibregl-ctrl-top-right", ".maplibregl-ctrl-scale"):
        box = page.locator(other).bounding_box()
        assert box and not overlaps(attribution, box), other
    scale, sheet = (page.locator(s).bounding_box() for s in (".maplibregl-ctrl-scale", "#events"))
    assert scale and sheet and not overlaps(scale, sheet)
    shot(page, "phone_sv")
    page.locator("#legend summary").click()
    shot(page, "phone_sv_legend_open")
    assert not errors
    page.context.close()


def overlaps(a: FloatRect, b: FloatRect) -> bool:
    """Whether two bounding boxes overlap."""
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_minimal_incidents_api_follows_the_contract(client: httpx.Client) -> None:
    near = {"lat": LAT, "lon": LON, "radius_m": 3000, "limit": 20}
    page = client.get("/api/v1/incidents", params=near).json()
    assert len(page["items"]) == 20 and page["next_cursor"] and page["as_of"]
    district = next(i for i in page["items"] if i["location"]["support"] == "district")
    assert district["location"]["geometry"] is None and district["location"]["district_id"]
    assert set(district["category_label"]) == {"sv", "en"}
    one = client.get(f"/api/v1/incidents/{district['id']}").json()
    assert one["location"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    onwards = client.get("/api/v1/incidents", params={**near, "cursor": page["next_cursor"]})
    later = onwards.json()["items"]
    assert later and later[0]["occurred_at"] <= page["items"][-1]["occurred_at"]
    assert not {i["id"] for i in later} & {i["id"] for i in page["items"]}


@pytest.mark.parametrize(
    "params",
    [
        {"lat": 59.3, "lon": 18.0, "radius_m": 20001},
        {"lat": 59.3, "lon": 18.0},
        {"since": "0.5"},
        {"bbox": "18.1,59.3,18.0,59.4"},
        {"cursor": "not-ours"},
        {"limit": 101},
    ],
)
def test_bad_incident_queries_are_422(
    client: httpx.Client, params: dict[str, str | int | float]
) -> None:
    response = client.get("/api/v1/incidents", params=params)
    assert response.status_code == 422, response.text
