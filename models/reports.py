"""Tables of the app reports' processing: parameters, compatible categories, nightly clusters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import REAL, Boolean, DateTime, ForeignKey, Index, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, geometry

TIMESTAMPTZ = DateTime(timezone=True)


class ReportParameters(Base):
    __tablename__ = "report_parameters"
    __table_args__ = {"schema": "ref"}

    id: Mapped[bool] = mapped_column(Boolean, primary_key=True, server_default="true")
    corroboration_distance_m: Mapped[float] = mapped_column(REAL, server_default="250")
    corroboration_window_h: Mapped[float] = mapped_column(REAL, server_default="3")
    risk_weight_cap: Mapped[float] = mapped_column(REAL, server_default="0.5")
    during_alert_factor: Mapped[float] = mapped_column(REAL, server_default="0")
    cluster_eps_m: Mapped[float] = mapped_column(REAL, server_default="200")
    cluster_min_points: Mapped[int] = mapped_column(Integer, server_default="3")
    cluster_window_days: Mapped[int] = mapped_column(Integer, server_default="30")


class CompatibleCategory(Base):
    __tablename__ = "compatible_categories"
    __table_args__ = {"schema": "ref"}

    report_category: Mapped[str] = mapped_column(
        ForeignKey("ref.incident_categories.code"), primary_key=True
    )
    incident_category: Mapped[str] = mapped_column(
        ForeignKey("ref.incident_categories.code"), primary_key=True
    )


class ReportCluster(Base):
    __tablename__ = "report_clusters"
    __table_args__ = (
        Index("report_clusters_hull_idx", "hull", postgresql_using="gist"),
        {"schema": "risk"},
    )

    cluster_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reports: Mapped[int] = mapped_column(Integer)
    approved: Mapped[int] = mapped_column(Integer)
    corroborated: Mapped[int] = mapped_column(Integer)
    during_alert: Mapped[int] = mapped_column(Integer)
    categories: Mapped[dict[str, Any]] = mapped_column(JSONB)
    first_occurred_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    last_occurred_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    radius_m: Mapped[float] = mapped_column(REAL)
    centroid: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)
    hull: Mapped[WKBElement] = mapped_column(geometry("POLYGON"), nullable=False)
    eps_m: Mapped[float] = mapped_column(REAL)
    min_points: Mapped[int] = mapped_column(Integer)
    window_from: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    window_until: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    refreshed_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
