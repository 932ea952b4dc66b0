"""Shared pieces of the report tests: settings, form fields, photos with metadata, inserts."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from PIL import ExifTags, Image, PngImagePlugin

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.opstools import tuned

# Medborgarplatsen, Södermalm.
LON, LAT = 18.0735, 59.3142
SUBMIT = "/api/v1/reports/submit"
# Metres per degree of longitude and latitude around Stockholm (59.3 N).
M_PER_DEG_LON, M_PER_DEG_LAT = 56_900.0, 111_200.0
CAMERA = "HaloTestCam serial 0042"


def offset(point: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    """A point moved east and north by some metres."""
    return point[0] + east_m / M_PER_DEG_LON, point[1] + north_m / M_PER_DEG_LAT


def report_settings(
    settings: Settings, db: ScratchDatabase, photo_dir: Path, **reports: Any
) -> Settings:
    """The run's settings on `db`: photos under `photo_dir`, request limits out of the way,
    127.0.0.1 trusted as a proxy so tests choose their client address (X-Forwarded-For)."""
    return tuned(
        settings,
        db,
        reports={"photo_dir": photo_dir, **reports},
        rate_limits={"reports_requests": 10_000, "reads_requests": 10_000},
        security={"trusted_proxies": ["127.0.0.1"]},
    )


def form(**overrides: Any) -> dict[str, str]:
    """Valid form fields of a report made ten minutes ago at Medborgarplatsen."""
    fields: dict[str, Any] = {
        "category": "theft",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        "lat": LAT,
        "lon": LON,
        "accuracy_m": 12.5,
        "description": "A bicycle was stolen from the rack outside the metro entrance.",
    }
    fields.update(overrides)
    return {name: str(value) for name, value in fields.items() if value is not None}


def new_key() -> str:
    return f"test-{uuid.uuid4()}"


def submit(
    client: httpx.Client,
    fields: dict[str, str],
    key: str | None = None,
    photo: tuple[str, bytes, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST the report as multipart/form-data, as the app does (fields, then the photo)."""
    all_headers = dict(headers or {})
    if key is not None:
        all_headers["Idempotency-Key"] = key
    parts: dict[str, Any] = {name: (None, value) for name, value in fields.items()}
    if photo is not None:
        parts["photo"] = photo
    return client.post(SUBMIT, files=parts, headers=all_headers)


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF carries a camera name, an orientation and a GPS position."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    exif[ExifTags.Base.Orientation] = 6  # rotated: the cleaned photo is turned upright
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (59.0, 18.0, 51.12)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (18.0, 4.0, 24.6)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def png_with_text() -> bytes:
    """A PNG with a text chunk and EXIF (eXIf) naming the camera."""
    image = Image.new("RGBA", (20, 10), (0, 120, 0, 255))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", CAMERA)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info, exif=exif)
    return out.getvalue()


def webp_with_exif() -> bytes:
    """A WebP with EXIF naming the camera."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 0, 200)).save(out, "WEBP", exif=exif)
    return out.getvalue()


def has_metadata(data: bytes) -> bool:
    """Whether an image still carries EXIF/GPS, text chunks or the camera name anywhere."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        textual = {k: v for k, v in image.info.items() if k in ("exif", "comment", "Author", "xmp")}
    return bool(exif) or bool(gps) or bool(textual) or CAMERA.encode() in data


def photo_files(photo_dir: Path) -> list[Path]:
    """Every file under the photo folder."""
    return sorted(p for p in photo_dir.rglob("*") if p.is_file())


def count_reports(db: ScratchDatabase) -> int:
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute("SELECT count(*) FROM raw.user_reports").fetchone()
    count: int = row[0]
    return count


def insert_report(
    conn: psycopg.Connection,
    lon: float,
    lat: float,
    occurred_at: datetime,
    category: str = "violent",
    status: str = "pending",
    during_alert: bool = False,
    received_at: datetime | None = None,
) -> int:
    """A report stored as the API stores it (rounded to its resolution-10 cell), as the owner."""
    row = conn.execute(
        "INSERT INTO raw.user_reports (idempotency_key, request_sha256, category, occurred_at,"
        " received_at, geom, h3_cell, moderation_status, moderated_at, reported_during_alert)"
        " SELECT %(key)s, repeat('0', 64), %(cat)s, %(t)s, %(rt)s,"
        " ST_SetSRID(h3_cell_to_lat_lng(c)::geometry, 4326), c, %(status)s,"
        " CASE WHEN %(status)s <> 'pending' THEN %(rt)s END, %(alert)s"
        " FROM (SELECT h3_lat_lng_to_cell(point(%(lon)s, %(lat)s), 10) AS c) cell RETURNING id",
        {
            "key": new_key(),
            "cat": category,
            "t": occurred_at,
            "rt": received_at or occurred_at + timedelta(minutes=5),
            "status": status,
            "alert": during_alert,
            "lon": lon,
            "lat": lat,
        },
    ).fetchone()
    assert row is not None
    return int(row[0])
