"""`halo feed`: poll polisen.se, ingest new and edited events, fetch their pages, refresh.

One cycle: poll (and backfill day by day when the answer does not reach back to the cursor),
store the batch with the cursor in one transaction, fetch due pages, run a light refresh
when one is pending and the interval has passed. Failures never end the process: the first
of a streak is logged, the feed backs off (doubling, capped, Retry-After honoured) and the
state row says what failed for readiness, metrics and /api/v1/freshness.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from config.feed import FeedSettings
from config.ingest import IngestSettings
from pipeline.feed import pages as page_queue
from pipeline.feed.light_refresh import light_refresh
from pipeline.feed.page_text import PageShapeError, page_text
from pipeline.feed.polite_http import FeedFetchError, PoliteGetter
from pipeline.feed.state import (
    mark_refresh_pending,
    read_state,
    record_poll_failed,
    record_poll_ok,
    record_refreshed,
)
from pipeline.ingest.polisen_api import (
    CallPacer,
    PolisenApiError,
    Transport,
    _events_of,
    events_url,
    urllib_transport,
)
from pipeline.ingest.polisen_files import EventPage
from pipeline.ingest.polisen_ingest import PolisenIngester, ingest_batch, open_ingester
from pipeline.ingest.polisen_parse import EventRejected, parse_published

log = logging.getLogger("halo.feed")

# Days fetched one by one after an outage longer than one answer covers (at most this many).
MAX_BACKFILL_DAYS = 31

LOCATED_SQL = """
SELECT count(*) FILTER (WHERE i.location_support IN ('point', 'place', 'district')
                          AND c.counts_for_risk AND i.updated_at = now()),
       max(i.published_at)
  FROM raw.incidents i JOIN ref.incident_categories c ON c.code = i.category
 WHERE i.source_id = %s AND i.external_id = ANY(%s)
