"""Admin routes (scope admin): the recent job runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from psycopg.rows import dict_row
from pydantic import BaseModel

from api.deps import Conn
from api.errors import KEY_RESPONSES
from api.security import AdminKey

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=KEY_RESPONSES)

JOBS_SQL = """
SELECT id, kind, status, started_at, finished_at, rows_affected, error, details
  FROM ops.job_runs
 WHERE %(kind)s::text IS NULL OR kind = %(kind)s
 ORDER BY started_at DESC, id DESC
 LIMIT %(limit)s
"""


class JobRun(BaseModel):
    """One run of a batch job as recorded in ops.job_runs."""

    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_affected: int | None
    error: str | None
    details: dict[str, Any]


@router.get("/jobs", summary="Recent job runs, newest first")
async def list_jobs(
    _key: AdminKey,
    conn: Conn,
    kind: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobRun]:
    """The latest runs of every job, or of one kind (ingest, nightly, backup, ...)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(JOBS_SQL, {"kind": kind, "limit": limit})
    return [JobRun(**row) for row in await cur.fetchall()]
