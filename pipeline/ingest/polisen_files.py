"""Read polisen.se event files (the API's JSON array) and the archive's page-text file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class InputFileError(ValueError):
    """An input file that cannot be read as a whole (missing, not JSON, wrong shape)."""


@dataclass(frozen=True)
class EventPage:
    """What the archive adds to an event: when it was first seen and its web page's text."""

    first_seen_at: datetime | None
    text: str | None


def read_json(path: Path) -> Any:
    """A JSON document from a file; a clear error when unreadable or malformed."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def read_events(path: Path) -> list[Any]:
    """The events of a file in the API's format: a JSON array of event objects."""
    document = read_json(path)
    if not isinstance(document, list):
        raise InputFileError(
            f"{path}: expected a JSON array of events, got {type(document).__name__}"
        )
    return document


def read_pages(path: Path) -> dict[str, EventPage]:
    """The page-text file: event id -> first-seen time and page text."""
    document = read_json(path)
    if not isinstance(document, dict):
        raise InputFileError(f"{path}: expected a JSON object keyed by event id")
    pages = {}
    for event_id, entry in document.items():
        if not isinstance(entry, dict):
            raise InputFileError(f"{path}: entry {event_id!r} is not an object")
        text = "\n\n".join(
            part
            for part in (_text(entry.get("html_preamble")), _text(entry.get("html_body")))
            if part
        )
        pages[str(event_id)] = EventPage(
            first_seen_at=_utc_time(entry.get("first_seen_utc"), path, event_id),
            text=text or None,
        )
    return pages


def pages_file_beside(events_path: Path) -> Path | None:
    """The page-text file named after an events file (`x.json` -> `x_pages.json`), if present."""
    candidate = events_path.with_name(f"{events_path.stem}_pages{events_path.suffix}")
    return candidate if candidate.is_file() else None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _utc_time(value: object, path: Path, event_id: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputFileError(f"{path}: {event_id}: first_seen_utc is not a string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputFileError(
            f"{path}: {event_id}: first_seen_utc {value!r} is not ISO 8601"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
