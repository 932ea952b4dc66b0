"""Risk at a point: the H3 cell, its neighbourhood, score and interval, the hour's value, why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AwareDatetime

from api.deps import read_pool
from api.errors import problem_response
from api.map_models import RiskAtPoint
from api.pooled_reads import fetch_one

router = APIRouter(tags=["risk"])

RISK_SQL = "SELECT risk.risk_at_point(%s, %s, %s)"


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
) -> RiskAtPoint:
    """The base-resolution H3 cell holding (lat, lon): risk_score (RR_lo / (1 + RR_lo)), the
    relative-risk interval, evidence, the value at the hour of the week of `at`, and the
    categories with most incident mass there. The location is neither stored nor logged."""
    when = at or datetime.now(UTC)
    # A read: retried once on another connection if its connection broke under it.
    row = await fetch_one(read_pool(request), RISK_SQL, (lon, lat, when))
    if row is None or row[0] is None:
        raise HTTPException(404, "Outside the study area, or no risk computed yet.")
    answer = dict(row[0])
    # Echo the time as given: the database would print years before 1 AD in its own style.
    answer["at"] = {**answer["at"], "time": when}
    return RiskAtPoint.model_validate(answer)
