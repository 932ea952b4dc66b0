"""Security tables (schema ops): the rate-limit counters shared by the API workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"
    __table_args__ = (
        Index("rate_limit_counters_window_start_idx", "window_start"),
        {"schema": "ops", "prefixes": ["UNLOGGED"]},
    )

    route_class: Mapped[str] = mapped_column(Text, primary_key=True)
    subject_sha256: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
