"""The tile read straight over libpq (api/prepared_value.py), as the API role on the map city:
the same bytes as psycopg's read, prepared once per connection, psycopg's error classes, a
connection left idle and usable after an error, a killed backend not failing the next read."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from psycopg import errors
from psycopg.pq import TransactionStatus

from api.app import open_pool
from api.pooled_reads import fetch_value
from api.prepared_value import PREPARED_ON, PreparedValue
from api.tiles.service import TILE_READS
from config.settings import Settings
from tests.support.dbtools import settings_for
from tests.support.map_support import MapCity, tile_of

PREPARED_SQL = "SELECT count(*) FROM pg_prepared_statements WHERE name = %s"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_tile_bytes_are_psycopgs_and_prepared_once(city: MapCity) -> None:
    z, x, y = tile_of(*city.hotspot, 14)

    async def read() -> tuple[bytes | None, bytes | None, int]:
        conn = await psycopg.AsyncConnection.connect(city.db.api_url, autocommit=True)
        async with conn:
            first = await TILE_READS["risk"].value(conn, (z, x, y))
            again = await TILE_READS["risk"].value(conn, (z, x, y))
            cur = await conn.execute(PREPARED_SQL, ("halo_tile_risk",))
            prepared = (await cur.fetchone() or (0,))[0]
            return first, again, prepared

    first, again, prepared = run(read())
    with psycopg.connect(city.db.api_url) as conn:
        row = conn.execute("SELECT tiles.tile_risk(%s, %s, %s)", (z, x, y), binary=True)
        expected = bytes(row.fetchone()[0])
    assert expected, "the hot spot's tile has cells"
    assert first == again == expected
    assert prepared == 1


def test_an_empty_tile_is_empty_and_null_is_none(city: MapCity) -> None:
    null_read = PreparedValue("halo_test_null", "SELECT NULL::bytea WHERE $1::int = 1")

    async def read() -> tuple[bytes | None, bytes | None, bytes | None]:
        conn = await psycopg.AsyncConnection.connect(city.db.api_url, autocommit=True)
        async with conn:
            far = await TILE_READS["risk"].value(conn, (14, 0, 0))
            return far, await null_read.value(conn, (1,)), await null_read.value(conn, (2,))

    far, null, no_row = run(read())
    assert far == b""
    assert null is None
    assert no_row is None


def test_a_failed_statement_raises_its_class_and_leaves_the_connection_idle(
    city: MapCity,
) -> None:
    divide = PreparedValue("halo_test_divide", "SELECT (1 / $1::int)::text::bytea")

    async def read() -> tuple[type[Exception], str | None, int, bytes | None]:
        conn = await psycopg.AsyncConnection.connect(city.db.api_url, autocommit=True)
        async with conn:
            with pytest.raises(psycopg.Error) as caught:
                await divide.value(conn, (0,))
            status = conn.pgconn.transaction_status
            after = await divide.value(conn, (1,))
            return type(caught.value), caught.value.sqlstate, status, after

    kind, sqlstate, status, after = run(read())
    assert kind is errors.DivisionByZero
    assert sqlstate == "22012"
    assert status == TransactionStatus.IDLE
    assert after == b"1"


def test_a_statement_that_fails_to_prepare_is_prepared_again_later(city: MapCity) -> None:
    bad = PreparedValue("halo_test_bad", "SELECT no_such_function($1::int)")

    async def read() -> set[bytes]:
        conn = await psycopg.AsyncConnection.connect(city.db.api_url, autocommit=True)
        async with conn:
            with pytest.raises(errors.UndefinedFunction):
                await bad.value(conn, (1,))
            await TILE_READS["risk"].value(conn, (14, 0, 0))
            prepared: set[bytes] = getattr(conn, PREPARED_ON)
            return prepared

    assert run(read()) == {b"halo_tile_risk"}


def test_a_backend_killed_between_reads_does_not_fail_the_next_read(
    settings: Settings, city: MapCity
) -> None:
    z, x, y = tile_of(*city.hotspot, 14)
    api_settings = settings_for(settings, city.db).model_copy(
        update={"pool_min_size": 1, "pool_max_size": 1}
    )

    async def read() -> tuple[bytes | None, bytes | None]:
        pool = open_pool(api_settings, name="halo-prepared-test")
        await pool.open(wait=True)
        try:
            before = await fetch_value(pool, TILE_READS["risk"], (z, x, y))
            with psycopg.connect(city.db.api_url, autocommit=True) as killer:
                killer.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'halo-prepared-test' AND pid <> pg_backend_pid()"
                )
            after = await fetch_value(pool, TILE_READS["risk"], (z, x, y))
            return before, after
        finally:
            await pool.close()

    before, after = run(read())
    assert before and before == after


def test_the_pool_hands_out_the_connection_returned_last(settings: Settings, city: MapCity) -> None:
    pool_settings = settings_for(settings, city.db).model_copy(
        update={"pool_min_size": 3, "pool_max_size": 3}
    )

    async def checkouts() -> tuple[list[int], list[int]]:
        pool = open_pool(pool_settings, name="halo-hot-first-test")
        await pool.open(wait=True)
        try:
            held = [await pool.getconn() for _ in range(3)]
            for conn in held:
                await pool.putconn(conn)
            used = []
            for _ in range(4):
                conn = await pool.getconn()
                used.append(conn.info.backend_pid)
                await pool.putconn(conn)
            return [conn.info.backend_pid for conn in held], used
        finally:
            await pool.close()

    held, used = run(checkouts())
    assert len(set(held)) == 3
    assert used == [held[-1]] * 4


def test_a_return_the_uncontended_path_cannot_judge_takes_the_pools_own_path(
    settings: Settings, city: MapCity
) -> None:
    """The quick checkout and return (api/pooled_reads.HotFirstPool) leave to psycopg_pool a
    connection returned in a transaction (rolled back), one returned while a client waits
    (handed to it) and one past its lifetime (replaced); a quiet checkout still counts."""
    pool_settings = settings_for(settings, city.db).model_copy(
        update={"pool_min_size": 1, "pool_max_size": 1}
    )

    async def scenario() -> dict[str, Any]:
        pool = open_pool(pool_settings, name="halo-quick-path-test")
        await pool.open(wait=True)
        seen: dict[str, Any] = {}
        try:
            conn = await pool.getconn()
            seen["first_pid"] = conn.info.backend_pid
            await conn.execute("BEGIN")
            await conn.execute("SELECT 1")
            await pool.putconn(conn)
            conn = await pool.getconn()
            seen["after_transaction"] = conn.pgconn.transaction_status
            waiter = asyncio.ensure_future(pool.getconn())
            await asyncio.sleep(0.05)
            seen["waiting"] = not waiter.done()
            await pool.putconn(conn)
            handed = await asyncio.wait_for(waiter, 5)
            seen["handed_same"] = handed is conn
            handed._expire_at = 0.0  # past its lifetime (psycopg_pool's own field)
            await pool.putconn(handed)
            await pool.wait(timeout=5)
            fresh = await pool.getconn()
            seen["replaced"] = fresh.info.backend_pid != seen["first_pid"]
            await pool.putconn(fresh)
            seen["requests"] = pool.get_stats()["requests_num"]
        finally:
            await pool.close()
        return seen

    seen = run(scenario())
    assert seen["after_transaction"] == TransactionStatus.IDLE
    assert seen["waiting"] and seen["handed_same"]
    assert seen["replaced"]
    assert seen["requests"] == 4
