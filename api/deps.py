"""Request dependencies: pooled database connections (primary, read) and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from starlette.datastructures import State

from config.settings import Settings


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.pool.connection() as conn:
        yield conn


async def _read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with read_pool(request).connection() as conn:
        yield conn


def read_pool(request: Request) -> AsyncConnectionPool:
    """The pool for reads that may lag the primary a little (HALO_API_READ_DATABASE_URL: a hot
    standby; the primary's pool when unset): tiles, risk, neighbourhoods, alert zones,
    incidents. Writes and reads of one's own writes use `Conn` (the primary)."""
    return read_pool_of(request.app.state)


def read_pool_of(state: State) -> AsyncConnectionPool:
    """`read_pool` from the app's state (for code outside routing: the tile fast path)."""
    pool: AsyncConnectionPool = getattr(state, "read_pool", state.pool)
    return pool


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Conn = Annotated[AsyncConnection, Depends(_connection)]
ReadConn = Annotated[AsyncConnection, Depends(_read_connection)]
AppSettings = Annotated[Settings, Depends(_settings)]


def app_pool(request: Request) -> AsyncConnectionPool:
    """The API role's pool, opened in the app's lifespan (also for code that has a request
    but is no route: the rate limiter, key lookup)."""
    pool: AsyncConnectionPool = request.app.state.pool
    return pool


Pool = Annotated[AsyncConnectionPool, Depends(app_pool)]
