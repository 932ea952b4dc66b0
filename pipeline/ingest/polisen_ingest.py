"""Ingest polisen.se events (files or API responses): parse, categorise, geocode, merge.

One input file or one API response is one batch and one transaction: a batch is written
completely or not at all. Bad events are rejected with a counted reason, never half-stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from config.ingest import IngestSettings, get_ingest_settings
from pipeline.ingest.categories import UNKNOWN_TYPE_CATEGORY, category_of_type
from pipeline.ingest.gazetteer import read_gazetteer
from pipeline.ingest.geocode import Geocoder, TitleScope
from pipeline.ingest.incident_store import (
    StagedIncident,
    known_page_texts,
    merge_incidents,
    payload_json,
    source_id_of,
    without_nul,
)
from pipeline.ingest.polisen_api import PolisenApiError, PolisenClient, poll
from pipeline.ingest.polisen_files import EventPage, pages_file_beside, read_events, read_pages
from pipeline.ingest.polisen_parse import EventRejected, PolisenEvent, parse_event
from pipeline.ingest.progress import progress
from pipeline.ingest.summary import IngestSummary
from pipeline.jobs import recorded_job

log = logging.getLogger("halo.ingest.polisen")

POLISEN_SOURCE = "polisen"
_NO_PAGE = EventPage(first_seen_at=None, text=None)


class GazetteerMissingError(RuntimeError):
    """The reference data the geocoder needs is not loaded."""


@dataclass(frozen=True)
class PolisenIngester:
    """Everything needed to turn raw events into incidents for one database."""

    geocoder: Geocoder
    source_id: int
    county_codes: frozenset[str]
    local_tz: ZoneInfo


def open_ingester(conn: psycopg.Connection, settings: IngestSettings) -> PolisenIngester:
    """Read the gazetteer and the source id; refuses to run without boundaries."""
    entries = read_gazetteer(conn)
    if not any(entry.kind == "municipality" for entry in entries):
        raise GazetteerMissingError(
            "no municipalities in the gazetteer: run `halo load boundaries` and "
            "`halo load gazetteer` first"
        )
    return PolisenIngester(
        geocoder=Geocoder(entries),
        source_id=source_id_of(conn, POLISEN_SOURCE),
        county_codes=frozenset(settings.county_codes),
        local_tz=ZoneInfo(settings.local_timezone),
    )


def parse_events(
    ingester: PolisenIngester,
    events: Sequence[object],
    summary: IngestSummary,
    where: str,
    now: datetime,
) -> list[PolisenEvent]:
    """The valid events of a batch, the last of each id; rejects are counted in `summary`."""
    parsed: dict[str, tuple[int, PolisenEvent]] = {}
    for number, payload in enumerate(events, start=1):
        try:
            event = parse_event(payload, ingester.local_tz, now)
            _title_scope(ingester, event)
        except EventRejected as rejected:
            summary.reject(f"{where} event {number}", rejected.reason, rejected.detail)
            continue
        if event.external_id in parsed:
            earlier = parsed[event.external_id][0]
            detail = f"id {event.external_id} again in event {number}, which is kept"
            summary.reject(f"{where} event {earlier}", "duplicate_id", detail)
        parsed[event.external_id] = (number, event)
    return [event for _, event in parsed.values()]


def stage_events(
    ingester: PolisenIngester,
    events: Sequence[PolisenEvent],
    pages: Mapping[str, EventPage],
    stored_page_texts: Mapping[str, str],
    summary: IngestSummary,
    seen_at: datetime | None = None,
) -> list[StagedIncident]:
    """Categorised, geocoded incidents of parsed events. `seen_at` (live polling) is the
    first-seen time of new events, else the archive's first-seen time or the publication."""
    staged = []
    for event in progress(events, len(events), "geocoding"):
        page = pages.get(event.external_id)
        page_text = (page.text if page else None) or stored_page_texts.get(event.external_id)
        first_seen = seen_at or (page.first_seen_at if page else None) or event.published_at
        staged.append(_incident(ingester, event, page_text, first_seen, summary))
    return staged


