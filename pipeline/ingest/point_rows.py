"""Validate one row of a generic incident point file and turn it into a staged incident.

Each problem has a short reason code, counted in the summary with the row's line number:
missing_id, bad_id, duplicate_id, missing_time, bad_time, future_time, missing_type,
bad_coordinates, outside_world, outside_region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.ingest.categories import UNKNOWN_TYPE_CATEGORY, category_of_type
from pipeline.ingest.incident_store import StagedIncident, payload_json, without_nul

# Times before this are typing errors, not incidents of a modern city's open data.
EARLIEST_PLAUSIBLE = datetime(1950, 1, 1, tzinfo=UTC)
MAX_FUTURE_SKEW = timedelta(hours=1)


class RowRejected(Exception):
    """A row that cannot be stored; `reason` is the counted code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PointRow:
    """One record of the file: where it is, its mapped values, the record as read."""

    where: str
    values: dict[str, str | None]
    lon: float | str | None
    lat: float | str | None
    record: dict[str, object]


@dataclass(frozen=True)
class PointRules:
    """How rows are read: local time zone for naive times, strptime format, region box."""

    local_tz: ZoneInfo
    time_format: str | None
    region_bbox: tuple[float, float, float, float] | None
    now: datetime


@dataclass(frozen=True)
class CheckedPoint:
    """A valid row, and whether its type was unknown (stored as `other`)."""

    incident: StagedIncident
    unknown_type: bool


def check_row(row: PointRow, rules: PointRules) -> CheckedPoint:
    """The staged incident of a valid row; raises RowRejected otherwise."""
    external_id = _external_id(row.values.get("id"))
    occurred_at = parse_time(row.values.get("time"), rules)
    first_seen = row.values.get("first_seen")
    first_seen_at = parse_time(first_seen, rules) if first_seen else occurred_at
    event_type = " ".join((row.values.get("type") or "").split())
    if not event_type:
        raise RowRejected("missing_type", "the type column is empty")
    lon, lat = _coordinates(row.lon, row.lat, rules.region_bbox)
    category = category_of_type(event_type)
    incident = StagedIncident(
        external_id=external_id,
        event_type=event_type,
        category=category or UNKNOWN_TYPE_CATEGORY,
        occurred_at=occurred_at,
        published_at=None,
        first_seen_at=first_seen_at,
        title=without_nul(row.values.get("title")),
        summary=without_nul(row.values.get("summary")),
        location_support="point",
        support_radius_m=None,
        lon=lon,
        lat=lat,
        place_id=None,
        district_id=None,
        municipality_code=None,
        county_code=None,
        location_evidence=None,
        page_text=None,
        raw_payload=payload_json(row.record),
    )
    return CheckedPoint(incident, category is None)


def _external_id(value: str | None) -> str:
    external_id = (value or "").strip()
    if not external_id:
        raise RowRejected("missing_id", "the id column is empty")
    if len(external_id) > 200 or "\x00" in external_id:
        raise RowRejected("bad_id", f"id {external_id[:40]!r}… is longer than 200 characters")
    return external_id


def parse_time(value: str | None, rules: PointRules) -> datetime:
    """A UTC time from ISO 8601 (or the rules' strptime format, or 'epoch' seconds)."""
    text = (value or "").strip()
    if not text:
        raise RowRejected("missing_time", "the time column is empty")
    try:
        parsed = _parse_time_text(text, rules.time_format)
    except (ValueError, OverflowError, OSError):
        raise RowRejected("bad_time", f"{text!r} is not a valid time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=rules.local_tz)
    parsed = parsed.astimezone(UTC)
    if parsed < EARLIEST_PLAUSIBLE:
        raise RowRejected("bad_time", f"{text!r} is before {EARLIEST_PLAUSIBLE.year}")
    if parsed > rules.now + MAX_FUTURE_SKEW:
        raise RowRejected("future_time", f"{text!r} is in the future")
    return parsed


def _parse_time_text(text: str, time_format: str | None) -> datetime:
    if time_format == "epoch":
        return datetime.fromtimestamp(float(text), tz=UTC)
    if time_format:
        # A format without %z gives a naive time: parse_time reads it in the rules' zone.
        return datetime.strptime(text, time_format)  # noqa: DTZ007
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _coordinates(
    lon_value: float | str | None,
    lat_value: float | str | None,
    bbox: tuple[float, float, float, float] | None,
) -> tuple[float, float]:
    try:
        lon, lat = float(lon_value), float(lat_value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RowRejected("bad_coordinates", f"lon {lon_value!r}, lat {lat_value!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise RowRejected("bad_coordinates", f"lon {lon_value!r}, lat {lat_value!r}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RowRejected("outside_world", f"lon {lon}, lat {lat}")
    if bbox is not None and not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
        raise RowRejected("outside_region", f"lon {lon}, lat {lat} is outside {bbox}")
    return lon, lat
