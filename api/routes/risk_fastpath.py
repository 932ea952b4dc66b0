"""Risk at a point answered outside FastAPI: the same read, body and headers as
GET /api/v1/risk (api/routes/risk_at_point.py) without the middleware stack, routing and
dependency resolution, which cost about as much as the query itself (in-server 1.9x its SQL).

Only the plain case is answered here: GET with lat, lon and optionally at, each once and valid
by the route's own pydantic types, a client admitted by api/fastpath_gate.py (its rate-limit
lease of the "reads" class taken in this worker), and a cell found. Everything else goes down
the full path unchanged, which gives its answers: 422 problem+json for bad input (nothing is
judged here), 429, CORS, keys. A read that finds no cell or fails is handed to the route in the
request state (`RISK_READ`), which answers 404 or the error's problem+json (503 with
Retry-After) without reading again. Not access-logged; counted in halo_http_requests.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import read_pool_of
from api.fastpath_gate import FastPathGate
from api.metrics import LATENCY, REQUESTS
from api.pooled_reads import fetch_one
from api.routes.risk_at_point import RISK_READ, RISK_SQL, risk_body, risk_params
from config.settings import Settings

ROUTE = "/api/v1/risk"
# The route's query types (risk_at_point's Query(...) constraints), validated alike.
LATITUDE: TypeAdapter[float] = TypeAdapter(
    Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
)
LONGITUDE: TypeAdapter[float] = TypeAdapter(
    Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
)
AT: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
SECONDS = LATENCY.labels("GET", ROUTE)
ANSWERED = REQUESTS.labels("GET", ROUTE, "200")
JSON_TYPE = (b"content-type", b"application/json")


def point_of(query_string: bytes) -> tuple[float, float, datetime] | None:
    """lat, lon and the time (now when not given) of a query string, or None when the full
    path must judge it (missing, repeated or invalid parameters)."""
    # As Starlette reads a query string (latin-1, then percent-decoded as UTF-8).
    params: dict[str, str] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name in params:
            return None
        params[name] = value
    if "lat" not in params or "lon" not in params:
        return None
    try:
        lat = LATITUDE.validate_python(params["lat"])
        lon = LONGITUDE.validate_python(params["lon"])
        when = AT.validate_python(params["at"]) if "at" in params else datetime.now(UTC)
    except ValidationError:
        return None
    return lat, lon, when


class RiskAtPointFastPath:
    """Answer GET /api/v1/risk before FastAPI when it is the plain case; else the full app."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.gate = FastPathGate(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == ROUTE
            and scope["method"] == "GET"
            and await self._answer(scope, send)
        ):
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send) -> bool:
        """Answer and return True, or return False having sent nothing."""
        started = time.perf_counter()
        state = scope["app"].state
        if not hasattr(state, "pool"):  # the lifespan has not run
            return False
        point = point_of(scope["query_string"])
        if point is None or self.gate.admitted(scope, "reads") is None:
            return False
        row = await self._read(scope, point)
        if row is None or row[0] is None:
            return False
        try:
            body = risk_body(row[0])
        except Exception as exc:  # noqa: BLE001 - answered by the full path (problem+json 500)
            scope.setdefault("state", {})[RISK_READ] = exc
            return False
        headers = [
            (b"content-length", str(len(body)).encode()),
            JSON_TYPE,
            *self.gate.answer_headers(scope),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.gate.metrics:
            ANSWERED.inc()
            SECONDS.observe(time.perf_counter() - started)
        return True

    @staticmethod
    async def _read(scope: Scope, point: tuple[float, float, datetime]) -> tuple[Any, ...] | None:
        """The route's read (retried once on a broken connection); what the route must answer
        instead (no cell, an error) is left for it in the request state."""
        try:
            row = await fetch_one(read_pool_of(scope["app"].state), RISK_SQL, risk_params(*point))
        except Exception as exc:  # noqa: BLE001 - every error is answered by the full path
            scope.setdefault("state", {})[RISK_READ] = exc
            return None
        if row is None or row[0] is None:
            scope.setdefault("state", {})[RISK_READ] = row
        return row
