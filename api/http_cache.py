"""HTTP caching of generation-bound answers: strong ETags, If-None-Match, Cache-Control, gzip."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse

from api.tiles.cache import Rendered
from config.map import MapSettings

# Bump when the shape of tiles or map documents changes, so old ETags stop matching.
CONTENT_VERSION = "m1"
GZIP_SUFFIX = "-gz"
# Below this, gzip saves less than its header and the CPU it costs.
MIN_GZIP_BYTES = 1024


def etag_for(generation: int, *parts: object) -> str:
    """A strong ETag (quoted) for an answer determined by the generation and `parts`."""
    return etag_of(f"g{generation}", *parts)


def etag_of(version: str, *parts: object) -> str:
    """A strong ETag (quoted) for an answer determined by `version` (g<generation>, or the
    base map's version: api/tiles/versions.py) and `parts`."""
    return '"' + "-".join([CONTENT_VERSION, version, *map(str, parts)]) + '"'


def gzip_variant(etag: str) -> str:
    """The ETag of the gzip-encoded representation: a strong ETag differs per encoding."""
    return etag[:-1] + GZIP_SUFFIX + '"'


def not_modified(request: Request, etag: str) -> bool:
    """Whether If-None-Match names this answer (either encoding, weak or strong, or *)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = {etag, gzip_variant(etag)}
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") in wanted:
            return True
    return False


def accepts_gzip(request: Request) -> bool:
    """Whether Accept-Encoding allows gzip (a q=0 refuses it)."""
    for item in request.headers.get("accept-encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def cache_control(
    settings: MapSettings, request: Request, generation: int, version: str | None = None
) -> str:
    """Long-lived when the URL names the current version (?v=: the generation, or `version`
    when given), else short and revalidated."""
    current = str(generation) if version is None else version
    if request.query_params.get("v") == current and generation > 0:
        return f"public, max-age={settings.versioned_max_age_s}, immutable"
    return f"public, max-age={settings.unversioned_max_age_s}, must-revalidate"


def cache_headers(
    settings: MapSettings, request: Request, generation: int, etag: str
) -> dict[str, str]:
    """ETag, Cache-Control and Vary of a generation-bound answer."""
    return {
        "ETag": etag,
        "Cache-Control": cache_control(settings, request, generation),
        "Vary": "Accept-Encoding",
    }


def not_modified_response(headers: dict[str, str]) -> Response:
    """A 304 carrying the validators and lifetime, no body."""
    return Response(status_code=304, headers=headers)


class GeoJSONResponse(JSONResponse):
    """A GeoJSON body (RFC 7946 media type); bytes pass through as already-encoded JSON."""

    media_type = "application/geo+json"

    def render(self, content: Any) -> bytes:
        """Encode `content` unless it is already JSON bytes (built by the database)."""
        return content if isinstance(content, bytes) else super().render(content)


def encoded_response(
    request: Request,
    body: bytes,
    gz: Callable[[], bytes],
    headers: dict[str, str],
    response_class: type[Response] = Response,
) -> Response:
    """The body, or its gzip encoding (`gz`) when accepted and worth it, with its own ETag."""
    if accepts_gzip(request) and len(body) >= MIN_GZIP_BYTES:
        headers = {**headers, "Content-Encoding": "gzip", "ETag": gzip_variant(headers["ETag"])}
        return response_class(gz(), headers=headers)
    return response_class(body, headers=headers)


Fetch = Callable[[], Awaitable[tuple[Rendered, str]]]


async def cached_answer(
    request: Request,
    settings: MapSettings,
    generation: int,
    etag: str,
    fetch: Fetch,
    gzip_of: Callable[[Rendered], bytes],
    response_class: type[Response] = Response,
    media_type: str | None = None,
    min_gzip_bytes: int = MIN_GZIP_BYTES,
    cache_control_value: str | None = None,
    empty_is_204: bool = False,
    version: str | None = None,
) -> Response:
    """The one way a generation-bound cached answer is given: 304 when If-None-Match names it
    (before fetching anything), else the answer from `fetch` (a cache or a render; its source
    in X-Halo-Cache), gzip-encoded with its own ETag when accepted and worth it, 204 when
    empty and `empty_is_204`. `version`: the ?v= that makes the URL long-lived when it is not
    the generation (the base map's tiles)."""
    gzipped = accepts_gzip(request)
    headers = {
        "ETag": gzip_variant(etag) if gzipped and min_gzip_bytes == 0 else etag,
        "Cache-Control": cache_control_value
        or cache_control(settings, request, generation, version),
        "Vary": "Accept-Encoding",
    }
    if not_modified(request, etag):
        return not_modified_response(headers)
    answer, source = await fetch()
    headers["X-Halo-Cache"] = source
    if empty_is_204 and not answer.raw:
        return Response(status_code=204, headers={**headers, "ETag": etag})
    if gzipped and len(answer.raw) >= min_gzip_bytes:
        headers.update({"Content-Encoding": "gzip", "ETag": gzip_variant(etag)})
        return response_class(gzip_of(answer), media_type=media_type, headers=headers)
    headers["ETag"] = etag
    return response_class(answer.raw, media_type=media_type, headers=headers)
