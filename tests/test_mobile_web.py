"""The mobile app's web build (mobile/dist, `npm run export:web --prefix mobile`) in Debian's
Chromium against a live Halo on a seeded city: tiles render, a report made offline waits in
the outbox and reaches the database exactly once, a walk into a zone raises one alert
decided on the device; Swedish and English with the switch, the incident list with a
district-level event drawn as its district, push registration against the real device API.
Screenshots go to $HALO_ARTIFACTS (default /work/artifacts/15mobile) for a human to look at."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FloatRect,
    Page,
    expect,
)

from config.settings import Settings
from tests.support.browser import chromium
from tests.support.dbtools import ScratchDatabase
from tests.support.map_support import MapCity
from tests.support.mobile_support import (
    MOBILE_DIST,
    halo_for_app,
    static_site,
)

pytestmark = pytest.mark.skipif(
    not (MOBILE_DIST / "index.html").is_file(),
    reason="mobile/dist is missing: build it with "
    "`npm ci --prefix mobile && npm run export:web --prefix mobile`",
)

MAP_READY = (
    "() => window.halo && window.halo.map && window.halo.map.loaded()"
    " && window.halo.map.areTilesLoaded()"
)
RECORD_UPLOADED_PHOTOS = """() => {
  window.uploadedPhotos = [];
  const send = window.fetch;
  window.fetch = async (input, init) => {
    const photo = init && init.body instanceof FormData ? init.body.get("photo") : null;
    if (photo) window.uploadedPhotos.push(Array.from(new Uint8Array(await photo.arrayBuffer())));
    return send(input, init);
  };
}"""
# About 1.1 km south of the hot spot: outside every zone of the seeded city.
SOUTH_M = 0.01
ARTIFACTS = Path(os.environ.get("HALO_ARTIFACTS", "/work/artifacts/15mobile"))
# A well-formed Expo push token: the browser has none, so the page is given this one.
STUB_PUSH_TOKEN = "ExponentPushToken[web-build-test-0001]"


def screenshot(page: Page, name: str) -> None:
    """Keep a screenshot as a test artifact (the folder is created when missing)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def boxes_overlap(a: FloatRect, b: FloatRect) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@dataclass
class Phone:
    """One app session: its page and browser context, and every URL it requested."""

    page: Page
    context: BrowserContext
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def app_origin() -> Iterator[str]:
    with static_site(MOBILE_DIST) as origin:
        yield origin


@pytest.fixture(scope="module")
def halo(
    settings: Settings, city: MapCity, app_origin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    photo_dir = tmp_path_factory.mktemp("photos")
    with halo_for_app(settings, city, app_origin, photo_dir) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def open_phone(
    browser: Browser, app_origin: str, halo: httpx.Client, city: MapCity, locale: str = "en-US"
) -> Phone:
    """A fresh install (empty storage) on a phone-sized screen, located south of the hot spot,
    with location permission granted, pointed at the test's Halo with `?api=`."""
    lon, lat = city.hotspot
    context = browser.new_context(
        viewport={"width": 412, "height": 860},
        geolocation={"latitude": lat - SOUTH_M, "longitude": lon, "accuracy": 10},
        permissions=["geolocation"],
        locale=locale,
    )
    page = context.new_page()
    session = Phone(page, context)
    page.on("request", lambda request: session.requested.append(request.url))
    page.on("pageerror", lambda error: session.errors.append(str(error)))
    page.goto(f"{app_origin}/?api={halo.base_url}")
    page.wait_for_function(MAP_READY, timeout=30_000)
    return session


@pytest.fixture
def phone(browser: Browser, app_origin: str, halo: httpx.Client, city: MapCity) -> Iterator[Phone]:
    session = open_phone(browser, app_origin, halo, city)
    yield session
    session.context.close()


def reports_in(db: ScratchDatabase) -> list[tuple[str, str]]:
    with psycopg.connect(db.owner_url) as conn:
        rows = conn.execute(
            "SELECT idempotency_key, category FROM raw.user_reports ORDER BY id"
        ).fetchall()
    return [(key, category) for key, category in rows]


def jpeg_with_gps() -> bytes:
    """A small JPEG whose EXIF names a camera and a GPS position in Stockholm."""
    exif = Image.Exif()
    exif[0x010F] = "HaloTestCam"  # Make
    exif[0x8825] = {1: "N", 2: (59.0, 19.0, 52.0), 3: "E", 4: (18.0, 3.0, 43.0)}  # GPS IFD
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def move_to(phone: Phone, lon: float, lat: float) -> None:
    """Set the browser's position and wait until the app has seen it and the geofence engine
    has handled every fix so far (its snapshot queues behind them)."""
    phone.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 10})
    phone.page.wait_for_function(
        "([lon, lat]) => { const p = window.halo.position();"
        " return p && Math.abs(p[0] - lon) < 1e-9 && Math.abs(p[1] - lat) < 1e-9; }",
        arg=[lon, lat],
        timeout=10_000,
    )
    phone.page.evaluate("async () => { await window.halo.geofence(); }")


