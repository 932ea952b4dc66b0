"""SQLAlchemy 2 + GeoAlchemy2 mappings of Halo's tables (the SQL in sql/ is the source)."""

from models.base import Base
from models.incidents import Incident, UserReport
from models.ops import ApiKey, JobRun
from models.reference import DataSource, District, IncidentCategory, Municipality, Place
from models.risk import (
    BacktestResult,
    Cell,
    CellMass,
    CellRisk,
    DistrictRisk,
    Generation,
    HourOfWeekFactor,
    ModelPrediction,
    ModelRun,
    PlaceCell,
    RiskParameters,
)
from models.security import RateLimitCounter

__all__ = [
    "ApiKey",
    "BacktestResult",
    "Base",
    "Cell",
    "CellMass",
    "CellRisk",
    "DataSource",
    "District",
    "DistrictRisk",
    "Generation",
    "HourOfWeekFactor",
    "Incident",
    "IncidentCategory",
    "JobRun",
    "ModelPrediction",
    "ModelRun",
    "Municipality",
    "Place",
    "PlaceCell",
    "RateLimitCounter",
    "RiskParameters",
    "UserReport",
]
