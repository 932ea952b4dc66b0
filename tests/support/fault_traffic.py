"""Client traffic for the fault tests: report submitters that retry with their Idempotency-Key,
tile and risk readers; every request logged with its time and outcome; recovery figures.

Each report a client makes has content of its own, independent of its key: text, location,
device and photo (whose pixel size names the report). So a report stored twice under two keys
shows as the same content twice, which the key alone (UNIQUE in the database) never could."""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from PIL import Image

from tests.support.report_support import LAT, LON, form, offset, submit

RETRY_PAUSE_S = 0.1  # a real client honours Retry-After; a short pause measures recovery finely
KEY_DEADLINE_S = 40.0  # a report not acknowledged by then is a test failure


@dataclass(frozen=True)
class Request:
    """One HTTP exchange: what, when (monotonic seconds), and its status (0 = no answer)."""

    kind: str
    started: float
    ended: float
    status: int
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx, or a 304."""
        return 200 <= self.status < 300 or self.status == 304

    @property
    def server_error(self) -> bool:
        """A 5xx answer."""
        return self.status >= 500


@dataclass(frozen=True)
class Sent:
    """What one report said, whatever its key: text, device, and its photo's pixel size."""

    description: str
    device: str
    photo_size: tuple[int, int]


@dataclass
class TrafficLog:
    """Every request of every client, the reports sent (key -> content) and acknowledged
    (key -> (id, replayed))."""

    requests: list[Request] = field(default_factory=list)
    acknowledged: dict[str, tuple[int, bool]] = field(default_factory=dict)
    submitted: dict[str, Sent] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request) -> None:
        """Log one request (clients run in threads)."""
        with self.lock:
            self.requests.append(request)


def timed(log: TrafficLog, kind: str, call: Callable[[], httpx.Response]) -> httpx.Response | None:
    """Run one request and log it; None when no answer came (connection error, timeout)."""
    started = time.monotonic()
    try:
        answer = call()
    except httpx.TransportError:
        log.add(Request(kind, started, time.monotonic(), 0))
        return None
    log.add(
        Request(
            kind, started, time.monotonic(), answer.status_code, answer.headers.get("Retry-After")
        )
    )
    return answer


def photo_of_size(size: tuple[int, int]) -> bytes:
    """A small JPEG; its pixel size survives the API's re-encoding and names the report."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def report_client(base_url: str, log: TrafficLog, stop: threading.Event, number: int) -> None:
    """Client `number` submits reports with photos one after another (its own device id, each
    report its own text, place and photo size); retries each with the same key until
    acknowledged, as the app's outbox does."""
    device = f"fault-device-{number:02d}"
    with httpx.Client(base_url=base_url, timeout=10) as client:
        n = 0
        while not stop.is_set():
            n += 1
            key = f"fault-{uuid.uuid4()}"
            lon, lat = offset((LON, LAT), 40.0 * number, 3.0 * n)
            sent = Sent(f"fault test report {number}-{n}", device, (16 + number, 16 + n))
            fields = form(description=sent.description, lon=f"{lon:.6f}", lat=f"{lat:.6f}")
            photo = ("photo.jpg", photo_of_size(sent.photo_size), "image/jpeg")
            headers = {"X-Device-Id": device}
            with log.lock:
                log.submitted[key] = sent
            deadline = time.monotonic() + KEY_DEADLINE_S
            while time.monotonic() < deadline:
                answer = timed(
                    log,
                    "report",
                    lambda k=key, f=fields, p=photo: submit(client, f, k, p, headers),
                )
                if answer is not None and answer.status_code in (200, 201):
                    with log.lock:
                        log.acknowledged[key] = (answer.json()["id"], answer.status_code == 200)
                    break
                if answer is not None and answer.status_code < 500:
                    log.unexpected.append(f"report {answer.status_code}: {answer.text[:300]}")
                    return
                time.sleep(RETRY_PAUSE_S)


def reader(
    base_url: str, kind: str, paths: list[str], log: TrafficLog, stop: threading.Event
) -> None:
    """GET the paths in turn until stopped; any 4xx is unexpected."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            answer = timed(log, kind, lambda p=path: client.get(p))
            if answer is not None and 400 <= answer.status_code < 500:
                log.unexpected.append(f"{kind} {path} {answer.status_code}: {answer.text[:300]}")
                return
            if answer is None or answer.status_code >= 500:
                time.sleep(RETRY_PAUSE_S)


@dataclass(frozen=True)
class Recovery:
    """What the clients saw around a fault that began at `fault_at` and ended at `back_at`."""

    down_s: float  # fault_at -> back_at (the database accepting connections again)
    recovery_s: float  # back_at -> every kind of request answered successfully again
    disruption_s: float  # fault_at -> end of the last failed request
    server_errors: int
    no_answer: int
    statuses: dict[int, int]
    failures_after_recovery: int
    failures_before_fault: int

    def line(self) -> str:
        """The figures in one line, as the test prints them."""
        return (
            f"database down {self.down_s:.2f} s; API recovered {self.recovery_s:.2f} s after"
            f" the database was back (disruption {self.disruption_s:.2f} s);"
            f" 5xx answers {self.server_errors}, no answer {self.no_answer};"
            f" statuses {self.statuses}"
        )


def recovery(requests: list[Request], fault_at: float, back_at: float) -> Recovery:
    """Recovery figures: per request kind, the first success that ended after `back_at`."""
    kinds = {r.kind for r in requests}
    recovered_at = back_at
    for kind in kinds:
        firsts = [r.ended for r in requests if r.kind == kind and r.ok and r.ended >= back_at]
        recovered_at = max(recovered_at, min(firsts) if firsts else float("inf"))
    failed = [r for r in requests if not r.ok]
    statuses: dict[int, int] = {}
    for r in requests:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return Recovery(
        down_s=back_at - fault_at,
        recovery_s=recovered_at - back_at,
        disruption_s=max((r.ended for r in failed), default=fault_at) - fault_at,
        server_errors=sum(r.server_error for r in failed),
        no_answer=sum(r.status == 0 for r in failed),
        statuses=dict(sorted(statuses.items())),
        failures_after_recovery=sum(r.started > recovered_at for r in failed),
        failures_before_fault=sum(r.ended < fault_at for r in failed),
    )
