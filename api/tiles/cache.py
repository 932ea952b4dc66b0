"""Server-side caches of tiles and map documents: an in-process LRU bounded in bytes, and an
optional Redis level for tiles.

Both are keyed by the risk generation, so a refresh invalidates every tile at once: the LRU
drops all entries when it first sees a newer generation; Redis keys of old generations expire.
"""

from __future__ import annotations

import gzip
import logging
from collections import OrderedDict
from dataclasses import dataclass, field

log = logging.getLogger("halo.api.tiles")

CacheKey = tuple[str, int, int, int]  # layer (or document), z, x, y (or its parameters)
ENTRY_OVERHEAD_BYTES = 200  # key, entry object and dict slot, roughly


@dataclass
class Rendered:
    """A rendered answer (MVT tile or JSON document; empty for an empty tile) and its gzip."""

    raw: bytes
    gzip_level: int = 6
    _gz: bytes | None = field(default=None, repr=False)

    @property
    def gz(self) -> bytes:
        """The gzip encoding, compressed on first use."""
        if self._gz is None:
            self._gz = gzip.compress(self.raw, compresslevel=self.gzip_level, mtime=0)
        return self._gz

    @property
    def size(self) -> int:
        """Bytes held, for the cache budget."""
        return len(self.raw) + len(self._gz or b"") + ENTRY_OVERHEAD_BYTES


class GenerationLRU:
    """Least-recently-used answers of one generation, at most `max_bytes` in total."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.generation = -1
        self._tiles: OrderedDict[CacheKey, Rendered] = OrderedDict()
        self._bytes = 0

    @property
    def enabled(self) -> bool:
        """False when configured with no room (HALO_MAP_TILE_CACHE_MAX_BYTES=0)."""
        return self.max_bytes > 0

    def get(self, generation: int, key: CacheKey) -> Rendered | None:
        """The cached tile, or None; a newer generation empties the cache first."""
        self._follow(generation)
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
        return tile

    def put(self, generation: int, key: CacheKey, tile: Rendered) -> None:
        """Keep a tile of `generation` (ignored if older than the cache's), evicting the oldest."""
        self._follow(generation)
        if generation != self.generation or tile.size > self.max_bytes:
            return
        previous = self._tiles.pop(key, None)
        if previous is not None:
            self._bytes -= previous.size
        self._tiles[key] = tile
        self._bytes += tile.size
        while self._bytes > self.max_bytes:
            _, evicted = self._tiles.popitem(last=False)
            self._bytes -= evicted.size

    def resize(self, key: CacheKey, before: int, tile: Rendered) -> None:
        """Account for a tile that grew (its gzip encoding was added) since it was stored."""
        if self._tiles.get(key) is tile:
            self._bytes += tile.size - before

    def _follow(self, generation: int) -> None:
        if generation > self.generation:
            self._tiles.clear()
            self._bytes = 0
            self.generation = generation

    def __len__(self) -> int:
        return len(self._tiles)


class RedisTiles:
    """Tiles shared by all workers in Redis; any Redis error only means a miss."""

    def __init__(self, url: str, ttl_s: int) -> None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        # What a Redis outage raises: caught, so it only means a miss.
        self._outage: tuple[type[Exception], ...] = (RedisError, OSError)

        self.ttl_s = ttl_s
        self._redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    @staticmethod
    def _key(generation: int, key: CacheKey) -> str:
        layer, z, x, y = key
        return f"halo:tile:g{generation}:{layer}:{z}:{x}:{y}"

    async def get(self, generation: int, key: CacheKey) -> bytes | None:
        """The MVT bytes stored for this generation, or None."""
        try:
            value = await self._redis.get(self._key(generation, key))
        except self._outage as exc:  # a cache outage must not fail the tile
            log.warning("redis tile cache unavailable: %s", type(exc).__name__)
            return None
        return value if isinstance(value, bytes) else None

    async def put(self, generation: int, key: CacheKey, raw: bytes) -> None:
        """Store the MVT bytes for this generation with the configured TTL."""
        try:
            await self._redis.set(self._key(generation, key), raw, ex=self.ttl_s)
        except self._outage as exc:
            log.warning("redis tile cache unavailable: %s", type(exc).__name__)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
