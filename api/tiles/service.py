"""Rendering behind the caches: the LRU, then Redis (tiles), then SQL, once per missing answer.

Concurrent requests for the same missing answer share one database render (single flight).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from psycopg_pool import AsyncConnectionPool

from api.generation import GenerationClock
from api.metrics import TILE_CACHE_HITS, TILE_CACHE_MISSES
from api.tiles.cache import CacheKey, GenerationLRU, RedisTiles, Rendered
from api.tiles.layers import LAYERS, Layer
from config.map import MapSettings

Produce = Callable[[], Awaitable[bytes]]


class TileService:
    """The current generation, and tiles and map documents cached per generation."""

    def __init__(self, settings: MapSettings) -> None:
        self.settings = settings
        self.generation = GenerationClock(settings.generation_check_s)
        self.lru = GenerationLRU(settings.tile_cache_max_bytes)
        self.redis = (
            RedisTiles(settings.redis_url, settings.redis_ttl_s) if settings.redis_url else None
        )
        self._inflight: dict[tuple[int, CacheKey], asyncio.Task[Rendered]] = {}

    async def tile(
        self, pool: AsyncConnectionPool, generation: int, layer: Layer, z: int, x: int, y: int
    ) -> Rendered:
        """The tile of `layer` at z/x/y for `generation`, from a cache or rendered once."""
        key: CacheKey = (layer.name, z, x, y)
        return await self.cached(generation, key, lambda: self._tile_bytes(pool, generation, key))

    async def cached(self, generation: int, key: CacheKey, produce: Produce) -> Rendered:
        """The answer cached under `key` for `generation`, else produced once and kept."""
        if not self.lru.enabled:
            return Rendered(await produce(), self.settings.gzip_level)
        answer = self.lru.get(generation, key)
        if answer is not None:
            count_hit(key)
            return answer
        flight = (generation, key)
        task = self._inflight.get(flight)
        if task is None:
            task = asyncio.ensure_future(self._fill(generation, key, produce))
            self._inflight[flight] = task
            task.add_done_callback(lambda done: self._settle(flight, done))
        # Shielded: a client that goes away does not cancel the render others wait for.
        return await asyncio.shield(task)

    def gzip_of(self, key: CacheKey, answer: Rendered) -> bytes:
        """The answer's gzip bytes, counted in the LRU budget when the LRU holds it."""
        before = answer.size
        body = answer.gz
        self.lru.resize(key, before, answer)
        return body

    async def _fill(self, generation: int, key: CacheKey, produce: Produce) -> Rendered:
        answer = Rendered(await produce(), self.settings.gzip_level)
        self.lru.put(generation, key, answer)
        return answer

    async def _tile_bytes(self, pool: AsyncConnectionPool, generation: int, key: CacheKey) -> bytes:
        """Redis when configured and holding the tile, else the layer's SQL function."""
        if self.redis is None:
            return await render(pool, key)
        raw = await self.redis.get(generation, key)
        if raw is not None:
            count_hit(key)
        else:
            raw = await render(pool, key)
            await self.redis.put(generation, key, raw)
        return raw

    def _settle(self, flight: tuple[int, CacheKey], task: asyncio.Task[Rendered]) -> None:
        self._inflight.pop(flight, None)
        if not task.cancelled():
            task.exception()  # retrieved, so an error nobody awaited is not logged as lost

    async def close(self) -> None:
        """Release the Redis connections, if any."""
        if self.redis:
            await self.redis.close()


def count_hit(key: CacheKey) -> None:
    """Count a tile served from a cache (map documents are not counted as tiles)."""
    if key[0] in LAYERS:
        TILE_CACHE_HITS.labels(key[0]).inc()


async def render(pool: AsyncConnectionPool, key: CacheKey) -> bytes:
    """Run the layer's tile function; binary results, so bytea arrives without hex decoding."""
    name, z, x, y = key
    TILE_CACHE_MISSES.labels(name).inc()
    async with pool.connection() as conn:
        cur = await conn.execute(LAYERS[name].query, (z, x, y), binary=True)
        row = await cur.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""
