"""SQLAlchemy 2 + GeoAlchemy2 mappings of Halo's tables (the SQL in sql/ is the source)."""

from models.base import Base
from models.incidents import Incident, UserReport
from models.ops import ApiKey, JobRun
from models.reference import DataSource, District, IncidentCategory, Municipality, Place

__all__ = [
    "ApiKey",
    "Base",
    "DataSource",
    "District",
    "Incident",
    "IncidentCategory",
    "JobRun",
    "Municipality",
    "Place",
    "UserReport",
]
