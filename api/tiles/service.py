"""Rendering behind the caches: the LRU, then the shared store (disk or Redis), then SQL, once
per missing answer. Concurrent requests for the same missing answer share one database render
(single flight: api/tiles/single_flight.py). When a worker first sees a generation it fills
its LRU with the pre-rendered set in the background (api/tiles/prerender.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from psycopg_pool import AsyncConnectionPool

from api.generation import GenerationClock
from api.metrics import TILE_CACHE_HITS, TILE_CACHE_MISSES
from api.pooled_reads import fetch_value
from api.prepared_value import PreparedValue
from api.tiles.cache import GenerationLRU, Rendered
from api.tiles.single_flight import SingleFlight
from api.tiles.versions import BasemapVersions, TileVersion
from config.map import MapSettings
from core.tiles.layers import LAYERS, Layer
from core.tiles.prerender import EXTENT_SQL, STAMP_KEY, extents_of, prerender_keys
from core.tiles.store import CacheKey, DiskTiles, RedisTiles, pack, unpack

log = logging.getLogger("halo.api.tiles")

Produce = Callable[[], Awaitable[bytes]]
# Where an answer came from: the X-Halo-Cache header of tiles.
MEMORY, STORE, RENDERED = "memory", "store", "render"
# Request-state key under which the fast path hands a failed render to the tile route.
RENDER_ERROR = "halo_tile_render_error"


class TileService:
    """The current generation, and tiles and map documents cached per generation."""

    def __init__(self, settings: MapSettings) -> None:
        self.settings = settings
        self.generation = GenerationClock(settings.generation_check_s)
        self.lru = GenerationLRU(settings.tile_cache_max_bytes)
        self.redis = (
            RedisTiles(settings.redis_url, settings.redis_ttl_s) if settings.redis_url else None
        )
        self.disk = DiskTiles(settings.tile_dir) if settings.tile_dir else None
        self.basemap = BasemapVersions()
        self._flights: SingleFlight[tuple[Rendered, str]] = SingleFlight()
        self._warmed = 0
        self._warming: asyncio.Task[None] | None = None

    async def current_generation(self, pool: AsyncConnectionPool) -> int:
        """The generation to answer with; a new one starts this worker's warm-up and is looked
        up for the base map's version (`version_of`)."""
        generation = await self.generation.current(pool)
        if self.basemap.known(generation) is None:
            self.basemap.learn(generation, await self._stamp(generation))
        if generation > self._warmed:
            self._warmed = generation
            if self.settings.prerender_on_serve and self.lru.enabled and generation > 0:
                self._warming = asyncio.ensure_future(self._warm(pool, generation))
        return generation

    def version_of(self, layer: str, generation: int) -> TileVersion:
        """The version naming `layer`'s tiles at `generation` (after `current_generation`):
        the generation, or for the base map its load's (api/tiles/versions.py)."""
        return self.basemap.of(layer, generation)

    async def _stamp(self, generation: int) -> bytes | None:
        """The base-map stamp recorded with `generation`'s complete pre-rendered set, from the
        shared store (disk first), or None."""
        stamp = self.disk.get(generation, STAMP_KEY) if self.disk is not None else None
        if stamp is None and self.redis is not None:
            stamp = await self.redis.get(generation, STAMP_KEY)
        return stamp

    async def tile(
        self, pool: AsyncConnectionPool, generation: int, layer: Layer, z: int, x: int, y: int
    ) -> tuple[Rendered, str]:
        """The tile of `layer` at z/x/y for `generation` and where it came from."""
        key: CacheKey = (layer.name, z, x, y)
        return await self._cached(generation, key, lambda: self._tile_bytes(pool, generation, key))

    async def cached(self, generation: int, key: CacheKey, produce: Produce) -> Rendered:
        """The answer cached under `key` for `generation`, else produced once and kept."""
        answer, _ = await self.cached_with_source(generation, key, produce)
        return answer

    async def cached_with_source(
        self, generation: int, key: CacheKey, produce: Produce
    ) -> tuple[Rendered, str]:
        """`cached`, and where the answer came from (memory or render)."""
        return await self._cached(generation, key, self._producing(produce))

    async def _cached(
        self,
        generation: int,
        key: CacheKey,
        produce: Callable[[], Awaitable[tuple[Rendered, str]]],
    ) -> tuple[Rendered, str]:
        if not self.lru.enabled:
            return await produce()
        answer = self.lru.get(generation, key)
        if answer is not None:
            count_hit(key)
            return answer, MEMORY
        return await self._flights.run(
            (generation, key), partial(self._fill, generation, key, produce)
        )

    def _producing(self, produce: Produce) -> Callable[[], Awaitable[tuple[Rendered, str]]]:
        async def rendered() -> tuple[Rendered, str]:
            return Rendered(await produce(), self.settings.gzip_level), RENDERED

        return rendered

    def gzip_of(self, key: CacheKey, answer: Rendered) -> bytes:
        """The answer's gzip bytes, counted in the LRU budget when the LRU holds it."""
        before = answer.size
        body = answer.gz
        self.lru.resize(key, before, answer)
        return body

    async def _fill(
        self,
        generation: int,
        key: CacheKey,
        produce: Callable[[], Awaitable[tuple[Rendered, str]]],
    ) -> tuple[Rendered, str]:
        answer, source = await produce()
        self.lru.put(generation, key, answer)
        return answer, source

    async def _tile_bytes(
        self, pool: AsyncConnectionPool, generation: int, key: CacheKey
    ) -> tuple[Rendered, str]:
        """The shared store when it holds the tile, else the layer's SQL function (then kept
        in the store, gzip included, for the other workers)."""
        shared = self.redis is not None or self.disk is not None
        stored = await self._stored(generation, key) if shared else None
        if stored is not None:
            count_hit(key)
            return Rendered(stored[0], self.settings.gzip_level, stored[1] or None), STORE
        answer = Rendered(await render(pool, key), self.settings.render_gzip_level)
        if shared:
            value = pack(answer.raw, answer.gz if answer.raw else b"")
            if self.disk is not None:
                self.disk.put(generation, key, value)
            if self.redis is not None:
                await self.redis.put(generation, key, value)
        return answer, RENDERED

    def from_disk(self, generation: int, key: CacheKey) -> Rendered | None:
        """The tile from the shared directory (kept in memory too), or None; no await, for the
        fast path."""
        if self.disk is None:
            return None
        found = unpack(self.disk.get(generation, key))
        if found is None:
            return None
        answer = Rendered(found[0], self.settings.gzip_level, found[1] or None)
        if self.lru.enabled:
            self.lru.put(generation, key, answer)
        return answer

    async def _stored(self, generation: int, key: CacheKey) -> tuple[bytes, bytes] | None:
        if self.disk is not None:
            found = unpack(self.disk.get(generation, key))
            if found is not None:
                return found
        if self.redis is not None:
            return unpack(await self.redis.get(generation, key))
        return None

    async def _warm(self, pool: AsyncConnectionPool, generation: int) -> None:
        """Fill the LRU with the generation's pre-rendered set, within the time budget; stops
        when a newer generation appears. Errors only end the warm-up (tiles render on demand)."""
        started = time.perf_counter()
        try:
            async with pool.connection() as conn:
                cur = await conn.execute(EXTENT_SQL)
                extents = extents_of(await cur.fetchall())
            if not extents:
                return
            keys = prerender_keys(extents)
            for key in keys:
                if self._warmed != generation:
                    return
                if time.perf_counter() - started > self.settings.prerender_max_s:
                    log.warning("tile warm-up g%s stopped at its time budget", generation)
                    return
                if self.lru.peek(generation, key) is None:
                    name, z, x, y = key
                    await self.tile(pool, generation, LAYERS[name], z, x, y)
            log.info(
                "tile warm-up g%s: %d tiles in %.1f s",
                generation,
                len(keys),
                time.perf_counter() - started,
            )
        except Exception as exc:  # noqa: BLE001 - the warm-up is an optimisation; requests still render
            log.warning("tile warm-up g%s failed: %s", generation, type(exc).__name__)

    async def close(self) -> None:
        """Stop the warm-up; release the Redis connections, if any."""
        if self._warming is not None:
            self._warming.cancel()
        if self.redis:
            await self.redis.close()


