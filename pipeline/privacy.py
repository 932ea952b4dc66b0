"""Privacy jobs: retention (run by the nightly) and erasure of a report or a device's data.

The database part is one transaction (sql/097_privacy.sql); photo files are deleted only after
it committed, so a file goes only once no report refers to it (a crash in between leaves an
unreferenced file, never a report without its photo).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import psycopg

from config.privacy import RetentionSettings
from core.digests import device_client_hash
from core.photo_store import PhotoStore

log = logging.getLogger("halo.privacy")

RETENTION_SQL = "SELECT item, removed, photo_keys FROM ops.apply_retention(%s, %s, %s, %s, %s)"
ERASE_REPORT_SQL = "SELECT report_id, photo_key FROM raw.erase_report(%s)"
ERASE_CLIENT_SQL = "SELECT report_id, photo_key FROM raw.erase_client_reports(%s)"
ERASE_DEVICE_SQL = "SELECT push.erase_device(%s)"


def apply_retention(owner_url: str, days: RetentionSettings, store: PhotoStore) -> dict[str, int]:
    """Delete what is past its retention period; returns the rows removed per kind."""
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            RETENTION_SQL,
            (
                days.reports_days,
                days.photos_days,
                days.devices_days,
                days.rate_limit_days,
                days.job_logs_days,
            ),
        ).fetchall()
    keys = [key for _, _, photo_keys in rows for key in photo_keys]
    _delete_photos(store, keys)
    removed = {item: int(count) for item, count, _ in rows}
    log.info("retention applied: %s", removed)
    return removed


@dataclass(frozen=True)
class Erased:
    """What an erasure removed: report ids, photo files, and whether a device registration."""

    report_ids: list[int]
    photos: int
    device: bool = False


def erase_report(owner_url: str, store: PhotoStore, report_id: int) -> Erased:
    """Erase one report (row, photo, moderation messages, its trace in the clusters)."""
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(ERASE_REPORT_SQL, (report_id,)).fetchall()
    return _erased(store, rows)


def erase_device_data(owner_url: str, store: PhotoStore, salt: bytes, device_id: str) -> Erased:
    """Erase every report sent with this X-Device-Id and the push registration with this id."""
    client = device_client_hash(salt, device_id)
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(ERASE_CLIENT_SQL, (client,)).fetchall()
        device = False
        if (registration := _as_uuid(device_id)) is not None:
            found = conn.execute(ERASE_DEVICE_SQL, (registration,)).fetchone()
            device = bool(found and found[0])
    erased = _erased(store, rows)
    return Erased(erased.report_ids, erased.photos, device)


def _erased(store: PhotoStore, rows: list[tuple[int, str | None]]) -> Erased:
    keys = [key for _, key in rows if key]
    _delete_photos(store, keys)
    return Erased([int(report_id) for report_id, _ in rows], len(keys))


def _delete_photos(store: PhotoStore, keys: list[str]) -> None:
    for key in keys:
        try:
            store.delete(key)
        except OSError:
            log.warning("photo %s could not be deleted; its report is gone", key)


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
