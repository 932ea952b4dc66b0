"""The 2022-2025 archive end to end: 7,656 events, idempotent, located, never at the API's gps.

The archive is loaded once for the module (twice in a row, to prove the second run changes
nothing); tests that write work on clones of that database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest

from config.settings import Settings
from pipeline.ingest.polisen_files import read_events
from pipeline.ingest.polisen_ingest import ingest_files
from pipeline.ingest.report import (
    city_municipalities,
    format_location_quality,
    location_quality,
    municipality_share_pct,
)
from pipeline.ingest.summary import IngestSummary
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.ingest_support import ARCHIVE, SNAPSHOTS, reference_database, rows, scalar


@dataclass(frozen=True)
class LoadedArchive:
    """The database holding the archive and the summaries of the first and second run."""

    db: ScratchDatabase
    first: IngestSummary
    second: IngestSummary


@pytest.fixture(scope="module")
def archive(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, settings: Settings
) -> Iterator[LoadedArchive]:
    db = reference_database(db_factory, template_db, settings.data_dir)
    first = ingest_files(db.owner_url, [settings.data_dir / ARCHIVE])
    second = ingest_files(db.owner_url, [settings.data_dir / ARCHIVE])
    yield LoadedArchive(db, first, second)
    db_factory.drop(db.name)


@pytest.fixture
def archive_clone(db_factory: DatabaseFactory, archive: LoadedArchive) -> Iterator[ScratchDatabase]:
    clone = db_factory.create(template=archive.db.name)
    yield clone
    db_factory.drop(clone.name)


def test_the_archive_loads_7656_events_and_a_second_run_changes_nothing(
    archive: LoadedArchive,
) -> None:
    assert archive.first.line() == "inserted 7656, updated 0, unchanged 0, rejected 0"
    assert archive.second.line() == "inserted 0, updated 0, unchanged 7656, rejected 0"
    assert scalar(archive.db.owner_url, "SELECT count(*) FROM raw.incidents") == 7656


def test_at_least_60_percent_of_stockholm_city_events_are_located_to_a_district_or_finer(
    archive: LoadedArchive,
) -> None:
    with psycopg.connect(archive.db.owner_url) as conn:
        report = location_quality(conn)
        cities = city_municipalities(conn)
    share = municipality_share_pct(report, "0180")
    assert share is not None and share >= 60.0
    stockholm = next(r for r in report if r.municipality_code == "0180")
    assert stockholm.events == 3275
    assert sum(r.events for r in report) == 7656
    assert cities == {"0180": "Stockholm"}
    shown = format_location_quality(report, cities)
    assert "Stockholm (0180) events located to a district or finer" in shown


def test_no_incident_is_placed_at_the_api_gps_centroid(archive: LoadedArchive) -> None:
    at_gps = scalar(
        archive.db.owner_url,
        "SELECT count(*) FROM raw.incidents WHERE point_geom IS NOT NULL AND ST_DWithin("
        "point_geom::geography, ST_SetSRID(ST_MakePoint(split_part(raw_payload #>> "
        "'{location,gps}', ',', 2)::float8, split_part(raw_payload #>> '{location,gps}', ',', 1)"
        "::float8), 4326)::geography, 1)",
    )
    assert at_gps == 0


def test_each_support_carries_its_reference(archive: LoadedArchive) -> None:
    supports = dict(
        rows(
            archive.db.owner_url,
            "SELECT location_support, count(*) FILTER (WHERE CASE location_support"
            " WHEN 'place' THEN place_id IS NOT NULL AND point_geom IS NOT NULL"
            "  AND support_radius_m > 0 AND h3_cell IS NULL"
            " WHEN 'district' THEN district_id IS NOT NULL AND point_geom IS NULL"
            " WHEN 'municipality' THEN municipality_code IS NOT NULL AND district_id IS NULL"
            " WHEN 'county' THEN county_code = '01' AND municipality_code IS NULL END)"
            " = count(*) FROM raw.incidents GROUP BY 1",
        )
    )
    assert supports == {"place": True, "district": True, "municipality": True, "county": True}
    assert (
        scalar(
            archive.db.owner_url,
            "SELECT count(*) FROM raw.incidents WHERE county_code IS DISTINCT FROM '01'",
        )
        == 0
    )


def test_times_are_utc_and_first_seen_comes_from_the_archive(archive: LoadedArchive) -> None:
    occurred, published, first_seen = rows(
        archive.db.owner_url,
        "SELECT occurred_at, published_at, first_seen_at FROM raw.incidents"
        " WHERE external_id = '371971'",
    )[0]
    assert occurred == datetime(2022, 9, 26, 12, 21, tzinfo=UTC)
    assert published == datetime(2022, 9, 26, 13, 55, 23, tzinfo=UTC)
    assert first_seen == datetime(2023, 3, 26, 5, 53, 58, tzinfo=UTC)


def test_the_page_text_locates_what_the_summary_does_not(archive: LoadedArchive) -> None:
    evidence = rows(
        archive.db.owner_url,
        "SELECT location_support, location_evidence FROM raw.incidents"
        " WHERE external_id = '413883'",
    )
    assert evidence == [("district", "Skärholmen (summary)")]
    from_page = scalar(
        archive.db.owner_url,
        "SELECT count(*) FROM raw.incidents WHERE location_evidence LIKE '%%(page)'",
    )
    assert from_page > 300


def test_summaries_and_notices_are_excluded_from_risk(archive: LoadedArchive) -> None:
    categories = dict(
        rows(
            archive.db.owner_url,
            "SELECT event_type, category FROM raw.incidents WHERE event_type IN"
            " ('Sammanfattning dygn', 'Polisinsats/kommendering', 'Information', 'Misshandel')",
        )
    )
    assert categories == {
        "Sammanfattning dygn": "non_incident",
        "Polisinsats/kommendering": "non_incident",
        "Information": "non_incident",
        "Misshandel": "violent",
    }
    weights = rows(
        archive.db.owner_url,
        "SELECT count(*) FROM raw.incidents i JOIN ref.incident_categories c ON c.code ="
        " i.category WHERE i.severity <> c.severity_weight",
    )
    assert weights == [(0,)]


def test_the_run_is_recorded_as_a_job(archive: LoadedArchive) -> None:
    jobs = rows(
        archive.db.owner_url,
        "SELECT status, rows_affected, details ->> 'inserted' FROM ops.job_runs"
        " WHERE kind = 'ingest_polisen' ORDER BY id",
    )
    assert jobs == [("success", 7656, "7656"), ("success", 0, "0")]


def test_snapshots_keep_stockholm_county_events_and_reject_the_rest_as_outside_region(
    archive_clone: ScratchDatabase, settings: Settings
) -> None:
    snapshots = [settings.data_dir / name for name in SNAPSHOTS]
    county_places = _county_title_places(archive_clone)
    in_county = sum(
        1
        for path in snapshots
        for event in read_events(path)
        if event["name"].rsplit(",", 1)[-1].strip() in county_places
    )
    summary = ingest_files(archive_clone.owner_url, snapshots)
    assert summary.rejected == {"outside_region": 1000 - in_county}
    # The snapshots hold no page text: the archive's stored text keeps every location.
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 0, in_county)


def test_analysts_read_the_gazetteer_but_not_raw_incidents_or_the_report(
    archive: LoadedArchive,
) -> None:
    assert scalar(archive.db.analyst_url, "SELECT count(*) FROM ref.gazetteer") == 488
    for relation in ("raw.incidents", "raw.polisen_location_quality"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            scalar(archive.db.analyst_url, f"SELECT count(*) FROM {relation}")


def _county_title_places(db: ScratchDatabase) -> set[str]:
    names = {
        r[0]
        for r in rows(db.owner_url, "SELECT name FROM ref.municipalities WHERE county_code = '01'")
    }
    return names | {"Stockholms län", "Upplands väsby", "Upplands-bro"}
