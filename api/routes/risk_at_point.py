"""Risk at a point: the H3 cell, its neighbourhood, score and interval, the hour's value, why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

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
    when = at or datetime.now(UTC)
    # A read: retried once on another connection if its connection broke under it.
    row = await fetch_one(read_pool(request), RISK_SQL, (lon, lat, when, when.isoformat()))
    if row is None or row[0] is None:
        raise HTTPException(404, "Outside the study area, or no risk computed yet.")
    answer = RiskAtPoint.model_validate_json(row[0])
    return Response(answer.model_dump_json(), media_type="application/json")
