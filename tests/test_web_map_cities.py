"""The web map over two cities (Stockholm with its base map and the polisen.se archive, and
Vancouver from its points file) in Debian's Chromium: the credit line names the data of the
city in view and no other city's, beside the base map's own credits where the base map is."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from config.settings import Settings
from pipeline.ingest.basemap import STREETS_FILE, WATER_FILE, load_basemap
from pipeline.ingest.polisen_ingest import ingest_files
from tests.support.basemap_support import T_CENTRALEN, built_glyphs, stockholm_api
from tests.support.browser import chromium
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.ingest_support import ARCHIVE
from tests.test_cities import add_vancouver, retrain_and_refresh
from tests.test_web_map_stockholm import ARTIFACTS, open_page, overlaps, shot

STOCKHOLM = "Data: Swedish Police Authority public information; boundaries: SCB"
VANCOUVER = "Data: Vancouver Police Department"
BASE_MAP = ("Water: Stockholms stad (CC0)", "© OpenStreetMap contributors")
CREDIT = ".maplibregl-ctrl-attrib"


@pytest.fixture(scope="module")
def client(
    settings: Settings,
    db_factory: DatabaseFactory,
    reference_template: ScratchDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """Stockholm (boundaries, base map, the polisen archive) and Vancouver (a sample of its
    points, no boundary), retrained and refreshed, behind a live API."""
    db = db_factory.create(template=reference_template.name)
    data = settings.data_dir
    try:
        ingest_files(db.owner_url, [data / ARCHIVE])
        load_basemap(db.owner_url, data / STREETS_FILE, data / WATER_FILE)
        add_vancouver(db.owner_url, data, tmp_path_factory.mktemp("vpd"))
        retrain_and_refresh(db.owner_url)
        glyphs = built_glyphs(tmp_path_factory.mktemp("glyphs"))
        with stockholm_api(settings, db, glyphs) as http:
            yield http
    finally:
        db_factory.drop(db.name)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as launched:
        yield launched


def go_to(page: Page, lon: float, lat: float, zoom: float, city: str | None) -> str:
    """Jump the map to (lon, lat, zoom), wait for the city there (None: in no city) and the
    credit line to follow it; return the credit line's text."""
    page.evaluate(
        "([lon, lat, zoom]) => window.haloMap.jumpTo({center: [lon, lat], zoom})", [lon, lat, zoom]
    )
    page.wait_for_function(
        "(code) => (window.haloState.city?.code ?? null) === code", arg=city, timeout=10_000
    )
    page.wait_for_function(
        "() => window.haloMap.loaded() && window.haloMap.areTilesLoaded()", timeout=30_000
    )
    page.wait_for_timeout(300)  # the base map's credit follows the next frame
    return page.locator(CREDIT).inner_text()


def test_the_credit_line_names_the_data_of_the_city_in_view(
    browser: Browser, client: httpx.Client
) -> None:
    """Over Stockholm: the base map, the Swedish police and SCB, not the VPD; over Vancouver
    the VPD alone (no Stockholm water, OSM extract, police or SCB); over the Pacific, in no
    city, every city's data as the TileJSON says (QGIS draws them all); back over Stockholm
    its own again."""
    everyone = client.get("/tiles/risk.json").json()["attribution"]
    assert STOCKHOLM.split("; ")[0] in everyone and VANCOUVER in everyone  # the global credit
    lon, lat = T_CENTRALEN
    page, errors = open_page(browser, client, f"/#12/{lat}/{lon}")
    over_stockholm = go_to(page, lon, lat, 12, "stockholm")
    assert over_stockholm == " | ".join((*BASE_MAP, STOCKHOLM))
    shot(page, "cities_credit_stockholm")
    assert go_to(page, -123.12, 49.28, 12, "vancouver") == VANCOUVER
    shot(page, "cities_credit_vancouver")
    assert go_to(page, -140, 40, 5, None) == everyone
    assert go_to(page, lon, lat, 12, "stockholm") == over_stockholm
    assert not errors
    page.context.close()


def test_on_a_phone_each_city_s_credit_stays_clear_of_the_panels(
    browser: Browser, client: httpx.Client
) -> None:
    lon, lat = T_CENTRALEN
    page, errors = open_page(
        browser, client, f"/#13/{lat}/{lon}", locale="sv-SE", size=(390, 844), phone=True
    )
    for lon_lat_zoom, code, credit in (
        ((lon, lat, 13), "stockholm", STOCKHOLM),
        ((-123.12, 49.28, 13), "vancouver", VANCOUVER),
    ):
        assert go_to(page, *lon_lat_zoom, code).endswith(credit)
        line = page.locator(CREDIT).bounding_box()
        assert line and line["y"] + line["height"] <= 844
        for other in ("#panel", "#events", ".maplibregl-ctrl-top-right", ".maplibregl-ctrl-scale"):
            box = page.locator(other).bounding_box()
            assert box and not overlaps(line, box), (code, other)
        shot(page, f"cities_credit_{code}_phone")
    assert not errors
    page.context.close()
