"""Reference tables (schema ref): categories, sources, municipalities, districts, places."""

from __future__ import annotations

from geoalchemy2 import WKBElement
from sqlalchemy import (
    ARRAY,
    REAL,
    Boolean,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, geometry


class IncidentCategory(Base):
    __tablename__ = "incident_categories"
    __table_args__ = {"schema": "ref"}

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    label_en: Mapped[str] = mapped_column(Text)
    label_sv: Mapped[str] = mapped_column(Text)
    severity_weight: Mapped[float] = mapped_column(REAL)
    counts_for_risk: Mapped[bool] = mapped_column(Boolean, server_default="true")


class City(Base):
    __tablename__ = "cities"
    __table_args__ = (
        Index("cities_boundary_idx", "boundary", postgresql_using="gist"),
        {"schema": "ref"},
    )

    id: Mapped[int] = mapped_column(SmallInteger, Identity(always=True), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)
    boundary: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))
    municipality_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    view_lat: Mapped[float | None] = mapped_column(Float)
    view_lon: Mapped[float | None] = mapped_column(Float)
    view_zoom: Mapped[float | None] = mapped_column(REAL)
    updated_at = mapped_column(DateTime(timezone=True), nullable=False, server_default="now()")
    alert_area: Mapped[float] = mapped_column(REAL, server_default="0.05")
    emergency_number: Mapped[str | None] = mapped_column(Text)
    police_number: Mapped[str | None] = mapped_column(Text)


class DataSource(Base):
    __tablename__ = "data_sources"
    __table_args__ = {"schema": "ref"}

    id: Mapped[int] = mapped_column(SmallInteger, Identity(always=True), primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    reliability: Mapped[float] = mapped_column(REAL, server_default="0.5")
    attribution: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(DateTime(timezone=True), nullable=False, server_default="now()")
    city_id: Mapped[int | None] = mapped_column(
        SmallInteger, ForeignKey("ref.cities.id", ondelete="SET NULL")
    )


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (
        Index("municipalities_geom_idx", "geom", postgresql_using="gist"),
        {"schema": "ref"},
    )

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, unique=True)
    county_code: Mapped[str | None] = mapped_column(Text, Computed("left(code, 2)"))
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
    attribution: Mapped[str] = mapped_column(Text, server_default="Källa: SCB")


class District(Base):
    __tablename__ = "districts"
    __table_args__ = (
        Index("districts_geom_idx", "geom", postgresql_using="gist"),
        Index("districts_city_id_idx", "city_id"),
        {"schema": "ref"},
    )

    id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text, unique=True)
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("ref.municipalities.code"))
    geom: Mapped[WKBElement] = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
    area_km2: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    city_id: Mapped[int | None] = mapped_column(
        SmallInteger, ForeignKey("ref.cities.id", ondelete="CASCADE")
    )


class Place(Base):
    __tablename__ = "places"
    __table_args__ = (
        UniqueConstraint("name_key", "kind", name="places_name_key_kind_key"),
        Index("places_geom_idx", "geom", postgresql_using="gist"),
        {"schema": "ref"},
    )

    id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(geometry("GEOMETRY"), nullable=False)
    radius_m: Mapped[float] = mapped_column(REAL, server_default="0")
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("ref.districts.id", ondelete="CASCADE")
    )
    municipality_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref.municipalities.code", ondelete="CASCADE")
    )
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
