"""Settings from the environment (HALO_ prefix) and, locally, the generated local.env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from config.backup import BackupSettings
from config.base import REPO_ROOT, HaloSettings, halo_home
from config.feed import FeedSettings
from config.ingest import IngestSettings
from config.map import MapSettings
from config.monitoring import MonitoringSettings
from config.push import PushSettings
from config.reports import ReportSettings
from config.security import RateLimitSettings, SecuritySettings

# Re-exported: callers import these from here too.
__all__ = ["REPO_ROOT", "Settings", "get_settings", "halo_home"]

# Passwords that must never reach a production configuration.
_WEAK_PASSWORDS = {"", "postgres", "password", "changeme", "halo", "secret"}


class Settings(HaloSettings):
    """Everything Halo reads from its environment; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="HALO_")

    env: Literal["local", "test", "production"] = "local"
    # The owner's connection: migrations, refresh, batch jobs.
    database_url: str = Field(validation_alias=AliasChoices("DATABASE_URL", "HALO_DATABASE_URL"))
    # The API's least-privilege role, and the analysts' read-only role.
    api_database_url: str
    analyst_database_url: str | None = None

    pool_min_size: int = Field(1, ge=0, le=100)
    pool_max_size: int = Field(10, ge=1, le=200)
    pool_timeout_s: float = Field(5.0, gt=0)
    # After a database outage the pool retries with a doubling delay (1, 2, 4, 8 s, ...) until
    # this timeout, then starts afresh on the next request: a short one bounds the time from the
    # database's return to the API's (20 s outage: 8 s with psycopg's 300 s default, 2 s here).
    pool_reconnect_timeout_s: float = Field(5.0, gt=0, le=300)
    statement_timeout_ms: int = Field(5000, ge=100, le=600_000)

    data_dir: Path = REPO_ROOT.parent / "shared" / "data"
    nightly_stale_after_hours: float = Field(30.0, gt=0)
    log_level: str = "INFO"

    # Operations and security, each a small class of its own (config/security.py, ...).
    security: SecuritySettings = Field(default_factory=lambda: SecuritySettings())
    rate_limits: RateLimitSettings = Field(default_factory=lambda: RateLimitSettings())
    monitoring: MonitoringSettings = Field(default_factory=lambda: MonitoringSettings())
    backup: BackupSettings = Field(default_factory=lambda: BackupSettings())
    map: MapSettings = Field(default_factory=lambda: MapSettings())
    reports: ReportSettings = Field(default_factory=lambda: ReportSettings())
    push: PushSettings = Field(default_factory=lambda: PushSettings())
    feed: FeedSettings = Field(default_factory=lambda: FeedSettings())
    ingest: IngestSettings = Field(default_factory=lambda: IngestSettings())

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_local(self) -> Settings:
        self.security.refuse_unsafe(self.env)
        self.push.refuse_unsafe(self.env)
        return self

    @model_validator(mode="after")
    def _refuse_weak_secrets_outside_local(self) -> Settings:
        if self.env != "production":
            return self
        from psycopg.conninfo import conninfo_to_dict

        for name in ("database_url", "api_database_url"):
            password = conninfo_to_dict(getattr(self, name)).get("password") or ""
            if str(password).lower() in _WEAK_PASSWORDS or len(str(password)) < 12:
                raise ValueError(f"{name}: a strong password is required in production")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()  # type: ignore[call-arg]
