"""The live polisen.se client: User-Agent, pacing, filters, backoff on 429, the polling job."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest

from config.ingest import IngestSettings
from config.settings import Settings
from pipeline.ingest.polisen_api import (
    CallPacer,
    HttpResponse,
    PolisenApiError,
    PolisenClient,
    events_url,
    poll,
    urllib_transport,
)
from pipeline.ingest.polisen_ingest import ingest_live
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.ingest_support import http_server, polisen_event, reference_database, rows


class FakeClock:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedTransport:
    """Answers requests from a list of responses, recording what was asked."""

    def __init__(self, responses: list[HttpResponse]) -> None:
        self.responses = responses
        self.requests: list[tuple[str, dict[str, str]]] = []

    def __call__(self, url: str, headers: Mapping[str, str], timeout_s: float) -> HttpResponse:
        self.requests.append((url, dict(headers)))
        return self.responses.pop(0)


def ok(events: list[object]) -> HttpResponse:
    return HttpResponse(200, {}, json.dumps(events).encode())


def client_with(transport: ScriptedTransport, clock: FakeClock) -> PolisenClient:
    settings = IngestSettings()
    pacer = CallPacer(10.0, 60, 1440, clock=clock, sleep=clock.sleep)
    return PolisenClient(settings, transport=transport, pacer=pacer, sleep=clock.sleep)


def test_the_url_carries_the_filters_url_encoded() -> None:
    url = events_url(
        "https://polisen.se/api/events", "2024-05-14 08", ["Stockholms län", "Solna"], ["Rån"]
    )
    assert url == (
        "https://polisen.se/api/events?DateTime=2024-05-14%2008"
        "&locationname=Stockholms%20l%C3%A4n;Solna&type=R%C3%A5n"
    )


@pytest.mark.parametrize(
    ("base", "date_filter"),
    [("http://polisen.se/api/events", None), ("https://polisen.se/api/events", "14 maj")],
)
def test_plain_http_and_malformed_date_filters_are_refused(
    base: str, date_filter: str | None
) -> None:
    with pytest.raises(ValueError):
        events_url(base, date_filter)


def test_the_client_sends_its_user_agent_over_http() -> None:
    seen: list[str | None] = []

    def respond(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        seen.append(handler.headers.get("User-Agent"))
        return 200, {"Content-Type": "application/json"}, b"[]"

    with http_server(respond) as base:
        response = urllib_transport(base + "/api/events", {"User-Agent": "Halo/test"}, 5.0)
    assert (response.status, seen) == (200, ["Halo/test"])


def test_calls_are_at_least_ten_seconds_apart() -> None:
    clock = FakeClock()
    transport = ScriptedTransport([ok([]), ok([]), ok([])])
    client = client_with(transport, clock)
    for _ in range(3):
        client.fetch_events()
    assert clock.sleeps == [10.0, 10.0]
    assert transport.requests[0][1]["User-Agent"].startswith("Halo/")


def test_the_hourly_cap_waits_for_the_oldest_call_to_leave_the_window() -> None:
    clock = FakeClock()
    pacer = CallPacer(10.0, 3, 1440, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        pacer.wait_turn()
    assert clock.sleeps == [10.0, 10.0, 3580.0]


def test_a_429_backs_off_for_retry_after_then_succeeds() -> None:
    clock = FakeClock()
    transport = ScriptedTransport(
        [HttpResponse(429, {"Retry-After": "120"}, b""), HttpResponse(503, {}, b""), ok([1])]
    )
    assert client_with(transport, clock).fetch_events() == [1]
    # 120 s as asked, then 120 s of exponential backoff (attempt 2), each followed by pacing.
    assert clock.sleeps == [120.0, 120.0]


def test_persistent_429_gives_up_with_a_clear_error() -> None:
    clock = FakeClock()
    transport = ScriptedTransport([HttpResponse(429, {}, b"") for _ in range(5)])
    with pytest.raises(PolisenApiError, match="gave up after 5 attempts"):
        client_with(transport, clock).fetch_events()
    assert clock.sleeps == [60.0, 120.0, 240.0, 480.0, 900.0]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (HttpResponse(403, {}, b""), "User-Agent"),
        (HttpResponse(200, {}, b"<html>"), "malformed JSON"),
        (HttpResponse(200, {}, b'{"error": 1}'), "not a list"),
    ],
)
def test_refusals_and_bad_answers_are_clear_errors(response: HttpResponse, message: str) -> None:
    with pytest.raises(PolisenApiError, match=message):
        client_with(ScriptedTransport([response]), FakeClock()).fetch_events()


def test_polling_goes_on_after_a_failed_poll() -> None:
    answers: list[object] = [PolisenApiError("HTTP 500"), [1], [2]]
    ingested: list[list[object]] = []
    clock = FakeClock()

    def fetch() -> list[object]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    assert poll(fetch, ingested.append, 300.0, max_polls=3, sleep=clock.sleep) == 3
    assert ingested == [[1], [2]]
    assert clock.sleeps == [300.0, 300.0]


@pytest.fixture
def live_db(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, settings: Settings
) -> Iterator[ScratchDatabase]:
    db = reference_database(db_factory, template_db, settings.data_dir)
    yield db
    db_factory.drop(db.name)


def test_live_polls_store_new_events_as_first_seen_now_and_keep_it_on_edits(
    live_db: ScratchDatabase,
) -> None:
    recent = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %-H:%M:%S %z")
    recent = recent[:-2] + ":" + recent[-2:]
    event = polisen_event(published=recent, title=_title_now("Misshandel"))
    edited = {**event, "summary": "En man misshandlades i Rinkeby."}
    transport = ScriptedTransport([ok([event]), ok([edited, event | {"id": 900002}])])
    client = client_with(transport, FakeClock())
    before = datetime.now(UTC)
    settings = IngestSettings(polisen_poll_interval_s=60)
    summary = ingest_live(live_db.owner_url, client, settings, max_polls=1)
    first_seen = rows(live_db.owner_url, "SELECT first_seen_at FROM raw.incidents")[0][0]
    summary.add(ingest_live(live_db.owner_url, client, settings, max_polls=1))
    assert (summary.inserted, summary.updated) == (2, 1)
    assert first_seen >= before
    stored = rows(
        live_db.owner_url,
        "SELECT first_seen_at, location_evidence FROM raw.incidents WHERE external_id = '900001'",
    )
    assert stored == [(first_seen, "Rinkeby (summary)")]
    assert "locationname=Stockholms%20l%C3%A4n;Stockholm;" in transport.requests[0][0]


def _title_now(event_type: str) -> str:
    from zoneinfo import ZoneInfo

    from pipeline.ingest.polisen_parse import SWEDISH_MONTHS

    local = datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm"))
    month = next(name for name, number in SWEDISH_MONTHS.items() if number == local.month)
    return f"{local.day:02d} {month} {local:%H.%M}, {event_type}, Stockholm"
