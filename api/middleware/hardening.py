"""Hardening middleware: security headers with HSTS, HTTPS-only redirect, request body limits."""

from __future__ import annotations

from starlette.datastructures import URL, Headers, MutableHeaders
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PayloadTooLarge, problem
from config.security import SecuritySettings

# Served over plain HTTP even in HTTPS-only mode: probes and scrapes from inside the network.
PLAIN_HTTP_PATHS = ("/health", "/metrics")
DOCS_PATHS = ("/docs", "/redoc")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Documents that run code: pages, and scripts (a worker script's own CSP governs the worker,
# so the web map's tile worker needs connect-src 'self', not the API's 'none').
WEB_CONTENT_TYPES = ("text/html", "text/javascript", "application/javascript")
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
}


class SecurityHeadersMiddleware:
    """Add the security headers to every answer; a CSP chosen by what is answered; HSTS on HTTPS."""

    def __init__(self, app: ASGIApp, settings: SecuritySettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._decorate(scope, MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _decorate(self, scope: Scope, headers: MutableHeaders) -> None:
        for name, value in STATIC_HEADERS.items():
            headers.setdefault(name, value)
        if "content-security-policy" not in headers:
            headers["Content-Security-Policy"] = self._csp(scope["path"], headers)
        if self.settings.https_only and scope["scheme"] == "https":
            headers["Strict-Transport-Security"] = (
                f"max-age={self.settings.hsts_max_age_s}; includeSubDomains"
            )

    def _csp(self, path: str, headers: MutableHeaders) -> str:
        if not headers.get("content-type", "").startswith(WEB_CONTENT_TYPES):
            return API_CSP
        if path.startswith(DOCS_PATHS):
            return self.settings.docs_csp
        return self.settings.web_csp


class HttpsRedirectMiddleware:
    """In HTTPS-only mode, answer plain-HTTP requests with a 308 to the same URL over HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["scheme"] == "http"
            and not scope["path"].startswith(PLAIN_HTTP_PATHS)
        ):
            url = URL(scope=scope).replace(scheme="https", port=None)
            await RedirectResponse(str(url), status_code=308)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """Refuse request bodies over the limit (413): by Content-Length, or while streaming."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        multipart = headers.get("content-type", "").startswith("multipart/form-data")
        limit = self.max_upload_bytes if multipart else self.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await problem(400, "Bad Request", "Invalid Content-Length.")(scope, receive, send)
                return
            if int(declared) > limit:
                detail = f"The body may have at most {limit} bytes."
                await problem(413, "Request body too large", detail)(scope, receive, send)
                return
        await self.app(scope, _counting(receive, limit), send)


def _counting(receive: Receive, limit: int) -> Receive:
    """A receive channel that raises PayloadTooLarge once more than `limit` bytes came in."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(f"The body may have at most {limit} bytes.")
        return message

    return counted
