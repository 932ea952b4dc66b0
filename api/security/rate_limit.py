"""Rate limits per API key or client address, counted in the database so all workers share them.

Fixed windows per route class (tiles, reads, reports). A worker reserves `lease` requests per
database round trip and serves them from memory, and once a subject is over its limit the
worker answers 429 without asking the database until the window ends.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import psycopg
from fastapi import Request
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from api.deps import app_pool
from api.errors import RateLimited
from api.metrics import RATE_LIMITED
from api.security.auth import authenticate
from config.security import RateLimitSettings, RouteLimit
from core.digests import subject_digest

# The window's number comes from the same now() as the count (one statement, one transaction):
# reservations of one window are added up, a newer window replaces an older one.
COUNT_SQL = """
SELECT hits, reset_after_s, floor(extract(epoch FROM now()) / %(window_s)s)::bigint
  FROM ops.count_requests(%(cls)s::text, %(subject)s, %(window_s)s::int, %(lease)s::int)
"""
# Never limited: probes of load balancers and Prometheus must get through.
EXEMPT_PREFIXES = ("/health", "/metrics")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Request-state key set by a fast path (api/fastpath_gate.py) that already took this request
# from the client's lease before handing the request to the full path.
LEASE_TAKEN = "halo_rate_lease_taken"
MAX_ENTRIES = 50_000
log = logging.getLogger("halo.api.rate_limit")
# The counters live on the primary. While it is unreachable (a failover) a reservation waits at
# most RESERVE_TIMEOUT_S, then the worker stops counting for UNCOUNTED_S: reads on the standby
# go on instead of waiting for the primary (writes fail on their own, with 503). A pool that is
# merely busy (a flood) is no outage: its timeout is answered 503, and counting goes on.
RESERVE_TIMEOUT_S = 1.0
UNCOUNTED_S = 5.0
# psycopg_pool's counters of connections that could not be made or were found broken.
FAILURE_STATS = ("connections_errors", "connections_lost", "returns_bad")


def route_class(method: str, path_template: str) -> str | None:
    """The limit class of a route: tiles, reports (writes), reads, or None (not limited)."""
    if path_template.startswith(EXEMPT_PREFIXES):
        return None
    if path_template.startswith("/tiles/"):
        return "tiles"
    if method in WRITE_METHODS:
        return "reports"
    return "reads"


@dataclass
class _Lease:
    window: int  # the fixed window's number (seconds since 1970 // window length)
    remaining: int
    denied: bool
    expires_at: float  # time.monotonic() at the end of the window


class LeaseBook:
    """This worker's reserved requests and known denials, per (route class, subject).

    Concurrent requests of one subject may each reserve a lease before any of them is stored:
    reservations of the same window add up (none is overwritten, so every request counted in
    the database is served or still held here), and a denial never discards requests that
    are still reserved.
    """

    def __init__(self) -> None:
        self._leases: dict[tuple[str, bytes], _Lease] = {}
        self._uncounted_until = 0.0
        self._unreachable = False  # since the last failure, no reservation has succeeded
        self._failures_seen = 0  # the pool's connection failures at the last look

    def counting(self) -> bool:
        """False for UNCOUNTED_S after the counters' database was unreachable."""
        return time.monotonic() >= self._uncounted_until

    def stop_counting(self) -> None:
        self._unreachable = True
        self._uncounted_until = time.monotonic() + UNCOUNTED_S

    def reached(self) -> None:
        """A reservation succeeded: the counters' database is reachable."""
        self._unreachable = False

    def unreachable_after_timeout(self, failures: int) -> bool:
        """Whether a pool timeout means an outage, not a busy pool: a connection failed since
        the last successful reservation (`failures`: the pool's failure count, growing)."""
        if failures > self._failures_seen:
            self._unreachable = True
        self._failures_seen = failures
        return self._unreachable

    def take(self, key: tuple[str, bytes]) -> int | None:
        """0 when a reserved request is used; the seconds to wait when denied; None if unknown."""
        lease = self._leases.get(key)
        now = time.monotonic()
        if lease is None or lease.expires_at <= now:
            return None
        if lease.remaining > 0:
            lease.remaining -= 1
            return 0
        if lease.denied:
            return max(1, math.ceil(lease.expires_at - now))
        return None

    def store(
        self, key: tuple[str, bytes], window: int, remaining: int, denied: bool, reset_s: int
    ) -> None:
        """Add a reservation (or a denial) of `window` to the subject's lease."""
        lease = self._leases.get(key)
        if lease is not None and lease.window == window:
            lease.remaining += remaining
            lease.denied = lease.denied or denied
            return
        if lease is not None and lease.window > window:
            return  # a late answer about a window that has ended
        if len(self._leases) >= MAX_ENTRIES:
            self._forget_expired()
        self._leases[key] = _Lease(window, remaining, denied, time.monotonic() + reset_s)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        self._leases = {k: v for k, v in self._leases.items() if v.expires_at > now}
        if len(self._leases) >= MAX_ENTRIES:
            self._leases.clear()