def test_the_map_renders_halo_tiles_and_a_tap_shows_details(
    phone: Phone, halo: httpx.Client, app_origin: str, city: MapCity
) -> None:
    page = phone.page
    hexagons = page.evaluate(
        "() => window.halo.map.queryRenderedFeatures({layers: ['risk-fill']})"
        ".map(f => f.properties.risk_score)"
    )
    districts = page.evaluate(
        "() => window.halo.map.queryRenderedFeatures({layers: ['districts-line']})"
        ".map(f => f.properties.name)"
    )
    assert len(hexagons) > 10 and max(hexagons) >= 0.6
    assert "Västra" in districts
    expect(page.get_by_test_id("legend")).to_contain_text("last 12 months")
    # The classes are the server's (GET /api/v1/legend), the same words as the web map's.
    legend_words = halo.get("/api/v1/legend").json()["classes"][2]["label"]["en"]
    expect(page.get_by_test_id("legend")).to_contain_text(legend_words)
    assert any(re.search(r"/tiles/risk/\d+/\d+/\d+\.mvt", url) for url in phone.requested)
    # Everything comes from the app's own origin or Halo: no CDN, no third party.
    allowed = (app_origin, str(halo.base_url), "data:", "blob:")
    assert all(url.startswith(allowed) for url in phone.requested)

    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.halo.map.project([lon, lat]); return [p.x, p.y]; }",
        list(city.hotspot),
    )
    page.mouse.click(x, y)
    details = page.get_by_test_id("details-panel")
    expect(details).to_contain_text("Västra", timeout=10_000)
    expect(details).to_contain_text("Evidence")
    expect(details).to_contain_text("Sources: Data: Swedish Police Authority")
    screenshot(page, "app-details-en")
    assert "dangerous" not in page.content().lower()
    assert not phone.errors


def test_a_report_made_offline_waits_and_is_sent_exactly_once_when_back_online(
    phone: Phone, city: MapCity
) -> None:
    page = phone.page
    before = reports_in(city.db)
    phone.context.set_offline(True)
    pill = page.get_by_test_id("status-pill")
    expect(pill).to_have_text("Offline", timeout=10_000)

    page.get_by_test_id("open-report").click()
    page.get_by_test_id("category-theft").click()
    page.get_by_test_id("report-text").fill("Bike taken from the rack")
    page.get_by_test_id("send-report").click()
    expect(pill).to_have_text("Offline • 1 queued", timeout=10_000)
    key = page.evaluate("() => window.halo.outbox().items[0].key")
    assert reports_in(city.db) == before

    # Written to the device's storage (localStorage here) before any attempt to send.
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('halo.outbox.v1'))")
    assert [(item["key"], item["state"]) for item in stored] == [(key, "queued")]

    phone.context.set_offline(False)
    expect(pill).to_have_text("All sent", timeout=20_000)
    assert reports_in(city.db) == [*before, (key, "theft")]

    # Another sync and another restart send nothing more.
    page.reload()
    page.wait_for_function(MAP_READY, timeout=30_000)
    page.evaluate("async () => { await window.halo.geofence(); }")
    expect(pill).to_have_text("All sent")
    assert reports_in(city.db) == [*before, (key, "theft")]
    posts = [url for url in phone.requested if url.endswith("/api/v1/reports/submit")]
    assert len(posts) == 1


