"""Erasure routes (scope admin): a report, or everything a device sent and registered.

The database removes rows, moderation messages and the report's trace in the clusters in one
transaction (sql/097_privacy.sql); the photo files go after it committed. docs/privacy.md.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel

from api.deps import AppSettings, Conn
from api.errors import KEY_RESPONSES, problem_response
from api.reports.photo_store import AsyncPhotos, Photos
from api.security import AdminKey
from core.digests import device_client_hash

router = APIRouter(prefix="/api/v1/admin", tags=["privacy"], responses=KEY_RESPONSES)

ERASE_REPORT_SQL = "SELECT report_id, photo_key FROM raw.erase_report(%s)"
ERASE_CLIENT_SQL = "SELECT report_id, photo_key FROM raw.erase_client_reports(%s)"
ERASE_DEVICE_SQL = "SELECT push.erase_device(%s)"

ReportId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{8,128}$")]


class Erasure(BaseModel):
    """What was erased: report ids, photo files, and whether a push registration."""

    report_ids: list[int]
    photos: int
    device_registration: bool


@router.delete(
    "/reports/{report_id}",
    summary="Erase a report (row, photo, messages, its trace in the clusters)",
    responses={404: problem_response("No report with this id")},
)
async def erase_report(_key: AdminKey, conn: Conn, photos: Photos, report_id: ReportId) -> Erasure:
    """Erase one report at once, for a data subject's request (GDPR art. 17)."""
    cur = await conn.execute(ERASE_REPORT_SQL, (report_id,))
    rows = await cur.fetchall()
    if not rows:
        raise HTTPException(404, "No report with this id.")
    return await _erased(photos, rows, device=False)


@router.delete(
    "/devices/{device_id}/data",
    summary="Erase every report sent with this X-Device-Id and the push registration",
    responses={404: problem_response("Nothing is stored for this device id")},
)
async def erase_device_data(
    _key: AdminKey, conn: Conn, photos: Photos, settings: AppSettings, device_id: DeviceId
) -> Erasure:
    """Erase a device's reports (found by the salted hash of its id) and its registration."""
    salt = settings.security.client_hash_salt.get_secret_value().encode()
    client = device_client_hash(salt, device_id)
    cur = await conn.execute(ERASE_CLIENT_SQL, (client,))
    rows = await cur.fetchall()
    device = False
    if (registration := _as_uuid(device_id)) is not None:
        cur = await conn.execute(ERASE_DEVICE_SQL, (registration,))
        found = await cur.fetchone()
        device = bool(found and found[0])
    if not rows and not device:
        raise HTTPException(404, "Nothing is stored for this device id.")
    return await _erased(photos, rows, device)


async def _erased(photos: AsyncPhotos, rows: list[tuple[int, str | None]], device: bool) -> Erasure:
    keys = [key for _, key in rows if key]
    for key in keys:
        await photos.delete(key)
    return Erasure(
        report_ids=[int(r) for r, _ in rows], photos=len(keys), device_registration=device
    )


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
