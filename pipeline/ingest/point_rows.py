"""Validate one row of a generic incident point file and turn it into a staged incident.

Each problem has a short reason code, counted in the summary with the row's line number:
missing_id, bad_id, duplicate_id, extra_fields, missing_time, bad_time, future_time,
missing_type, bad_coordinates, outside_world, outside_region.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.ingest.categories import CATEGORY_CODES, UNKNOWN_TYPE_CATEGORY, category_of_type
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
    problem: str | None = None


@dataclass(frozen=True)
class TypeMapping:
    """A source's own type words -> (category, severity or None: the category's weight)."""

    words: dict[str, tuple[str, float | None]]

    def __post_init__(self) -> None:
        folded = {w.casefold(): v for w, v in reversed(self.words.items())}
        object.__setattr__(self, "_folded", folded)

    def lookup(self, word: str) -> tuple[str, float | None] | None:
        """The word's category and severity (exact, then case-insensitive), or None."""
        folded: dict[str, tuple[str, float | None]] = self._folded  # type: ignore[attr-defined]
        return self.words.get(word) or folded.get(word.casefold())


class TypeFileError(ValueError):
    """A type mapping file that cannot be used."""


def load_type_mapping(path: Path) -> TypeMapping:
    """Read a CSV with the columns type, category and optionally severity (0..1)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"type", "category"} <= set(reader.fieldnames):
                raise TypeFileError(
                    f"{path}: needs the columns type,category[,severity];"
                    f" header seen: {', '.join(reader.fieldnames or [])}"
                )
            words: dict[str, tuple[str, float | None]] = {}
            for record in reader:
                line = reader.line_num
                word = " ".join((record.get("type") or "").split())
                category = (record.get("category") or "").strip()
                if not word or category not in CATEGORY_CODES:
                    raise TypeFileError(
                        f"{path}: line {line}: type {word!r}, category {category!r}"
                        f" (one of {', '.join(sorted(CATEGORY_CODES))})"
                    )
                severity = _severity((record.get("severity") or "").strip(), path, line)
                words[word] = (category, severity)
    except OSError as exc:
        raise TypeFileError(f"{path}: {exc.strerror}") from None
    return TypeMapping(words)


def _severity(text: str, path: Path, line: int) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise TypeFileError(f"{path}: line {line}: severity {text!r} is not in 0..1")
    return value


def coordinate_transformer(crs: str) -> Any:
    """A pyproj transformer from `crs` (e.g. EPSG:26910) to lon/lat WGS84."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        return Transformer.from_crs(CRS.from_user_input(crs), "EPSG:4326", always_xy=True)
    except CRSError:
        raise ValueError(f"unknown --crs {crs!r} (e.g. EPSG:26910)") from None


@dataclass(frozen=True)
class PointRules:
    """How rows are read: local time zone for naive times, strptime format, region box,
    the source's type mapping, and a transformer for projected coordinates."""

    local_tz: ZoneInfo
    time_format: str | None
    region_bbox: tuple[float, float, float, float] | None
    now: datetime
    types: TypeMapping | None = None
    transformer: Any = None


@dataclass(frozen=True)
class CheckedPoint:
    """A valid row, and whether its type was unknown (stored as `other`)."""

    incident: StagedIncident
    unknown_type: bool


def check_row(row: PointRow, rules: PointRules) -> CheckedPoint:
    """The staged incident of a valid row; raises RowRejected otherwise."""
    if row.problem:
        raise RowRejected("extra_fields", row.problem)
    external_id = _external_id(row.values.get("id"))
    if "date" in row.values:
        occurred_at = parse_date_hour(row.values, rules)
    else:
        occurred_at = parse_time(row.values.get("time"), rules)
    first_seen = row.values.get("first_seen")
    first_seen_at = parse_time(first_seen, rules) if first_seen else occurred_at
    event_type = " ".join((row.values.get("type") or "").split())
    if not event_type:
        raise RowRejected("missing_type", "the type column is empty")
    lon, lat = _coordinates(row.lon, row.lat, rules.region_bbox, rules.transformer)
    if rules.types is not None:
        mapped = rules.types.lookup(event_type)
        category = mapped[0] if mapped else None
    else:
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
    return _checked_time(parsed, text, rules)


def parse_date_hour(values: dict[str, str | None], rules: PointRules) -> datetime:
    """A UTC time from a date column (ISO or the rules' format) and optional hour and
    minute columns (local time unless the date has an offset)."""
    text = (values.get("date") or "").strip()
    if not text:
        raise RowRejected("missing_time", "the date column is empty")
    hour_text, minute_text = (values.get("hour") or "0").strip(), (values.get("minute") or "0")
    try:
        if rules.time_format:
            day = datetime.strptime(text, rules.time_format).date()  # noqa: DTZ007 - a date only
        else:
            day = date.fromisoformat(text[:10])
        hour = int(float(hour_text or "0"))
        minute = int(float(minute_text.strip() or "0"))
        parsed = datetime.combine(day, time(hour, minute))
    except (ValueError, OverflowError):
        shown = f"{text!r} hour {hour_text!r} minute {minute_text!r}"
        raise RowRejected("bad_time", f"{shown} is not a valid time") from None
    return _checked_time(parsed.replace(tzinfo=rules.local_tz), text, rules)


def _checked_time(parsed: datetime, text: str, rules: PointRules) -> datetime:
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
    transformer: Any = None,
) -> tuple[float, float]:
    try:
        lon, lat = float(lon_value), float(lat_value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RowRejected("bad_coordinates", f"lon {lon_value!r}, lat {lat_value!r}") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise RowRejected("bad_coordinates", f"lon {lon_value!r}, lat {lat_value!r}")
    if transformer is not None:
        # Projected x/y (e.g. UTM metres); 0/0 is a common "no location" placeholder.
        if lon == 0 and lat == 0:
            raise RowRejected("bad_coordinates", "x 0, y 0 (no location)")
        lon, lat = transformer.transform(lon, lat)
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise RowRejected("bad_coordinates", f"x {lon_value!r}, y {lat_value!r}")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise RowRejected("outside_world", f"lon {lon}, lat {lat}")
    if bbox is not None and not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
        raise RowRejected("outside_region", f"lon {lon}, lat {lat} is outside {bbox}")
    return lon, lat
