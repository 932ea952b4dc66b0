"""`POST /api/v1/reports/submit`: an anonymous incident report, stored once per Idempotency-Key.

Order of work: validate the form -> read the photo (size limit) -> a known key answers at
once (the first result, or 422 when the request differs) -> plausibility and category ->
photo cleaned and stored -> raw.submit_report (atomic: key, per-client quota, rounding,
alert flag). Any way out without a new report deletes the photo this request stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Form, Header, Request, Response, UploadFile
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from starlette.concurrency import run_in_threadpool

from api.deps import AppSettings, Conn
from api.errors import InvalidReport, PayloadTooLarge, RateLimited, problem_response
from api.reports.models import ReportForm, ReportReceipt
from api.reports.photo_store import AsyncPhotos, Photos
from api.reports.photos import clean_photo
from api.reports.strict_form import StrictFormRoute
from api.security.rate_limit import subject_digest
from config.reports import ReportSettings
from config.settings import Settings

log = logging.getLogger("halo.api.reports")

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], route_class=StrictFormRoute)

RECEIPT_BY_KEY_SQL = "SELECT * FROM raw.report_receipts WHERE idempotency_key = %s"
RECEIPT_BY_ID_SQL = "SELECT * FROM raw.report_receipts WHERE id = %s"
PHOTO_IN_USE_SQL = "SELECT 1 FROM raw.user_reports WHERE photo_key = %s"
CATEGORIES_SQL = "SELECT code FROM ref.incident_categories WHERE counts_for_risk ORDER BY code"
SUBMIT_SQL = """
SELECT outcome, report_id, retry_after_s
  FROM raw.submit_report(%(key)s, %(sha)s, %(category)s, %(occurred_at)s, %(lon)s, %(lat)s,
                         %(accuracy_m)s::real, %(description)s, %(photo_key)s, %(client)s,
                         %(during_alert)s, %(resolution)s::integer, %(daily_limit)s::integer,
                         %(address)s, %(address_limit)s::integer)
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
        413: problem_response("The photo or the body is too large"),
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
    photo = await _read_photo(form.photo, limits.photo_max_bytes)
    fingerprint = request_fingerprint(form, photo)
    known = await _receipt(conn, RECEIPT_BY_KEY_SQL, idempotency_key)
    if known is not None:
        return _replay(known, fingerprint, response)
    check_plausible(form, limits, datetime.now(UTC))
    await _check_category(conn, form.category)
    submission = Submission(
        form,
        idempotency_key,
        fingerprint,
        _client_hash(request, settings, device_id),
        _client_hash(request, settings, None),
    )
    outcome, report_id, retry_after_s = await _store_with_photo(
        request, conn, photos, submission, photo, limits
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


def request_fingerprint(form: ReportForm, photo: bytes | None) -> str:
    """SHA-256 of the request's meaning: the parsed fields and the photo's bytes as sent."""
    fields = form.fingerprint_fields()
    fields["photo_sha256"] = hashlib.sha256(photo).hexdigest() if photo is not None else None
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_plausible(form: ReportForm, limits: ReportSettings, now: datetime) -> None:
    """Refuse (422) a time in the future or too long ago, a place outside the service area,
    or a location too vague to place the event."""
    if form.occurred_at > now + timedelta(seconds=limits.max_future_s):
        raise InvalidReport("occurred_at is in the future.")
    if form.occurred_at < now - timedelta(hours=limits.max_age_h):
        raise InvalidReport(f"occurred_at is more than {limits.max_age_h:g} hours ago.")
    xmin, ymin, xmax, ymax = limits.service_bbox
    if not (xmin <= form.lon <= xmax and ymin <= form.lat <= ymax):
        raise InvalidReport(
            f"The location is outside the service area (lon {xmin}..{xmax}, lat {ymin}..{ymax})."
        )
    if form.accuracy_m is not None and form.accuracy_m > limits.max_accuracy_m:
        raise InvalidReport(f"accuracy_m may be at most {limits.max_accuracy_m:g} metres.")


async def _read_photo(photo: UploadFile | None, max_bytes: int) -> bytes | None:
    if photo is None:
        return None
    data = await photo.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"The photo may have at most {max_bytes} bytes.")
    if not data:
        raise InvalidReport("The photo is empty.")
    return data


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


async def _discard_unreferenced(request: Request, photos: AsyncPhotos, photo_key: str) -> None:
    """After a failed insert: delete the photo unless a report refers to it after all (the
    insert may have committed before the failure). Kept when that cannot be checked: an
    unreferenced file is better than a report whose photo is gone."""
    with anyio.CancelScope(shield=True):
        try:
            async with request.app.state.pool.connection() as conn:
                cur = await conn.execute(PHOTO_IN_USE_SQL, (photo_key,))
                in_use = await cur.fetchone()
        except Exception:
            log.warning("report photo %s kept: its use could not be checked", photo_key)
            return
        if in_use is None:
            await photos.delete(photo_key)


def _client_hash(request: Request, settings: Settings, device_id: str | None) -> str:
    """Salted hash of the device id, or of the client address without one (never in clear)."""
    if device_id is not None:
        subject = f"device:{device_id}"
    else:
        subject = f"addr:{request.client.host if request.client else 'unknown'}"
    salt = settings.security.client_hash_salt.get_secret_value().encode()
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


async def _store_with_photo(
    request: Request,
    conn: AsyncConnection,
    photos: AsyncPhotos,
    submission: Submission,
    photo: bytes | None,
    limits: ReportSettings,
) -> tuple[str, int | None, int | None]:
    """Clean and store the photo, then the report; the photo goes again unless the report
    was created with it. Returns (outcome, report id, retry-after seconds)."""
    photo_key = None
    if photo is not None:
        cleaned = await run_in_threadpool(
            clean_photo, photo, limits.photo_max_pixels, limits.photo_jpeg_quality
        )
        photo_key = await photos.put(cleaned.data, cleaned.extension)
    try:
        outcome, report_id, retry_after_s = await _store(conn, submission, photo_key, limits)
    except BaseException:
        if photo_key:
            await _discard_unreferenced(request, photos, photo_key)
        raise
    if outcome != "created" and photo_key:
        await photos.delete(photo_key)
    return outcome, report_id, retry_after_s


async def _store(
    conn: AsyncConnection, submission: Submission, photo_key: str | None, limits: ReportSettings
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
            "photo_key": photo_key,
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