def test_a_photo_is_re_encoded_on_the_device_so_no_location_metadata_is_uploaded(
    phone: Phone, city: MapCity, tmp_path: Path
) -> None:
    page = phone.page
    photo = tmp_path / "with-gps.jpg"
    photo.write_bytes(jpeg_with_gps())
    # Playwright does not show multipart bodies with files: record the photo part in the page.
    page.evaluate(RECORD_UPLOADED_PHOTOS)
    page.get_by_test_id("open-report").click()
    page.get_by_test_id("category-vandalism").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_text("Add photo").click()
    chooser.value.set_files(str(photo))
    expect(page.get_by_label("Photo to send, without location data")).to_be_visible(timeout=10_000)
    page.get_by_test_id("send-report").click()
    expect(page.get_by_test_id("status-pill")).to_have_text("All sent", timeout=20_000)
    uploads = [bytes(part) for part in page.evaluate("() => window.uploadedPhotos")]
    assert len(uploads) == 1
    assert uploads[0].startswith(b"\xff\xd8")  # a JPEG went up ...
    assert b"Exif" not in uploads[0] and b"HaloTestCam" not in uploads[0]  # ... bare
    assert b"Exif" in photo.read_bytes()
    with psycopg.connect(city.db.owner_url) as conn:
        row = conn.execute(
            "SELECT photo_key IS NOT NULL FROM raw.user_reports WHERE category = 'vandalism'"
        ).fetchone()
    assert row == (True,)


@pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg is missing: apt-get install ffmpeg")
def test_a_video_goes_up_with_the_report_and_is_stored_without_its_location_tags(
    phone: Phone, city: MapCity, tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mov"
    tags = ["-metadata", "location=+59.3293+018.0686/", "-metadata", "make=HaloTestCam"]
    source = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *source, *h264, *tags]
    subprocess.run([*command, "-movflags", "use_metadata_tags", str(clip)], check=True, timeout=60)
    page = phone.page
    page.get_by_test_id("open-report").click()
    page.get_by_test_id("category-fire").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("add-video").click()
    chooser.value.set_files(str(clip))
    expect(page.get_by_test_id("video-chosen")).to_be_visible(timeout=10_000)
    page.get_by_test_id("send-report").click()
    expect(page.get_by_test_id("status-pill")).to_have_text("All sent", timeout=30_000)
    with psycopg.connect(city.db.owner_url) as conn:
        row = conn.execute(
            "SELECT video_key, video_poster_key FROM raw.user_reports WHERE category = 'fire'"
        ).fetchone()
    assert row is not None and row[0] and row[1]
    assert not phone.errors


def test_a_walk_into_an_alert_zone_raises_one_alert_decided_on_the_device(
    phone: Phone, city: MapCity
) -> None:
    page = phone.page
    page.get_by_test_id("open-alerts").click()
    expect(page.get_by_test_id("alerts-screen")).to_contain_text("Your location stays on this")
    page.get_by_test_id("enable-alerts").click()
    expect(page.get_by_test_id("open-alerts")).to_have_text("Settings • alerts on", timeout=10_000)

    lon, lat = city.hotspot
    # North towards the hot spot in ~110 m steps: nothing until the zone.
    for step in range(9):
        move_to(phone, lon, lat - SOUTH_M + step * 0.001)
    assert page.evaluate("() => window.halo.alerts().length") == 0
    move_to(phone, lon, lat)
    expect(page.get_by_test_id("alert-banner")).to_contain_text(
        "higher reported incident rate", timeout=10_000
    )
    # Around inside, out past the clear zone and back within 30 minutes: still one alert.
    for d_lon, d_lat in [(0.0003, 0.0), (-0.0003, 0.0001), (0.0, 0.0)]:
        move_to(phone, lon + d_lon, lat + d_lat)
    move_to(phone, lon, lat - SOUTH_M)
    state = page.evaluate("async () => (await window.halo.geofence()).state")
    assert state["activeZoneId"] is None
    move_to(phone, lon, lat)
    assert page.evaluate("() => window.halo.alerts().length") == 1
    assert "dangerous" not in page.content().lower()

    # The server saw a grid-aligned box for the zones, never the walk's positions.
    zone_urls = [url for url in phone.requested if "/api/v1/alert-zones" in url]
    assert zone_urls
    for url in zone_urls:
        bbox = httpx.URL(url).params["bbox"].split(",")
        steps = [float(value) / 0.05 for value in bbox]
        assert all(abs(s - round(s)) < 1e-6 for s in steps), url
    assert not [url for url in phone.requested if "lat=" in url or "/api/v1/risk" in url]


