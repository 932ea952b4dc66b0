"""Incidents from every source and user reports (schema raw)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, H3Index, geometry

TIMESTAMPTZ = DateTime(timezone=True)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", name="incidents_source_id_external_id_key"),
        Index("incidents_point_geom_idx", "point_geom", postgresql_using="gist"),
        Index("incidents_occurred_at_idx", "occurred_at"),
        Index("incidents_first_seen_at_idx", "first_seen_at"),
        Index("incidents_district_id_idx", "district_id"),
        Index("incidents_h3_cell_idx", "h3_cell"),
        Index("incidents_occurred_at_id_idx", text("occurred_at DESC"), text("id DESC")),
        # The event time of risk.incident_time, for the reports' corroboration window.
        Index(
            "incidents_event_time_idx", text("COALESCE(occurred_at, published_at, first_seen_at)")
        ),
        {"schema": "raw"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    source_id: Mapped[int] = mapped_column(SmallInteger, ForeignKey("ref.data_sources.id"))
    external_id: Mapped[str] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(ForeignKey("ref.incident_categories.code"))
    severity: Mapped[float] = mapped_column(REAL)
    occurred_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    published_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    first_seen_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    location_support: Mapped[str] = mapped_column(Text)
    support_radius_m: Mapped[float | None] = mapped_column(REAL)
    point_geom: Mapped[WKBElement | None] = mapped_column(geometry("POINT"))
    h3_cell: Mapped[str | None] = mapped_column(H3Index())
    place_id: Mapped[int | None] = mapped_column(ForeignKey("ref.places.id", ondelete="SET NULL"))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("ref.districts.id", ondelete="SET NULL")
    )
    municipality_code: Mapped[str | None] = mapped_column(
        ForeignKey("ref.municipalities.code", ondelete="SET NULL")
    )
    county_code: Mapped[str | None] = mapped_column(Text)
    raw_payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    location_evidence: Mapped[str | None] = mapped_column(Text)
    page_text: Mapped[str | None] = mapped_column(Text)


class EventPage(Base):
    __tablename__ = "event_pages"
    __table_args__ = (
        Index(
            "event_pages_due_idx",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        {"schema": "raw"},
    )

    source_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("ref.data_sources.id"), primary_key=True
    )
    external_id: Mapped[str] = mapped_column(Text, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    fetched_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    last_error: Mapped[str | None] = mapped_column(Text)


class UserReport(Base):
    __tablename__ = "user_reports"
    __table_args__ = (
        Index("user_reports_geom_idx", "geom", postgresql_using="gist"),
        Index("user_reports_received_at_idx", "received_at"),
        Index("user_reports_occurred_at_idx", "occurred_at"),
        Index("user_reports_client_sha256_received_at_idx", "client_sha256", "received_at"),
        Index("user_reports_address_sha256_received_at_idx", "address_sha256", "received_at"),
        Index("user_reports_moderation_status_received_at_idx", "moderation_status", "received_at"),
        {"schema": "raw"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    request_sha256: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(ForeignKey("ref.incident_categories.code"))
    occurred_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ)
    received_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(REAL)
    h3_cell: Mapped[str] = mapped_column(H3Index(), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    photo_key: Mapped[str | None] = mapped_column(Text)
    video_key: Mapped[str | None] = mapped_column(Text)
    video_poster_key: Mapped[str | None] = mapped_column(Text)
    moderation_status: Mapped[str] = mapped_column(Text, server_default="pending")
    moderated_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    moderated_by_key_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("ops.api_keys.id", ondelete="SET NULL")
    )
    reported_during_alert: Mapped[bool] = mapped_column(Boolean, server_default="false")
    client_sha256: Mapped[str | None] = mapped_column(Text)
    address_sha256: Mapped[str | None] = mapped_column(Text)
