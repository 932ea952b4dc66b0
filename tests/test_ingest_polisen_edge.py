"""Hand-written polisen.se edge cases on a database with the real boundaries and gazetteer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.ingest import polisen_ingest
from pipeline.ingest.polisen_files import InputFileError
from pipeline.ingest.polisen_ingest import GazetteerMissingError, ingest_files
from tests.support.dbtools import ScratchDatabase
from tests.support.ingest_support import polisen_event, rows, scalar


def write_events(directory: Path, events: list[Any], name: str = "events.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    return path


def incident(db: ScratchDatabase, external_id: str, columns: str) -> tuple[Any, ...]:
    found = rows(
        db.owner_url, f"SELECT {columns} FROM raw.incidents WHERE external_id = %s", (external_id,)
    )
    assert len(found) == 1
    return found[0]


def test_an_edited_event_updates_in_place_and_keeps_its_first_seen_time(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    first = polisen_event(summary="En man misshandlades i Rinkeby.")
    pages = {"900001": {"first_seen_utc": "2024-05-14T07:10:00Z"}}
    (tmp_path / "v1_pages.json").write_text(json.dumps(pages))
    assert (
        ingest_files(ref_db.owner_url, [write_events(tmp_path, [first], "v1.json")]).inserted == 1
    )
    edited = {**first, "summary": "En man misshandlades svårt på Medborgarplatsen."}
    summary = ingest_files(ref_db.owner_url, [write_events(tmp_path, [edited], "v2.json")])
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 0)
    first_seen, text, support, evidence, updated_at = incident(
        ref_db, "900001", "first_seen_at, summary, location_support, location_evidence, updated_at"
    )
    assert first_seen == datetime(2024, 5, 14, 7, 10, tzinfo=UTC)
    assert text == edited["summary"]
    assert (support, evidence) == ("place", "Medborgarplatsen (summary)")
    assert updated_at > first_seen
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 1


def test_a_2026_county_only_event_takes_its_municipality_from_the_title(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    events = [
        polisen_event(
            900010,
            published="2026-01-25 9:00:00 +01:00",
            title="25 januari 08.10, Stöld, Upplands väsby",
            summary="En cykel stals utanför en butik.",
            event_type="Stöld",
            location="Stockholms län",
        ),
        polisen_event(
            900011,
            published="2026-01-25 9:30:00 +01:00",
            title="25 januari 08.40, Rån, Stockholm",
            summary="En man rånades i Skärholmen.",
            event_type="Rån",
            location="Stockholms län",
        ),
    ]
    ingest_files(ref_db.owner_url, [write_events(tmp_path, events)])
    assert incident(ref_db, "900010", "location_support, municipality_code, county_code") == (
        "municipality",
        "0114",
        "01",
    )
    support, district = incident(
        ref_db,
        "900011",
        "location_support, (SELECT name FROM ref.districts WHERE id = district_id)",
    )
    assert (support, district) == ("district", "Skärholmen")


def test_of_two_districts_named_the_first_is_stored(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    event = polisen_event(
        summary="En man skottskadades i Tensta. En misstänkt greps senare i Husby."
    )
    ingest_files(ref_db.owner_url, [write_events(tmp_path, [event])])
    district, evidence = incident(
        ref_db,
        "900001",
        "(SELECT name FROM ref.districts WHERE id = district_id), location_evidence",
    )
    assert (district, evidence) == ("Tensta", "Tensta (summary)")


def test_new_years_eve_incident_published_in_january_is_stored_in_the_old_year(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    event = polisen_event(
        published="2025-01-01 0:40:00 +01:00",
        title="31 december 23.55, Brand, Stockholm",
        event_type="Brand",
        summary="Brand i en lägenhet på Östermalm.",
    )
    ingest_files(ref_db.owner_url, [write_events(tmp_path, [event])])
    assert incident(ref_db, "900001", "occurred_at, category") == (
        datetime(2024, 12, 31, 22, 55, tzinfo=UTC),
        "fire",
    )


def test_an_unknown_type_is_stored_as_unmapped_with_a_warning(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    event = polisen_event(title="14 maj 08.30, Drönarlarm, Stockholm", event_type="Drönarlarm")
    summary = ingest_files(ref_db.owner_url, [write_events(tmp_path, [event])])
    assert summary.line() == (
        "inserted 1, updated 0, unchanged 0, rejected 0; warnings: unknown_type 1"
    )
    assert incident(ref_db, "900001", "event_type, category") == ("Drönarlarm", "unmapped")


def test_bad_events_are_rejected_by_reason_and_the_rest_are_stored(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    events = [
        polisen_event(900001),
        polisen_event(900002, title="30 februari 10.00, Stöld, Stockholm", event_type="Stöld"),
        polisen_event(900003, published="2024-13-01 10:00:00 +01:00"),
        {"id": 900004, "name": "no other fields"},
        "garbage",
        polisen_event(900005, title="14 maj 08.30, Misshandel, Göteborg", location="Göteborg"),
        polisen_event(900006, title="14 maj 08.30, Misshandel, Atlantis", location="Atlantis"),
        polisen_event(900001, summary="En andra version i samma fil."),
    ]
    summary = ingest_files(ref_db.owner_url, [write_events(tmp_path, events)])
    assert summary.line() == (
        "inserted 1, updated 0, unchanged 0, rejected 7 (bad_datetime 1, bad_event 1, "
        "duplicate_id 1, impossible_date 1, missing_field 1, outside_region 1, unknown_place 1)"
    )
    assert [r.where for r in summary.rejections][:2] == [
        "events.json event 2",
        "events.json event 3",
    ]
    # Of a duplicated id the last version is kept.
    assert incident(ref_db, "900001", "summary") == ("En andra version i samma fil.",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": 1, "datetime": ', "malformed JSON at line 1"),
        ('{"events": []}', "expected a JSON array of events"),
        ("\xff\xfe garbage", "malformed JSON"),
    ],
)
def test_a_garbage_file_is_refused_and_nothing_is_written(
    ref_db: ScratchDatabase, tmp_path: Path, content: str, message: str
) -> None:
    good = write_events(tmp_path, [polisen_event()], "good.json")
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message):
        ingest_files(ref_db.owner_url, [good, bad])
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0


def test_a_failure_during_the_merge_leaves_nothing_half_written(
    ref_db: ScratchDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_merge = polisen_ingest.merge_incidents

    def merge_then_fail(*args: Any) -> Any:
        real_merge(*args)
        raise RuntimeError("connection lost after the merge")

    monkeypatch.setattr(polisen_ingest, "merge_incidents", merge_then_fail)
    events = [polisen_event(900001 + n) for n in range(50)]
    with pytest.raises(RuntimeError, match="connection lost"):
        ingest_files(ref_db.owner_url, [write_events(tmp_path, events)])
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0
    assert rows(ref_db.owner_url, "SELECT status, error FROM ops.job_runs") == [
        ("failed", "RuntimeError: connection lost after the merge")
    ]


def test_ingesting_without_boundaries_is_a_clear_error(db: ScratchDatabase, tmp_path: Path) -> None:
    with pytest.raises(GazetteerMissingError, match="halo load boundaries"):
        ingest_files(db.owner_url, [write_events(tmp_path, [polisen_event()])])


def test_the_api_gps_is_kept_only_in_the_raw_payload(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    event = polisen_event(summary="Ett larm utan plats.")
    ingest_files(ref_db.owner_url, [write_events(tmp_path, [event])])
    assert incident(
        ref_db, "900001", "point_geom, location_support, raw_payload #>> '{location,gps}'"
    ) == (
        None,
        "municipality",
        "59.329324,18.068581",
    )
