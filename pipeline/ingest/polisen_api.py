"""The polisen.se events API: a polite client and the polling loop.

The API's rules: a User-Agent header (else 403), at least 10 s between calls, at most 60 an
hour and 1,440 a day (else 429), HTTPS only; filters `DateTime=YYYY-MM[-DD[ HH]]`,
`locationname=A;B`, `type=A;B`; at most the 500 latest events per answer.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from config.ingest import IngestSettings

log = logging.getLogger("halo.ingest.polisen_api")

_DATE_FILTER = re.compile(r"^\d{4}-\d{2}(-\d{2}( \d{2})?)?$")
MAX_BACKOFF_S = 900.0


class PolisenApiError(RuntimeError):
    """The API refused or failed, or answered something that is not a list of events."""


@dataclass(frozen=True)
class HttpResponse:
    """Status, headers and body of one HTTP answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes


Transport = Callable[[str, Mapping[str, str], float], HttpResponse]


def urllib_transport(url: str, headers: Mapping[str, str], timeout_s: float) -> HttpResponse:
    """GET with urllib; HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(url, headers=dict(headers))  # noqa: S310 (https checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return HttpResponse(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, dict(error.headers or {}), error.read())


class CallPacer:
    """Spaces calls: a minimum interval plus sliding hourly and daily caps."""

    def __init__(
        self,
        min_interval_s: float,
        per_hour: int,
        per_day: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """A pacer with its limits; clock and sleep are replaceable for tests."""
        self.min_interval_s, self.per_hour, self.per_day = min_interval_s, per_hour, per_day
        self.clock, self.sleep = clock, sleep
        self.calls: deque[float] = deque()

    def wait_turn(self) -> None:
        """Sleep until the next call is allowed, then count it."""
        now = self.clock()
        while self.calls and self.calls[0] <= now - 86_400:
            self.calls.popleft()
        earliest = now
        if self.calls:
            earliest = max(earliest, self.calls[-1] + self.min_interval_s)
        in_last_hour = [t for t in self.calls if t > now - 3_600]
        if len(in_last_hour) >= self.per_hour:
            earliest = max(earliest, in_last_hour[-self.per_hour] + 3_600)
        if len(self.calls) >= self.per_day:
            earliest = max(earliest, self.calls[-self.per_day] + 86_400)
        if earliest > now:
            self.sleep(earliest - now)
        self.calls.append(max(now, earliest))


def events_url(
    base_url: str,
    date_filter: str | None = None,
    location_names: Sequence[str] = (),
    types: Sequence[str] = (),
) -> str:
    """The events URL with its filters (values URL-encoded, lists joined with ';')."""
    if not (base_url.startswith("https://") or _is_loopback_http(base_url)):
        raise ValueError("the polisen.se API is HTTPS only (plain HTTP only to a local fake)")
    if date_filter is not None and not _DATE_FILTER.match(date_filter):
        raise ValueError(f"DateTime filter {date_filter!r} is not YYYY-MM[-DD[ HH]]")
    params = {}
    if date_filter:
        params["DateTime"] = date_filter
    if location_names:
        params["locationname"] = ";".join(location_names)
    if types:
        params["type"] = ";".join(types)
    return base_url + ("?" + urlencode(params, quote_via=quote, safe=";") if params else "")


def _is_loopback_http(url: str) -> bool:
    """Plain HTTP to this machine (the local fake of the API in tests and the demo)."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


class PolisenClient:
    """Fetches events politely: paced calls, backoff on 429 and server errors."""

    def __init__(
        self,
        settings: IngestSettings,
        transport: Transport = urllib_transport,
        pacer: CallPacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
    ) -> None:
        """A client with the settings' URL, User-Agent and limits."""
        self.settings, self.transport, self.sleep = settings, transport, sleep
        self.max_attempts = max_attempts
        self.pacer = pacer or CallPacer(
            settings.polisen_min_interval_s,
            settings.polisen_max_calls_per_hour,
            settings.polisen_max_calls_per_day,
            sleep=sleep,
        )

    def fetch_events(
        self,
        date_filter: str | None = None,
        location_names: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[object]:
        """The API's events for the filters (a JSON array), retrying politely."""
        url = events_url(self.settings.polisen_api_url, date_filter, location_names, types)
        headers = {"User-Agent": self.settings.polisen_user_agent, "Accept": "application/json"}
        for attempt in range(self.max_attempts):
            self.pacer.wait_turn()
            try:
                response = self.transport(url, headers, self.settings.polisen_timeout_s)
            except OSError as exc:  # network errors and timeouts
                self._back_off(attempt, None, f"network error: {exc}")
                continue
            if response.status == 200:
                return _events_of(response.body)
            if response.status == 429 or response.status >= 500:
                self._back_off(attempt, response, f"HTTP {response.status}")
                continue
            hint = " (is the User-Agent set?)" if response.status == 403 else ""
            raise PolisenApiError(f"polisen.se answered HTTP {response.status}{hint}")
        raise PolisenApiError(f"polisen.se: gave up after {self.max_attempts} attempts")

    def _back_off(self, attempt: int, response: HttpResponse | None, why: str) -> None:
        delay = retry_after_s(response) if response is not None else None
        if delay is None:
            delay = min(60.0 * 2**attempt, MAX_BACKOFF_S)
        log.warning("polisen api backoff why=%r attempt=%d sleep_s=%.0f", why, attempt + 1, delay)
        self.sleep(delay)


def retry_after_s(response: HttpResponse) -> float | None:
    """The Retry-After header in seconds (delta form), capped, if present."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    value = headers.get("retry-after", "").strip()
    if not value.isdigit():
        return None
    return min(float(value), MAX_BACKOFF_S)


def _events_of(body: bytes) -> list[object]:
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PolisenApiError(f"polisen.se answered malformed JSON: {exc}") from None
    if not isinstance(document, list):
        raise PolisenApiError("polisen.se answered JSON that is not a list of events")
    return document


def poll(
    fetch: Callable[[], list[object]],
    ingest: Callable[[list[object]], None],
    interval_s: float,
    max_polls: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    recoverable: tuple[type[Exception], ...] = (PolisenApiError, OSError),
) -> int:
    """Fetch and ingest every `interval_s` until `max_polls` (forever if None); polls done.
    A recoverable failure is logged and the loop goes on: the API's next answer repeats
    the events a failed poll missed (it lists the latest 500)."""
    polls = 0
    while max_polls is None or polls < max_polls:
        try:
            ingest(fetch())
        except recoverable as exc:
            log.error("polisen poll failed: %s", exc)
        polls += 1
        if max_polls is None or polls < max_polls:
            sleep(interval_s)
    return polls
