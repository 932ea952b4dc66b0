"""Ingestion settings (HALO_INGEST_ prefix): region, polisen.se client, batch behaviour."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings

# The place names polisen.se gives Stockholm county's events in `location.name`, spelled as
# the API spells them (lower-case second words), for the `locationname` filter.
STOCKHOLM_COUNTY_LOCATION_NAMES = (
    "Stockholms län",
    "Stockholm",
    "Botkyrka",
    "Danderyd",
    "Ekerö",
    "Haninge",
    "Huddinge",
    "Järfälla",
    "Lidingö",
    "Nacka",
    "Norrtälje",
    "Nykvarn",
    "Nynäshamn",
    "Salem",
    "Sigtuna",
    "Sollentuna",
    "Solna",
    "Sundbyberg",
    "Södertälje",
    "Tyresö",
    "Täby",
    "Upplands väsby",
    "Upplands-bro",
    "Vallentuna",
    "Vaxholm",
    "Värmdö",
    "Österåker",
)


class IngestSettings(HaloSettings):
    """What ingestion reads from its environment; defaults fit Stockholm county."""

    model_config = SettingsConfigDict(env_prefix="HALO_INGEST_")

    # The configured region: polisen events outside these counties are rejected, point
    # files are checked against the bounding box (min lon, min lat, max lon, max lat).
    county_codes: tuple[str, ...] = ("01",)
    region_bbox: tuple[float, float, float, float] = (17.2, 58.7, 19.7, 60.3)
    local_timezone: str = "Europe/Stockholm"

    polisen_api_url: str = "https://polisen.se/api/events"
    polisen_user_agent: str = "Halo/0.1 (personal-safety risk map; +https://github.com/halo-map)"
    polisen_min_interval_s: Annotated[float, Field(ge=10.0)] = 10.0
    polisen_max_calls_per_hour: Annotated[int, Field(ge=1, le=60)] = 60
    polisen_max_calls_per_day: Annotated[int, Field(ge=1, le=1440)] = 1440
    polisen_poll_interval_s: Annotated[float, Field(ge=60.0)] = 300.0
    polisen_timeout_s: Annotated[float, Field(gt=0)] = 30.0
    polisen_location_names: tuple[str, ...] = STOCKHOLM_COUNTY_LOCATION_NAMES


@lru_cache
def get_ingest_settings() -> IngestSettings:
    """The process-wide ingestion settings, read once."""
    return IngestSettings()
