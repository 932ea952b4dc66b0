"""One render per missing tile however many requests ask for it at once (api/tiles/
single_flight.py), on the map city's database: requests arriving together share one render,
a first request cancelled mid-render does not fail the others, an error reaches every waiter
and the next request renders again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.app import open_pool
from api.metrics import REGISTRY
from api.tiles.service import RENDERED, TileService
from api.tiles.single_flight import SingleFlight
from config.settings import Settings
from core.tiles.layers import LAYERS
from tests.support.dbtools import settings_for
from tests.support.map_support import MapCity, tile_of

GENERATION = 1


def misses() -> float:
    return REGISTRY.get_sample_value("halo_tile_cache_misses_total", {"layer": "risk"}) or 0.0


def in_memory(settings: Settings) -> TileService:
    """A tile service with the memory cache on and no shared store."""
    return TileService(
        settings.map.model_copy(
            update={"tile_cache_max_bytes": 64 * 2**20, "tile_dir": None, "redis_url": None}
        )
    )


def test_requests_arriving_together_share_one_render(settings: Settings, city: MapCity) -> None:
    z, x, y = tile_of(*city.hotspot, 8)

    async def together() -> list[Any]:
        pool = open_pool(settings_for(settings, city.db), name="halo-flight-test")
        await pool.open(wait=True)
        try:
            service = in_memory(settings)
            return await asyncio.gather(
                *(service.tile(pool, GENERATION, LAYERS["risk"], z, x, y) for _ in range(8))
            )
        finally:
            await pool.close()

    before = misses()
    answers = asyncio.run(together())
    assert misses() - before == 1
    first, source = answers[0]
    assert first.raw and source == RENDERED
    assert all(answer is first for answer, _ in answers)


def test_a_first_request_cancelled_mid_render_leaves_the_others_their_tile(
    settings: Settings, city: MapCity
) -> None:
    z, x, y = tile_of(*city.hotspot, 8)

    async def cancelled_first() -> tuple[bytes, bool]:
        pool = open_pool(settings_for(settings, city.db), name="halo-flight-test")
        await pool.open(wait=True)
        try:
            service = in_memory(settings)
            first = asyncio.ensure_future(service.tile(pool, GENERATION, LAYERS["risk"], z, x, y))
            await asyncio.sleep(0)  # the first request is now waiting for the database
            second = asyncio.ensure_future(service.tile(pool, GENERATION, LAYERS["risk"], z, x, y))
            await asyncio.sleep(0)
            first.cancel()
            answer, _ = await asyncio.wait_for(second, 10)
            with pytest.raises(asyncio.CancelledError):
                await first
            return answer.raw, service.lru.peek(GENERATION, ("risk", z, x, y)) is answer
        finally:
            await pool.close()

    plain = tile_bytes(settings, city, z, x, y)
    raw, kept = asyncio.run(cancelled_first())
    assert raw == plain
    assert kept  # the render started again was cached as usual


def tile_bytes(settings: Settings, city: MapCity, z: int, x: int, y: int) -> bytes:
    """The tile as a request alone gets it."""

    async def alone() -> bytes:
        pool = open_pool(settings_for(settings, city.db), name="halo-flight-test")
        await pool.open(wait=True)
        try:
            answer, _ = await in_memory(settings).tile(pool, 0, LAYERS["risk"], z, x, y)
            return answer.raw
        finally:
            await pool.close()

    return asyncio.run(alone())


def test_an_error_reaches_every_waiter_and_the_next_call_produces_again() -> None:
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError("statement failed")

    async def succeeding() -> str:
        nonlocal calls
        calls += 1
        return "tile"

    async def scenario() -> tuple[list[Any], str, int]:
        flights: SingleFlight[str] = SingleFlight()
        results = await asyncio.gather(
            *(flights.run("key", failing) for _ in range(3)), return_exceptions=True
        )
        again = await flights.run("key", succeeding)
        return results, again, len(flights)

    results, again, pending = asyncio.run(scenario())
    assert [type(r) for r in results] == [LookupError] * 3
    assert again == "tile" and calls == 2 and pending == 0
