"""Shared tile stores behind the per-worker LRU: a directory, or Redis. Both hold a tile of a
generation as one value (the MVT bytes and their gzip), so a restarted or second worker, and
the refresh job that pre-renders, all read and write the same entries.

Keys carry the generation: `<dir>/g<generation>/<layer>/<z>/<x>/<y>.tile` on disk,
`halo:tile:g<generation>:<layer>:<z>:<x>:<y>` in Redis. Older generations are pruned on disk
by the pre-render job and expire in Redis (TTL). Any store error only means a miss.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Protocol

log = logging.getLogger("halo.api.tiles")

CacheKey = tuple[str, int, int, int]  # layer (or document), z, x, y (or its parameters)
# One value per tile: magic, length of the MVT, the MVT, its gzip. Bumped with the layout.
MAGIC = b"HT1"
HEADER_BYTES = len(MAGIC) + 4


def pack(raw: bytes, gz: bytes) -> bytes:
    """One stored value from the MVT bytes and their gzip encoding."""
    return MAGIC + len(raw).to_bytes(4, "big") + raw + gz


def unpack(value: bytes | None) -> tuple[bytes, bytes] | None:
    """(MVT, gzip) of a stored value; None for a missing or foreign value."""
    if not value or not value.startswith(MAGIC) or len(value) < HEADER_BYTES:
        return None
    size = int.from_bytes(value[len(MAGIC) : HEADER_BYTES], "big")
    raw_end = HEADER_BYTES + size
    if raw_end > len(value):
        return None
    return value[HEADER_BYTES:raw_end], value[raw_end:]


def redis_key(generation: int, key: CacheKey) -> str:
    """The Redis key of a tile of a generation."""
    layer, z, x, y = key
    return f"halo:tile:g{generation}:{layer}:{z}:{x}:{y}"


class SyncStore(Protocol):
    """What the pre-render job writes to and copies from (a blocking client)."""

    def get(self, generation: int, key: CacheKey) -> bytes | None: ...

    def put(self, generation: int, key: CacheKey, value: bytes) -> None: ...

    def flush(self) -> None: ...

    def prune(self, keep: set[int]) -> None: ...


class DiskTiles:
    """Tiles in a directory (HALO_MAP_TILE_DIR); written atomically (temporary file, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, generation: int, key: CacheKey) -> Path:
        layer, z, x, y = key
        return self.root / f"g{generation}" / layer / str(z) / str(x) / f"{y}.tile"

    def get(self, generation: int, key: CacheKey) -> bytes | None:
        """The stored value, or None. A small local file: read inline, no thread hop."""
        try:
            return self.path(generation, key).read_bytes()
        except OSError:
            return None

    def put(self, generation: int, key: CacheKey, value: bytes) -> None:
        """Store a value; a failed write is logged and forgotten (the tile renders again)."""
        target = self.path(generation, key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}")
            temporary.write_bytes(value)
            temporary.replace(target)
        except OSError as exc:
            log.warning("disk tile cache unavailable: %s", exc)

    def flush(self) -> None:
        """Nothing queued: every put is written at once."""

    def prune(self, keep: set[int]) -> None:
        """Delete the directories of every generation not in `keep`."""
        if not self.root.is_dir():
            return
        for folder in self.root.glob("g*"):
            number = folder.name[1:]
            if number.isdigit() and int(number) not in keep:
                shutil.rmtree(folder, ignore_errors=True)


class RedisTiles:
    """Tiles shared by all workers in Redis (asyncio client); any Redis error only means a miss."""

    def __init__(self, url: str, ttl_s: int) -> None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        # What a Redis outage raises: caught, so it only means a miss.
        self._outage: tuple[type[Exception], ...] = (RedisError, OSError)
        self.ttl_s = ttl_s
        self._redis = Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    async def get(self, generation: int, key: CacheKey) -> bytes | None:
        """The stored value of this generation, or None."""
        try:
            value = await self._redis.get(redis_key(generation, key))
        except self._outage as exc:  # a cache outage must not fail the tile
            log.warning("redis tile cache unavailable: %s", type(exc).__name__)
            return None
        return value if isinstance(value, bytes) else None

    async def put(self, generation: int, key: CacheKey, value: bytes) -> None:
        """Store a value for this generation with the configured TTL."""
        try:
            await self._redis.set(redis_key(generation, key), value, ex=self.ttl_s)
        except self._outage as exc:
            log.warning("redis tile cache unavailable: %s", type(exc).__name__)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


class SyncRedisTiles:
    """The pre-render job's Redis writer (blocking client, pipelined in batches)."""

    BATCH = 200

    def __init__(self, url: str, ttl_s: int) -> None:
        from redis import Redis

        self.ttl_s = ttl_s
        self._redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._pending: list[tuple[str, bytes]] = []

    def get(self, generation: int, key: CacheKey) -> bytes | None:
        """The stored value of this generation, or None (also when Redis fails)."""
        from redis.exceptions import RedisError

        try:
            value = self._redis.get(redis_key(generation, key))
        except (RedisError, OSError) as exc:
            log.warning("redis tile cache unavailable: %s", type(exc).__name__)
            return None
        return value if isinstance(value, bytes) else None

    def put(self, generation: int, key: CacheKey, value: bytes) -> None:
        """Queue a value; sent with the next full batch or `flush`."""
        self._pending.append((redis_key(generation, key), value))
        if len(self._pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        """Send the queued values in one round trip."""
        if not self._pending:
            return
        pipe = self._redis.pipeline(transaction=False)
        for name, value in self._pending:
            pipe.set(name, value, ex=self.ttl_s)
        self._pending.clear()
        pipe.execute()

    def prune(self, keep: set[int]) -> None:
        """Nothing to do: older generations expire with their TTL."""
