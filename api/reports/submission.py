"""`POST /api/v1/reports/submit`: an anonymous incident report, stored once per Idempotency-Key.

Order of work: validate the form -> read the photo and the video (size limits) -> a known
key answers at once (the first result, or 422 when the request differs) -> plausibility and
category -> photo cleaned, video re-muxed (with its poster), all stored -> raw.submit_report
(atomic: key, per-client quota, rounding, alert flag). Any way out without a new report
deletes every file this request stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
import psycopg
from fastapi import APIRouter, Form, Header, Request, Response, UploadFile
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from starlette.concurrency import run_in_threadpool

from api.deps import AppSettings, Conn, app_pool
from api.errors import InvalidReport, PayloadTooLarge, RateLimited, problem_response
from api.reports.models import ReportForm, ReportReceipt
from api.reports.photo_store import AsyncPhotos, Photos
from api.reports.photos import clean_photo
from api.reports.strict_form import StrictFormRoute
from api.reports.videos import clean_video
from config.reports import ReportSettings
from config.settings import Settings
from core.digests import device_client_hash, subject_digest

log = logging.getLogger("halo.api.reports")

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], route_class=StrictFormRoute)

RECEIPT_BY_KEY_SQL = "SELECT * FROM raw.report_receipts WHERE idempotency_key = %s"
RECEIPT_BY_ID_SQL = "SELECT * FROM raw.report_receipts WHERE id = %s"
MEDIA_IN_USE_SQL = (
    "SELECT 1 FROM raw.user_reports WHERE %(key)s IN (photo_key, video_key, video_poster_key)"
)
# In a city's study area: the point's base cell is one of the risk cells (a city's boundary,
# or its cells with history plus a ring).
IN_A_CITY_SQL = """
SELECT EXISTS (SELECT 1 FROM risk.cells c, risk.parameters p
                WHERE c.cell = h3_lat_lng_to_cell(point(%(lon)s, %(lat)s), p.base_resolution))
"""
CATEGORIES_SQL = "SELECT code FROM ref.incident_categories WHERE counts_for_risk ORDER BY code"
SUBMIT_SQL = """
SELECT outcome, report_id, retry_after_s
  FROM raw.submit_report(%(key)s, %(sha)s, %(category)s, %(occurred_at)s, %(lon)s, %(lat)s,
                         %(accuracy_m)s::real, %(description)s, %(photo_key)s, %(client)s,
                         %(during_alert)s, %(resolution)s::integer, %(daily_limit)s::integer,
                         %(video_key)s, %(poster_key)s, %(address)s, %(address_limit)s::integer)
