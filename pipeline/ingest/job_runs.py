"""Record an ingestion run in ops.job_runs: start, end, status, rows, error, counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg


@dataclass
class JobOutcome:
    """What the job reports back: rows it wrote and JSON details."""

    rows_affected: int = 0
    details: dict[str, object] = field(default_factory=dict)


@contextmanager
def recorded_job(database_url: str, kind: str) -> Iterator[JobOutcome]:
    """Run a block as a recorded job; the record is written on its own connection, so a
    failed (rolled back) batch still leaves a `failed` run with its error."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO ops.job_runs (kind) VALUES (%s) RETURNING id", (kind,)
        ).fetchone()
        assert row is not None
        outcome = JobOutcome()
        try:
            yield outcome
        except BaseException as exc:
            conn.execute(
                "UPDATE ops.job_runs SET status = 'failed', finished_at = now(), error = %s,"
                " details = %s WHERE id = %s",
                (f"{type(exc).__name__}: {exc}"[:2000], json.dumps(outcome.details), row[0]),
            )
            raise
        conn.execute(
            "UPDATE ops.job_runs SET status = 'success', finished_at = now(), rows_affected = %s,"
            " details = %s WHERE id = %s",
            (outcome.rows_affected, json.dumps(outcome.details), row[0]),
        )
