"""The in-process cache of tiles and map documents: an LRU bounded in bytes (the shared
second level, disk or Redis, is api/tiles/store.py).

Keyed by the risk generation, so a refresh invalidates every tile at once: the LRU drops all
entries when it first sees a newer generation.
"""

from __future__ import annotations

from collections import OrderedDict

from core.tiles.rendered import Rendered
from core.tiles.store import CacheKey

__all__ = ["GenerationLRU", "Rendered"]


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

    def peek(self, generation: int, key: CacheKey) -> Rendered | None:
        """The cached tile of exactly this generation, or None, changing nothing (fast path)."""
        if generation != self.generation:
            return None
        return self._tiles.get(key)

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
