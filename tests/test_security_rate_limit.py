"""Rate limits over real HTTP: 429 with Retry-After past the limit, per client and per key,
shared by several servers on one database, per route class, windows that end."""

from __future__ import annotations

import asyncio
import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from api.security.rate_limit import LeaseBook, reserve_or_stop_counting, route_class
from config.security import RouteLimit
from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.live_server import free_port, live_server
from tests.support.opstools import api_key, app_with_probe_routes, tuned

PING = "/api/v1/test/ping"


def limited(settings: Settings, db: ScratchDatabase, **limits: int) -> Settings:
    """Settings with rate limits replaced, trusting 127.0.0.1 as a proxy (X-Forwarded-For)."""
    return tuned(
        settings, db, rate_limits=dict(limits), security={"trusted_proxies": ["127.0.0.1"]}
    )


def from_client(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def test_reads_past_the_limit_get_429_with_retry_after(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = limited(settings, db, reads_requests=3, reads_window_s=60)
    with live_server(config, app_with_probe_routes(config)) as client:
        statuses = [client.get(PING).status_code for _ in range(3)]
        refused = client.get(PING)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_each_client_address_has_its_own_budget(settings: Settings, db: ScratchDatabase) -> None:
    config = limited(settings, db, reads_requests=2)
    with live_server(config, app_with_probe_routes(config)) as client:
        first = [client.get(PING, headers=from_client("203.0.113.1")).status_code for _ in range(3)]
        other = client.get(PING, headers=from_client("203.0.113.2")).status_code
    assert first == [200, 200, 429]
    assert other == 200


def test_two_servers_on_one_database_share_the_limit(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = limited(settings, db, reads_requests=4)
    with (
        live_server(config, app_with_probe_routes(config)) as one,
        live_server(config, app_with_probe_routes(config)) as two,
    ):
        statuses = [c.get(PING).status_code for c in (one, two, one, two, one, two)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_a_key_has_its_own_larger_budget(settings: Settings, db: ScratchDatabase) -> None:
    config = limited(settings, db, reads_requests=1, keyed_factor=3)
    key = {"X-API-Key": api_key(db, "analyst")}
    with live_server(config, app_with_probe_routes(config)) as client:
        anonymous = [client.get(PING).status_code for _ in range(2)]
        keyed = [client.get(PING, headers=key).status_code for _ in range(4)]
    assert anonymous == [200, 429]
    assert keyed == [200, 200, 200, 429]


def test_route_classes_are_limited_separately(settings: Settings, db: ScratchDatabase) -> None:
    config = limited(settings, db, reads_requests=1, reports_requests=1, tiles_requests=1)
    with live_server(config, app_with_probe_routes(config)) as client:
        first = [
            client.get(PING).status_code,
            client.post("/api/v1/test/echo", content=b"x").status_code,
            client.get("/tiles/test/3.mvt").status_code,
        ]
        second = [
            client.get(PING).status_code,
            client.post("/api/v1/test/echo", content=b"x").status_code,
            client.get("/tiles/test/3.mvt").status_code,
        ]
    assert first == [200, 200, 200]
    assert second == [429, 429, 429]


def test_tile_leases_still_stop_exactly_at_the_limit(
    settings: Settings, db: ScratchDatabase
) -> None:
    config = limited(settings, db, tiles_requests=10, tiles_lease=4)
    with live_server(config, app_with_probe_routes(config)) as client:
        statuses = [client.get(f"/tiles/test/{z}.mvt").status_code for z in range(12)]
    assert statuses == [200] * 10 + [429] * 2
    with psycopg.connect(db.owner_url) as conn:
        # Four requests per round trip: 3 reservations granted 4+4+2, one refused.
        row = conn.execute("SELECT sum(hits) FROM ops.rate_limit_counters").fetchone()
    assert row == (16,)


def test_health_and_metrics_are_never_limited(settings: Settings, db: ScratchDatabase) -> None:
    config = limited(settings, db, reads_requests=1)
    with live_server(config, app_with_probe_routes(config)) as client:
        statuses = {client.get(path).status_code for path in ["/health", "/metrics"] * 5}
    assert statuses == {200}


def test_a_new_window_gives_a_new_budget(settings: Settings, db: ScratchDatabase) -> None:
    config = limited(settings, db, reads_requests=1, reads_window_s=1)
    with live_server(config, app_with_probe_routes(config)) as client:
        client.get(PING)
        # Land in the next window for sure (the current one may have just begun).
        while client.get(PING).status_code == 200:
            time.sleep(0.05)
        time.sleep(1.05)
        assert client.get(PING).status_code == 200


def test_no_client_address_is_stored_in_clear(settings: Settings, db: ScratchDatabase) -> None:
    config = limited(settings, db)
    with live_server(config, app_with_probe_routes(config)) as client:
        client.get(PING, headers=from_client("198.51.100.7"))
    plain = hashlib.sha256(b"addr:198.51.100.7").digest()
    with psycopg.connect(db.owner_url) as conn:
        rows = conn.execute("SELECT subject_sha256, hits FROM ops.rate_limit_counters").fetchall()
    assert len(rows) == 1 and rows[0][1] == 1
    assert rows[0][0] != plain and b"198.51.100.7" not in rows[0][0]


def test_route_classes_follow_path_and_method() -> None:
    assert route_class("GET", "/tiles/{layer}/{z}/{x}/{y}.mvt") == "tiles"
    assert route_class("POST", "/api/v1/reports/submit") == "reports"
    assert route_class("GET", "/api/v1/neighborhoods") == "reads"
    assert route_class("GET", "/health/ready") is None
    assert route_class("GET", "/metrics") is None


def test_concurrent_clients_on_two_servers_get_exactly_the_limit(
    settings: Settings, db: ScratchDatabase
) -> None:
    """8 parallel clients of one address, spread over two servers, 320 tile requests against a
    limit of 200 reserved 20 at a time: exactly 200 are served (before: reservations that
    arrived together overwrote each other and far fewer got through)."""
    config = limited(settings, db, tiles_requests=200, tiles_lease=20, tiles_window_s=3600)
    with (
        live_server(config, app_with_probe_routes(config)) as one,
        live_server(config, app_with_probe_routes(config)) as two,
    ):
        urls = [str(one.base_url), str(two.base_url)]

        def burst(worker: int) -> list[int]:
            with httpx.Client(base_url=urls[worker % 2], timeout=10) as client:
                return [client.get(f"/tiles/test/{i}.mvt").status_code for i in range(40)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [s for batch in pool.map(burst, range(8)) for s in batch]
    assert statuses.count(200) == 200
    assert statuses.count(429) == 120


def test_reads_the_standby_serves_are_answered_while_the_counters_primary_is_unreachable(
    settings: Settings, db: ScratchDatabase
) -> None:
    """A failover's outage: the rate limit's counters are on the primary (here: nothing
    listens), reads go to the standby (here: the live database). A reservation waits at most
    RESERVE_TIMEOUT_S and the worker stops counting, so risk reads (lease 1: every one reserves)
    and tiles are answered, not held or refused with 503."""
    config = limited(settings, db, reads_requests=1000, tiles_requests=1000)
    lost = db.api_url.replace(f":{urlsplit(db.api_url).port}/", f":{free_port()}/")
    config = config.model_copy(
        update={"api_database_url": lost, "api_read_database_url": db.api_url}
    )
    with live_server(config) as client:
        risk = [client.get("/api/v1/risk?lat=59.33&lon=18.06").status_code for _ in range(4)]
        tile = client.get("/tiles/risk/11/1126/596.mvt").status_code
    assert all(status in (200, 404) for status in risk), risk
    assert tile in (200, 204), tile


def test_a_busy_pool_is_no_outage_the_limit_keeps_counting(db: ScratchDatabase) -> None:
    """A flood that holds every connection of the pool makes a reservation time out; that is
    answered 503 (PoolTimeout) and the worker keeps counting. Only a connection that failed
    (nothing listens, or the session was cut) makes the worker stop counting for a while."""
    limit = RouteLimit(requests=10, window_s=60, lease=1)
    key = ("reads", b"subject")

    async def scenario() -> tuple[bool, bool, int | None, bool, int | None, bool]:
        busy_book, lost_book, cut_book = LeaseBook(), LeaseBook(), LeaseBook()
        async with AsyncConnectionPool(db.api_url, min_size=1, max_size=1) as pool:
            await pool.wait()
            async with pool.connection():  # the flood holds the only connection
                try:
                    await reserve_or_stop_counting(pool, busy_book, key, limit, 10)
                    busy_raised = False
                except PoolTimeout:
                    busy_raised = True
            busy_counting = busy_book.counting()
            # The session is cut under the pool (a primary that went away).
            async with pool.connection() as conn:
                pid = conn.info.backend_pid
            with psycopg.connect(db.api_url, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            cut = await reserve_or_stop_counting(pool, cut_book, key, limit, 10)
        lost_url = db.api_url.replace(f":{urlsplit(db.api_url).port}/", f":{free_port()}/")
        async with AsyncConnectionPool(lost_url, min_size=1, max_size=1, open=False) as lost:
            await lost.open(wait=False)
            unreachable = await reserve_or_stop_counting(lost, lost_book, key, limit, 10)
        return (
            busy_raised,
            busy_counting,
            cut,
            cut_book.counting(),
            unreachable,
            lost_book.counting(),
        )

    busy_raised, busy_counting, cut, cut_counting, unreachable, lost_counting = asyncio.run(
        scenario()
    )
    assert busy_raised and busy_counting  # 503, and the limit still holds
    assert cut is None and not cut_counting
    assert unreachable is None and not lost_counting
