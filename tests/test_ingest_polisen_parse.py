"""Parsing polisen.se events exactly: times, types, title places, and refusing bad events."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.settings import Settings
from pipeline.ingest.categories import CATEGORY_CODES, POLISEN_TYPE_CATEGORIES, category_of_type
from pipeline.ingest.polisen_files import read_events
from pipeline.ingest.polisen_parse import (
    EventRejected,
    parse_event,
    parse_incident_time,
    parse_published,
    title_place,
)
from tests.support.ingest_support import ARCHIVE, SNAPSHOTS, polisen_event

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_publication_time_with_unpadded_hour_is_converted_to_utc() -> None:
    assert parse_published("2023-06-15 7:08:11 +02:00") == utc(2023, 6, 15, 5, 8, 11)
    assert parse_published("2025-12-31 22:56:49 +01:00") == utc(2025, 12, 31, 21, 56, 49)


@pytest.mark.parametrize(
    "text", ["2023-06-15 7:08:11", "15/06/2023 07:08", "2023-02-30 10:00:00 +01:00", ""]
)
def test_malformed_or_impossible_publication_time_is_rejected(text: str) -> None:
    with pytest.raises(EventRejected) as rejected:
        parse_published(text)
    assert rejected.value.reason == "bad_datetime"


def test_incident_time_reads_swedish_months_with_colon_or_dot() -> None:
    published = utc(2023, 6, 15, 5, 8, 11)
    with_dot = parse_incident_time("15 juni 06.50, Stöld, Stockholm", published, STOCKHOLM)
    with_colon = parse_incident_time("15 juni 06:50, Stöld, Stockholm", published, STOCKHOLM)
    assert with_dot == with_colon == utc(2023, 6, 15, 4, 50)


def test_incident_time_is_stockholm_local_time_in_winter() -> None:
    published = utc(2024, 1, 20, 12, 0)
    assert parse_incident_time("20 januari 10.15, Rån, Solna", published, STOCKHOLM) == utc(
        2024, 1, 20, 9, 15
    )


def test_incident_on_new_years_eve_published_after_midnight_is_in_the_old_year() -> None:
    published = parse_published("2024-01-01 0:20:00 +01:00")
    occurred = parse_incident_time("31 december 23.50, Brand, Stockholm", published, STOCKHOLM)
    assert occurred == utc(2023, 12, 31, 22, 50)


def test_event_announced_before_new_year_for_january_is_in_the_new_year() -> None:
    published = parse_published("2023-12-31 15:00:00 +01:00")
    title = "01 januari 00.30, Polisinsats/kommendering, Stockholm"
    assert parse_incident_time(title, published, STOCKHOLM) == utc(2023, 12, 31, 23, 30)


def test_leap_day_is_accepted_in_a_leap_year() -> None:
    published = utc(2024, 2, 29, 20, 0)
    occurred = parse_incident_time("29 februari 18.00, Stöld, Stockholm", published, STOCKHOLM)
    assert occurred == utc(2024, 2, 29, 17, 0)


@pytest.mark.parametrize(
    "title",
    [
        "30 februari 10.00, Stöld, Stockholm",
        "31 april 10.00, Stöld, Stockholm",
        "29 februari 10.00, Stöld, Stockholm",  # 2025 is no leap year; 2024's is too far
        "12 maj 25.10, Stöld, Stockholm",
        "12 maj 10.61, Stöld, Stockholm",
    ],
)
def test_impossible_incident_dates_are_rejected(title: str) -> None:
    with pytest.raises(EventRejected) as rejected:
        parse_incident_time(title, utc(2025, 5, 13), STOCKHOLM)
    assert rejected.value.reason == "impossible_date"


def test_unknown_month_or_shape_of_title_is_rejected() -> None:
    for title in ("15 juno 06.50, Stöld, Stockholm", "Stöld i Stockholm"):
        with pytest.raises(EventRejected) as rejected:
            parse_incident_time(title, utc(2023, 6, 15), STOCKHOLM)
        assert rejected.value.reason == "bad_title"


def test_title_place_follows_a_type_that_contains_commas() -> None:
    title = "26 september 14:21, Mord/dråp, försök, Upplands väsby"
    assert title_place(title, "Mord/dråp, försök") == "Upplands väsby"
    assert title_place("02 maj 16.37, Trafikbrott, Stockholms län", "Trafikbrott") == (
        "Stockholms län"
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "missing_field"),
        ({"id": "abc"}, "bad_field"),
        ({"id": True}, "missing_field"),
        ({"summary": None}, "missing_field"),
        ({"type": 42}, "bad_field"),
        ({"name": ""}, "bad_field"),
        ({"location": "Stockholm"}, "missing_field"),
        ({"datetime": "igår"}, "bad_datetime"),
        ({"datetime": "2026-05-01 10:00:00 +02:00"}, "future_datetime"),
    ],
)
def test_events_with_missing_or_wrong_fields_are_rejected_with_a_reason(
    change: dict[str, Any], reason: str
) -> None:
    with pytest.raises(EventRejected) as rejected:
        parse_event({**polisen_event(), **change}, STOCKHOLM, NOW)
    assert rejected.value.reason == reason


def test_a_non_object_is_rejected() -> None:
    with pytest.raises(EventRejected) as rejected:
        parse_event(["not", "an", "event"], STOCKHOLM, NOW)
    assert rejected.value.reason == "bad_event"


def test_every_archived_event_parses_and_precedes_its_publication(settings: Settings) -> None:
    events = read_events(settings.data_dir / ARCHIVE)
    parsed = [parse_event(e, STOCKHOLM, NOW) for e in events]
    assert len(parsed) == 7656
    lags_h = [(p.published_at - p.occurred_at).total_seconds() / 3600 for p in parsed]
    assert 0.5 < statistics.median(lags_h) < 4  # the README measures 1.9 h
    assert sum(lag < -1 for lag in lags_h) < 0.01 * len(lags_h)


def test_every_type_in_the_data_maps_to_a_category(settings: Settings) -> None:
    files = [ARCHIVE, *SNAPSHOTS]
    types = {e["type"] for f in files for e in read_events(Path(settings.data_dir / f))}
    assert len(types) >= 84
    assert len(POLISEN_TYPE_CATEGORIES) >= 97  # every type the API is known to use
    assert {t: category_of_type(t) for t in types if category_of_type(t) is None} == {}
    assert {category_of_type(t) for t in types} <= CATEGORY_CODES


@pytest.mark.parametrize(
    ("event_type", "category"),
    [
        ("Sammanfattning natt", "non_incident"),
        ("Sammanfattning kväll och natt", "non_incident"),
        ("Polisinsats/kommendering", "non_incident"),
        ("Information", "non_incident"),
        ("Mord/dråp, försök", "violent"),
        ("Skottlossning", "weapons"),
        ("Rån väpnat", "robbery"),
        ("Övrigt", "other"),
        ("Fylleri", "other"),
        ("Upphittat föremål", "non_incident"),
        ("ASSAULT WITH A DEADLY WEAPON", "violent"),
        ("Motor Vehicle Theft", "theft"),
        ("Nytt påhittat brott", None),
    ],
)
def test_types_map_to_categories(event_type: str, category: str | None) -> None:
    assert category_of_type(event_type) == category