def _incident(
    ingester: PolisenIngester,
    event: PolisenEvent,
    page_text: str | None,
    first_seen: datetime,
    summary: IngestSummary,
) -> StagedIncident:
    scope = _title_scope(ingester, event)
    category = category_of_type(event.event_type)
    if category is None:
        summary.warn("unknown_type")
        category = UNKNOWN_TYPE_CATEGORY
    texts = [("summary", event.summary), ("page", page_text or "")]
    location = ingester.geocoder.locate(scope, texts)
    return StagedIncident(
        external_id=event.external_id,
        event_type=event.event_type,
        category=category,
        occurred_at=event.occurred_at,
        published_at=event.published_at,
        first_seen_at=first_seen,
        title=without_nul(event.title),
        summary=without_nul(event.summary),
        location_support=location.support,
        support_radius_m=location.radius_m,
        lon=location.point[0] if location.point else None,
        lat=location.point[1] if location.point else None,
        place_id=location.place_id,
        district_id=location.district_id,
        municipality_code=location.municipality_code,
        county_code=location.county_code,
        location_evidence=location.evidence,
        page_text=without_nul(page_text),
        raw_payload=payload_json(event.payload),
    )


def _title_scope(ingester: PolisenIngester, event: PolisenEvent) -> TitleScope:
    """The title's municipality or county (the API's location name if the title has none)."""
    geocoder = ingester.geocoder
    scope = geocoder.title_scope(event.title_place) or geocoder.title_scope(event.location_name)
    if scope is None:
        raise EventRejected("unknown_place", f"title place {event.title_place!r} is not known")
    if scope.county_code not in ingester.county_codes:
        raise EventRejected("outside_region", f"{event.title_place} is outside the region")
    return scope


def ingest_batch(
    conn: psycopg.Connection,
    ingester: PolisenIngester,
    events: Sequence[object],
    pages: Mapping[str, EventPage],
    where: str,
    seen_at: datetime | None = None,
) -> IngestSummary:
    """Stage and merge one batch in a transaction of its own; the batch's summary."""
    summary = IngestSummary()
    parsed = parse_events(ingester, events, summary, where, seen_at or datetime.now(UTC))
    with conn.transaction():
        lacking = [e.external_id for e in parsed if not (pages.get(e.external_id) or _NO_PAGE).text]
        stored = known_page_texts(conn, ingester.source_id, lacking)
        incidents = stage_events(ingester, parsed, pages, stored, summary, seen_at)
        counts = merge_incidents(conn, ingester.source_id, incidents)
    summary.inserted, summary.updated, summary.unchanged = (
        counts.inserted,
        counts.updated,
        counts.unchanged,
    )
    log.info("batch where=%s %s", where, summary.line())
    return summary


def ingest_files(
    database_url: str,
    files: Sequence[Path],
    pages_path: Path | None = None,
    settings: IngestSettings | None = None,
) -> IngestSummary:
    """Ingest event files, each one batch; page text from `pages_path` or the file beside each."""
    settings = settings or get_ingest_settings()
    # Every file is read before anything is written: a malformed file stops the run early.
    explicit_pages = read_pages(pages_path) if pages_path else None
    batches = [(path, read_events(path), _pages_for(path, explicit_pages)) for path in files]
    total = IngestSummary()
    with (
        recorded_job(database_url, "ingest_polisen") as job,
        psycopg.connect(database_url, autocommit=True) as conn,
    ):
        ingester = open_ingester(conn, settings)
        for path, events, pages in batches:
            total.add(ingest_batch(conn, ingester, events, pages, path.name))
        job.rows = total.inserted + total.updated
        job.details = {"files": [str(p) for p in files], **total.as_dict()}
    return total


def _pages_for(
    events_path: Path, explicit_pages: dict[str, EventPage] | None
) -> dict[str, EventPage]:
    """The page texts for an events file: the given ones, else the file beside it, else none."""
    if explicit_pages is not None:
        return explicit_pages
    beside = pages_file_beside(events_path)
    return read_pages(beside) if beside else {}


def ingest_live(
    database_url: str,
    client: PolisenClient,
    settings: IngestSettings | None = None,
    max_polls: int | None = 1,
    date_filter: str | None = None,
) -> IngestSummary:
    """Poll the API (`max_polls` times, forever if None) and ingest each answer as a batch;
    new events are first seen now, known ones keep their first-seen time."""
    settings = settings or get_ingest_settings()
    total = IngestSummary()

    def fetch() -> list[object]:
        return client.fetch_events(date_filter, settings.polisen_location_names)

    def ingest(events: list[object]) -> None:
        with (
            recorded_job(database_url, "ingest_polisen_live") as job,
            psycopg.connect(database_url, autocommit=True) as conn,
        ):
            ingester = open_ingester(conn, settings)
            seen_at = datetime.now(UTC)
            summary = ingest_batch(conn, ingester, events, {}, "polisen api", seen_at)
            job.rows = summary.inserted + summary.updated
            job.details = summary.as_dict()
        total.add(summary)

    poll(
        fetch,
        ingest,
        settings.polisen_poll_interval_s,
        max_polls,
        recoverable=(PolisenApiError, OSError, psycopg.OperationalError),
    )
    return total
