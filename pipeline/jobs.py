"""The record of batch jobs in ops.job_runs, and the lock that keeps two runs apart."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg

log = logging.getLogger("halo.jobs")

# Session-level advisory lock key of the nightly pipeline (retrain, refresh, backtest).
NIGHTLY_LOCK_KEY = 0x4A1_0001


class JobAlreadyRunning(RuntimeError):
    """Another run of the same job holds its lock."""


@dataclass
class JobRun:
    """A running job: its id, and what it reports when it ends."""

    id: int
    kind: str
    rows: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@contextmanager
def recorded_job(owner_url: str, kind: str, run_id: int | None = None) -> Iterator[JobRun]:
    """Record a job run: 'running' now, then 'success' or 'failed' with the error.

    The record is written on its own autocommitted connection, so it survives the rollback
    of the job's work. `run_id` adopts a queued run (e.g. from the admin trigger).
    """
    with psycopg.connect(owner_url, autocommit=True) as conn:
        if run_id is None:
            row = conn.execute(
                "INSERT INTO ops.job_runs (kind, status) VALUES (%s, 'running') RETURNING id",
                (kind,),
            ).fetchone()
            assert row is not None
            run_id = row[0]
        else:
            conn.execute(
                "UPDATE ops.job_runs SET status = 'running', started_at = now() WHERE id = %s",
                (run_id,),
            )
        run = JobRun(id=run_id, kind=kind)
        log.info("job %s started (run %s)", kind, run_id)
        try:
            yield run
        except BaseException as exc:
            _finish(conn, run, "failed", f"{type(exc).__name__}: {exc}")
            log.error("job %s failed (run %s): %s", kind, run_id, exc)
            raise
        _finish(conn, run, "success", None)
        log.info("job %s succeeded (run %s, rows %s)", kind, run_id, run.rows)


def _finish(conn: psycopg.Connection, run: JobRun, status: str, error: str | None) -> None:
    conn.execute(
        "UPDATE ops.job_runs SET status = %s, finished_at = clock_timestamp(),"
        " rows_affected = %s, error = %s, details = %s::jsonb WHERE id = %s",
        (status, run.rows, error, json.dumps(run.details, default=str), run.id),
    )


@contextmanager
def exclusive(owner_url: str, key: int = NIGHTLY_LOCK_KEY) -> Iterator[None]:
    """Hold a session advisory lock for the block; raise JobAlreadyRunning if it is taken."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if not row or not row[0]:
            raise JobAlreadyRunning("another nightly run holds the lock")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
