"""The hot path of a cached tile: answered here, outside FastAPI, when the tile of the current
generation is in this worker's memory (the pre-rendered set after a refresh, anything served
since) or in the shared tile directory (then kept in memory: the first request of a tile
after a refresh, before the worker's warm-up reached it). Profiling under wrk showed a cached
tile spending most of its ~0.3 ms in what is not the tile: the middleware stack, routing and
dependency resolution, header building, the JSON access-log line. This answers with the same
bytes and headers as the full path (ETag, Cache-Control, Vary, security headers,
X-Request-ID) and counts it in the same metrics.

Anything else falls through to the full app unchanged: a tile in neither (Redis is read on
the full path), a stale generation clock, other methods, an API key or Authorization header,
a CORS request, a host or scheme the full path must judge, and a client whose rate-limit
lease in this worker is used up or unknown (the full path reserves the next lease in the
database, or answers 429). A request answered here is not access-logged; it is counted in
halo_http_requests.
"""

from __future__ import annotations

import re
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from api.http_cache import CONTENT_VERSION, GZIP_SUFFIX
from api.metrics import LATENCY, REQUESTS, TILE_CACHE_HITS
from api.middleware.hardening import API_CSP, STATIC_HEADERS
from api.middleware.request_context import REQUEST_ID_HEADER, request_id_of
from api.tiles.service import MEMORY, STORE, TileService
from config.settings import Settings
from core.digests import subject_digest
from core.tiles.layers import LAYERS

TILE_PATH = re.compile(r"/tiles/([a-z_]{1,32})/(\d{1,2})/(\d{1,7})/(\d{1,7})\.mvt")
ROUTE = "/tiles/{layer}/{z}/{x}/{y}.mvt"
MVT_MEDIA_TYPE = b"application/vnd.mapbox-vector-tile"
# Headers that send the request down the full path (keys, credentials, CORS).
FULL_PATH_HEADERS = frozenset({b"x-api-key", b"authorization", b"origin"})
Q_ZERO = (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
DIGEST_MEMO_MAX = 10_000


def gzip_accepted(value: bytes) -> bool:
    """Accept-Encoding allows gzip (same rule as api.http_cache.accepts_gzip)."""
    for item in value.split(b","):
        coding, _, params = item.strip().partition(b";")
        if coding.strip().lower() in (b"gzip", b"*"):
            return params.replace(b" ", b"").lower() not in Q_ZERO
    return False


def names_etag(value: bytes, etag: bytes, gz_etag: bytes) -> bool:
    """If-None-Match names this tile (either encoding, weak or strong, or *)."""
    for tag in value.split(b","):
        tag = tag.strip().removeprefix(b"W/")
        if tag in (etag, gz_etag, b"*"):
            return True
    return False


def version_param(query: bytes) -> bytes | None:
    """The value of ?v= in a query string, if any."""
    for part in query.split(b"&"):
        if part.startswith(b"v="):
            return part[2:]
    return None


class CachedTileFastPath:
    """Serve tiles held in this worker's LRU for the current generation; else the full app."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        sec = settings.security
        self.https_only = sec.https_only
        self.hsts = f"max-age={sec.hsts_max_age_s}; includeSubDomains".encode()
        self.hosts = None if sec.allowed_hosts == ["*"] else {h.encode() for h in sec.allowed_hosts}
        self.cors = bool(sec.cors_origins)
        self.limits = settings.rate_limits
        self.salt = sec.client_hash_salt.get_secret_value().encode()
        self.metrics = settings.monitoring.metrics_enabled
        maps = settings.map
        self.long_lived = f"public, max-age={maps.versioned_max_age_s}, immutable".encode()
        self.short_lived = f"public, max-age={maps.unversioned_max_age_s}, must-revalidate".encode()
        self.static = [
            (name.lower().encode(), value.encode()) for name, value in STATIC_HEADERS.items()
        ] + [(b"content-security-policy", API_CSP.encode()), (b"vary", b"Accept-Encoding")]
        self._digests: dict[str, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and await self._answer(scope, send):
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        """Answer from memory and return True, or return False having sent nothing."""
        started = time.perf_counter()
        match = TILE_PATH.fullmatch(scope["path"])
        if match is None or match[1] not in LAYERS:
            return False
        service: TileService | None = getattr(scope["app"].state, "tiles", None)
        if service is None:
            return False
        generation = service.generation.fresh()
        if generation is None:
            return False
        key = (match[1], int(match[2]), int(match[3]), int(match[4]))
        answer, source = service.lru.peek(generation, key), MEMORY
        if answer is None:
            answer, source = service.from_disk(generation, key), STORE
            if answer is None:
                return False
        https = scope["scheme"] == "https"
        if self.https_only and not https:
            return False
        wanted = {}
        for name, value in scope["headers"]:
            if name in FULL_PATH_HEADERS and (name != b"origin" or self.cors):
                return False
            wanted[name] = value
        if self.hosts is not None and wanted.get(b"host", b"").split(b":")[0] not in self.hosts:
            return False
        if self.limits.enabled and not self._lease_taken(scope):
            return False

        etag = f'"{CONTENT_VERSION}-g{generation}-{key[0]}-{key[1]}-{key[2]}-{key[3]}'
        plain_etag, gz_etag = (etag + '"').encode(), (etag + GZIP_SUFFIX + '"').encode()
        gzipped = gzip_accepted(wanted.get(b"accept-encoding", b""))
        versioned = version_param(scope["query_string"]) == str(generation).encode()
        headers = [
            *self.static,
            (
                b"cache-control",
                self.long_lived if versioned and generation > 0 else self.short_lived,
            ),
            (b"x-halo-cache", source.encode()),
            (REQUEST_ID_HEADER, request_id_of(scope).encode()),
        ]
        if https and self.https_only:
            headers.append((b"strict-transport-security", self.hsts))
        body = b""
        if b"if-none-match" in wanted and names_etag(wanted[b"if-none-match"], plain_etag, gz_etag):
            status = 304
            headers.append((b"etag", gz_etag if gzipped else plain_etag))
        elif not answer.raw:
            status = 204
            headers.append((b"etag", plain_etag))
        else:
            status = 200
            if gzipped:
                body = service.gzip_of(key, answer)
                headers += [(b"etag", gz_etag), (b"content-encoding", b"gzip")]
            else:
                body = answer.raw
                headers.append((b"etag", plain_etag))
            headers += [
                (b"content-type", MVT_MEDIA_TYPE),
                (b"content-length", str(len(body)).encode()),
            ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if status == 200 or status == 204:
            TILE_CACHE_HITS.labels(key[0]).inc()
        if self.metrics:
            REQUESTS.labels("GET", ROUTE, str(status)).inc()
            LATENCY.labels("GET", ROUTE).observe(time.perf_counter() - started)
        return True

    def _lease_taken(self, scope: Scope) -> bool:
        """Take one request of this client's tile lease in this worker; False when the lease
        is used up, unknown or denied (the full path then asks the database)."""
        client = scope.get("client")
        subject = f"addr:{client[0] if client else 'unknown'}"
        digest = self._digests.get(subject)
        if digest is None:
            if len(self._digests) >= DIGEST_MEMO_MAX:
                self._digests.clear()
            digest = self._digests[subject] = subject_digest(self.salt, subject)
        return bool(scope["app"].state.rate_leases.take(("tiles", digest)) == 0)
