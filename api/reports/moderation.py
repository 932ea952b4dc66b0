"""Moderation (scope admin): the review queue, a report's photo and video, approve or reject."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from psycopg.rows import dict_row

from api.deps import Conn
from api.errors import KEY_RESPONSES, problem_response
from api.reports.models import (
    ModeratedReport,
    ModerationRequest,
    ModerationStatus,
    ReportForReview,
    ReportReceipt,
)
from api.reports.photo_store import Photos
from api.reports.photos import MEDIA_TYPES
from api.reports.videos import VIDEO_MEDIA_TYPES
from api.security import AdminKey

log = logging.getLogger("halo.api.reports")

router = APIRouter(prefix="/api/v1/admin/reports", tags=["admin"], responses=KEY_RESPONSES)

# Oldest first within a status (a queue), paged by id; each report with its police matches
# (the view's filter on report_id reaches raw.user_reports' primary key).
REVIEW_SQL = """
SELECT rc.*, r.description, r.moderated_at, m.matches, m.best_incident_id
  FROM raw.report_receipts rc
  JOIN raw.user_reports r ON r.id = rc.id
  CROSS JOIN LATERAL (
      SELECT count(*) AS matches,
             (array_agg(c.incident_id ORDER BY abs(c.time_gap_s), c.distance_m,
                        c.incident_id))[1] AS best_incident_id
        FROM raw.report_corroborations c WHERE c.report_id = r.id) m
 WHERE r.moderation_status = %(status)s AND r.id > %(after_id)s
 ORDER BY r.id
 LIMIT %(limit)s
"""
MODERATE_SQL = "SELECT * FROM raw.moderate_report(%s, %s, %s)"
PHOTO_KEY_SQL = "SELECT photo_key FROM raw.user_reports WHERE id = %s"
VIDEO_KEY_SQL = "SELECT video_key FROM raw.user_reports WHERE id = %s"
POSTER_KEY_SQL = "SELECT video_poster_key FROM raw.user_reports WHERE id = %s"

ReportId = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
NOT_FOUND = problem_response("No report with this id (or it has no photo)")


@router.get("", summary="Reports awaiting (or past) moderation, oldest first")
async def list_reports(
    _key: AdminKey,
    conn: Conn,
    status: ModerationStatus = "pending",
    after_id: Annotated[int, Query(ge=0, le=9_223_372_036_854_775_807)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ReportForReview]:
    """Reports with one status, by id after `after_id` (paging), with their text, a photo link
    and how many police events corroborate them."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(REVIEW_SQL, {"status": status, "after_id": after_id, "limit": limit})
    return [_for_review(row) for row in await cur.fetchall()]


@router.post(
    "/{report_id}/moderate",
    summary="Approve or reject a report",
    responses={404: problem_response("No report with this id")},
)
async def moderate_report(
    key: AdminKey, conn: Conn, photos: Photos, report_id: ReportId, decision: ModerationRequest
) -> ModeratedReport:
    """Set the status; an approved report feeds risk (capped), a rejected one never does and
    its photo, video and poster frame are deleted."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(MODERATE_SQL, (report_id, decision.status, key.key_id))
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(404, "No report with this id.")
    removed = [row["removed_photo_key"], row["removed_video_key"], row["removed_poster_key"]]
    for stored_key in filter(None, removed):
        try:
            await photos.delete(stored_key)
        except Exception:
            log.exception("file %s of rejected report %s not deleted", stored_key, report_id)
    return ModeratedReport(
        id=row["report_id"],
        status=row["moderation_status"],
        moderated_at=row["moderated_at"],
        photo_removed=bool(row["removed_photo_key"]),
        video_removed=bool(row["removed_video_key"]),
    )


@router.get(
    "/{report_id}/photo",
    summary="A report's photo (metadata removed)",
    response_class=Response,
    responses={
        200: {
            "description": "The photo",
            "content": {media: {} for media in sorted(set(MEDIA_TYPES.values()))},
        },
        404: NOT_FOUND,
    },
)
async def report_photo(_key: AdminKey, conn: Conn, photos: Photos, report_id: ReportId) -> Response:
    """The stored photo, as re-encoded at submission."""
    cur = await conn.execute(PHOTO_KEY_SQL, (report_id,))
    row = await cur.fetchone()
    photo_key = row[0] if row else None
    data = await photos.get(photo_key) if photo_key else None
    if photo_key is None or data is None:
        raise HTTPException(404, "No report with this id, or it has no photo.")
    media_type = MEDIA_TYPES.get(photo_key.rsplit(".", 1)[-1], "application/octet-stream")
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, no-store"})


async def _stored_file(
    conn: Conn, photos: Photos, query: str, report_id: int, media_types: dict[str, str]
) -> Response:
    cur = await conn.execute(query, (report_id,))
    row = await cur.fetchone()
    key = row[0] if row else None
    data = await photos.get(key) if key else None
    if key is None or data is None:
        raise HTTPException(404, "No report with this id, or it has no such file.")
    media_type = media_types.get(key.rsplit(".", 1)[-1], "application/octet-stream")
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, no-store"})


@router.get(
    "/{report_id}/video",
    summary="A report's video clip (re-muxed without metadata)",
    response_class=Response,
    responses={
        200: {
            "description": "The clip",
            "content": {media: {} for media in sorted(set(VIDEO_MEDIA_TYPES.values()))},
        },
        404: NOT_FOUND,
    },
)
async def report_video(_key: AdminKey, conn: Conn, photos: Photos, report_id: ReportId) -> Response:
    """The stored clip, as re-muxed at submission."""
    return await _stored_file(conn, photos, VIDEO_KEY_SQL, report_id, VIDEO_MEDIA_TYPES)


@router.get(
    "/{report_id}/video-poster",
    summary="A report's video poster frame (JPEG)",
    response_class=Response,
    responses={200: {"description": "The frame", "content": {"image/jpeg": {}}}, 404: NOT_FOUND},
)
async def report_video_poster(
    _key: AdminKey, conn: Conn, photos: Photos, report_id: ReportId
) -> Response:
    """One frame of the clip, for the review queue."""
    return await _stored_file(conn, photos, POSTER_KEY_SQL, report_id, MEDIA_TYPES)


def _for_review(row: dict[str, Any]) -> ReportForReview:
    receipt = ReportReceipt.from_row(row)
    return ReportForReview(
        **receipt.model_dump(),
        description=row["description"],
        photo_url=f"/api/v1/admin/reports/{row['id']}/photo" if row["has_photo"] else None,
        video_url=f"/api/v1/admin/reports/{row['id']}/video" if row.get("has_video") else None,
        video_poster_url=(
            f"/api/v1/admin/reports/{row['id']}/video-poster" if row.get("has_video") else None
        ),
        moderated_at=row["moderated_at"],
        corroborating_incidents=row["matches"],
        best_incident_id=row["best_incident_id"],
    )
