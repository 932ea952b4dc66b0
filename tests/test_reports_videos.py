"""Report videos over real HTTP: a real clip made by ffmpeg with location and camera tags is
stored re-muxed without any of them (checked with ffprobe), with a JPEG poster frame; the same
idempotency as photos; overlong, oversize and fake clips are refused with a clear 4xx and
nothing written; a rejected report's video and poster are deleted."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from PIL import Image

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import live_server
from tests.support.opstools import api_key
from tests.support.report_support import (
    CAMERA,
    count_reports,
    form,
    has_metadata,
    jpeg_with_gps,
    new_key,
    photo_files,
    report_settings,
)

pytestmark = pytest.mark.skipif(
    not (shutil.which("ffmpeg") and shutil.which("ffprobe")),
    reason="ffmpeg is missing: apt-get install ffmpeg (Makefile SYSTEM_PACKAGES)",
)

QUEUE = "/api/v1/admin/reports"
# Where the phone was, as a camera app writes it (ISO 6709), and its clock.
ISO6709 = "+59.3293+018.0686+012.000/"
CREATION_TIME = "2026-12-05T17:45:00.000000Z"


def make_clip(folder: Path, seconds: float, fmt: str = "mov") -> bytes:
    """A small real clip tagged like a phone's: GPS position, camera make and model, creation
    time, a title; as QuickTime (`mov`) or MP4 (H.264 + AAC), or WebM (VP8 + Opus)."""
    target = folder / f"clip-{seconds}.{fmt}"
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-f", "lavfi", "-i", f"testsrc=size=160x120:rate=10:duration={seconds}"]
    command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    if fmt == "webm":
        command += ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"]
    else:
        command += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        command += ["-c:a", "aac", "-movflags", "use_metadata_tags"]
    command += ["-metadata", f"location={ISO6709}", "-metadata", f"location-eng={ISO6709}"]
    command += ["-metadata", f"com.apple.quicktime.location.ISO6709={ISO6709}"]
    command += ["-metadata", f"make={CAMERA}", "-metadata", "model=HaloPhone 9"]
    command += ["-metadata", f"creation_time={CREATION_TIME}", "-metadata", "title=Secret title"]
    command += ["-metadata:s:v:0", f"handler_name={CAMERA}"]
    command += ["-f", fmt, str(target)]
    subprocess.run(command, check=True, timeout=60)
    return target.read_bytes()


def ffprobe(data: bytes, folder: Path) -> dict[str, object]:
    path = folder / "probe.bin"
    path.write_bytes(data)
    answer = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=30,
    )
    parsed: dict[str, object] = json.loads(answer.stdout)
    return parsed


def all_tags(info: dict[str, object]) -> set[tuple[str, str]]:
    """Every tag of the container and of each stream, as (name, value) pairs."""
    tags: set[tuple[str, str]] = set()
    fmt = info.get("format")
    if isinstance(fmt, dict):
        tags |= set(fmt.get("tags", {}).items())
    streams = info.get("streams")
    for stream in streams if isinstance(streams, list) else []:
        tags |= {(f"stream:{k}", v) for k, v in stream.get("tags", {}).items()}
    return tags


# What the muxers themselves write, naming nothing about the phone, the place or the time
# (Matroska adds each stream's length and a bare "Lavf" without a version under +bitexact).
MUXER_OWN_TAGS = {
    ("encoder", "Lavf"),
    ("major_brand", "isom"),
    ("minor_version", "512"),
    ("compatible_brands", "isomiso2avc1mp41"),
    ("stream:language", "und"),
    ("stream:handler_name", "VideoHandler"),
    ("stream:handler_name", "SoundHandler"),
    ("stream:vendor_id", "[0][0][0][0]"),
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "mov": make_clip(folder, 2.0),
        "mp4": make_clip(folder, 2.0, "mp4"),
        "webm": make_clip(folder, 2.0, "webm"),
    }


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    return tmp_path / "photos"


@pytest.fixture
def client(settings: Settings, db: ScratchDatabase, photo_dir: Path) -> Iterator[httpx.Client]:
    with live_server(report_settings(settings, db, photo_dir)) as client:
        yield client


def send_video(
    client: httpx.Client,
    video: tuple[str, bytes, str],
    key: str | None = None,
    fields: dict[str, str] | None = None,
) -> httpx.Response:
    parts: dict[str, Any] = {name: (None, value) for name, value in (fields or form()).items()}
    parts["video"] = video
    return client.post(
        "/api/v1/reports/submit", files=parts, headers={"Idempotency-Key": key or new_key()}
    )


def stored_keys(db: ScratchDatabase, report_id: int) -> tuple[str | None, str | None]:
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute(
            "SELECT video_key, video_poster_key FROM raw.user_reports WHERE id = %s", (report_id,)
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_the_source_clip_really_carries_location_and_camera_tags(
    clips: dict[str, bytes], tmp_path: Path
) -> None:
    tags = all_tags(ffprobe(clips["mov"], tmp_path))
    assert any(ISO6709 in value for _name, value in tags), tags
    assert any(CAMERA in value for _name, value in tags), tags


@pytest.mark.parametrize(("fmt", "stored_as"), [("mov", "mp4"), ("mp4", "mp4"), ("webm", "webm")])
def test_a_clip_is_stored_re_muxed_without_metadata_with_a_clean_poster(
    client: httpx.Client,
    db: ScratchDatabase,
    photo_dir: Path,
    clips: dict[str, bytes],
    tmp_path: Path,
    fmt: str,
    stored_as: str,
) -> None:
    # The client's type claim is not trusted either way: octet-stream is fine.
    answer = send_video(client, (f"clip.{fmt}", clips[fmt], "application/octet-stream"))
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["has_video"] is True and receipt["has_photo"] is False
    video_key, poster_key = stored_keys(db, receipt["id"])
    assert video_key and video_key.endswith(f".{stored_as}")
    assert poster_key and poster_key.endswith(".jpg")
    assert sorted(p.name for p in photo_files(photo_dir)) == sorted(
        [Path(video_key).name, Path(poster_key).name]
    )
    stored = (photo_dir / video_key).read_bytes()
    info = ffprobe(stored, tmp_path)
    left = {(name, value) for name, value in all_tags(info) if name != "stream:DURATION"}
    assert left <= MUXER_OWN_TAGS, left - MUXER_OWN_TAGS
    for secret in (ISO6709, "+59.3293", CAMERA, "HaloPhone", "Secret title", "2026-12-05"):
        assert secret.encode() not in stored, secret
    # Bit-exact container: no muxer version. (Encoder names inside the codec bitstreams, such
    # as x264's SEI, are pixels' business and stay: re-muxing does not touch them.)
    assert b"Lavf5" not in stored
    streams = info["streams"]
    assert isinstance(streams, list)
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    assert 1.5 < float(info["format"]["duration"]) < 2.6
    poster = (photo_dir / poster_key).read_bytes()
    assert poster.startswith(b"\xff\xd8\xff")
    assert not has_metadata(poster)
    with Image.open(photo_dir / poster_key) as frame:
        assert frame.size == (160, 120)


def test_a_retry_with_the_same_key_stores_one_report_and_one_clip(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path, clips: dict[str, bytes]
) -> None:
    key, fields = new_key(), form()
    first = send_video(client, ("a.mov", clips["mov"], "video/quicktime"), key, fields)
    again = send_video(client, ("a.mov", clips["mov"], "video/quicktime"), key, fields)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert count_reports(db) == 1
    assert len(photo_files(photo_dir)) == 2
    other = send_video(client, ("b.mp4", clips["mp4"], "video/mp4"), key, fields)
    assert other.status_code == 422
    assert "another report" in other.json()["detail"]
    assert len(photo_files(photo_dir)) == 2


def test_a_clip_over_the_length_limit_is_422_and_nothing_is_stored(
    settings: Settings, db: ScratchDatabase, photo_dir: Path, clips: dict[str, bytes]
) -> None:
    config = report_settings(settings, db, photo_dir, video_max_seconds=1)
    with live_server(config) as client:
        answer = send_video(client, ("long.mov", clips["mov"], "video/quicktime"))
    assert answer.status_code == 422
    assert "at most 1 s" in answer.json()["detail"]
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []


def test_a_clip_over_the_size_limit_is_413_and_nothing_is_stored(
    settings: Settings, db: ScratchDatabase, photo_dir: Path, clips: dict[str, bytes]
) -> None:
    config = report_settings(settings, db, photo_dir, video_max_bytes=4096)
    with live_server(config) as client:
        answer = send_video(client, ("big.mov", clips["mov"], "video/quicktime"))
    assert answer.status_code == 413
    assert "video may have at most 4096 bytes" in answer.json()["detail"]
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []


FAKE_CLIPS = {
    "text named .mp4": ("clip.mp4", b"this is not a video at all, only words", "video/mp4"),
    "JPEG sent as a video": ("clip.mp4", jpeg_with_gps(), "video/mp4"),
    "MP4 signature, garbage after": (
        "clip.mp4",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x13" * 4000,
        "video/mp4",
    ),
    "empty file": ("clip.mp4", b"", "video/mp4"),
}


@pytest.mark.parametrize("video", FAKE_CLIPS.values(), ids=FAKE_CLIPS.keys())
def test_a_file_that_is_not_a_clip_is_422_and_nothing_is_stored(
    client: httpx.Client,
    db: ScratchDatabase,
    photo_dir: Path,
    video: tuple[str, bytes, str],
) -> None:
    answer = send_video(client, video)
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith("The video") or "video" in detail.lower(), detail
    assert "\n" not in detail
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []


def test_a_photo_and_a_video_together_and_a_bad_photo_stores_neither(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path, clips: dict[str, bytes]
) -> None:
    parts: dict[str, Any] = {name: (None, value) for name, value in form().items()}
    parts["photo"] = ("p.jpg", b"not a photo", "image/jpeg")
    parts["video"] = ("v.mov", clips["mov"], "video/quicktime")
    answer = client.post(
        "/api/v1/reports/submit", files=parts, headers={"Idempotency-Key": new_key()}
    )
    assert answer.status_code == 422
    assert count_reports(db) == 0
    assert photo_files(photo_dir) == []
    parts["photo"] = ("p.jpg", jpeg_with_gps(), "image/jpeg")
    answer = client.post(
        "/api/v1/reports/submit", files=parts, headers={"Idempotency-Key": new_key()}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["has_photo"] and answer.json()["has_video"]
    assert len(photo_files(photo_dir)) == 3


def test_moderators_see_the_clip_and_its_poster_and_rejection_deletes_both(
    client: httpx.Client, db: ScratchDatabase, photo_dir: Path, clips: dict[str, bytes]
) -> None:
    admin = {"X-API-Key": api_key(db, "admin")}
    report_id = send_video(client, ("c.mov", clips["mov"], "video/quicktime")).json()["id"]
    queued = client.get(QUEUE, headers=admin).json()
    assert queued[0]["video_url"] == f"{QUEUE}/{report_id}/video"
    video = client.get(f"{QUEUE}/{report_id}/video", headers=admin)
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    poster = client.get(f"{QUEUE}/{report_id}/video-poster", headers=admin)
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert client.get(f"{QUEUE}/{report_id}/video").status_code == 401
    answer = client.post(
        f"{QUEUE}/{report_id}/moderate", json={"status": "rejected"}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["video_removed"] is True
    assert photo_files(photo_dir) == []
    assert stored_keys(db, report_id) == (None, None)
    assert client.get(f"{QUEUE}/{report_id}/video", headers=admin).status_code == 404