def test_swedish_follows_the_browser_and_english_is_one_switch_away(
    browser: Browser, app_origin: str, halo: httpx.Client, city: MapCity
) -> None:
    phone = open_phone(browser, app_origin, halo, city, locale="sv-SE")
    page = phone.page
    try:
        legend = page.get_by_test_id("legend")
        expect(legend).to_contain_text("Anmälda händelser jämfört med stadens genomsnitt")
        expect(legend).to_contain_text("de senaste 12 månaderna")
        expect(page.get_by_test_id("open-report")).to_have_text("Rapportera en händelse")
        # The attribution is spelled out and no overlay or control covers it.
        attribution = page.locator(".maplibregl-ctrl-attrib")
        expect(attribution).to_be_visible()
        screenshot(page, "app-map-sv")
        box = attribution.bounding_box()
        assert box is not None
        for covering in (".maplibregl-ctrl-zoom-in", "[data-testid=legend]"):
            other = page.locator(covering).first.bounding_box()
            assert other is None or not boxes_overlap(box, other), covering

        page.get_by_test_id("open-report").click()
        expect(page.get_by_test_id("report-moderation")).to_contain_text("En moderator granskar")
        page.get_by_test_id("send-report").click()
        expect(page.get_by_text("Välj en kategori.")).to_be_visible()
        page.get_by_text("Avbryt").click()

        # The resident moves the map, visits another screen and finds the map where they left
        # it (not back at their position and the start zoom).
        lon, lat = city.hotspot
        left = [lon + 0.02, lat + 0.01]
        page.wait_for_function(MAP_READY, timeout=30_000)
        page.evaluate("(at) => window.halo.map.jumpTo({center: at, zoom: 14})", left)
        page.get_by_test_id("open-alerts").click()
        expect(page.get_by_test_id("emergency-note")).to_contain_text("112")
        expect(page.get_by_test_id("emergency-note")).to_contain_text("114 14")
        screenshot(page, "app-settings-sv")
        page.get_by_test_id("language-en").click()
        expect(page.get_by_test_id("alerts-screen")).to_contain_text("Your location stays on this")
        page.get_by_test_id("close-alerts").click()
        expect(page.get_by_test_id("legend")).to_contain_text("Reported incident rate compared")
        page.wait_for_function(MAP_READY, timeout=30_000)
        view = page.evaluate(
            "() => { const c = window.halo.map.getCenter();"
            " return [c.lng, c.lat, window.halo.map.getZoom()]; }"
        )
        assert view == pytest.approx([*left, 14], abs=1e-4)
        screenshot(page, "app-map-en")
        # The choice is kept: a reload stays English although the browser says Swedish.
        page.reload()
        page.wait_for_function(MAP_READY, timeout=30_000)
        expect(page.get_by_test_id("open-report")).to_have_text("Report an incident")
        assert not phone.errors
    finally:
        phone.context.close()


