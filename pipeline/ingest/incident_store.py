"""Write a batch of incidents: COPY into the session's staging table, then one SQL merge.

raw.merge_incident_staging (sql/040_ingestion.sql) inserts new (source, external id) pairs,
updates changed ones in place (keeping first_seen_at) and leaves identical ones untouched,
so a re-run changes nothing. The caller owns the transaction: one batch, all or nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import psycopg

STAGING_COLUMNS = (
    "external_id",
    "event_type",
    "category",
    "occurred_at",
    "published_at",
    "first_seen_at",
    "title",
    "summary",
    "location_support",
    "support_radius_m",
    "lon",
    "lat",
    "place_id",
    "district_id",
    "municipality_code",
    "county_code",
    "location_evidence",
    "page_text",
    "raw_payload",
)
_COPY_STAGING = "COPY pg_temp.incident_staging ({}) FROM STDIN".format(", ".join(STAGING_COLUMNS))


class UnknownSourceError(LookupError):
    """No ref.data_sources row has the code."""


class StagedIncident(NamedTuple):
    """One incident ready for the merge; a tuple in STAGING_COLUMNS order (fast to COPY)."""

    external_id: str
    event_type: str
    category: str
    occurred_at: datetime | None
    published_at: datetime | None
    first_seen_at: datetime
    title: str | None
    summary: str | None
    location_support: str
    support_radius_m: float | None
    lon: float | None
    lat: float | None
    place_id: int | None
    district_id: int | None
    municipality_code: str | None
    county_code: str | None
    location_evidence: str | None
    page_text: str | None
    raw_payload: str


@dataclass(frozen=True)
class MergeCounts:
    """What one merge did."""

    inserted: int
    updated: int
    unchanged: int


def payload_json(payload: Any) -> str:
    """A record as JSON text for raw_payload (jsonb refuses NUL characters: dropped)."""
    return json.dumps(payload, ensure_ascii=False, default=str).replace("\\u0000", "")


def without_nul(text: str | None) -> str | None:
    """Text without NUL characters, which PostgreSQL text cannot hold."""
    return text.replace("\x00", "") if text else text


def source_id_of(conn: psycopg.Connection, code: str) -> int:
    """The id of a data source by code."""
    row = conn.execute("SELECT id FROM ref.data_sources WHERE code = %s", (code,)).fetchone()
    if row is None:
        raise UnknownSourceError(f"no data source with code {code!r} in ref.data_sources")
    return int(row[0])


def merge_incidents(
    conn: psycopg.Connection, source_id: int, incidents: Iterable[StagedIncident]
) -> MergeCounts:
    """Stage and merge one batch inside the caller's transaction."""
    with conn.cursor() as cursor:
        cursor.execute("SELECT raw.create_incident_staging()")
        with cursor.copy(_COPY_STAGING) as copy:
            for incident in incidents:
                copy.write_row(incident)
        row = cursor.execute(
            "SELECT * FROM raw.merge_incident_staging(%s::smallint)", (source_id,)
        ).fetchone()
    assert row is not None
    return MergeCounts(int(row[0]), int(row[1]), int(row[2]))


def known_page_texts(
    conn: psycopg.Connection, source_id: int, external_ids: list[str]
) -> dict[str, str]:
    """Page texts already stored for some of a source's incidents (by external id)."""
    rows = conn.execute(
        "SELECT external_id, page_text FROM raw.incidents"
        " WHERE source_id = %s AND external_id = ANY(%s) AND page_text IS NOT NULL",
        (source_id, external_ids),
    ).fetchall()
    return {row[0]: row[1] for row in rows}