async def enforce_rate_limit(request: Request) -> None:
    """App-wide dependency: count the request against its class's limit; 429 past it."""
    settings: RateLimitSettings = request.app.state.settings.rate_limits
    route = request.scope.get("route")
    cls = route_class(request.method, getattr(route, "path", request.url.path))
    if not settings.enabled or cls is None or getattr(request.state, LEASE_TAKEN, False):
        return
    limit = settings.limit(cls)
    principal = await authenticate(request)
    if principal is not None:
        subject = f"key:{principal.key_id}"
        allowed = limit.requests * settings.keyed_factor
    else:
        subject = f"addr:{request.client.host if request.client else 'unknown'}"
        allowed = limit.requests
    salt = request.app.state.settings.security.client_hash_salt.get_secret_value().encode()
    key = (cls, subject_digest(salt, subject))
    book: LeaseBook = request.app.state.rate_leases
    wait_s = book.take(key)
    if wait_s is None and not book.counting():
        return
    if wait_s is None:
        wait_s = await reserve_or_stop_counting(app_pool(request), book, key, limit, allowed)
    if wait_s:
        RATE_LIMITED.labels(route_class=cls).inc()
        raise RateLimited(
            f"Limit of {allowed} {cls} requests per {limit.window_s} s reached.",
            {"Retry-After": str(wait_s)},
        )


async def reserve_or_stop_counting(
    pool: AsyncConnectionPool,
    book: LeaseBook,
    key: tuple[str, bytes],
    limit: RouteLimit,
    allowed: int,
) -> int | None:
    """Reserve a lease: 0 if this request may go on, else seconds to wait; None (not counted)
    when the counters' database is unreachable. A busy pool's PoolTimeout propagates (503)."""
    try:
        wait_s = await _reserve(pool, book, key, limit, allowed)
    except PoolTimeout:
        stats = pool.get_stats()
        if not book.unreachable_after_timeout(sum(stats.get(k, 0) for k in FAILURE_STATS)):
            raise
    except psycopg.Error:
        pass
    else:
        book.reached()
        return wait_s
    log.warning("rate limit: counters unreachable, not counting for %g s", UNCOUNTED_S)
    book.stop_counting()
    return None


async def _reserve(
    pool: AsyncConnectionPool,
    book: LeaseBook,
    key: tuple[str, bytes],
    limit: RouteLimit,
    allowed: int,
) -> int:
    """Reserve a lease in the database; 0 if this request may go on, else seconds to wait."""
    async with pool.connection(timeout=RESERVE_TIMEOUT_S) as conn:
        cur = await conn.execute(
            COUNT_SQL,
            {"cls": key[0], "subject": key[1], "window_s": limit.window_s, "lease": limit.lease},
        )
        row = await cur.fetchone()
    assert row is not None
    hits, reset_s, window = row
    # Of the `lease` requests just counted, those within the limit may be served.
    granted = max(0, min(limit.lease, allowed - (hits - limit.lease)))
    if granted == 0:
        book.store(key, window, 0, True, reset_s)
        # A concurrent reservation of this worker may have added requests meanwhile.
        wait_s = book.take(key)
        return int(reset_s) if wait_s is None else wait_s
    book.store(key, window, granted - 1, False, reset_s)
    return 0
