"""Parse polisen.se events exactly: publication time, incident time from the title, type, place.

Pure functions, no database. A malformed event raises EventRejected with a short reason code
(counted in the ingestion summary) and a human-readable detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

SWEDISH_MONTHS = {
    "januari": 1,
    "februari": 2,
    "mars": 3,
    "april": 4,
    "maj": 5,
    "juni": 6,
    "juli": 7,
    "augusti": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}

# "2023-06-15 7:08:11 +02:00": the hour is not zero-padded.
_PUBLISHED = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) ?([+-])(\d{2}):?(\d{2})$"
)
# "15 juni 06.50, Stöld, Stockholm": ':' before late 2023, '.' after.
_TITLE = re.compile(r"^\s*(\d{1,2}) ([^\W\d_]+) (\d{1,2})[.:](\d{2})\s*,\s*(.+?)\s*$")

# An incident more than this far from its publication means the title's date is wrong.
MAX_PUBLICATION_LAG = timedelta(days=120)
# Publication times later than now by more than this are refused (clock skew allowed).
MAX_FUTURE_SKEW = timedelta(hours=1)

_REQUIRED_TEXT_FIELDS = ("datetime", "name", "summary", "type")


class EventRejected(Exception):
    """An event that cannot be stored; `reason` is the counted code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PolisenEvent:
    """One parsed polisen.se event; times are UTC."""

    external_id: str
    event_type: str
    title: str
    summary: str
    location_name: str
    title_place: str
    published_at: datetime
    occurred_at: datetime
    payload: dict[str, Any]


def parse_event(payload: object, local_tz: ZoneInfo, now: datetime) -> PolisenEvent:
    """A validated event from one element of the API's JSON array."""
    if not isinstance(payload, dict):
        raise EventRejected("bad_event", f"expected a JSON object, got {type(payload).__name__}")
    external_id = _event_id(payload)
    for field in _REQUIRED_TEXT_FIELDS:
        _require_text(payload, field)
    location = payload.get("location")
    if not isinstance(location, dict) or not isinstance(location.get("name"), str):
        raise EventRejected("missing_field", "location.name")
    published_at = parse_published(payload["datetime"])
    if published_at > now + MAX_FUTURE_SKEW:
        raise EventRejected("future_datetime", f"published {payload['datetime']!r}")
    title, event_type = payload["name"].strip(), " ".join(payload["type"].split())
    return PolisenEvent(
        external_id=external_id,
        event_type=event_type,
        title=title,
        summary=payload["summary"].strip(),
        location_name=location["name"].strip(),
        title_place=title_place(title, event_type),
        published_at=published_at,
        occurred_at=parse_incident_time(title, published_at, local_tz),
        payload=payload,
    )


def _event_id(payload: dict[str, Any]) -> str:
    value = payload.get("id")
    if isinstance(value, bool) or value is None:
        raise EventRejected("missing_field", "id")
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit():
        return value
    raise EventRejected("bad_field", f"id {value!r} is not a positive integer")


def _require_text(payload: dict[str, Any], field: str) -> None:
    value = payload.get(field)
    if value is None:
        raise EventRejected("missing_field", field)
    if not isinstance(value, str) or not value.strip():
        raise EventRejected("bad_field", f"{field} must be a non-empty string")


def parse_published(text: str) -> datetime:
    """The publication time ("2023-06-15 7:08:11 +02:00") as an aware UTC datetime."""
    match = _PUBLISHED.match(text.strip())
    if not match:
        raise EventRejected("bad_datetime", f"datetime {text!r} is not 'YYYY-MM-DD H:MM:SS +HH:MM'")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    sign, off_h, off_m = match.group(7), int(match.group(8)), int(match.group(9))
    offset = timedelta(hours=off_h, minutes=off_m) * (-1 if sign == "-" else 1)
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError as exc:
        raise EventRejected("bad_datetime", f"datetime {text!r}: {exc}") from None
    return local.astimezone(UTC)


def parse_incident_time(title: str, published_at: datetime, local_tz: ZoneInfo) -> datetime:
    """The incident time from the title, in local time with the year taken from publication."""
    match = _TITLE.match(title)
    if not match:
        raise EventRejected("bad_title", f"name {title!r} does not start 'D month HH.MM, '")
    day, month_name, hour, minute = match.group(1, 2, 3, 4)
    month = SWEDISH_MONTHS.get(month_name.casefold())
    if month is None:
        raise EventRejected("bad_title", f"unknown month {month_name!r} in {title!r}")
    published_local = published_at.astimezone(local_tz)
    candidates = []
    # The title has no year: the incident is the candidate nearest to publication, which
    # across New Year is in the previous (or, for announced events, the next) year.
    for year in (published_local.year - 1, published_local.year, published_local.year + 1):
        try:
            local = datetime(year, month, int(day), int(hour), int(minute), tzinfo=local_tz)
        except ValueError:
            continue
        candidates.append(local.astimezone(UTC))
    if not candidates:
        raise EventRejected("impossible_date", f"no such date or time in {title!r}")
    nearest = min(candidates, key=lambda c: abs(c - published_at))
    if abs(nearest - published_at) > MAX_PUBLICATION_LAG:
        raise EventRejected("impossible_date", f"{title!r} is far from its publication time")
    return nearest


def title_place(title: str, event_type: str) -> str:
    """The place named at the end of the title: a municipality or a county."""
    match = _TITLE.match(title)
    rest = match.group(5) if match else title
    prefix = event_type + ","
    if rest.casefold().startswith(prefix.casefold()):
        return rest[len(prefix) :].strip()
    return rest.rsplit(",", 1)[-1].strip()
