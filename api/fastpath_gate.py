"""What a fast path (an answer given before FastAPI: api/tiles/fastpath.py, api/routes/
risk_fastpath.py) checks before it answers, and the headers every answer of the full path
carries. Anything the full path must judge sends the request there unchanged: HTTPS-only
mode over plain HTTP, an API key or Authorization header, a CORS request, a host outside the
allow-list, headers the header limit refuses (too large in total, a single-use header twice),
a request body (the body limit's 413), and a client whose rate-limit lease in this worker is
used up or unknown (the full path reserves the next lease in the database, or answers 429).
"""

from __future__ import annotations

from starlette.types import Scope

from api.middleware.hardening import API_CSP, SINGLE_HEADERS, STATIC_HEADERS
from api.middleware.request_context import REQUEST_ID_HEADER, request_id_of
from api.security.rate_limit import LEASE_TAKEN
from config.settings import Settings
from core.digests import subject_digest

Headers = list[tuple[bytes, bytes]]

# Headers that send the request down the full path (keys, credentials, CORS, a request
# body: its limits are judged there, 413 or 400).
FULL_PATH_HEADERS = frozenset(
    {b"x-api-key", b"authorization", b"origin", b"content-length", b"transfer-encoding"}
)
DIGEST_MEMO_MAX = 10_000


class FastPathGate:
    """The settings-derived checks and headers shared by the fast paths."""

    def __init__(self, settings: Settings) -> None:
        sec = settings.security
        self.https_only = sec.https_only
        self.hsts = f"max-age={sec.hsts_max_age_s}; includeSubDomains".encode()
        self.hosts = None if sec.allowed_hosts == ["*"] else {h.encode() for h in sec.allowed_hosts}
        self.cors = bool(sec.cors_origins)
        self.max_header_bytes = sec.max_header_bytes
        self.limits = settings.rate_limits
        self.salt = sec.client_hash_salt.get_secret_value().encode()
        self.metrics = settings.monitoring.metrics_enabled
        # What SecurityHeadersMiddleware adds to an API answer (not a page: API_CSP).
        self.static: Headers = [
            (name.lower().encode(), value.encode()) for name, value in STATIC_HEADERS.items()
        ] + [(b"content-security-policy", API_CSP.encode())]
        self._digests: dict[str, bytes] = {}

    def admitted(self, scope: Scope, route_class: str) -> dict[bytes, bytes] | None:
        """The request's headers by name when a fast path may answer it (one request of the
        client's lease taken); None, having changed nothing, to send it down the full path."""
        if self.https_only and scope["scheme"] != "https":
            return None
        headers: dict[bytes, bytes] = {}
        size = 0
        for name, value in scope["headers"]:
            if name in FULL_PATH_HEADERS and (name != b"origin" or self.cors):
                return None
            if name in SINGLE_HEADERS and name in headers:
                return None  # the full path's 400
            size += len(name) + len(value) + 4
            headers[name] = value
        if size > self.max_header_bytes:
            return None  # the full path's 431
        if self.hosts is not None and headers.get(b"host", b"").split(b":")[0] not in self.hosts:
            return None
        if self.limits.enabled and not self._lease_taken(scope, route_class):
            return None
        return headers

    def answer_headers(self, scope: Scope) -> Headers:
        """The security headers, the request id (the caller's when well formed) and HSTS."""
        headers = [*self.static, (REQUEST_ID_HEADER, request_id_of(scope).encode())]
        if self.https_only and scope["scheme"] == "https":
            headers.append((b"strict-transport-security", self.hsts))
        return headers

    def _lease_taken(self, scope: Scope, route_class: str) -> bool:
        """Take one request of this client's lease of `route_class` in this worker; False
        when the lease is used up, unknown or denied (the full path then asks the database).
        A taken request is marked in the request state, so a request that still goes down
        the full path afterwards (a render that failed, a point outside the city) is not
        counted twice."""
        client = scope.get("client")
        subject = f"addr:{client[0] if client else 'unknown'}"
        digest = self._digests.get(subject)
        if digest is None:
            if len(self._digests) >= DIGEST_MEMO_MAX:
                self._digests.clear()
            digest = self._digests[subject] = subject_digest(self.salt, subject)
        if scope["app"].state.rate_leases.take((route_class, digest)) != 0:
            return False
        scope.setdefault("state", {})[LEASE_TAKEN] = True
        return True
