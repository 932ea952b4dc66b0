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

# The job lock of the nightly pipeline (retrain, refresh, backtest): a row of ops.job_locks.
NIGHTLY_JOB = "nightly"
JOB_LOCK_SQL = "SELECT job FROM ops.job_locks WHERE job = %s FOR UPDATE NOWAIT"
# Two-key advisory locks (RUN_LOCK_CLASS, run id) held by the session that records a run, for
# as long as it runs: a free lock on a 'running' run means its process is gone (killed, crashed).
RUN_LOCK_CLASS = 0x4A1
# Taken with pg_try_advisory_lock: any role may hold any advisory key, and one holding the key
# of the next run id must not make the run wait forever (the run goes on; only the reaper's
# liveness check of that run is then fooled).
# Runs recorded without that lock (by older versions, or queued ones never started) are
# declared abandoned only by age.
UNLOCKED_STALE_AFTER_H = 24.0
ABANDONED_ERROR = "abandoned: its process ended without finishing the run (killed or crashed)"

INSERT_RUN_SQL = """
INSERT INTO ops.job_runs (kind, status, details) VALUES (%s, 'running', '{"session_lock": true}')
RETURNING id, pg_try_advisory_lock(%s, (id %% 2147483648)::integer)
"""
ADOPT_RUN_SQL = """
UPDATE ops.job_runs SET status = 'running', started_at = now(),
       details = details || '{"session_lock": true}'
 WHERE id = %s
RETURNING id, pg_try_advisory_lock(%s, (id %% 2147483648)::integer)
"""
RUNNING_SQL = """
SELECT id, details ? 'session_lock' FROM ops.job_runs
 WHERE status = 'running'
   AND (details ? 'session_lock' OR started_at < now() - %s * interval '1 hour')
 ORDER BY id
"""
REAP_SQL = """
UPDATE ops.job_runs SET status = 'failed', finished_at = greatest(clock_timestamp(), started_at),
       error = %s
 WHERE id = %s AND status = 'running'
"""


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
    of the job's work; that session holds the run's advisory lock until it ends, so a run
    whose process is killed is found by `reap_abandoned_runs`. `run_id` adopts a queued run
    (e.g. from the admin trigger).
    """
    with psycopg.connect(owner_url, autocommit=True) as conn:
        reap_abandoned_runs(conn)
        if run_id is None:
            row = conn.execute(INSERT_RUN_SQL, (kind, RUN_LOCK_CLASS)).fetchone()
        else:
            row = conn.execute(ADOPT_RUN_SQL, (run_id, RUN_LOCK_CLASS)).fetchone()
        if row is None:
            raise ValueError(f"no job run {run_id} to adopt")
        run = JobRun(id=row[0], kind=kind)
        run_id = run.id
        log.info("job %s started (run %s)", kind, run_id)
        try:
            yield run
        except BaseException as exc:
            _finish(conn, run, "failed", f"{type(exc).__name__}: {exc}")
            log.error("job %s failed (run %s): %s", kind, run_id, exc)
            raise
        _finish(conn, run, "success", None)
        log.info("job %s succeeded (run %s, rows %s)", kind, run_id, run.rows)


def reap_abandoned_runs(
    conn: psycopg.Connection, unlocked_after_hours: float = UNLOCKED_STALE_AFTER_H
) -> list[int]:
    """Mark 'failed' the runs still 'running' whose recording session is gone (their advisory
    lock is free), and those recorded without the lock that started over
    `unlocked_after_hours` ago; returns their ids. Call it on a session holding no run lock
    (the lock is re-entrant), and commit if the connection is not autocommit."""
    reaped = []
    for run_id, locked in conn.execute(RUNNING_SQL, (unlocked_after_hours,)).fetchall():
        key = (RUN_LOCK_CLASS, run_id % 2**31)
        if locked and not _try_lock(conn, key):
            continue  # its process is alive and holds the lock
        try:
            if conn.execute(REAP_SQL, (ABANDONED_ERROR, run_id)).rowcount:
                reaped.append(run_id)
                log.warning("job run %s marked failed: %s", run_id, ABANDONED_ERROR)
        finally:
            if locked:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)
    return reaped


def _try_lock(conn: psycopg.Connection, key: tuple[int, int]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()
    return bool(row and row[0])


def _finish(conn: psycopg.Connection, run: JobRun, status: str, error: str | None) -> None:
    conn.execute(
        "UPDATE ops.job_runs SET status = %s, finished_at = clock_timestamp(),"
        " rows_affected = %s, error = %s, details = %s::jsonb WHERE id = %s",
        (status, run.rows, error, json.dumps(run.details, default=str), run.id),
    )


@contextmanager
def exclusive(owner_url: str, job: str = NIGHTLY_JOB) -> Iterator[None]:
    """Hold the job's row of ops.job_locks for the block; JobAlreadyRunning if it is held.

    A row lock, not an advisory lock: any role may take any advisory lock key (an analyst
    holding the nightly's key made every nightly run fail), but locking a row needs UPDATE on
    ops.job_locks, which only the owner has. The lock lives in this connection's transaction,
    which stays open (and idle) until the block ends.
    """
    with psycopg.connect(owner_url) as conn:
        try:
            row = conn.execute(JOB_LOCK_SQL, (job,)).fetchone()
        except psycopg.errors.LockNotAvailable:
            raise JobAlreadyRunning(f"another {job} run holds the lock") from None
        if row is None:
            raise RuntimeError(f"ops.job_locks has no row for {job!r}: run the migrations")
        try:
            yield
        finally:
            conn.rollback()