def count_hit(key: CacheKey) -> None:
    """Count a tile served from a cache (map documents are not counted as tiles)."""
    if key[0] in LAYERS:
        TILE_CACHE_HITS.labels(key[0]).inc()


# Each layer's tile read, prepared by name on the connections that run it; its miss counter.
TILE_READS = {
    name: PreparedValue(f"halo_tile_{name}", layer.prepared_query) for name, layer in LAYERS.items()
}
MISSES = {name: TILE_CACHE_MISSES.labels(name) for name in LAYERS}


async def render(pool: AsyncConnectionPool, key: CacheKey) -> bytes:
    """Run the layer's tile function (once more if its connection broke under it), straight
    over libpq with a binary result (api/prepared_value.py: ~0.1 ms less than psycopg's
    cursor per tile)."""
    name, z, x, y = key
    MISSES[name].inc()
    return await fetch_value(pool, TILE_READS[name], (z, x, y)) or b""


async def _tile_service(request: Request) -> TileService:
    # async: FastAPI runs a plain `def` dependency in its thread pool, and py-spy showed that
    # thread hop costing about a fifth of an uncached tile request outside the database.
    service: TileService = request.app.state.tiles
    return service


# The app's tile service (created in api.map_api.install_map), as a route dependency.
Tiles = Annotated[TileService, Depends(_tile_service)]
