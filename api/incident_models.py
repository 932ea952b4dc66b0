"""Shapes of the incident feed's answers (OpenAPI documentation); see CONTRACTS.md."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class CategoryLabel(BaseModel):
    """A category's name in Swedish and English."""

    sv: str
    en: str


class IncidentLocation(BaseModel):
    """Where the incident happened, as precisely as the source says and no more."""

    support: Literal["point", "place", "district", "municipality", "county"] = Field(
        description="How precisely the location is known; never a fake point for an area."
    )
    name: str | None = Field(None, description="The place, district, municipality or county.")
    district_id: int | None = Field(None, description="As in /api/v1/neighborhoods.")
    radius_m: float | None = Field(None, description="For a place given as a point: its size.")
    geometry: dict[str, Any] | None = Field(
        None,
        description="GeoJSON (EPSG:4326). Lists: point and place only (null for district, "
        "municipality, county); one incident: always (simplified polygons for areas).",
    )


class Incident(BaseModel):
    """One incident from a source (polisen.se, a point source)."""

    id: int
    source: str
    type: str = Field(description="The source's own type word, e.g. Rån.")
    category: str
    category_label: CategoryLabel
    title: str
    summary: str | None
    occurred_at: str = Field(description="When it happened (UTC, ISO 8601).")
    published_at: str | None = Field(description="When the source published it (UTC).")
    url: str | None = Field(description="The public source page.")
    location: IncidentLocation


class IncidentPage(BaseModel):
    """A page of incidents, newest first by occurred_at, then id."""

    items: list[Incident]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
    as_of: str | None = Field(description="Time of the newest incident Halo has (UTC).")


class FreshnessAnswer(BaseModel):
    """How fresh the data is (the UI's as-of date)."""

    newest_event_at: str | None
    last_poll_ok_at: str | None
    feed: Literal["ok", "stale", "unreachable", "off"]
    stale: bool = Field(description="Newest event older than HALO_FEED_STALE_AFTER_HOURS.")
