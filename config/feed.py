"""Live feed settings (HALO_FEED_ prefix): the polisen.se URLs, pacing, freshness, light refresh."""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings

# polisen.se's documented floor between two calls; only HALO_ENV=test may go below it.
PRODUCTION_MIN_CALL_INTERVAL_S = 10.0


class FeedSettings(HaloSettings):
    """What `halo feed` and the freshness checks read; see README "Live feed"."""

    model_config = SettingsConfigDict(env_prefix="HALO_FEED_")

    # Off in library code and tests; `make run` and docker compose turn it on. When on, stale
    # data or a failing feed makes /health/ready `degraded`.
    enabled: bool = False
    base_url: str = "https://polisen.se/api/events"
    # Event pages: base URL + the event's relative `url`.
    page_base_url: str = "https://polisen.se"
    interval_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    min_call_interval_s: Annotated[float, Field(gt=0)] = PRODUCTION_MIN_CALL_INTERVAL_S
    max_calls_per_hour: Annotated[int, Field(ge=1, le=60)] = 60
    max_calls_per_day: Annotated[int, Field(ge=1, le=1440)] = 1440
    page_min_interval_s: Annotated[float, Field(gt=0)] = PRODUCTION_MIN_CALL_INTERVAL_S
    page_max_per_hour: Annotated[int, Field(ge=1, le=360)] = 120
    pages_per_cycle: Annotated[int, Field(ge=0, le=100)] = 10
    page_retry_after_s: Annotated[float, Field(gt=0)] = 900.0
    page_max_attempts: Annotated[int, Field(ge=1, le=50)] = 5
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 30.0
    max_backoff_s: Annotated[float, Field(gt=0)] = 1800.0
    # Readiness and /api/v1/freshness: the newest event older than this is stale ...
    stale_after_hours: Annotated[float, Field(gt=0)] = 24.0
    # ... and a feed without a successful poll for this long is failing.
    poll_stale_after_minutes: Annotated[float, Field(gt=0)] = 30.0
    # A light refresh (no retrain) after new located events, at most this often.
    light_refresh_interval_min: Annotated[float, Field(ge=0)] = 5.0

    @model_validator(mode="after")
    def _keep_the_production_floor(self) -> FeedSettings:
        if os.environ.get("HALO_ENV", "local") == "test":
            return self
        for name in ("min_call_interval_s", "page_min_interval_s"):
            if getattr(self, name) < PRODUCTION_MIN_CALL_INTERVAL_S:
                raise ValueError(
                    f"HALO_FEED_{name.upper()} below {PRODUCTION_MIN_CALL_INTERVAL_S:.0f} s is "
                    "allowed only with HALO_ENV=test (polisen.se's rule)"
                )
        return self