"""
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[A-Za-z0-9_.:-]{8,128}$",
        description="Client-chosen unique key (e.g. a UUID): a retry with it returns the first "
        "result; reusing it for another report is refused (422).",
    ),
]
DeviceId = Annotated[
    str | None,
    Header(
        alias="X-Device-Id",
        pattern=r"^[A-Za-z0-9_.:-]{8,128}$",
        description="Optional install id: the daily quota counts per device instead of per "
        "address. Only a salted hash is stored.",
    ),
]


@router.post(
    "/submit",
    status_code=201,
    summary="Submit an incident report (multipart form, optional photo)",
    responses={
        200: {"model": ReportReceipt, "description": "A retry: the report stored first"},
        413: problem_response("The photo, the video or the body is too large"),
    },
)
async def submit_report(
    request: Request,
    response: Response,
    conn: Conn,
    settings: AppSettings,
    photos: Photos,
    form: Annotated[ReportForm, Form(media_type="multipart/form-data")],
    idempotency_key: IdempotencyKey,
    device_id: DeviceId = None,
) -> ReportReceipt:
    """Store a report of an event (201), anonymously; it starts as pending moderation.

    The location is stored rounded to the centre of its H3 cell; the photo is re-encoded
    without EXIF/GPS metadata. A retry with the same Idempotency-Key and the same fields
    answers 200 with the first receipt (header Idempotent-Replayed: true).
    """
    limits = settings.reports
    photo = await _read_upload(form.photo, limits.photo_max_bytes, "photo")
    video = await _read_upload(form.video, limits.video_max_bytes, "video")
    fingerprint = request_fingerprint(form, photo, video)
    known = await _receipt(conn, RECEIPT_BY_KEY_SQL, idempotency_key)
    if known is not None:
        return _replay(known, fingerprint, response)
    check_plausible(form, limits, datetime.now(UTC))
    await _check_service_area(conn, form, limits)
    await _check_category(conn, form.category)
    submission = Submission(
        form,
        idempotency_key,
        fingerprint,
        _client_hash(request, settings, device_id),
        _client_hash(request, settings, None),
    )
    outcome, report_id, retry_after_s = await _store_with_media(
        request, conn, photos, submission, Media(photo, video), limits
    )
    if outcome == "quota":
        raise RateLimited(
            f"At most {limits.per_client_daily_limit} reports per device "
            f"({limits.per_address_daily_limit} per address) per 24 h.",
            {"Retry-After": str(retry_after_s)},
        )
    receipt = await _receipt(conn, RECEIPT_BY_ID_SQL, report_id)
    assert receipt is not None
    if outcome == "created":
        return ReportReceipt.from_row(receipt)
    return _replay(receipt, fingerprint, response)


def request_fingerprint(form: ReportForm, photo: bytes | None, video: bytes | None = None) -> str:
    """SHA-256 of the request's meaning: the parsed fields and the photo's and video's bytes
    as sent (a request without a video hashes as it did before videos existed)."""
    fields = form.fingerprint_fields()
    fields["photo_sha256"] = hashlib.sha256(photo).hexdigest() if photo is not None else None
    if video is not None:
        fields["video_sha256"] = hashlib.sha256(video).hexdigest()
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_plausible(form: ReportForm, limits: ReportSettings, now: datetime) -> None:
    """Refuse (422) a time in the future or too long ago, or a location too vague to place
    the event."""
    if form.occurred_at > now + timedelta(seconds=limits.max_future_s):
        raise InvalidReport("occurred_at is in the future.")
    if form.occurred_at < now - timedelta(hours=limits.max_age_h):
        raise InvalidReport(f"occurred_at is more than {limits.max_age_h:g} hours ago.")
    if form.accuracy_m is not None and form.accuracy_m > limits.max_accuracy_m:
        raise InvalidReport(f"accuracy_m may be at most {limits.max_accuracy_m:g} metres.")


async def _read_upload(upload: UploadFile | None, max_bytes: int, what: str) -> bytes | None:
    if upload is None:
        return None
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The {what} may have at most {max_bytes} bytes.")
    if not data:
        raise InvalidReport(f"The {what} is empty.")
    return data


async def _check_service_area(
    conn: AsyncConnection, form: ReportForm, limits: ReportSettings
) -> None:
    """Refuse (422) a place outside the service area: the cities' study areas (any city added
    with `halo city add`, once refreshed) and the HALO_REPORTS_SERVICE_BBOX box."""
    xmin, ymin, xmax, ymax = limits.service_bbox
    if xmin <= form.lon <= xmax and ymin <= form.lat <= ymax:
        return
    cur = await conn.execute(IN_A_CITY_SQL, {"lon": form.lon, "lat": form.lat})
    row = await cur.fetchone()
    if not (row and row[0]):
        raise InvalidReport(
            "The location is outside the service area (the cities' study areas, and"
            f" lon {xmin}..{xmax}, lat {ymin}..{ymax})."
        )


async def _check_category(conn: AsyncConnection, category: str) -> None:
    cur = await conn.execute(CATEGORIES_SQL)
    known = [code for (code,) in await cur.fetchall()]
    if category not in known:
        raise InvalidReport(f"Unknown category {category!r}; one of: {', '.join(known)}.")


async def _receipt(conn: AsyncConnection, query: str, value: object) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, (value,))
    return await cur.fetchone()


def _replay(known: dict[str, Any], fingerprint: str, response: Response) -> ReportReceipt:
    if known["request_sha256"] != fingerprint:
        raise InvalidReport(
            "This Idempotency-Key was used for another report; use a new key for a new report."
        )
    response.status_code = 200
    response.headers[REPLAYED_HEADER] = "true"
    return ReportReceipt.from_row(known)


async def _discard_unreferenced(request: Request, photos: AsyncPhotos, keys: list[str]) -> None:
    """After a failed insert: delete each stored file unless a report refers to it after all
    (the insert may have committed before the failure). Kept when that cannot be checked: an
    unreferenced file is better than a report whose photo or video is gone."""
    with anyio.CancelScope(shield=True):
        for key in keys:
            try:
                async with app_pool(request).connection() as conn:
                    cur = await conn.execute(MEDIA_IN_USE_SQL, {"key": key})
                    in_use = await cur.fetchone()
            except psycopg.Error:  # the pool's timeout is one too
                log.warning("report file %s kept: its use could not be checked", key)
                continue
            if in_use is None:
                await photos.delete(key)


def _client_hash(request: Request, settings: Settings, device_id: str | None) -> str:
    """Salted hash of the device id, or of the client address without one (never in clear)."""
    salt = settings.security.client_hash_salt.get_secret_value().encode()
    if device_id is not None:
        return device_client_hash(salt, device_id)
    subject = f"addr:{request.client.host if request.client else 'unknown'}"
    return subject_digest(salt, subject).hex()


@dataclass(frozen=True)
class Submission:
    """A validated report with its idempotency key, request hash, client hash (device, or the
    address without one) and address hash."""

    form: ReportForm
    key: str
    fingerprint: str
    client: str
    address: str


@dataclass(frozen=True)
class Media:
    """The uploaded files of one report, as sent (checked and cleaned before storing)."""

    photo: bytes | None
    video: bytes | None


@dataclass
class StoredMedia:
    """Keys of the files this request stored, in the photo store."""

    photo: str | None = None
    video: str | None = None
    poster: str | None = None

    def all_keys(self) -> list[str]:
        return [key for key in (self.photo, self.video, self.poster) if key]


async def _store_files(photos: AsyncPhotos, media: Media, limits: ReportSettings) -> StoredMedia:
    """Clean both files first (nothing is stored when either is refused), then store them;
    a failure while storing deletes what was stored."""
    cleaned_photo = None
    if media.photo is not None:
        cleaned_photo = await run_in_threadpool(
            clean_photo, media.photo, limits.photo_max_pixels, limits.photo_jpeg_quality
        )
    cleaned_video = None
    if media.video is not None:
        cleaned_video = await run_in_threadpool(
            clean_video,
            media.video,
            limits.video_max_seconds,
            limits.ffmpeg_path,
            limits.ffprobe_path,
            limits.video_process_timeout_s,
        )
    stored = StoredMedia()
    try:
        if cleaned_photo is not None:
            stored.photo = await photos.put(cleaned_photo.data, cleaned_photo.extension)
        if cleaned_video is not None:
            stored.video = await photos.put(cleaned_video.data, cleaned_video.extension)
            stored.poster = await photos.put(cleaned_video.poster, "jpg")
    except BaseException:
        with anyio.CancelScope(shield=True):
            for key in stored.all_keys():
                await photos.delete(key)
        raise
    return stored


async def _store_with_media(
    request: Request,
    conn: AsyncConnection,
    photos: AsyncPhotos,
    submission: Submission,
    media: Media,
    limits: ReportSettings,
) -> tuple[str, int | None, int | None]:
    """Clean and store the files, then the report; the files go again unless the report was
    created with them. Returns (outcome, report id, retry-after seconds)."""
    stored = await _store_files(photos, media, limits)
    try:
        outcome, report_id, retry_after_s = await _store(conn, submission, stored, limits)
    except BaseException:
        if stored.all_keys():
            await _discard_unreferenced(request, photos, stored.all_keys())
        raise
    if outcome != "created":
        for key in stored.all_keys():
            await photos.delete(key)
    return outcome, report_id, retry_after_s


async def _store(
    conn: AsyncConnection, submission: Submission, stored: StoredMedia, limits: ReportSettings
) -> tuple[str, int | None, int | None]:
    form = submission.form
    cur = await conn.execute(
        SUBMIT_SQL,
        {
            "key": submission.key,
            "sha": submission.fingerprint,
            "category": form.category,
            "occurred_at": form.occurred_at,
            "lon": form.lon,
            "lat": form.lat,
            "accuracy_m": form.accuracy_m,
            "description": form.description,
            "photo_key": stored.photo,
            "video_key": stored.video,
            "poster_key": stored.poster,
            "client": submission.client,
            "during_alert": form.during_alert,
            "resolution": limits.location_h3_resolution,
            "daily_limit": limits.per_client_daily_limit,
            "address": submission.address,
            "address_limit": limits.per_address_daily_limit,
        },
    )
    row = await cur.fetchone()
    assert row is not None
    return row[0], row[1], row[2]
