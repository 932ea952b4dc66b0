"""SQLAlchemy 2 + GeoAlchemy2 mappings of Halo's tables (the SQL in sql/ is the source)."""

from models.base import Base
from models.basemap import Street, Water
from models.incidents import EventPage, Incident, UserReport
from models.ops import ApiKey, FeedState, JobLock, JobRun
from models.push import Device, DeviceDistrict, OutboxMessage
from models.reference import City, DataSource, District, IncidentCategory, Municipality, Place
from models.reports import CompatibleCategory, ReportCluster, ReportParameters
from models.risk import (
    BacktestResult,
    Cell,
    CellMass,
    CellRisk,
    CityRate,
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
    "City",
    "CityRate",
    "CompatibleCategory",
    "DataSource",
    "Device",
    "DeviceDistrict",
    "District",
    "DistrictRisk",
    "EventPage",
    "FeedState",
    "Generation",
    "HourOfWeekFactor",
    "Incident",
    "IncidentCategory",
    "JobLock",
    "JobRun",
    "ModelPrediction",
    "ModelRun",
    "Municipality",
    "OutboxMessage",
    "Place",
    "PlaceCell",
    "RateLimitCounter",
    "ReportCluster",
    "ReportParameters",
    "RiskParameters",
    "Street",
    "UserReport",
    "Water",
]
