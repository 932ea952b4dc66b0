"""The hot path of a tile: answered here, outside FastAPI. A tile of the current generation
comes from this worker's memory (the pre-rendered set after a refresh, anything served
since), the shared tile directory (then kept in memory: the first request of a tile after a
refresh, before the worker's warm-up reached it), or else is rendered by the tile service on
the read pool (the same single-flight render and stores as the full path). Profiling under
wrk showed a cached tile spending most of its ~0.3 ms, and an uncached one about 1-2 ms over
its SQL, in what is not the tile: the middleware stack, routing and dependency resolution,
header building, the JSON access-log line. This answers with the same bytes and headers as
the full path (ETag, Cache-Control, Vary, security headers, X-Request-ID) and counts it in
the same metrics.

Anything else falls through to the full app unchanged: an unknown layer or a tile outside
the layer's range (404 there), a stale generation clock, a base-map tile before this worker
looked up the base map's version for the generation (api/tiles/versions.py), other methods,
an API key or Authorization header, a CORS request, a host or scheme the full path must
judge, and a client whose rate-limit lease in this worker is used up or unknown (the full
path reserves the next lease in the database, or answers 429). A render that fails
(database down, timeout) hands its error to the full path (`RENDER_ERROR` in the request
state), which answers it as every route does (problem+json, 503 with Retry-After) without
rendering again. A request answered here is not access-logged; it is counted in
halo_http_requests.
"""

from __future__ import annotations

import re
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import read_pool_of
from api.fastpath_gate import FastPathGate
from api.http_cache import CONTENT_VERSION, GZIP_SUFFIX
from api.metrics import LATENCY, REQUESTS, TILE_CACHE_HITS
from api.tiles.cache import Rendered
from api.tiles.service import MEMORY, RENDER_ERROR, STORE, TileService
from config.settings import Settings
from core.tiles.layers import LAYERS, Layer, layer_named
from core.tiles.prerender import CARRIED_LAYERS
from core.tiles.store import CacheKey

TILE_PATH = re.compile(r"/tiles/([a-z_]{1,32})/(\d{1,2})/(\d{1,7})/(\d{1,7})\.mvt")
ROUTE = "/tiles/{layer}/{z}/{x}/{y}.mvt"
MVT_MEDIA_TYPE = b"application/vnd.mapbox-vector-tile"
Q_ZERO = (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
# The metric series of this route, looked up once (a labels() call per request showed in py-spy).
SECONDS = LATENCY.labels("GET", ROUTE)
ANSWERED = {status: REQUESTS.labels("GET", ROUTE, str(status)) for status in (200, 204, 304)}


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
        self.gate = FastPathGate(settings)
        maps = settings.map
        self.long_lived = f"public, max-age={maps.versioned_max_age_s}, immutable".encode()
        self.short_lived = f"public, max-age={maps.unversioned_max_age_s}, must-revalidate".encode()

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
        if key[0] in CARRIED_LAYERS:  # the base map: named by its load, once looked up
            basemap = service.basemap.known(generation)
            if basemap is None:
                return False
            tag, current = basemap.etag, basemap.url_bytes
        else:
            tag, current = f"g{generation}", str(generation).encode()
        answer, source = service.lru.peek(generation, key), MEMORY
        if answer is None:
            answer, source = service.from_disk(generation, key), STORE
        layer = None
        if answer is None:  # rendered below, after the checks: only a tile the layer has
            layer = layer_named(key[0])
            if layer is None or not layer.has_tile(*key[1:]):
                return False
        wanted = self.gate.admitted(scope, "tiles")
        if wanted is None:
            return False

        etag = f'"{CONTENT_VERSION}-{tag}-{key[0]}-{key[1]}-{key[2]}-{key[3]}'
        plain_etag, gz_etag = (etag + '"').encode(), (etag + GZIP_SUFFIX + '"').encode()
        gzipped = gzip_accepted(wanted.get(b"accept-encoding", b""))
        versioned = version_param(scope["query_string"]) == current
        headers = self.gate.answer_headers(scope)
        headers += [
            (b"vary", b"Accept-Encoding"),
            (
                b"cache-control",
                self.long_lived if versioned and generation > 0 else self.short_lived,
            ),
        ]
        body = b""
        if b"if-none-match" in wanted and names_etag(wanted[b"if-none-match"], plain_etag, gz_etag):
            status = 304
            headers.append((b"etag", gz_etag if gzipped else plain_etag))
        else:
            if answer is None:
                assert layer is not None  # set with the miss above
                rendered = await self._render(scope, service, generation, layer, key)
                if rendered is None:
                    return False
                answer, source = rendered
            else:
                TILE_CACHE_HITS.labels(key[0]).inc()
            headers.append((b"x-halo-cache", source.encode()))
            if not answer.raw:
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
        if self.gate.metrics:
            ANSWERED[status].inc()
            SECONDS.observe(time.perf_counter() - started)
        return True

    @staticmethod
    async def _render(
        scope: Scope, service: TileService, generation: int, layer: Layer, key: CacheKey
    ) -> tuple[Rendered, str] | None:
        """The tile from the service (single-flight render, Redis, stores), or None after
        leaving the error for the full path's route in the request state."""
        try:
            return await service.tile(read_pool_of(scope["app"].state), generation, layer, *key[1:])
        except Exception as exc:  # noqa: BLE001 - every error is answered by the full path
            scope.setdefault("state", {})[RENDER_ERROR] = exc
            return None
