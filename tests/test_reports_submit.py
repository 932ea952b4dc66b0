"""Report submission over real HTTP: stored once per Idempotency-Key (also under 20 concurrent
posts), location rounded, photo metadata stripped, every bad input refused with nothing kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import (
    LAT,
    LON,
    count_reports,
    form,
    has_metadata,
    jpeg_with_gps,
    new_key,
    photo_files,
    report_settings,
    submit,
)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def client(settings: Settings, db: ScratchDatabase, photo_dir: Path) -> Iterator[httpx.Client]:
    with live_server(report_settings(settings, db, photo_dir)) as client:
        yield client


def test_a_report_is_stored_pending_with_its_location_rounded_to_the_cell_centre(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    answer = submit(client, form(category="violent"), new_key())
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["status"] == "pending"
    assert receipt["category"] == "violent"
    location = receipt["location"]
    assert location["resolution"] == 10
    assert (location["lat"], location["lon"]) != (LAT, LON)
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute(
            "SELECT h3_lat_lng_to_cell(point(%s, %s), 10)::text = h3_cell::text,"
            " ST_Distance(geom::geography, ST_SetSRID(ST_Point(%s, %s), 4326)::geography),"
            " ST_Equals(geom, ST_SetSRID(h3_cell_to_lat_lng(h3_cell)::geometry, 4326)),"
            " accuracy_m, description IS NOT NULL, client_sha256 IS NOT NULL"
            " FROM raw.user_reports WHERE id = %s",
            (LON, LAT, LON, LAT, receipt["id"]),
        ).fetchone()
    same_cell, moved_m, at_centre, accuracy, has_text, has_client = row
    assert same_cell and at_centre and has_text and has_client
    assert 0 < moved_m < 80  # within a resolution-10 cell of the exact point
    assert accuracy == 12.5


def test_a_retry_with_the_same_key_and_body_returns_the_first_report(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    key, fields = new_key(), form()
    first = submit(client, fields, key)
    retry = submit(client, fields, key)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count_reports(db) == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    key = new_key()
    first = submit(client, form(category="theft"), key)
    other = submit(client, form(category="robbery"), key)
    assert first.status_code == 201
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key was used for another report" in other.json()["detail"]
    assert count_reports(db) == 1


def test_twenty_concurrent_identical_posts_leave_exactly_one_row_and_one_photo(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path
) -> None:
    key, fields, photo = new_key(), form(), ("p.jpg", jpeg_with_gps(), "image/jpeg")
    start = threading.Barrier(20)

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=client.base_url, timeout=30) as own:
            start.wait()
            return submit(own, fields, key, photo)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(post, range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * 19 + [201], [a.text for a in answers if a.status_code >= 300]
    assert len({a.json()["id"] for a in answers}) == 1
    assert count_reports(db) == 1
    assert len(photo_files(photo_dir)) == 1


def test_a_jpeg_with_gps_exif_is_stored_without_any_metadata(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path
) -> None:
    sent = jpeg_with_gps((64, 48))
    assert has_metadata(sent)
    answer = submit(client, form(), new_key(), ("IMG_0001.JPG", sent, "image/jpeg"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["has_photo"] is True
    (stored,) = photo_files(photo_dir)
    assert stored.suffix == ".jpg"
    assert not has_metadata(stored.read_bytes())
    admin = {"X-API-Key": api_key(db, "admin")}
    served = client.get(f"/api/v1/admin/reports/{answer.json()['id']}/photo", headers=admin)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content == stored.read_bytes()


def test_a_missing_idempotency_key_is_422_and_stores_nothing(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    answer = submit(client, form(), key=None)
    assert answer.status_code == 422
    assert ["header", "Idempotency-Key"] in [e["loc"] for e in answer.json()["errors"]]
    assert count_reports(db) == 0


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


BAD_FIELDS = {
    "latitude above 90": {"lat": "91.5"},
    "longitude below -180": {"lon": "-180.01"},
    "latitude NaN": {"lat": "NaN"},
    "longitude infinite": {"lon": "inf"},
    "outside the service area": {"lat": "57.7", "lon": "11.97"},
    "time in the future": {"occurred_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()},
    "time too old": {"occurred_at": _ago(days=30)},
    "time without offset": {"occurred_at": "2025-06-01T12:00:00"},
    "unknown category": {"category": "alien_landing"},
    "category that is not an incident": {"category": "non_incident"},
    "negative accuracy": {"accuracy_m": "-1"},
    "vague accuracy": {"accuracy_m": "25000"},
    "control character in text": {"description": "abc\x00def"},
    "a field about a person": {"suspect_description": "tall, red jacket"},
    "missing location": {"lat": None},
}


@pytest.mark.parametrize("fields", BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_bad_input_is_422_with_a_clear_message_and_nothing_is_stored(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path, fields: dict[str, str | None]
) -> None:
    answer = submit(client, form(**fields), new_key(), ("p.jpg", jpeg_with_gps(), "image/jpeg"))
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["status"] == 422 and (body.get("detail") or body.get("errors"))
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []


def test_a_photo_over_the_size_limit_is_413_and_nothing_is_stored(
    settings: Settings, db: ScratchDatabase, photo_dir: Path
) -> None:
    config = report_settings(settings, db, photo_dir, photo_max_bytes=2048)
    big = jpeg_with_gps((400, 300)) + b"\0" * 4096
    with live_server(config) as client:
        answer = submit(client, form(), new_key(), ("big.jpg", big, "image/jpeg"))
    assert answer.status_code == 413
    assert "at most 2048 bytes" in answer.json()["detail"]
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []


BAD_PHOTOS = {
    "text named .jpg": ("photo.jpg", b"this is not an image at all", "image/jpeg"),
    "GIF": ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    "truncated JPEG": ("cut.jpg", jpeg_with_gps()[:200], "image/jpeg"),
    "empty file": ("empty.jpg", b"", "image/jpeg"),
    "PDF named .png": ("doc.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "image/png"),
}


@pytest.mark.parametrize("photo", BAD_PHOTOS.values(), ids=BAD_PHOTOS.keys())
def test_a_photo_that_is_not_a_jpeg_png_or_webp_image_is_422_and_nothing_is_stored(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path, photo: tuple[str, bytes, str]
) -> None:
    answer = submit(client, form(), new_key(), photo)
    assert answer.status_code == 422, answer.text
    assert "photo" in answer.json()["detail"]
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []


def test_too_many_pixels_are_refused_before_decoding(
    settings: Settings, db: ScratchDatabase, photo_dir: Path
) -> None:
    config = report_settings(settings, db, photo_dir, photo_max_pixels=10_000)
    with live_server(config) as client:
        answer = submit(client, form(), new_key(), ("p.jpg", jpeg_with_gps((200, 100)), "x/y"))
    assert answer.status_code == 422
    assert "200x100 pixels" in answer.json()["detail"]
    assert photo_files(photo_dir) == []


def test_each_device_may_store_its_daily_quota_then_gets_429(
    settings: Settings, db: ScratchDatabase, photo_dir: Path
) -> None:
    config = report_settings(settings, db, photo_dir, per_client_daily_limit=2)
    phone = {"X-Device-Id": "device-aaaa-1111"}
    with live_server(config) as client:
        keys = [new_key() for _ in range(3)]
        fields = form()
        statuses = [submit(client, fields, k, headers=phone).status_code for k in keys]
        refused = submit(client, form(), new_key(), headers=phone)
        retry_of_first = submit(client, fields, keys[0], headers=phone)
        other_phone = submit(client, form(), new_key(), headers={"X-Device-Id": "device-bbbb"})
    assert statuses == [201, 201, 429]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 86_400
    assert retry_of_first.status_code == 200  # a retry is not a new report
    assert other_phone.status_code == 201
    assert count_reports(db) == 3


def test_without_a_device_id_the_quota_counts_per_client_address(
    settings: Settings, db: ScratchDatabase, photo_dir: Path
) -> None:
    config = report_settings(settings, db, photo_dir, per_client_daily_limit=1)
    with live_server(config) as client:
        first = submit(client, form(), new_key(), headers={"X-Forwarded-For": "203.0.113.7"})
        again = submit(client, form(), new_key(), headers={"X-Forwarded-For": "203.0.113.7"})
        other = submit(client, form(), new_key(), headers={"X-Forwarded-For": "203.0.113.8"})
    assert [first.status_code, again.status_code, other.status_code] == [201, 429, 201]


def test_report_posts_are_rate_limited_per_address(
    settings: Settings, db: ScratchDatabase, photo_dir: Path
) -> None:
    config = report_settings(settings, db, photo_dir)
    config = config.model_copy(
        update={"rate_limits": config.rate_limits.model_copy(update={"reports_requests": 2})}
    )
    with live_server(config) as client:
        statuses = [submit(client, form(), new_key()).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]


def test_a_report_made_inside_a_current_alert_cell_is_flagged(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "INSERT INTO risk.cell_risk (cell, resolution, city_id, district_id, area_km2,"
            " observed, expected, prior_rr, relative_risk, rr_lower, rr_upper, risk_score,"
            " evidence, category_mass, geom)"
            " SELECT c, 9, coalesce((SELECT min(id) FROM ref.cities), 1), 1, 0.1, 9, 1, 1, 5,"
            " 3, 8, 0.75, 'point',"
            " '{}', risk.cell_polygon(c) FROM (SELECT h3_lat_lng_to_cell(point(%s, %s), 9) c) x",
            (LON, LAT),
        )
    inside = submit(client, form(), new_key())
    elsewhere = submit(client, form(lat="59.36", lon="18.02"), new_key())
    said_so = submit(client, form(lat="59.36", lon="18.02", during_alert="true"), new_key())
    assert inside.json()["reported_during_alert"] is True
    assert elsewhere.json()["reported_during_alert"] is False
    assert said_so.json()["reported_during_alert"] is True


def test_the_submit_route_refuses_a_plain_json_body(client: httpx.Client) -> None:
    answer = client.post(
        "/api/v1/reports/submit", json={"category": "theft"}, headers={"Idempotency-Key": new_key()}
    )
    assert answer.status_code == 422


def test_a_report_without_a_photo_may_be_sent_url_encoded(
    client: httpx.Client, db: ScratchDatabase
) -> None:
    answer = client.post(
        "/api/v1/reports/submit", data=form(), headers={"Idempotency-Key": new_key()}
    )
    assert answer.status_code == 201, answer.text
    assert count_reports(db) == 1


def test_rotating_device_ids_do_not_lift_the_quota_of_an_address(
    settings: Settings, db: ScratchDatabase, photo_dir: Path
) -> None:
    config = report_settings(
        settings, db, photo_dir, per_client_daily_limit=2, per_address_daily_limit=3
    )
    address = {"X-Forwarded-For": "203.0.113.50"}
    with live_server(config) as client:
        statuses = [
            submit(
                client, form(), new_key(), headers={**address, "X-Device-Id": f"rotated-{i:04d}"}
            ).status_code
            for i in range(5)
        ]
        elsewhere = submit(
            client,
            form(),
            new_key(),
            headers={"X-Forwarded-For": "203.0.113.51", "X-Device-Id": "rotated-9999"},
        )
    assert statuses == [201, 201, 201, 429, 429]
    assert elsewhere.status_code == 201
    assert count_reports(db) == 4
