"""Photo cleaning without a server: type from the bytes, metadata gone in every format, the
picture turned upright, disk and S3-compatible storage."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from PIL import Image

from api.errors import InvalidReport
from api.reports.photos import clean_photo, sniff_format
from config.settings import Settings
from core.photo_store import DiskPhotoStore, S3PhotoStore
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import (
    form,
    has_metadata,
    jpeg_with_gps,
    new_key,
    png_with_text,
    report_settings,
    submit,
    webp_with_exif,
)

MAX_PIXELS = 1_000_000


@pytest.mark.parametrize(
    ("make", "fmt", "extension"),
    [
        (jpeg_with_gps, "JPEG", "jpg"),
        (png_with_text, "PNG", "png"),
        (webp_with_exif, "WEBP", "webp"),
    ],
)
def test_every_accepted_format_keeps_its_format_and_loses_its_metadata(
    make: object, fmt: str, extension: str
) -> None:
    sent = make()  # type: ignore[operator]
    assert has_metadata(sent)
    cleaned = clean_photo(sent, MAX_PIXELS)
    assert cleaned.extension == extension
    assert sniff_format(cleaned.data) == fmt
    assert not has_metadata(cleaned.data)


def test_the_exif_orientation_is_applied_to_the_pixels_before_it_is_dropped() -> None:
    cleaned = clean_photo(jpeg_with_gps((64, 48)), MAX_PIXELS)
    with Image.open(io.BytesIO(cleaned.data)) as image:
        assert image.size == (48, 64)  # orientation 6: rotated a quarter turn


def test_the_type_comes_from_the_bytes_not_the_name() -> None:
    png = png_with_text()
    assert sniff_format(png) == "PNG"
    assert sniff_format(b"GIF89a....") is None
    assert sniff_format(b"RIFF\0\0\0\0WAVEfmt ") is None
    with pytest.raises(InvalidReport, match="JPEG, PNG or WebP"):
        clean_photo(b"<svg xmlns='http://www.w3.org/2000/svg'/>", MAX_PIXELS)


def test_a_file_with_a_jpeg_signature_that_does_not_decode_is_refused() -> None:
    with pytest.raises(InvalidReport, match="could not be read"):
        clean_photo(b"\xff\xd8\xff\xe0" + b"\0" * 100, MAX_PIXELS)


def test_a_header_claiming_a_huge_image_is_refused_without_decoding() -> None:
    header = io.BytesIO()
    Image.new("L", (1, 1)).save(header, "PNG")
    data = bytearray(header.getvalue())
    # IHDR width and height (bytes 16-23) set to 30000 x 30000: 900 megapixels.
    data[16:24] = (30000).to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(data[12:29]).to_bytes(4, "big")  # the chunk's CRC, fixed up
    for limit in (MAX_PIXELS, 10**12):  # ours, or Pillow's own bomb guard
        with pytest.raises(InvalidReport, match="pixels"):
            clean_photo(bytes(data), limit)


def test_the_disk_store_writes_private_files_under_its_root_only(tmp_path: Path) -> None:
    store = DiskPhotoStore(tmp_path / "photos")
    key = store.put(b"abc", "jpg")
    path = tmp_path / "photos" / key
    assert path.read_bytes() == b"abc"
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.get(key) == b"abc"
    store.delete(key)
    store.delete(key)  # already gone: no error
    assert store.get(key) is None
    with pytest.raises(ValueError, match="outside"):
        store.get("../../etc/passwd")


def test_the_s3_store_keeps_photos_under_its_prefix(s3_endpoint: str) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="halo-photos")
    store = S3PhotoStore(client, "halo-photos", "reports/")
    key = store.put(b"jpeg bytes", "jpg")
    listed = client.list_objects_v2(Bucket="halo-photos")["Contents"]
    assert [item["Key"] for item in listed] == [f"reports/{key}"]
    assert store.get(key) == b"jpeg bytes"
    store.delete(key)
    assert store.get(key) is None


def test_with_a_bucket_configured_the_api_stores_report_photos_in_s3(
    settings: Settings, db: ScratchDatabase, tmp_path: Path, s3_endpoint: str
) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="halo-photos")
    config = report_settings(
        settings,
        db,
        tmp_path / "unused",
        photo_s3_bucket="halo-photos",
        photo_s3_endpoint_url=s3_endpoint,
        photo_s3_region="us-east-1",
    )
    with live_server(config) as api:
        answer = submit(api, form(), new_key(), ("p.jpg", jpeg_with_gps(), "image/jpeg"))
        served = api.get(
            f"/api/v1/admin/reports/{answer.json()['id']}/photo",
            headers={"X-API-Key": api_key(db, "admin")},
        )
    assert answer.status_code == 201, answer.text
    (item,) = client.list_objects_v2(Bucket="halo-photos")["Contents"]
    assert item["Key"].startswith("halo/photos/") and item["Key"].endswith(".jpg")
    stored = client.get_object(Bucket="halo-photos", Key=item["Key"])["Body"].read()
    assert not has_metadata(stored)
    assert served.content == stored
    assert not (tmp_path / "unused").exists()
