"""Risk at a point: the H3 cell, its neighbourhood, score and interval, the hour's value, why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import AwareDatetime

from api.deps import read_pool
from api.errors import problem_response
from api.map_models import RiskAtPoint
from api.pooled_reads import fetch_one

router = APIRouter(tags=["risk"])

# The answer as JSON text with the time echoed as given (the database would print years
# before 1 AD in its own style), parsed once by pydantic's JSON parser: the stdlib json of
# psycopg's jsonb loader and a second validation of the dict cost ~10 % of the request (py-spy).
RISK_SQL = """
SELECT jsonb_set(risk.risk_at_point(%s, %s, %s)::jsonb, '{at,time}', to_jsonb(%s::text))::text
"""
# Request-state key under which the fast path (api/routes/risk_fastpath.py) hands over what
# its read gave when it does not answer itself: no row (404 here) or the read's error.
RISK_READ = "halo_risk_read"
NO_READ = object()


def risk_params(lat: float, lon: float, when: datetime) -> tuple[object, ...]:
    """RISK_SQL's parameters for a point and time (the time echoed as given)."""
    return (lon, lat, when, when.isoformat())


def risk_body(text: str) -> bytes:
    """The answer's JSON from RISK_SQL's text: validated and written by the response model."""
    return RiskAtPoint.model_validate_json(text).model_dump_json().encode()


@router.get(
    "/api/v1/risk",
    summary="Risk at a point",
    response_model=RiskAtPoint,
    responses={404: problem_response("Outside the study area, or no risk computed yet")},
)
async def risk_at_point(
    request: Request,
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False, description="WGS 84")],
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False, description="WGS 84")],
    at: Annotated[
        AwareDatetime | None,
        Query(description="Time for the hour-of-week value, with offset (default: now)"),
    ] = None,
) -> Response:
    """The base-resolution H3 cell holding (lat, lon): risk_score (RR_lo / (1 + RR_lo)), the
    relative-risk interval, evidence, the value at the hour of the week of `at`, and the
    categories with most incident mass there. The location is neither stored nor logged."""
    handed: Any = getattr(request.state, RISK_READ, NO_READ)
    if isinstance(handed, Exception):  # the fast path's read failed: answer its error, no retry
        raise handed
    row: tuple[Any, ...] | None = handed
    if handed is NO_READ:
        # A read: retried once on another connection if its connection broke under it.
        when = at or datetime.now(UTC)
        row = await fetch_one(read_pool(request), RISK_SQL, risk_params(lat, lon, when))
    if row is None or row[0] is None:
        raise HTTPException(404, "Outside the study area, or no risk computed yet.")
    return Response(risk_body(row[0]), media_type="application/json")
