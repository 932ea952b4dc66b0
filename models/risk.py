"""Risk tables (schema risk): parameters, generations, cells, mass, risk, model, backtests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    ARRAY,
    REAL,
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, H3Index, geometry

TIMESTAMPTZ = DateTime(timezone=True)


class RiskParameters(Base):
    __tablename__ = "parameters"
    __table_args__ = {"schema": "risk"}

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default="true")
    window_days: Mapped[int] = mapped_column(Integer, server_default="365")
    half_life_days: Mapped[float] = mapped_column(REAL, server_default="90")
    prior_strength: Mapped[float] = mapped_column(REAL, server_default="2")
    ring_weights: Mapped[list[float]] = mapped_column(ARRAY(REAL), server_default="{0.5,0.25}")
    lower_quantile: Mapped[float] = mapped_column(REAL, server_default="0.05")
    alert_threshold: Mapped[float] = mapped_column(REAL, server_default="0.6")
    clear_threshold: Mapped[float] = mapped_column(REAL, server_default="0.5")
    base_resolution: Mapped[int] = mapped_column(SmallInteger, server_default="9")
    trend_days: Mapped[int] = mapped_column(Integer, server_default="90")
    model_resolution: Mapped[int] = mapped_column(SmallInteger, server_default="8")


class Generation(Base):
    __tablename__ = "generations"
    __table_args__ = {"schema": "risk"}

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    refreshed_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    located_incidents: Mapped[int] = mapped_column(Integer)
    located_share: Mapped[float | None] = mapped_column(REAL)
    model_version: Mapped[str | None] = mapped_column(Text)


class Cell(Base):
    __tablename__ = "cells"
    __table_args__ = (
        Index("cells_geom_idx", "geom", postgresql_using="gist"),
        Index("cells_district_id_idx", "district_id"),
        Index("cells_city_id_idx", "city_id"),
        {"schema": "risk"},
    )

    cell: Mapped[str] = mapped_column(H3Index(), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("ref.districts.id", ondelete="CASCADE")
    )
    area_km2: Mapped[float] = mapped_column(Double)
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"), nullable=False)
    city_id: Mapped[int] = mapped_column(ForeignKey("ref.cities.id", ondelete="CASCADE"))


class PlaceCell(Base):
    __tablename__ = "place_cells"
    __table_args__ = {"schema": "risk"}

    place_id: Mapped[int] = mapped_column(
        ForeignKey("ref.places.id", ondelete="CASCADE"), primary_key=True
    )
    cell: Mapped[str] = mapped_column(H3Index(), primary_key=True)


class CellMass(Base):
    __tablename__ = "cell_mass"
    __table_args__ = {"schema": "risk"}

    cell: Mapped[str] = mapped_column(H3Index(), primary_key=True)
    mass: Mapped[float] = mapped_column(REAL)
    mass_precise: Mapped[float] = mapped_column(REAL)
    category_mass: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recent_mass: Mapped[float] = mapped_column(REAL)
    previous_mass: Mapped[float] = mapped_column(REAL)


class CellRisk(Base):
    __tablename__ = "cell_risk"
    __table_args__ = (
        Index("cell_risk_geom_idx", "geom", postgresql_using="gist"),
        Index("cell_risk_resolution_idx", "resolution"),
        {"schema": "risk"},
    )

    cell: Mapped[str] = mapped_column(H3Index(), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger)
    district_id: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float] = mapped_column(Double)
    observed: Mapped[float] = mapped_column(REAL)
    expected: Mapped[float] = mapped_column(REAL)
    prior_rr: Mapped[float] = mapped_column(REAL)
    relative_risk: Mapped[float] = mapped_column(REAL)
    rr_lower: Mapped[float] = mapped_column(REAL)
    rr_upper: Mapped[float] = mapped_column(REAL)
    risk_score: Mapped[float] = mapped_column(REAL)
    evidence: Mapped[str] = mapped_column(Text)
    category_mass: Mapped[dict[str, Any]] = mapped_column(JSONB)
    trend: Mapped[float | None] = mapped_column(REAL)
    expected_week: Mapped[float | None] = mapped_column(REAL)
    geom: Mapped[WKBElement] = mapped_column(geometry("POLYGON"), nullable=False)
    city_id: Mapped[int] = mapped_column(SmallInteger)


class IncidentCounts(Base):
    __tablename__ = "incident_counts"
    __table_args__ = (
        Index("incident_counts_geom_idx", "geom", postgresql_using="gist"),
        {"schema": "risk"},
    )

    cell: Mapped[str] = mapped_column(H3Index(), primary_key=True)
    resolution: Mapped[int] = mapped_column(SmallInteger)
    incidents: Mapped[int] = mapped_column(Integer)
    places: Mapped[int] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)


class DistrictRisk(Base):
    __tablename__ = "district_risk"
    __table_args__ = {"schema": "risk"}

    district_id: Mapped[int] = mapped_column(
        ForeignKey("ref.districts.id", ondelete="CASCADE"), primary_key=True
    )
    observed: Mapped[float] = mapped_column(REAL)
    expected: Mapped[float] = mapped_column(REAL)
    relative_risk: Mapped[float] = mapped_column(REAL)
    rr_lower: Mapped[float] = mapped_column(REAL)
    rr_upper: Mapped[float] = mapped_column(REAL)
    risk_score: Mapped[float] = mapped_column(REAL)
    evidence: Mapped[str] = mapped_column(Text)
    incident_counts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    incidents: Mapped[int] = mapped_column(Integer)
    trend: Mapped[float | None] = mapped_column(REAL)
    expected_week: Mapped[float | None] = mapped_column(REAL)


class CityRate(Base):
    __tablename__ = "city_rates"
    __table_args__ = {"schema": "risk"}

    city_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("ref.cities.id", ondelete="CASCADE"), primary_key=True
    )
    rate_per_km2: Mapped[float] = mapped_column(Double)
    mass: Mapped[float] = mapped_column(Double)
    area_km2: Mapped[float] = mapped_column(Double)
    located_incidents: Mapped[int] = mapped_column(Integer)
    located_share: Mapped[float | None] = mapped_column(REAL)
    alert_multiple: Mapped[float] = mapped_column(REAL, server_default="1")
    alert_area_share: Mapped[float | None] = mapped_column(REAL)


class HourOfWeekFactor(Base):
    __tablename__ = "hour_of_week_profile"
    __table_args__ = {"schema": "risk"}

    city_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("ref.cities.id", ondelete="CASCADE"), primary_key=True
    )
    hour_of_week: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    factor: Mapped[float] = mapped_column(REAL)
    source: Mapped[str] = mapped_column(Text)


class ModelRun(Base):
    __tablename__ = "model_runs"
    __table_args__ = {"schema": "risk"}

    version: Mapped[str] = mapped_column(Text, primary_key=True)
    job_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("ops.job_runs.id", ondelete="SET NULL")
    )
    trained_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    as_of: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    family: Mapped[str] = mapped_column(Text)
    formula: Mapped[str] = mapped_column(Text)
    n_obs: Mapped[int] = mapped_column(Integer)
    aic: Mapped[float | None] = mapped_column(Double)
    deviance: Mapped[float | None] = mapped_column(Double)
    pearson_chi2: Mapped[float | None] = mapped_column(Double)
    coefficients: Mapped[dict[str, Any]] = mapped_column(JSONB)
    fit: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class ModelPrediction(Base):
    __tablename__ = "model_predictions"
    __table_args__ = {"schema": "risk"}

    cell: Mapped[str] = mapped_column(H3Index(), primary_key=True)
    week_start: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    expected_count: Mapped[float] = mapped_column(REAL)
    model_version: Mapped[str] = mapped_column(
        ForeignKey("risk.model_runs.version", ondelete="CASCADE"), primary_key=True
    )


class BacktestResult(Base):
    __tablename__ = "backtest_results"
    __table_args__ = {"schema": "risk"}

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    model_version: Mapped[str] = mapped_column(Text, primary_key=True)
    level: Mapped[str] = mapped_column(Text, primary_key=True)
    method: Mapped[str] = mapped_column(Text, primary_key=True)
    metric: Mapped[str] = mapped_column(Text, primary_key=True)
    area_pct: Mapped[float] = mapped_column(REAL, primary_key=True, server_default="0")
    value: Mapped[float | None] = mapped_column(Double)
    computed_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    city: Mapped[str] = mapped_column(Text, primary_key=True, server_default="all")
