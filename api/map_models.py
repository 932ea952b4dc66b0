"""Shapes of the map API's JSON answers (OpenAPI documentation and validation of risk answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Evidence = Literal["point", "inferred", "none"]


class NeighborhoodProperties(BaseModel):
    """A neighbourhood's risk; null values before the first risk refresh."""

    id: int
    name: str
    area_km2: float
    risk_score: float | None = Field(description="RR_lo / (1 + RR_lo), in [0, 1]")
    relative_risk: float | None
    rr_lower: float | None
    rr_upper: float | None
    evidence: Evidence | None
    incidents: int | None
    trend: float | None


class NeighborhoodFeature(BaseModel):
    """One neighbourhood polygon (EPSG:4326)."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]
    properties: NeighborhoodProperties


class NeighborhoodCollection(BaseModel):
    """The neighbourhoods, ordered by id (never by risk)."""

    type: Literal["FeatureCollection"]
    generation: int
    features: list[NeighborhoodFeature]


class CategoryCount(BaseModel):
    """Incidents of one category."""

    category: str
    label_en: str
    label_sv: str
    count: int


class EvidenceCells(BaseModel):
    """Base-resolution cells of the neighbourhood by evidence level."""

    point: int
    inferred: int
    none: int


class NeighborhoodDetails(BaseModel):
    """One neighbourhood: risk with its interval, evidence, trend and incidents by category."""

    id: int
    name: str
    area_km2: float
    bbox: list[float] = Field(min_length=4, max_length=4)
    generation: int
    as_of: datetime | None
    window_days: int
    risk_score: float | None
    relative_risk: float | None
    rr_lower: float | None
    rr_upper: float | None
    observed: float | None
    expected: float | None
    expected_week: float | None
    evidence: Evidence | None
    trend: float | None
    incidents: int
    incidents_by_category: list[CategoryCount]
    cells_by_evidence: EvidenceCells


class DistrictRef(BaseModel):
    """The neighbourhood a cell belongs to."""

    id: int
    name: str


class HourAdjusted(BaseModel):
    """The cell's risk at one hour of the week: relative risk x the hour's factor."""

    time: datetime
    hour_of_week: int = Field(ge=0, le=167, description="0 = Monday 00:00 in the city's time zone")
    factor: float = Field(description="The hour's incident rate against the weekly mean (1)")
    relative_risk: float
    rr_lower: float
    risk_score: float


class CategoryShare(BaseModel):
    """A category's share of the cell's incident mass."""

    category: str
    label_en: str
    label_sv: str
    share: float


class RiskAtPoint(BaseModel):
    """Risk of the H3 cell holding a point, its neighbourhood, and why."""

    cell: str
    resolution: int
    district: DistrictRef
    generation: int
    as_of: datetime | None
    risk_score: float
    relative_risk: float
    rr_lower: float
    rr_upper: float
    observed: float
    expected: float
    evidence: Evidence
    trend: float | None
    at: HourAdjusted
    why: list[CategoryShare]


class ZoneProperties(BaseModel):
    """Which threshold a zone is drawn for."""

    level: Literal["alert", "clear"]
    threshold: float
    area_km2: float


class ZoneFeature(BaseModel):
    """One merged polygon of cells at or above the threshold."""

    type: Literal["Feature"]
    properties: ZoneProperties
    geometry: dict[str, Any]


class AlertZones(BaseModel):
    """Zones for on-device geofencing: enter an alert zone to alert, leave the clear zone to end."""

    type: Literal["FeatureCollection"]
    generation: int
    resolution: int | None
    alert_threshold: float
    clear_threshold: float
    features: list[ZoneFeature]
