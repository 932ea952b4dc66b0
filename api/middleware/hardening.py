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


# Headers a request may carry at most once: a second copy is ambiguous (which one counts?).
SINGLE_HEADERS = (b"x-api-key", b"idempotency-key", b"x-device-id", b"authorization")


class HeaderLimitMiddleware:
    """Refuse requests whose headers are too large in total (431) or carry one of
    SINGLE_HEADERS twice (400), before anything else reads them."""

    def __init__(self, app: ASGIApp, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope["headers"])
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, headers: list[tuple[bytes, bytes]]) -> ASGIApp | None:
        size = sum(len(name) + len(value) + 4 for name, value in headers)
        if size > self.max_header_bytes:
            detail = f"The request headers may have at most {self.max_header_bytes} bytes."
            return problem(431, "Request header fields too large", detail)
        names = [name.lower() for name, _ in headers]
        for single in SINGLE_HEADERS:
            if names.count(single) > 1:
                detail = f"The {single.decode()} header may be sent only once."
                return problem(400, "Bad Request", detail)
        return None


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
        await _serve_limited(self.app, scope, receive, send, limit)


async def _serve_limited(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int
) -> None:
    """Serve with a receive channel that stops at `limit` bytes; once it has, answer 413.

    A body without Content-Length (chunked) is only found too large while the app reads it,
    and the app may turn that error into an answer of its own (form parsing answers 400):
    whatever the app answers then is replaced by the 413.
    """
    exceeded = False
    responded = False
    received = 0
    detail = f"The body may have at most {limit} bytes."

    async def counted() -> Message:
        nonlocal exceeded, received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                exceeded = True
                raise PayloadTooLarge(detail)
        return message

    async def guarded_send(message: Message) -> None:
        nonlocal responded
        if exceeded:
            if message["type"] == "http.response.start" and not responded:
                responded = True
                await problem(413, "Request body too large", detail)(scope, _no_body, send)
            return
        responded = responded or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, counted, guarded_send)
    except PayloadTooLarge:
        if responded:
            raise
        await problem(413, "Request body too large", detail)(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
