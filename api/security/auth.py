"""API key authentication and scope checks, as dependencies: `AdminKey`, `RequireScope(...)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from api.deps import app_pool
from api.errors import InsufficientScope, InvalidApiKey, MissingApiKey
from api.security.keys import SCOPES, hash_api_key, looks_like_api_key

API_KEY_HEADER = "X-API-Key"
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'}

# Declares the header in the OpenAPI schema; the check itself is ours (no auto 403).
api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, scheme_name="ApiKey")

AUTHENTICATE_SQL = "SELECT id, name, scopes FROM ops.authenticate_api_key(%s)"


@dataclass(frozen=True)
class Principal:
    """The API key behind a request."""

    key_id: int
    name: str
    scopes: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        """Admin keys may do everything; other keys only what their scopes name."""
        return scope in self.scopes or "admin" in self.scopes


async def authenticate(request: Request) -> Principal | None:
    """The request's key, looked up on every request (a revoked key fails at once).

    None without a key header; InvalidApiKey for a key that is unknown or revoked. The answer
    is kept on the request so the rate limiter and the route share one lookup.
    """
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    key = request.headers.get(API_KEY_HEADER)
    principal = None
    if key is not None:
        principal = await _lookup(request, key)
    request.state.principal = principal
    return principal


async def _lookup(request: Request, key: str) -> Principal:
    if not looks_like_api_key(key):
        raise InvalidApiKey("The X-API-Key header is not a Halo API key.", _UNAUTHORIZED_HEADERS)
    async with app_pool(request).connection() as conn:
        cur = await conn.execute(AUTHENTICATE_SQL, (hash_api_key(key),))
        row = await cur.fetchone()
    if row is None:
        raise InvalidApiKey("The API key is unknown or revoked.", _UNAUTHORIZED_HEADERS)
    return Principal(key_id=row[0], name=row[1], scopes=frozenset(row[2]))


class RequireScope:
    """Dependency: a live key with `scope` (401 without a valid key, 403 without the scope)."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope

    async def __call__(
        self, request: Request, _header: Annotated[str | None, Depends(api_key_header)]
    ) -> Principal:
        principal = await authenticate(request)
        if principal is None:
            raise MissingApiKey(
                f"This route needs an {API_KEY_HEADER} header.", _UNAUTHORIZED_HEADERS
            )
        if not principal.has_scope(self.scope):
            raise InsufficientScope(f"This route needs a key with the {self.scope!r} scope.")
        return principal


AdminKey = Annotated[Principal, Depends(RequireScope("admin"))]
AnalystKey = Annotated[Principal, Depends(RequireScope("analyst"))]
IngestKey = Annotated[Principal, Depends(RequireScope("ingest"))]
