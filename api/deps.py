"""Request dependencies: the pool, a pooled database connection and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from config.settings import Settings


async def _connection(request: Request) -> AsyncIterator[AsyncConnection]:
    async with request.app.state.pool.connection() as conn:
        yield conn


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Conn = Annotated[AsyncConnection, Depends(_connection)]
AppSettings = Annotated[Settings, Depends(_settings)]


def app_pool(request: Request) -> AsyncConnectionPool:
    """The API role's pool, opened in the app's lifespan (also for code that has a request
    but is no route: the rate limiter, key lookup)."""
    pool: AsyncConnectionPool = request.app.state.pool
    return pool


Pool = Annotated[AsyncConnectionPool, Depends(app_pool)]
