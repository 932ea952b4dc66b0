"""The current risk generation (the key of ETags and tile caches), read at most once a second."""

from __future__ import annotations

import asyncio
import time

from psycopg_pool import AsyncConnectionPool

GENERATION_SQL = "SELECT id FROM risk.current_generation()"


class GenerationClock:
    """Caches the latest risk.generations id for `ttl_s`; one database read per expiry."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._value = 0
        self._read_at = -float("inf")
        self._lock = asyncio.Lock()

    def fresh(self) -> int | None:
        """The generation when read less than `ttl_s` ago, else None (no database access)."""
        if time.monotonic() - self._read_at < self.ttl_s:
            return self._value
        return None

    async def current(self, pool: AsyncConnectionPool) -> int:
        """The generation id (0 before the first refresh)."""
        if time.monotonic() - self._read_at < self.ttl_s:
            return self._value
        async with self._lock:
            # Another request may have read it while this one waited for the lock.
            if time.monotonic() - self._read_at >= self.ttl_s:
                self._value = await self._read(pool)
                self._read_at = time.monotonic()
        return self._value

    @staticmethod
    async def _read(pool: AsyncConnectionPool) -> int:
        async with pool.connection() as conn:
            cur = await conn.execute(GENERATION_SQL)
            row = await cur.fetchone()
        return int(row[0]) if row else 0
