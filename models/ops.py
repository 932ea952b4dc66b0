"""Operations tables (schema ops): job runs, job locks, API keys, the live feed's state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

TIMESTAMPTZ = DateTime(timezone=True)


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        Index("job_runs_kind_started_at_idx", "kind", "started_at"),
        {"schema": "ops"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="running")
    started_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    finished_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    rows_affected: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


class JobLock(Base):
    __tablename__ = "job_locks"
    __table_args__ = {"schema": "ops"}

    job: Mapped[str] = mapped_column(Text, primary_key=True)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = {"schema": "ops"}

    id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    key_prefix: Mapped[str] = mapped_column(Text)
    key_sha256: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
    revoked_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    last_used_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)


class FeedState(Base):
    __tablename__ = "feed_state"
    __table_args__ = {"schema": "ops"}

    source_id: Mapped[int] = mapped_column(
        SmallInteger, ForeignKey("ref.data_sources.id"), primary_key=True
    )
    cursor_published_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    last_poll_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    last_poll_ok_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    consecutive_failures: Mapped[int] = mapped_column(Integer, server_default="0")
    refresh_pending: Mapped[bool] = mapped_column(Boolean, server_default="false")
    last_refresh_at: Mapped[datetime | None] = mapped_column(TIMESTAMPTZ)
    polls_ok: Mapped[int] = mapped_column(BigInteger, server_default="0")
    polls_failed: Mapped[int] = mapped_column(BigInteger, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(TIMESTAMPTZ, server_default="now()")