"""


@dataclass
class CycleReport:
    """What one cycle did (logged, and read by tests)."""

    polled: bool = False
    events: int = 0
    inserted: int = 0
    updated: int = 0
    backfill_days: list[str] = field(default_factory=list)
    pages_fetched: int = 0
    refreshed: bool = False
    error: str | None = None


class LiveFeed:
    """The feed of one database; clock, sleep and transport are replaceable for tests."""

    def __init__(
        self,
        owner_url: str,
        settings: FeedSettings,
        ingest_settings: IngestSettings,
        transport: Transport = urllib_transport,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        refresh: Callable[[str], int | None] = light_refresh,
    ) -> None:
        """A feed with its own pacers for API calls and for pages."""
        self.owner_url, self.settings, self.ingest_settings = owner_url, settings, ingest_settings
        self.clock, self.sleep, self.refresh = clock, sleep, refresh
        user_agent = ingest_settings.polisen_user_agent
        api_pacer = CallPacer(
            settings.min_call_interval_s,
            settings.max_calls_per_hour,
            settings.max_calls_per_day,
            clock,
            sleep,
        )
        page_pacer = CallPacer(
            settings.page_min_interval_s, settings.page_max_per_hour, 10**6, clock, sleep
        )
        self.api = PoliteGetter(transport, api_pacer, user_agent, settings.timeout_s)
        self.web = PoliteGetter(transport, page_pacer, user_agent, settings.timeout_s, "text/html")
        self.local_tz = ZoneInfo(ingest_settings.local_timezone)
        self.failures = 0
        self._ingester: PolisenIngester | None = None
        self._resumed = False
        self._cycle_started = clock()

    # -- the loop -------------------------------------------------------------------------

    def run(self, stop: Callable[[], bool] = lambda: False, max_cycles: int | None = None) -> int:
        """Cycle until `stop()` or `max_cycles`; never raises for a failed cycle. Cycles run."""
        cycles = 0
        while not stop() and (max_cycles is None or cycles < max_cycles):
            started = self.clock()
            report = self.run_cycle()
            cycles += 1
            if max_cycles is not None and cycles >= max_cycles:
                break
            # Polls keep their schedule: the cycle's own time (pages, refresh) counts.
            self._pause(self.next_delay_s(report) - (self.clock() - started), stop)
        return cycles

    def next_delay_s(self, report: CycleReport, retry_after_s: float | None = None) -> float:
        """The interval after a good cycle; a doubling backoff (capped) after failures."""
        if report.error is None:
            return self.settings.interval_s
        backoff = self.settings.interval_s * 2 ** min(self.failures - 1, 10)
        return float(min(max(backoff, self._retry_after or 0.0), self.settings.max_backoff_s))

    def _pause(self, seconds: float, stop: Callable[[], bool]) -> None:
        """Sleep in short steps so a stop request is seen within a second."""
        until = self.clock() + seconds
        while not stop():
            left = until - self.clock()
            if left <= 0:
                return
            self.sleep(min(left, 1.0))

    def run_cycle(self) -> CycleReport:
        """Poll, fetch due pages, maybe refresh; any failure is recorded, never raised."""
        report = CycleReport()
        self._retry_after: float | None = None
        self._cycle_started = self.clock()
        try:
            with psycopg.connect(self.owner_url, autocommit=True, connect_timeout=10) as conn:
                self._poll(conn, report)
                self._fetch_pages(conn, report)
                self._maybe_refresh(conn, report)
        except (FeedFetchError, PolisenApiError) as exc:
            self._failed(report, str(exc), getattr(exc, "retry_after_s", None))
        except psycopg.OperationalError as exc:
            self._failed(report, f"database unavailable: {exc}".strip(), None, record=False)
        except Exception as exc:  # never end the process: log it with its trace, back off
            log.exception("feed cycle failed")
            self._failed(report, f"{type(exc).__name__}: {exc}", None)
        return report

    # -- polling --------------------------------------------------------------------------

    def _poll(self, conn: psycopg.Connection, report: CycleReport) -> None:
        ingester = self._ingester_for(conn)
        state = read_state(conn, ingester.source_id)
        if not self._resumed:
            self._resume_schedule(conn, state.last_poll_at)
        events = self._fetch_events(None)
        batches: list[tuple[str, list[object]]] = [("latest", events)]
        report.backfill_days = self._gap_days(events, state.cursor_published_at)
        for day in report.backfill_days:
            batches.append((f"day {day}", self._fetch_events(day)))
        report.polled = True
        seen_at = datetime.now(UTC)
        with conn.transaction():
            for where, batch in batches:
                summary = ingest_batch(conn, ingester, batch, {}, f"feed {where}", seen_at)
                report.events += len(batch)
                report.inserted += summary.inserted
                report.updated += summary.updated
            ids = [str(e["id"]) for _, b in batches for e in b if isinstance(e, dict) and "id" in e]
            page_queue.enqueue_pages(conn, ingester.source_id, self.settings.page_base_url, ids)
            located, newest = conn.execute(LOCATED_SQL, (ingester.source_id, ids)).fetchone() or (
                0,
                None,
            )
            record_poll_ok(conn, ingester.source_id, newest, bool(located))
        if self.failures:
            log.info("polisen.se answers again after %d failed polls", self.failures)
        self.failures = 0
        log.info(
            "feed poll events=%d inserted=%d updated=%d backfill_days=%d",
            report.events,
            report.inserted,
            report.updated,
            len(report.backfill_days),
        )

    def _resume_schedule(self, conn: psycopg.Connection, last_poll_at: datetime | None) -> None:
        """A restarted feed keeps the last process's schedule: it waits out the interval
        since the last poll, so restarts (even a crash loop) never poll faster."""
        self._resumed = True
        if last_poll_at is None:
            return
        row = conn.execute("SELECT now()").fetchone()
        elapsed = (row[0] - last_poll_at).total_seconds() if row else 0.0
        wait = min(max(self.settings.interval_s - elapsed, 0.0), self.settings.interval_s)
        if wait > 0:
            log.info("feed resumes the previous schedule: next poll in %.0f s", wait)
            self.sleep(wait)

    def _fetch_events(self, day: str | None) -> list[object]:
        url = events_url(
            self.settings.base_url, day, self.ingest_settings.polisen_location_names, ()
        )
        response = self.api.get(url)
        if response.status != 200:
            hint = " (is the User-Agent set?)" if response.status == 403 else ""
            raise FeedFetchError(f"HTTP {response.status}{hint}", status=response.status)
        return _events_of(response.body)

    def _gap_days(self, events: Sequence[object], cursor: datetime | None) -> list[str]:
        """The local days between the cursor and the answer's oldest event, when the answer
        does not reach back to the cursor (an outage longer than one answer covers)."""
        if cursor is None:
            return []
        published = [_published(e) for e in events]
        times = [t for t in published if t is not None]
        if not times or min(times) <= cursor:
            return []
        first = cursor.astimezone(self.local_tz).date()
        oldest = min(times).astimezone(self.local_tz).date()
        last = min(oldest, first + timedelta(days=MAX_BACKFILL_DAYS))
        return [str(first + timedelta(days=n)) for n in range((last - first).days + 1)]

    def _ingester_for(self, conn: psycopg.Connection) -> PolisenIngester:
        if self._ingester is None:
            self._ingester = open_ingester(conn, self.ingest_settings)
        return self._ingester

    def _failed(
        self, report: CycleReport, error: str, retry_after_s: float | None, record: bool = True
    ) -> None:
        report.error = error
        self._retry_after = retry_after_s
        self.failures += 1
        if self.failures == 1:
            log.warning("feed: %s; backing off (logged once until it recovers)", error)
        else:
            log.debug("feed still failing (%d): %s", self.failures, error)
        if not record:
            return
        try:
            with psycopg.connect(self.owner_url, autocommit=True, connect_timeout=10) as conn:
                source_id = self._ingester_for(conn).source_id
                read_state(conn, source_id)
                record_poll_failed(conn, source_id, error)
        except psycopg.Error as exc:
            log.debug("feed: cannot record the failure: %s", exc)

    # -- pages ----------------------------------------------------------------------------

    def _fetch_pages(self, conn: psycopg.Connection, report: CycleReport) -> None:
        source_id = self._ingester_for(conn).source_id
        # Pages never delay the next poll: stop when the next page would pass its time.
        last_start = (
            self._cycle_started + self.settings.interval_s - self.settings.page_min_interval_s
        )
        for number, page in enumerate(
            page_queue.due_pages(conn, source_id, self.settings.pages_per_cycle)
        ):
            if number and self.clock() > last_start:
                break
            try:
                response = self.web.get(page.url)
            except FeedFetchError as exc:
                self._page_later(conn, source_id, page.external_id, str(exc))
                if exc.status == 429:
                    break  # the site asks to slow down: no more pages this cycle
                continue
            if response.status in (404, 410):
                page_queue.mark_page_done(conn, source_id, page.external_id, "gone", None)
            elif response.status != 200:
                self._page_later(conn, source_id, page.external_id, f"HTTP {response.status}")
            else:
                self._store_page(conn, page, response.body)
                report.pages_fetched += 1

    def _store_page(self, conn: psycopg.Connection, page: page_queue.DuePage, html: bytes) -> None:
        source_id = self._ingester_for(conn).source_id
        try:
            text = page_text(html)
        except PageShapeError as exc:
            log.warning("event page %s changed shape: %s", page.url, exc)
            page_queue.mark_page_done(conn, source_id, page.external_id, "unparseable", str(exc))
            return
        pages = {page.external_id: EventPage(first_seen_at=None, text=text)}
        with conn.transaction():
            summary = ingest_batch(
                conn, self._ingester_for(conn), [page.payload], pages, f"page {page.external_id}"
            )
            page_queue.mark_page_done(conn, source_id, page.external_id, "fetched", None)
            if summary.updated:
                mark_refresh_pending(conn, source_id)

    def _page_later(
        self, conn: psycopg.Connection, source_id: int, external_id: str, error: str
    ) -> None:
        page_queue.retry_page_later(
            conn,
            source_id,
            external_id,
            error,
            self.settings.page_retry_after_s,
            self.settings.page_max_attempts,
        )

    # -- light refresh --------------------------------------------------------------------

    def _maybe_refresh(self, conn: psycopg.Connection, report: CycleReport) -> None:
        source_id = self._ingester_for(conn).source_id
        state = read_state(conn, source_id)
        if not state.refresh_pending:
            return
        interval = timedelta(minutes=self.settings.light_refresh_interval_min)
        if state.last_refresh_at and datetime.now(UTC) - state.last_refresh_at < interval:
            return
        try:
            generation = self.refresh(self.owner_url)
        except Exception as exc:  # noqa: BLE001 - the feed goes on; the refresh stays pending
            log.warning("light refresh failed (stays pending): %s", exc)
            return
        if generation is not None:
            record_refreshed(conn, source_id)
            report.refreshed = True


def _published(event: object) -> datetime | None:
    """An event's publication time, None when malformed (the parser counts it as rejected)."""
    if not isinstance(event, dict) or not isinstance(event.get("datetime"), str):
        return None
    try:
        return parse_published(event["datetime"])
    except EventRejected:
        return None
