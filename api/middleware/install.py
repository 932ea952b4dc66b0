"""The API's middleware stack, installed in one place so its order is visible."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.metrics import MetricsMiddleware
from api.middleware.hardening import (
    BodySizeLimitMiddleware,
    HeaderLimitMiddleware,
    HttpsRedirectMiddleware,
    SecurityHeadersMiddleware,
)
from api.middleware.request_context import RequestContextMiddleware
from api.routes.risk_fastpath import RiskAtPointFastPath
from api.tiles.fastpath import CachedTileFastPath
from config.settings import Settings

# Authorization, PUT and DELETE: a browser client (the app's web build) updates and
# unregisters its push device with its device secret (api/routes/devices.py).
CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-None-Match",
    "X-API-Key",
    "X-Request-ID",
]
CORS_EXPOSED = ["ETag", "Retry-After", "X-Request-ID"]


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Install the stack; the last added runs first, so this reads from the inside out.

    Outermost to innermost: trusted proxy headers (real client and scheme) -> tile fast path
    (api/tiles/fastpath.py: answers tiles, else passes on) -> risk-at-a-point fast path
    (api/routes/risk_fastpath.py) -> security headers
    (on every answer, 500s included) -> request id, access log, last-resort 500 -> metrics ->
    allowed hosts -> HTTPS redirect -> CORS -> body size limit -> the app. The header limit
    (size, single headers) runs before the request id, so no oversized header reaches a log.
    """
    sec = settings.security
    app.add_middleware(BodySizeLimitMiddleware, sec.max_body_bytes, sec.max_upload_bytes)
    if sec.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sec.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            max_age=600,
        )
    if sec.https_only:
        app.add_middleware(HttpsRedirectMiddleware)
    if sec.allowed_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=sec.allowed_hosts)
    if settings.monitoring.metrics_enabled:
        app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(HeaderLimitMiddleware, sec.max_header_bytes)
    app.add_middleware(SecurityHeadersMiddleware, settings=sec)
    # Tiles and risk at a point are answered before the stack above (same headers, counted
    # in metrics), tiles first.
    app.add_middleware(RiskAtPointFastPath, settings=settings)
    app.add_middleware(CachedTileFastPath, settings=settings)
    if sec.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=sec.trusted_proxies)
