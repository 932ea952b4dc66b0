"""A local fake of polisen.se (events API and event pages) that replays real archived events.

It speaks the real protocol with its failures: events newest first, at most `max_events` per
answer, the `DateTime`/`locationname`/`type` filters, 403 without a User-Agent, 429 (with
Retry-After) when calls come closer than 10 s or more than 60 an hour, and scripted faults
(429, 500, 503, timeouts, malformed JSON, pages that changed shape, 404). Events are released
over time in the order the archive first saw them; an event edited after publication is
served in its first version (for two answers), then in its last. Every request is recorded,
with the time of the injected clock, so tests can prove the feed's politeness.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pipeline.ingest.polisen_parse import SWEDISH_MONTHS

ARCHIVE_EVENTS = "polisen/stockholm_county_events_2022_2025.json"
ARCHIVE_PAGES = "polisen/stockholm_county_events_2022_2025_pages.json"
EDIT_AFTER_ANSWERS = 2  # an edited event shows its last version after this many answers
MONTH_NAMES = {number: name for name, number in SWEDISH_MONTHS.items()}
_TITLE_DATE = re.compile(r"^(\d{1,2}) ([^\W\d_]+)")


@dataclass(frozen=True)
class Request:
    """One request the fake answered."""

    at: float
    path: str
    query: str
    user_agent: str | None
    status: int


@dataclass
class ReplayEvent:
    """An archived event with its page and, when edited later, its first version."""

    last: dict[str, Any]
    first: dict[str, Any] | None
    page: dict[str, Any]
    released_at: int | None = None  # the release counter when it became visible
    served: int = 0  # answers that included it


@dataclass
class FakePolisen:
    """The fake's state; the HTTP handler reads it under `lock`."""

    events: list[ReplayEvent]
    clock: Callable[[], float] = time.monotonic
    max_events: int = 500
    min_interval_s: float = 10.0
    max_per_hour: int = 60
    timeout_sleep_s: float = 2.0
    faults: list[str] = field(default_factory=list)
    page_faults: dict[str, str] = field(default_factory=dict)
    released: int = 0
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def release(self, count: int = 1) -> list[ReplayEvent]:
        """Make the next `count` events visible; returns them."""
        with self.lock:
            fresh = [e for e in self.events if e.released_at is None][:count]
            for event in fresh:
                self.released += 1
                event.released_at = self.released
            return fresh

    def api_calls(self) -> list[Request]:
        """The requests to the events API (not pages), in order."""
        return [r for r in self.requests if r.path.startswith("/api/events")]

    def page_counts(self) -> Counter[str]:
        """How often each page path was requested."""
        return Counter(r.path for r in self.requests if not r.path.startswith("/api/"))

    # -- answers ------------------------------------------------------------------------

    def visible(self) -> list[tuple[ReplayEvent, dict[str, Any]]]:
        """The released events with the version the API shows now, newest first: an edited
        event in its first version for its first EDIT_AFTER_ANSWERS answers, then its last."""
        shown = []
        for event in self.events:
            if event.released_at is None:
                continue
            first_shown = event.first is not None and event.served < EDIT_AFTER_ANSWERS
            shown.append((event, event.first if first_shown and event.first else event.last))
        return sorted(shown, key=lambda pair: _sort_key(pair[1]["datetime"]), reverse=True)

    def events_answer(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The API's answer for a query string: filtered, newest first, capped."""
        chosen = self.visible()
        if "DateTime" in query:
            prefix = query["DateTime"][0]
            chosen = [p for p in chosen if _local_stamp(p[1]["datetime"]).startswith(prefix)]
        if "locationname" in query:
            names = {n.casefold() for n in query["locationname"][0].split(";")}
            chosen = [p for p in chosen if p[1]["location"]["name"].casefold() in names]
        if "type" in query:
            types = {t.casefold() for t in query["type"][0].split(";")}
            chosen = [p for p in chosen if p[1]["type"].casefold() in types]
        answer = chosen[: self.max_events]
        for event, _ in answer:
            event.served += 1
        return [version for _, version in answer]

    def page_for(self, path: str) -> dict[str, Any] | None:
        """The archived page of the released event with this URL path."""
        for event in self.events:
            if event.released_at is not None and event.last["url"] == path:
                return event.page
        return None

    def too_soon(self, now: float) -> bool:
        """Whether an API call now breaks the 10 s / 60 an hour rule."""
        calls = [r.at for r in self.api_calls()]
        if calls and now - calls[-1] < self.min_interval_s:
            return True
        return len([t for t in calls if t > now - 3600]) >= self.max_per_hour


def load_replay(data_dir: Path, shift_days: int = 0, limit: int | None = None) -> list[ReplayEvent]:
    """The archive's events in first-seen order, optionally moved `shift_days` later."""
    events = json.loads((data_dir / ARCHIVE_EVENTS).read_text(encoding="utf-8"))
    pages = json.loads((data_dir / ARCHIVE_PAGES).read_text(encoding="utf-8"))
    replay = []
    for event in events:
        page = pages.get(str(event["id"]), {})
        first = page.get("first_version")
        replay.append(
            ReplayEvent(
                last=shifted(event, shift_days),
                first=shifted(first, shift_days) if first else None,
                page=page,
            )
        )
    replay.sort(key=lambda e: (e.page.get("first_seen_utc") or "", e.last["id"]))
    return replay[:limit] if limit else replay


def shifted(event: dict[str, Any], days: int) -> dict[str, Any]:
    """An event moved `days` later: publication time and the title's day and month."""
    if not days:
        return dict(event)
    stamp = event["datetime"]
    moved = _parse_stamp(stamp) + timedelta(days=days)
    offset = stamp.rsplit(" ", 1)[1]
    new_stamp = f"{moved:%Y-%m-%d} {moved.hour}:{moved:%M:%S} {offset}"
    title = _TITLE_DATE.sub(
        lambda m: _moved_title_date(int(m.group(1)), m.group(2), moved, days), event["name"]
    )
    return {**event, "datetime": new_stamp, "name": title}


def _moved_title_date(day: int, month_name: str, published: datetime, days: int) -> str:
    month = SWEDISH_MONTHS.get(month_name.casefold())
    if month is None:
        return f"{day} {month_name}"
    try:
        # A title's date is polisen's naive local wall-clock day, as the real API writes it.
        moved = datetime(_incident_year(published - timedelta(days=days), month), month, day)  # noqa: DTZ001
        moved += timedelta(days=days)
    except ValueError:
        return f"{day} {month_name}"
    return f"{moved.day:02d} {MONTH_NAMES[moved.month]}"


def _incident_year(published: datetime, month: int) -> int:
    """The incident's year: the publication's, or the one before around New Year."""
    return published.year - 1 if month == 12 and published.month == 1 else published.year


def _parse_stamp(stamp: str) -> datetime:
    # The offset was split off: the local wall-clock time is what is compared.
    return datetime.strptime(stamp.rsplit(" ", 1)[0], "%Y-%m-%d %H:%M:%S")  # noqa: DTZ007


def _local_stamp(stamp: str) -> str:
    """'2023-06-15 7:08:11 +02:00' -> '2023-06-15 07' (what the DateTime filter matches)."""
    return f"{_parse_stamp(stamp):%Y-%m-%d %H}"


def _sort_key(stamp: str) -> str:
    _, offset = stamp.rsplit(" ", 1)
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = (int(x) for x in offset[1:].split(":"))
    utc = _parse_stamp(stamp) - sign * timedelta(hours=hours, minutes=minutes)
    return f"{utc:%Y-%m-%d %H:%M:%S}"


def page_html(page: dict[str, Any], changed_shape: bool = False) -> bytes:
    """An event page shaped like polisen.se's (preamble, text body); or one that changed."""
    preamble = html.escape(page.get("html_preamble") or "")
    body = "".join(f"<p>{html.escape(p)}</p>" for p in (page.get("html_body") or "").split("\n"))
    if changed_shape:
        main = f'<section class="news-article"><span>{preamble}</span>{body}</section>'
    else:
        main = (
            f'<div class="preamble"><p>{preamble}</p></div>'
            f'<div class="text-body editorial-html">{body}</div>'
        )
    document = (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Händelse</title>'
        f'</head><body><nav class="menu">Polisen</nav><main class="event-page">{main}</main>'
        '<footer class="footer">Polismyndigheten</footer></body></html>'
    )
    return document.encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    """Answers as polisen.se would; `server.fake` holds the state."""

    server: _FakeServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        now = fake.clock()
        user_agent = self.headers.get("User-Agent")
        if parts.path.startswith("/api/events"):
            status, headers, body = self._events(fake, parse_qs(parts.query), now, user_agent)
        else:
            status, headers, body = self._page(fake, parts.path)
        with fake.lock:
            fake.requests.append(Request(now, parts.path, parts.query, user_agent, status))
        if status == 0:  # a timeout: answer nothing for longer than the client waits
            time.sleep(fake.timeout_sleep_s)
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _events(
        self, fake: FakePolisen, query: dict[str, list[str]], now: float, user_agent: str | None
    ) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json; charset=utf-8"}
        if not user_agent:
            return 403, json_type, b'{"message": "User-Agent required"}'
        with fake.lock:
            fault = fake.faults.pop(0) if fake.faults else None
            too_soon = fake.too_soon(now)
        if too_soon or fault == "429":
            return 429, {**json_type, "Retry-After": "60"}, b'{"message": "Too many requests"}'
        if fault in ("500", "503"):
            return int(fault), {"Content-Type": "text/html"}, b"<html>Server error</html>"
        if fault == "timeout":
            return 0, {}, b""
        if fault == "malformed":
            return 200, json_type, b'[{"id": 1, "datetime": "2025-'
        if fault == "not_a_list":
            return 200, json_type, b'{"error": "unexpected"}'
        with fake.lock:
            answer = fake.events_answer(query)
        return 200, json_type, json.dumps(answer, ensure_ascii=False).encode("utf-8")

    def _page(self, fake: FakePolisen, path: str) -> tuple[int, dict[str, str], bytes]:
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        with fake.lock:
            page = fake.page_for(path)
            fault = fake.page_faults.pop(path, None)
        if page is None or fault == "404":
            return 404, html_type, b"<html>Sidan finns inte</html>"
        if fault in ("500", "503"):
            return int(fault), html_type, b"<html>Server error</html>"
        return 200, html_type, page_html(page, changed_shape=fault == "changed_shape")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake's requests are in `fake.requests`."""


class _FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, fake: FakePolisen) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fake = fake


@contextmanager
def serve_fake(fake: FakePolisen, port: int = 0) -> Iterator[str]:
    """Serve the fake on a loopback port in a thread; yields its base URL."""
    server = _FakeServer(port, fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
