"""The queue of event pages (raw.event_pages): each new event's page fetched once, politely.

A fetched page's text goes to raw.incidents.page_text and the event is geocoded again with
it. Failures wait `page_retry_after_s` (doubling) and give up after `page_max_attempts`;
a 404 is `gone`, a page that changed shape is `unparseable`: neither is fetched again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

log = logging.getLogger("halo.feed.pages")

ENQUEUE_SQL = """
INSERT INTO raw.event_pages (source_id, external_id, url)
SELECT i.source_id, i.external_id, %(base)s || (i.raw_payload ->> 'url')
  FROM raw.incidents i
 WHERE i.source_id = %(source_id)s AND i.external_id = ANY(%(ids)s)
   AND i.page_text IS NULL AND i.raw_payload ->> 'url' LIKE '/%%'
ON CONFLICT DO NOTHING
"""
DUE_SQL = """
SELECT p.external_id, p.url, p.attempts, i.raw_payload
  FROM raw.event_pages p
  JOIN raw.incidents i ON i.source_id = p.source_id AND i.external_id = p.external_id
 WHERE p.source_id = %s AND p.status = 'pending' AND p.next_attempt_at <= now()
 ORDER BY p.next_attempt_at, p.external_id
 LIMIT %s
"""
DONE_SQL = """
UPDATE raw.event_pages SET status = %(status)s, attempts = attempts + 1, fetched_at = now(),
       last_error = %(error)s
 WHERE source_id = %(source_id)s AND external_id = %(external_id)s
"""
RETRY_SQL = """
UPDATE raw.event_pages
   SET attempts = attempts + 1, last_error = %(error)s,
       status = CASE WHEN attempts + 1 >= %(max_attempts)s THEN 'failed' ELSE 'pending' END,
       next_attempt_at = now() + make_interval(secs => %(delay_s)s * power(2, attempts))
 WHERE source_id = %(source_id)s AND external_id = %(external_id)s
"""


@dataclass(frozen=True)
class DuePage:
    """A page whose turn has come, with its event's last payload (to geocode it again)."""

    external_id: str
    url: str
    attempts: int
    payload: object


def enqueue_pages(
    conn: psycopg.Connection, source_id: int, base_url: str, external_ids: Sequence[str]
) -> int:
    """Queue the pages of these events (those without page text); how many were queued."""
    if not external_ids:
        return 0
    params = {"base": base_url.rstrip("/"), "source_id": source_id, "ids": list(external_ids)}
    return conn.execute(ENQUEUE_SQL, params).rowcount


def due_pages(conn: psycopg.Connection, source_id: int, limit: int) -> list[DuePage]:
    """The pages to fetch now, oldest turn first."""
    rows = conn.execute(DUE_SQL, (source_id, limit)).fetchall()
    return [DuePage(*row) for row in rows]


def mark_page_done(
    conn: psycopg.Connection, source_id: int, external_id: str, status: str, error: str | None
) -> None:
    """A final answer for a page: fetched, unparseable or gone."""
    params = {"status": status, "error": error, "source_id": source_id, "external_id": external_id}
    conn.execute(DONE_SQL, params)


def retry_page_later(
    conn: psycopg.Connection,
    source_id: int,
    external_id: str,
    error: str,
    delay_s: float,
    max_attempts: int,
) -> None:
    """A failed fetch: try again after a doubling delay, or give up (`failed`)."""
    params = {
        "error": error[:500],
        "max_attempts": max_attempts,
        "delay_s": delay_s,
        "source_id": source_id,
        "external_id": external_id,
    }
    conn.execute(RETRY_SQL, params)
