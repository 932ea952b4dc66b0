"""Base-map tables (schema basemap): OSM streets and municipal water under the risk layer."""

from __future__ import annotations

from geoalchemy2 import WKBElement
from sqlalchemy import CheckConstraint, Identity, Index, Integer, SmallInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, geometry


class Street(Base):
    __tablename__ = "streets"
    __table_args__ = (
        Index("streets_geom_idx", "geom", postgresql_using="gist"),
        CheckConstraint("class IN ('motorway', 'primary', 'secondary', 'tertiary', 'minor')"),
        {"schema": "basemap"},
    )

    id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    street_class: Mapped[str] = mapped_column("class", Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("LINESTRING"), nullable=False)


class Water(Base):
    __tablename__ = "water"
    __table_args__ = (
        Index("water_geom_idx", "geom", postgresql_using="gist"),
        CheckConstraint("detail IN (0, 1)"),
        {"schema": "basemap"},
    )

    id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    detail: Mapped[int] = mapped_column(SmallInteger)
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"), nullable=False)
