"""Generic incident point files: column mapping, COPY, line-numbered rejections, idempotence."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.ingest.point_rows import load_type_mapping
from pipeline.ingest.points_file import (
    FileFormat,
    PointsFileError,
    TooManyRejects,
    default_rules,
    ingest_points_file,
    parse_mapping,
)
from pipeline.ingest.summary import IngestSummary
from tests.support.dbtools import ScratchDatabase
from tests.support.halo_cli import db_env, halo, one_error_line
from tests.support.ingest_support import rows, scalar

MAPPING = parse_mapping("time=Date,lat=Latitude,lon=Longitude,type=Primary Type,id=Case Number")
STOCKHOLM_BOX = (17.2, 58.7, 19.7, 60.3)

GOOD_CSV = """Case Number,Date,Primary Type,Latitude,Longitude,Note
A1,2024-05-14T08:30:00,Misshandel,59.3144,18.0736,Medborgarplatsen
A2,2024-05-14 09:00:00+02:00,ROBBERY,59.3883,17.9286,"Rinkeby torg,
two lines"
A3,2024-05-14T10:00:00Z,Alien landing,59.3325,18.0645,Sergels torg
"""
BAD_CSV = """Case Number,Date,Primary Type,Latitude,Longitude
B1,2024-05-14T08:30:00,Misshandel,59.3144,18.0736
,2024-05-14T08:30:00,Misshandel,59.3144,18.0736
B3,not a date,Misshandel,59.3144,18.0736
B4,2024-02-30T10:00:00,Misshandel,59.3144,18.0736
B5,2099-01-01T10:00:00,Misshandel,59.3144,18.0736
B6,2024-05-14T08:30:00,,59.3144,18.0736
B7,2024-05-14T08:30:00,Misshandel,abc,18.0736
B8,2024-05-14T08:30:00,Misshandel,95.0,18.0736
B9,2024-05-14T08:30:00,Misshandel,41.88,-87.63
B1,2024-05-14T08:30:00,Misshandel,59.3144,18.0736
B10,2024-05-14T08:30:00,Misshandel,nan,18.0736
"""


def load(
    db: ScratchDatabase,
    path: Path,
    bbox: tuple[float, ...] | None = STOCKHOLM_BOX,
    mapping: str | None = None,
) -> IngestSummary:
    rules = default_rules("Europe/Stockholm", None, bbox)  # type: ignore[arg-type]
    chosen = parse_mapping(mapping) if mapping else MAPPING
    return ingest_points_file(db.owner_url, path, chosen, "test_points", rules, "Test points")


def test_csv_points_are_stored_with_h3_cell_district_and_category(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "points.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    summary = load(ref_db, path)
    assert summary.line() == (
        "inserted 3, updated 0, unchanged 0, rejected 0; warnings: unknown_type 1"
    )
    stored = rows(
        ref_db.owner_url,
        "SELECT i.external_id, i.category, i.location_support, h3_get_resolution(i.h3_cell),"
        " d.name, i.municipality_code, i.county_code, i.occurred_at, i.raw_payload ->> 'Note'"
        " FROM raw.incidents i LEFT JOIN ref.districts d ON d.id = i.district_id ORDER BY 1",
    )
    assert stored[0] == (
        "A1",
        "violent",
        "point",
        10,
        "Södermalm",
        "0180",
        "01",
        datetime(2024, 5, 14, 6, 30, tzinfo=UTC),
        "Medborgarplatsen",
    )
    assert stored[1][1:5] == ("robbery", "point", 10, "Rinkeby")
    assert stored[1][7] == datetime(2024, 5, 14, 7, 0, tzinfo=UTC)
    assert stored[2][1] == "unmapped"
    kind = scalar(ref_db.owner_url, "SELECT kind FROM ref.data_sources WHERE code = 'test_points'")
    assert kind == "points_file"


def test_bad_rows_are_rejected_with_their_line_numbers_and_reasons(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    summary = load(ref_db, path)
    rejected = {(r.where, r.reason) for r in summary.rejections}
    assert rejected == {
        ("line 3", "missing_id"),
        ("line 4", "bad_time"),
        ("line 5", "bad_time"),
        ("line 6", "future_time"),
        ("line 7", "missing_type"),
        ("line 8", "bad_coordinates"),
        ("line 9", "outside_world"),
        ("line 10", "outside_region"),
        ("line 11", "duplicate_id"),
        ("line 12", "bad_coordinates"),
    }
    assert summary.inserted == 1
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 1


def test_line_numbers_count_physical_lines_after_a_multi_line_field(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "points.csv"
    path.write_text(GOOD_CSV + "A4,2024-05-14T10:00:00Z,Rån,91,18.0\n", encoding="utf-8")
    summary = load(ref_db, path)
    assert [(r.where, r.reason) for r in summary.rejections] == [("line 6", "outside_world")]


def test_a_second_load_changes_nothing_and_an_edited_row_is_updated(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "points.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    load(ref_db, path)
    assert load(ref_db, path).line().startswith("inserted 0, updated 0, unchanged 3")
    path.write_text(GOOD_CSV.replace("59.3144,18.0736", "59.3150,18.0740"), encoding="utf-8")
    summary = load(ref_db, path)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 2)


def test_region_check_can_be_switched_off_for_other_cities(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "chicago.csv"
    path.write_text(
        "Case Number,Date,Primary Type,Latitude,Longitude\n"
        "JC1,2024-05-14T08:30:00-05:00,BATTERY,41.8781,-87.6298\n",
        encoding="utf-8",
    )
    assert load(ref_db, path).rejected == {"outside_region": 1}
    summary = load(ref_db, path, bbox=None)
    assert summary.inserted == 1
    assert rows(
        ref_db.owner_url,
        "SELECT district_id, municipality_code, county_code FROM raw.incidents",
    ) == [(None, None, None)]


def test_geojson_points_take_their_position_from_the_geometry(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [18.0645, 59.3325]},
            "properties": {"id": 7, "when": "2024-05-14T08:30:00+02:00", "kind": "Rån"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[18, 59], [18, 60]]},
            "properties": {"id": 8, "when": "2024-05-14T08:30:00+02:00", "kind": "Rån"},
        },
    ]
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    summary = load(ref_db, path, mapping="id=id,time=when,type=kind")
    assert summary.inserted == 1
    assert [(r.where, r.reason) for r in summary.rejections] == [("feature 2", "bad_coordinates")]
    assert rows(ref_db.owner_url, "SELECT ST_AsText(point_geom) FROM raw.incidents") == [
        ("POINT(18.0645 59.3325)",)
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("lat=b,lon=c,type=d", "map the time"),
        ("time=a,date=x,lat=b,lon=c,type=d", "map the time"),
        ("time=a,hour=h,lat=b,lon=c,type=d", "need date"),
        ("time=a,lat=b,lon=c,id=e", "lacks type"),
        ("time=a,lat=b,type=d,id=e", "both lat and lon"),
        ("time=a,lat=b,lon=c,type=d,id=e,colour=f", "not one of"),
        ("time=a,time=b,lat=b,lon=c,type=d,id=e", "given twice"),
        ("time,lat=b", "not key=column"),
    ],
)
def test_a_bad_mapping_is_a_clear_error(spec: str, message: str) -> None:
    with pytest.raises(PointsFileError, match=message):
        parse_mapping(spec)


def test_a_column_missing_from_the_header_writes_nothing(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "points.csv"
    path.write_text("Case Number,When,Primary Type,Latitude,Longitude\nA1,x,y,1,2\n")
    with pytest.raises(PointsFileError, match="no column 'Date'"):
        load(ref_db, path)
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM ref.data_sources") == 2


def test_points_cannot_be_written_into_the_police_source(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "points.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    rules = default_rules("Europe/Stockholm", None, STOCKHOLM_BOX)
    with pytest.raises(PointsFileError, match="police_api source"):
        ingest_points_file(ref_db.owner_url, path, MAPPING, "polisen", rules)


# ---- Point files as cities publish them (issue 20; parsing robustness of issue 16 item 4) ----

TYPES_CSV = "type,category,severity\nOther Theft,theft,\nBreak and Enter,theft,0.6\n"


def load_with(
    db: ScratchDatabase,
    path: Path,
    mapping: str,
    file_format: FileFormat | None = None,
    max_rejects: int | None = None,
    types: str | None = None,
    crs: str | None = None,
    tmp_path: Path | None = None,
) -> IngestSummary:
    type_mapping = None
    if types is not None:
        assert tmp_path is not None
        (tmp_path / "types.csv").write_text(types, encoding="utf-8")
        type_mapping = load_type_mapping(tmp_path / "types.csv")
    rules = default_rules("Europe/Stockholm", None, STOCKHOLM_BOX, type_mapping, crs)
    return ingest_points_file(
        db.owner_url,
        path,
        parse_mapping(mapping),
        "test_points",
        rules,
        "Test points",
        file_format,
        max_rejects,
    )


def test_rows_without_an_id_get_stable_content_ids(ref_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "no_id.csv"
    twin = "2024-05-14T08:30:00,Other Theft,59.3144,18.0736\n"
    path.write_text("t,kind,y,x\n" + twin + twin + "2024-05-14T09:00:00,Mischief,59.3,18.07\n")
    mapping = "time=t,type=kind,lat=y,lon=x"
    first = load_with(ref_db, path, mapping)
    ids = [r[0] for r in rows(ref_db.owner_url, "SELECT external_id FROM raw.incidents")]
    # Two identical rows are two incidents; a re-read gives every row the same id again.
    assert first.inserted == 3 and len(set(ids)) == 3
    assert {i.rsplit("-", 1)[1] for i in ids} == {"1", "2"}
    assert all(i.startswith("h:") for i in ids)
    second = load_with(ref_db, path, mapping)
    assert (second.inserted, second.unchanged) == (0, 3)


def test_date_and_hour_columns_and_projected_coordinates(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    # Sergels torg in SWEREF 99 TM (EPSG:3006): E 674 450, N 6 580 930 (about).
    path = tmp_path / "split.csv"
    path.write_text("nr,DATE,HOUR,MINUTE,kind,X,Y\nP1,2024-05-14,22,15,Rån,674450,6580930\n")
    summary = load_with(
        ref_db, path, "id=nr,date=DATE,hour=HOUR,minute=MINUTE,type=kind,lon=X,lat=Y",
        crs="EPSG:3006",
    )  # fmt: skip
    assert summary.inserted == 1
    occurred, lon, lat = rows(
        ref_db.owner_url,
        "SELECT occurred_at, ST_X(point_geom), ST_Y(point_geom) FROM raw.incidents",
    )[0]
    assert occurred == datetime(2024, 5, 14, 20, 15, tzinfo=UTC)  # 22:15 Stockholm summer time
    assert lon == pytest.approx(18.06, abs=0.01) and lat == pytest.approx(59.33, abs=0.01)


def test_a_types_file_maps_words_and_unknown_words_never_count_for_risk(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "typed.csv"
    path.write_text(
        "nr,t,kind,y,x\n"
        "T1,2024-05-14T08:30:00,Other Theft,59.3144,18.0736\n"
        "T2,2024-05-14T08:30:00,break and enter,59.3144,18.0736\n"
        "T3,2024-05-14T08:30:00,Misshandel,59.3144,18.0736\n"
    )
    summary = load_with(
        ref_db, path, "id=nr,time=t,type=kind,lat=y,lon=x", types=TYPES_CSV, tmp_path=tmp_path
    )
    assert summary.unknown_types == {"Misshandel": 1}  # a word of another source: not guessed
    stored = rows(
        ref_db.owner_url,
        "SELECT i.external_id, i.category, i.severity, k.counts_for_risk FROM raw.incidents i"
        " JOIN ref.incident_categories k ON k.code = i.category ORDER BY 1",
    )
    assert stored == [
        ("T1", "theft", pytest.approx(0.4), True),
        ("T2", "theft", pytest.approx(0.6), True),
        ("T3", "unmapped", 0.0, False),
    ]


def test_gzip_latin1_semicolons_and_decimal_commas(ref_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv.gz"
    text = "nr;t;kind;y;x\nS1;2024-05-14T08:30:00;Rån i Västerås;59,3144;18,0736\n"
    path.write_bytes(gzip.compress(text.encode("latin-1")))
    summary = load_with(
        ref_db, path, "id=nr,time=t,type=kind,lat=y,lon=x", FileFormat(encoding="latin-1")
    )
    assert summary.inserted == 1
    assert rows(ref_db.owner_url, "SELECT event_type FROM raw.incidents") == [("Rån i Västerås",)]


def test_a_missing_column_shows_the_header_seen(ref_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("nr;t;kind;lat;lon\n")
    with pytest.raises(
        PointsFileError, match=r"no column 'y'.*header seen \(';'-separated\): 'nr'"
    ):
        load_with(ref_db, path, "id=nr,time=t,type=kind,lat=y,lon=lon")


def test_blank_lines_extra_fields_and_max_rejects(ref_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text(
        "nr,t,kind,y,x\n"
        "\n"
        "E1,2024-05-14T08:30:00,Rån,59.3144,18.0736\n"
        "\n"
        "\n"
        "E2,2024-05-14T08:30:00,Rån,59,33,18.06\n"  # Swedish decimals in a ,-file: 6 fields
    )
    mapping = "id=nr,time=t,type=kind,lat=y,lon=x"
    with pytest.raises(TooManyRejects) as refused:
        load_with(ref_db, path, mapping, max_rejects=0)
    assert [(r.where, r.reason) for r in refused.value.summary.rejections] == [
        ("line 6", "extra_fields")
    ]
    assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0  # rolled back
    summary = load_with(ref_db, path, mapping, max_rejects=1)
    assert summary.inserted == 1


def test_the_source_s_attribution_is_stored_and_a_bad_one_writes_nothing(
    ref_db: ScratchDatabase, tmp_path: Path
) -> None:
    """`halo ingest points --attribution` stores the credit the map shows for the source
    (replaced by a later load that gives one); a multi-line or over-long credit is one error
    line and nothing is written."""
    path = tmp_path / "points.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    args = [
        "ingest", "points", str(path), "--map",
        "time=Date,lat=Latitude,lon=Longitude,type=Primary Type,id=Case Number",
        "--source", "city_points", "--bbox", "world", "--tz", "Europe/Stockholm",
    ]  # fmt: skip
    credit = "SELECT attribution FROM ref.data_sources WHERE code = 'city_points'"
    for bad in ("Data:\nInjected line", "x" * 201):
        refused = halo(*args, "--attribution", bad, env=db_env(ref_db))
        assert "--attribution" in one_error_line(refused)
        assert rows(ref_db.owner_url, credit) == []
        assert scalar(ref_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0
    first = halo(*args, "--attribution", "Data: City of Example (open data)", env=db_env(ref_db))
    assert first.returncode == 0, first.stderr
    assert rows(ref_db.owner_url, credit) == [("Data: City of Example (open data)",)]
    again = halo(*args, "--attribution", "Data: City of Example, CC BY 4.0", env=db_env(ref_db))
    assert again.returncode == 0, again.stderr
    assert rows(ref_db.owner_url, credit) == [("Data: City of Example, CC BY 4.0",)]
