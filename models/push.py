"""Push notification tables (schema push): devices, the districts they follow, the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    SmallInteger,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

TIMESTAMPTZ = DateTime(timezone=True)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = {"schema": "push"}

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    token_lookup: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    token_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    secret_sha256: Mapped[bytes] = mapped_column(LargeBinary)
    platform: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text)
    threat_levels: Mapped[list[str]] = mapped_column(ARRAY(Text))
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    daily_cap: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")


class DeviceDistrict(Base):
    __tablename__ = "device_districts"
    __table_args__ = (
        Index("device_districts_district_id_idx", "district_id"),
        {"schema": "push"},
    )

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("push.devices.id", ondelete="CASCADE"), primary_key=True
    )
    district_id: Mapped[int] = mapped_column(
        ForeignKey("ref.districts.id", ondelete="CASCADE"), primary_key=True
    )


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint(
            "device_id", "kind", "subject_id", name="outbox_device_id_kind_subject_id_key"
        ),
        Index(
            "outbox_due_idx",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
        ),
        Index(
            "outbox_awaiting_receipt_idx",
            "sent_at",
            postgresql_where=text("status = 'sent' AND receipt_at IS NULL"),
        ),
        Index("outbox_created_at_idx", "created_at"),
        {"schema": "push"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("push.devices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[int] = mapped_column(BigInteger)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("ref.districts.id", ondelete="SET NULL")
    )
    threat_level: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    next_attempt_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    sent_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    ticket_id: Mapped[str | None] = mapped_column(Text)
    receipt_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
