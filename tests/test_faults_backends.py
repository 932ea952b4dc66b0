"""Backends killed mid-request and queries past the statement timeout: the request in flight
gets a 503 with Retry-After, and the very next request succeeds (the pool heals itself)."""

from __future__ import annotations

import threading
import time

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.deps import Conn
from config.settings import Settings
from tests.support.dbtools import settings_for
from tests.support.live_server import live_server
from tests.support.map_support import MapCity, tile_of

SLEEP_PATH = "/api/v1/test/sleep"
# The API role may signal its own role's backends: no superuser needed on the shared server.
TERMINATE_SQL = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
 WHERE datname = current_database() AND application_name = 'halo-api'
   AND pid <> pg_backend_pid()
"""
SLEEPING_SQL = """
SELECT count(*) FROM pg_stat_activity
 WHERE datname = current_database() AND application_name = 'halo-api'
   AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'
"""


def app_with_sleep_route(settings: Settings) -> FastAPI:
    """The real app plus a test-only route holding a pooled connection in pg_sleep."""
    app = create_app(settings)

    async def sleep(conn: Conn, seconds: float) -> dict[str, float]:
        await conn.execute("SELECT pg_sleep(%s)", (seconds,))
        return {"slept_s": seconds}

    app.add_api_route(SLEEP_PATH, sleep, methods=["GET"])
    return app


def api_settings(settings: Settings, city: MapCity, statement_timeout_ms: int) -> Settings:
    """Limits off, tiles rendered by the database on every request, a given statement timeout."""
    base = settings_for(settings, city.db)
    return base.model_copy(
        update={
            "statement_timeout_ms": statement_timeout_ms,
            "map": base.map.model_copy(
                update={"tile_cache_max_bytes": 0, "generation_check_s": 0.0}
            ),
            "rate_limits": base.rate_limits.model_copy(update={"enabled": False}),
        }
    )


def normal_paths(city: MapCity) -> list[str]:
    """Ordinary requests that must succeed: risk at the hot spot, a tile, a district."""
    lon, lat = city.hotspot
    return [
        f"/api/v1/risk?lat={lat}&lon={lon}",
        "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(lon, lat, 14)),
        "/api/v1/neighborhoods/{}".format(city.district_ids["Västra"]),
    ]


def assert_503_with_retry_after(answer: httpx.Response) -> None:
    """A 503 problem document with Retry-After and no trace."""
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in answer.text


def wait_for(condition_sql: str, url: str, timeout_s: float = 10) -> None:
    """Poll until the count query is non-zero (bounded)."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute(condition_sql).fetchone()[0] == 0:
            assert time.monotonic() < deadline, f"not seen in {timeout_s} s: {condition_sql}"
            time.sleep(0.02)


def test_killing_the_apis_backends_mid_request_fails_that_request_only(
    settings: Settings, city: MapCity
) -> None:
    config = api_settings(settings, city, 5000)
    with live_server(config, app_with_sleep_route(config)) as api:
        # Several pooled connections, all of which are killed below.
        with httpx.Client(base_url=api.base_url, timeout=10) as other:
            threads = [
                threading.Thread(
                    target=other.get, args=(SLEEP_PATH,), kwargs={"params": {"seconds": 0.3}}
                )
                for _ in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=10)
        answers: list[httpx.Response] = []
        slow = threading.Thread(
            target=lambda: answers.append(api.get(SLEEP_PATH, params={"seconds": 8}))
        )
        started = time.monotonic()
        slow.start()
        wait_for(SLEEPING_SQL, city.db.api_url)
        with psycopg.connect(city.db.api_url, autocommit=True) as conn:
            killed = conn.execute(TERMINATE_SQL).fetchone()[0]
        slow.join(timeout=10)
        assert killed >= 2, "the busy backend and at least one idle one"
        assert_503_with_retry_after(answers[0])
        assert time.monotonic() - started < 5, "the killed request was answered at once"
        # No retry: every next request succeeds at its first attempt, idle connections included.
        for path in normal_paths(city) * 3:
            answer = api.get(path)
            assert answer.status_code == 200, (path, answer.text)


def test_a_query_past_the_statement_timeout_is_a_503_and_service_continues(
    settings: Settings, city: MapCity
) -> None:
    config = api_settings(settings, city, 500)
    with live_server(config, app_with_sleep_route(config)) as api:
        started = time.monotonic()
        answer = api.get(SLEEP_PATH, params={"seconds": 3})
        assert_503_with_retry_after(answer)
        assert answer.json()["title"] == "The query took too long"
        assert time.monotonic() - started < 2.5
        for path in normal_paths(city):
            assert api.get(path).status_code == 200, path


def test_a_tile_blocked_by_a_lock_times_out_as_503_and_renders_once_released(
    settings: Settings, city: MapCity
) -> None:
    """A real route under a real fault: a long-held lock (a migration, a manual fix) on the
    table the tile reads makes it wait past the statement timeout."""
    config = api_settings(settings, city, 500)
    tile = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 14))
    with live_server(config) as api:
        assert api.get(tile).status_code == 200
        with psycopg.connect(city.db.owner_url) as blocker:
            blocker.execute("LOCK TABLE risk.cell_risk IN ACCESS EXCLUSIVE MODE")
            blocked = api.get(tile)
            blocker.rollback()
        assert_503_with_retry_after(blocked)
        answer = api.get(tile)
        assert answer.status_code == 200
        assert answer.content


LOCK_WAITING_SQL = """
SELECT count(*) FROM pg_stat_activity
 WHERE datname = current_database() AND application_name = 'halo-api'
   AND state = 'active' AND wait_event_type = 'Lock' AND pid <> ALL(%s)
"""


def waiting_pids(url: str, excluded: list[int], timeout_s: float = 10) -> list[int]:
    """The API backends waiting on a lock (other than `excluded`), once there is one."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            rows = conn.execute(LOCK_WAITING_SQL.replace("count(*)", "pid"), (excluded,)).fetchall()
            if rows:
                return [row[0] for row in rows]
            assert time.monotonic() < deadline, "no API backend waited on the lock"
            time.sleep(0.02)


@pytest.mark.parametrize("kind", ["tile", "risk"])
def test_a_read_whose_backend_is_killed_mid_query_is_retried_on_another_connection(
    settings: Settings, city: MapCity, kind: str
) -> None:
    """Tiles and risk at a point are reads that may run twice: when the connection breaks
    under one (here: its backend killed while it waits on a lock), it runs once more on
    another connection and the client gets its answer, not a 503."""
    config = api_settings(settings, city, 5000)
    path = {"tile": normal_paths(city)[1], "risk": normal_paths(city)[0]}[kind]
    with live_server(config) as api:
        assert api.get(path).status_code == 200
        answers: list[httpx.Response] = []
        with psycopg.connect(city.db.owner_url) as blocker:
            blocker.execute("LOCK TABLE risk.cell_risk IN ACCESS EXCLUSIVE MODE")
            request = threading.Thread(target=lambda: answers.append(api.get(path)))
            request.start()
            first = waiting_pids(city.db.api_url, [])
            with psycopg.connect(city.db.api_url, autocommit=True) as conn:
                assert conn.execute(TERMINATE_SQL).fetchone()[0] >= 1
            # The retry waits on the same lock from a new backend; then the lock goes.
            assert waiting_pids(city.db.api_url, first) != first
            blocker.rollback()
        request.join(timeout=10)
        assert answers and answers[0].status_code == 200, answers and answers[0].text
        assert answers[0].content
