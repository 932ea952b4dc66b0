"""Checks of a running compose stack, through its published port only (deploy/stack/test-stack.sh).

python check_stack.py URL ready              wait for /health/ready (prints seconds)
python check_stack.py URL map                web map, its assets, API docs, decoded tiles
python check_stack.py URL report KEY FILE    submit a report with a photo; save what to compare
python check_stack.py URL survived KEY FILE  the report and its photo are still there
python check_stack.py URL metrics-refused    /metrics answers 403 from outside, also spoofed
python check_stack.py URL reads              tiles and risk at a point (the read pool's routes)
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import mapbox_vector_tile
from PIL import Image

# A point in central Stockholm (Södermalm): inside the map bounds and the report service area.
LON, LAT = 18.0686, 59.3170


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def fail(message: str) -> None:
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code != status:
        fail(f"{what}: HTTP {response.status_code}, wanted {status}: {response.text[:300]}")
    return response


def ready(client: httpx.Client, timeout_s: float = 600) -> None:
    started = time.monotonic()
    last = "no answer"
    while time.monotonic() - started < timeout_s:
        try:
            answer = client.get("/health/ready", timeout=5)
            if answer.status_code == 200:
                status = answer.json()["status"]
                print(f"ready ({status}) after {time.monotonic() - started:.1f} s")
                return
            last = f"HTTP {answer.status_code} {answer.text[:200]}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(1)
    fail(f"not ready after {timeout_s:.0f} s: {last}")


def check_map(client: httpx.Client) -> None:
    page = expect(client.get("/"), 200, "web map page")
    if "maplibre" not in page.text.lower():
        fail("the web map page does not load MapLibre")
    # Every asset the page names, and every module its scripts import, is served by Halo.
    assets = set(re.findall(r'(?:href|src)="(/[^"]+)"', page.text))
    for script in [a for a in assets if a.endswith((".js", ".mjs"))]:
        body = expect(client.get(script), 200, script).text
        assets |= set(re.findall(r'from\s*"(/[^"]+)"', body))
    if not any("maplibre" in a for a in assets):
        fail(f"the web map names no MapLibre asset: {sorted(assets)}")
    for asset in sorted(assets):
        expect(client.get(asset), 200, asset)
    print(f"web map: page and {len(assets)} assets served by Halo")
    expect(client.get("/style.json"), 200, "map style")
    for path, asset in (
        ("/docs", "/vendor/swagger-ui/swagger-ui-bundle.js"),
        ("/redoc", "/vendor/redoc/redoc.standalone.js"),
    ):
        html = expect(client.get(path), 200, path).text
        if asset not in html or "cdn." in html:
            fail(f"{path} does not load its script from Halo itself")
        expect(client.get(asset), 200, asset)
    counts = {}
    for layer, z in (("districts", 12), ("risk", 12)):
        meta = expect(client.get(f"/tiles/{layer}.json"), 200, f"TileJSON {layer}").json()
        x, y = tile_of(LON, LAT, z)
        tile = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt")
        if tile.status_code not in (200, 204):
            fail(f"tile {layer}/{z}/{x}/{y}: HTTP {tile.status_code}")
        decoded = mapbox_vector_tile.decode(tile.content) if tile.status_code == 200 else {}
        counts[layer] = sum(len(v["features"]) for v in decoded.values())
        print(f"tile {layer}/{z}/{x}/{y}: {counts[layer]} features ({meta.get('name', layer)})")
    if counts["districts"] == 0:
        fail("no district in the tile over Södermalm: the bootstrap did not load boundaries")


def jpeg() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def submit_report(client: httpx.Client, key: str, state: Path) -> None:
    fields = {
        "category": "theft",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "lat": str(LAT),
        "lon": str(LON),
        "description": "Cykel stulen vid stack-testet",
    }
    answer = client.post(
        "/api/v1/reports/submit",
        data=fields,
        files={"photo": ("photo.jpg", jpeg(), "image/jpeg")},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    report_id = expect(answer, 201, "report submission").json()["id"]
    photo = fetch_photo(client, key, report_id)
    state.write_text(json.dumps({"id": report_id, "photo_bytes": len(photo)}))
    print(f"report {report_id} stored with a photo of {len(photo)} bytes")


def fetch_photo(client: httpx.Client, key: str, report_id: int) -> bytes:
    headers = {"X-API-Key": key}
    listed = expect(client.get("/api/v1/admin/reports", headers=headers), 200, "moderation list")
    mine = [r for r in listed.json() if r["id"] == report_id]
    if not mine or not mine[0]["photo_url"]:
        fail(f"report {report_id} (with its photo link) is not in the moderation queue")
    photo = expect(client.get(mine[0]["photo_url"], headers=headers), 200, "report photo")
    Image.open(io.BytesIO(photo.content)).verify()
    return photo.content


def survived(client: httpx.Client, key: str, state: Path) -> None:
    saved = json.loads(state.read_text())
    photo = fetch_photo(client, key, saved["id"])
    if len(photo) != saved["photo_bytes"]:
        fail("the photo changed across down + up")
    print(f"report {saved['id']} and its photo survived down + up")


def reads(client: httpx.Client) -> None:
    """The routes the API serves from its read pool (the standby when one runs)."""
    x, y = tile_of(LON, LAT, 13)
    for path in (f"/tiles/risk/13/{x}/{y}.mvt", f"/tiles/districts/13/{x}/{y}.mvt"):
        tile = client.get(path)
        if tile.status_code not in (200, 204):
            fail(f"{path}: HTTP {tile.status_code}")
    risk = expect(client.get(f"/api/v1/risk?lat={LAT}&lon={LON}"), 200, "risk at a point").json()
    print(f"tiles and risk at a point served (risk keys: {', '.join(sorted(risk)[:4])})")


def metrics_refused(client: httpx.Client) -> None:
    expect(client.get("/metrics"), 403, "/metrics from outside the allowed networks")
    spoofed = client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    expect(spoofed, 403, "/metrics with a forged X-Forwarded-For")
    print("/metrics refused from outside (also with a forged X-Forwarded-For)")


def main() -> None:
    url, action, *rest = sys.argv[1:]
    with httpx.Client(base_url=url, timeout=30) as client:
        if action == "ready":
            ready(client)
        elif action == "map":
            check_map(client)
        elif action == "report":
            submit_report(client, rest[0], Path(rest[1]))
        elif action == "survived":
            survived(client, rest[0], Path(rest[1]))
        elif action == "reads":
            reads(client)
        elif action == "metrics-refused":
            metrics_refused(client)
        else:
            fail(f"unknown action {action}")


if __name__ == "__main__":
    main()
