"""Declarative base and the column types Halo shares (h3index, typed geometries)."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql.base import ischema_names
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import UserDefinedType


class Base(DeclarativeBase):
    """Base of every mapped table."""


class H3Index(UserDefinedType[str]):
    """h3-pg's `h3index` type, read and written as its hexadecimal text."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "h3index"


def geometry(kind: str) -> Geometry:
    """A typed EPSG:4326 geometry column; spatial indexes are declared by name on the table."""
    return Geometry(geometry_type=kind, srid=4326, spatial_index=False)


# Let reflection (alembic autogenerate) recognise the h3index columns.
ischema_names["h3index"] = H3Index
