"""The FastAPI application: settings, connection pool in the lifespan, routes, error mapping."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from psycopg_pool import AsyncConnectionPool

from api.errors import COMMON_RESPONSES, install_error_handlers
from api.map_api import close_map, install_map
from api.middleware.install import install_middleware
from api.pooled_reads import HotFirstPool, check_connection
from api.routers import ROUTERS
from api.routes.docs_pages import install_docs
from api.security import enforce_rate_limit
from api.security.rate_limit import LeaseBook
from api.sentry import init_sentry
from config.logging import configure_logging
from config.settings import Settings, get_settings
from config.version import __version__

log = logging.getLogger("halo.api")


def open_pool(
    settings: Settings, url: str | None = None, name: str = "halo-api"
) -> AsyncConnectionPool:
    """The API role's pool; every checkout is checked (without a round trip for a connection
    handed out recently whose socket is quiet: api.pooled_reads), statements are time-limited,
    the connection returned last is handed out first (warm backends: api.pooled_reads).

    JIT is off: the API's queries are short, and PostgreSQL compiling them took 1.7-2.2 s per
    moderation-queue call (1-8 ms without). db/bootstrap.sql also sets it on the role.
    """
    return HotFirstPool(
        url or settings.api_database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_s,
        reconnect_timeout=settings.pool_reconnect_timeout_s,
        check=check_connection,
        kwargs={
            "autocommit": True,
            "application_name": name,
            "options": f"-c statement_timeout={settings.statement_timeout_ms} -c jit=off",
        },
        open=False,
        name=name,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; uvicorn calls this with --factory."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.monitoring.log_format)
    init_sentry(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = open_pool(settings)
        # Do not fail startup when the database is down: /health/ready reports it.
        await pool.open(wait=False)
        app.state.pool = pool
        # --- issue 17: the read pool (a hot standby; default: the primary's pool) ---
        app.state.read_pool = pool
        if settings.api_read_database_url:
            app.state.read_pool = open_pool(settings, settings.api_read_database_url, "halo-read")
            await app.state.read_pool.open(wait=False)
        # --- end issue 17 ---
        app.state.settings = settings
        log.info("halo api started (env=%s)", settings.env)
        try:
            yield
        finally:
            await close_map(app)
            if app.state.read_pool is not pool:
                await app.state.read_pool.close()
            await pool.close()

    app = FastAPI(
        title="Halo",
        summary="Open personal-safety risk map: risk tiles, neighborhoods, incident reports.",
        version=__version__,
        lifespan=lifespan,
        # Served by install_docs from Halo's own copies of Swagger UI and ReDoc (no CDN).
        docs_url=None,
        redoc_url=None,
        # Every API route is rate limited by its class (tiles, reads, reports).
        dependencies=[Depends(enforce_rate_limit)],
        responses=COMMON_RESPONSES,
    )
    app.state.settings = settings
    app.state.rate_leases = LeaseBook()
    install_error_handlers(app)
    install_middleware(app, settings)
    for router in ROUTERS:
        app.include_router(router)
    install_map(app, settings)
    install_docs(app, settings.map)
    return app
