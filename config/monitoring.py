"""Monitoring settings: logs, Sentry, Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings


class MonitoringSettings(HaloSettings):
    """Logs, error reporting and metrics (HALO_ prefix; SENTRY_DSN also read as is)."""

    model_config = SettingsConfigDict(env_prefix="HALO_")

    # One JSON object per line (production, log shippers) or plain text (a terminal).
    log_format: Literal["json", "text"] = "json"
    # Sentry is on only when a DSN is set; it carries a key, so it is a secret.
    sentry_dsn: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SENTRY_DSN", "HALO_SENTRY_DSN")
    )
    sentry_traces_sample_rate: float = Field(default=0.05, ge=0, le=1)
    metrics_enabled: bool = True
