"""Settings from the environment (HALO_ prefix) and, locally, the generated local.env file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import SettingsConfigDict

from config.backup import BackupSettings
from config.base import REPO_ROOT, HaloSettings, halo_home
from config.feed import FeedSettings
from config.ingest import IngestSettings
from config.map import MapSettings
from config.monitoring import MonitoringSettings
from config.privacy import RetentionSettings
from config.push import PushSettings
from config.reports import ReportSettings
from config.secret_strength import weakness
from config.security import RateLimitSettings, SecuritySettings

# Re-exported: callers import these from here too.
__all__ = ["REPO_ROOT", "Settings", "get_settings", "halo_home"]

# The database URLs whose passwords production checks (analyst: when configured).
_PASSWORD_URLS = {
    "database_url": "DATABASE_URL",
    "api_database_url": "HALO_API_DATABASE_URL",
    "analyst_database_url": "HALO_ANALYST_DATABASE_URL",
}


class ConfigurationRefused(SystemExit):
    """The settings are invalid: exits with one line naming what to fix (no traceback)."""


class Settings(HaloSettings):
    """Everything Halo reads from its environment; see README "Configuration"."""

    model_config = SettingsConfigDict(env_prefix="HALO_")

    env: Literal["local", "test", "production"] = "local"
    # The owner's connection: migrations, refresh, batch jobs.
    database_url: str = Field(validation_alias=AliasChoices("DATABASE_URL", "HALO_DATABASE_URL"))
    # The API's least-privilege role, and the analysts' read-only role.
    api_database_url: str
    analyst_database_url: str | None = None
    # Reads that may lag a little (tiles, risk, neighbourhoods, alert zones, incidents): a hot
    # standby, as the API role; unset means the primary (api_database_url). A libpq multi-host
    # URL works for both (host=a,b ... target_session_attrs=read-write / prefer-standby).
    api_read_database_url: str | None = None

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
    retention: RetentionSettings = Field(default_factory=lambda: RetentionSettings())

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

        for name, variable in _PASSWORD_URLS.items():
            url = getattr(self, name)
            if url is None:
                continue
            password = str(conninfo_to_dict(url).get("password") or "")
            why = weakness(password, 16, 64)
            if why:
                raise ValueError(
                    f"{variable}: the password is {why}; production needs a random one"
                )
        return self


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once; invalid ones exit with one line (no traceback)."""
    try:
        return Settings()  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigurationRefused(f"halo: configuration refused: {one_line(exc)}") from None


def one_line(exc: ValidationError) -> str:
    """Every problem of a ValidationError on one line: `field: message; ...`."""
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