def test_the_incident_list_matches_the_api_and_a_district_event_shows_its_district(
    phone: Phone, halo: httpx.Client, city: MapCity
) -> None:
    page = phone.page
    page.get_by_test_id("open-incidents").click()
    incidents = page.get_by_test_id("incident-list")
    expect(incidents).to_be_visible()
    probe = halo.get("/api/v1/incidents", params={"limit": 1})
    if probe.status_code == 404:
        # The app says so instead of showing an empty list; the rest needs issue 14's API.
        expect(page.get_by_test_id("incidents-unavailable")).to_be_visible(timeout=10_000)
        screenshot(page, "app-list-unavailable")
        pytest.skip("GET /api/v1/incidents is not on this branch (issue 14): list checks skipped")
    expect(incidents.locator("[data-testid^=incident-]").first).to_be_visible(timeout=10_000)
    centre = page.evaluate(
        "() => { const c = window.halo.map.getCenter(); return [c.lng, c.lat]; }"
    )
    near = halo.get(
        "/api/v1/incidents",
        params={"lat": centre[1], "lon": centre[0], "radius_m": 2000, "limit": 30},
    ).json()["items"]
    shown = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid^=incident-]')]"
        ".map(e => e.dataset.testid).filter(id => /^incident-\\d+$/.test(id))"
    )
    assert shown[: len(near)] == [f"incident-{item['id']}" for item in near][: len(shown)]
    screenshot(page, "app-list-en")
    district_items = [item for item in near if item["location"]["support"] == "district"]
    if not district_items:
        pytest.skip("no district-level event near the map centre in the seeded city")
    chosen = district_items[0]
    page.get_by_test_id(f"incident-{chosen['id']}").click()
    page.wait_for_function(
        "() => { const s = window.halo.map.getSource('halo-selection');"
        " return s && window.halo.map.querySourceFeatures('halo-selection').length > 0; }",
        timeout=10_000,
    )
    kinds = page.evaluate(
        "() => window.halo.map.querySourceFeatures('halo-selection')"
        ".map(f => [f.geometry.type, f.properties.kind])"
    )
    assert kinds and all(kind == "area" and "Polygon" in gtype for gtype, kind in kinds)
    screenshot(page, "app-district-incident-selected")


def test_push_registration_reaches_the_server_and_opting_out_removes_it(
    browser: Browser, app_origin: str, halo: httpx.Client, city: MapCity
) -> None:
    lon, lat = city.hotspot
    context = browser.new_context(
        viewport={"width": 412, "height": 860},
        geolocation={"latitude": lat, "longitude": lon, "accuracy": 10},
        permissions=["geolocation"],
    )
    # The browser has no Expo push token: the page is handed one; every request is real.
    context.add_init_script(f"window.HALO_PUSH_TOKEN = {STUB_PUSH_TOKEN!r};")
    page = context.new_page()
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    try:
        page.goto(f"{app_origin}/?api={halo.base_url}")
        page.wait_for_function(MAP_READY, timeout=30_000)
        page.get_by_test_id("open-alerts").click()
        section = page.get_by_test_id("push-section")
        expect(section).to_contain_text("never where you are")
        page.get_by_test_id("district-filter").fill("Väs")
        page.get_by_test_id(f"follow-{city.district_ids['Västra']}").click()
        page.get_by_test_id("push-on").click()
        expect(page.get_by_test_id("push-note")).to_have_text("Push messages are on.")
        with psycopg.connect(city.db.owner_url) as conn:
            devices = conn.execute(
                "SELECT d.platform, d.language, d.threat_levels, array_agg(dd.district_id)"
                " FROM push.devices d JOIN push.device_districts dd ON dd.device_id = d.id"
                " GROUP BY d.id"
            ).fetchall()
        assert devices == [("web", "en", ["critical", "high"], [city.district_ids["Västra"]])]
        screenshot(page, "app-push-on-en")
        # Messages come in the app's language: switching it updates the registration (PUT).
        page.get_by_test_id("language-sv").click()
        expect(page.get_by_test_id("push-note")).to_have_text("Pushmeddelanden är på.")
        with psycopg.connect(city.db.owner_url) as conn:
            assert conn.execute("SELECT language FROM push.devices").fetchall() == [("sv",)]
        page.get_by_test_id("push-off").click()
        expect(page.get_by_test_id("push-on")).to_be_visible(timeout=10_000)
        with psycopg.connect(city.db.owner_url) as conn:
            assert conn.execute("SELECT count(*) FROM push.devices").fetchone() == (0,)
        methods = [method for method, url in requests if "/api/v1/devices" in url]
        assert [m for m in methods if m != "OPTIONS"] == ["POST", "PUT", "DELETE"]
        # The registration carried districts, never a position.
        assert not [url for _m, url in requests if "/api/v1/devices" in url and "lat" in url]
    finally:
        context.close()


def test_the_build_points_at_make_runs_server_by_default() -> None:
    bundle = next(Path(MOBILE_DIST, "_expo", "static", "js", "web").glob("index-*.js"))
    assert "http://127.0.0.1:8000" in bundle.read_text(encoding="utf-8")
