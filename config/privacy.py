"""Retention of personal data (HALO_RETENTION_ prefix), enforced by the nightly run."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings


class RetentionSettings(HaloSettings):
    """How long each kind of record is kept, in days (docs/privacy.md)."""

    model_config = SettingsConfigDict(env_prefix="HALO_RETENTION_")

    # Reports feed the risk model's history window (52 weeks of backtests need the year).
    reports_days: int = Field(default=400, ge=1, le=36_500)
    # Photos are for moderation only: kept a month, then unlinked (the report stays).
    photos_days: int = Field(default=30, ge=1, le=36_500)
    # A device registration the app has not renewed for this long is deleted.
    devices_days: int = Field(default=180, ge=1, le=36_500)
    # Rate-limit counters (salted hashes of addresses and keys).
    rate_limit_days: int = Field(default=2, ge=1, le=36_500)
    # Finished job runs and push message logs.
    job_logs_days: int = Field(default=90, ge=1, le=36_500)
