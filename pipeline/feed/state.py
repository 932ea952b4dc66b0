"""The feed's state row in ops.feed_state: cursor, polls, errors, a pending light refresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import class_row

ENSURE_SQL = "INSERT INTO ops.feed_state (source_id) VALUES (%s) ON CONFLICT DO NOTHING"
READ_SQL = """
SELECT cursor_published_at, last_poll_at, last_poll_ok_at, last_error, consecutive_failures,
       refresh_pending, last_refresh_at
  FROM ops.feed_state WHERE source_id = %s
"""
# The cursor only moves forward, and only in the transaction that stored the events.
POLL_OK_SQL = """
UPDATE ops.feed_state
   SET cursor_published_at = greatest(cursor_published_at, %(newest)s),
       last_poll_at = now(), last_poll_ok_at = now(), consecutive_failures = 0,
       refresh_pending = refresh_pending OR %(located)s, polls_ok = polls_ok + 1,
       updated_at = now()
 WHERE source_id = %(source_id)s
"""
POLL_FAILED_SQL = """
UPDATE ops.feed_state
   SET last_poll_at = now(), last_error = %(error)s, last_error_at = now(),
       consecutive_failures = consecutive_failures + 1, polls_failed = polls_failed + 1,
       updated_at = now()
 WHERE source_id = %(source_id)s
"""
REFRESHED_SQL = """
UPDATE ops.feed_state SET refresh_pending = false, last_refresh_at = now(), updated_at = now()
 WHERE source_id = %s
"""
MARK_REFRESH_SQL = (
    "UPDATE ops.feed_state SET refresh_pending = true, updated_at = now() WHERE source_id = %s"
)


@dataclass(frozen=True)
class FeedState:
    """What the feed remembers across restarts."""

    cursor_published_at: datetime | None
    last_poll_at: datetime | None
    last_poll_ok_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    refresh_pending: bool
    last_refresh_at: datetime | None


def read_state(conn: psycopg.Connection, source_id: int) -> FeedState:
    """The source's state row, created empty the first time."""
    conn.execute(ENSURE_SQL, (source_id,))
    with conn.cursor(row_factory=class_row(FeedState)) as cursor:
        state = cursor.execute(READ_SQL, (source_id,)).fetchone()
    assert state is not None
    return state


def record_poll_ok(
    conn: psycopg.Connection, source_id: int, newest: datetime | None, located: bool
) -> None:
    """A successful poll: move the cursor, clear the failure count, maybe ask for a refresh."""
    conn.execute(POLL_OK_SQL, {"source_id": source_id, "newest": newest, "located": located})


def record_poll_failed(conn: psycopg.Connection, source_id: int, error: str) -> None:
    """A failed poll, with its error (shown by readiness and /api/v1/freshness)."""
    conn.execute(POLL_FAILED_SQL, {"source_id": source_id, "error": error[:500]})


def record_refreshed(conn: psycopg.Connection, source_id: int) -> None:
    """A light refresh done: nothing pending."""
    conn.execute(REFRESHED_SQL, (source_id,))


def mark_refresh_pending(conn: psycopg.Connection, source_id: int) -> None:
    """New located incidents (e.g. a page that located an event) await a light refresh."""
    conn.execute(MARK_REFRESH_SQL, (source_id,))
