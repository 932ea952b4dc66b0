"""Loading districts and municipalities: valid MultiPolygons, readable names, re-runs replace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from pipeline.ingest.boundaries import (
    DISTRICTS_FILE,
    MUNICIPALITIES_FILE,
    BoundaryError,
    display_name,
    load_boundaries,
)
from pipeline.ingest.cities import add_city
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.ingest_support import http_server, rows, scalar, stockholm_city

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[18.0, 59.0], [18.1, 59.1], [18.1, 59.0], [18.0, 59.1], [18.0, 59.0]]],
}


@pytest.fixture(scope="module")
def loaded_db(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, settings: Settings
) -> Iterator[ScratchDatabase]:
    db = db_factory.create(template=template_db.name)
    load_boundaries(
        db.owner_url, settings.data_dir / DISTRICTS_FILE, settings.data_dir / MUNICIPALITIES_FILE
    )
    add_city(db.owner_url, stockholm_city(settings.data_dir))
    yield db
    db_factory.drop(db.name)


def test_all_117_districts_and_290_municipalities_are_valid_multipolygons(
    loaded_db: ScratchDatabase,
) -> None:
    for table, expected in (("ref.districts", 117), ("ref.municipalities", 290)):
        counts = rows(
            loaded_db.owner_url,
            f"SELECT count(*), count(*) FILTER (WHERE ST_IsValid(geom)"
            f" AND GeometryType(geom) = 'MULTIPOLYGON' AND ST_SRID(geom) = 4326) FROM {table}",
        )
        assert counts == [(expected, expected)]


def test_district_names_are_written_as_people_write_them(loaded_db: ScratchDatabase) -> None:
    names = {r[0] for r in rows(loaded_db.owner_url, "SELECT name FROM ref.districts")}
    assert {
        "Bagarmossen",
        "Östermalm",
        "Hässelby gård",
        "Norra Djurgården",
        "Gamla stan",
        "Ulvsunda industriområde",
        "Skarpnäcks gård",
        "Bromma kyrka",
    } <= names
    assert not any(name.isupper() for name in names)
    keys = rows(loaded_db.owner_url, "SELECT name_key FROM ref.districts WHERE name = 'Östermalm'")
    assert keys == [("östermalm",)]


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("BAGARMOSSEN", "Bagarmossen"),
        ("HÄGERSTEN-LILJEHOLMEN", "Hägersten-Liljeholmen"),
        ("HÄSSELBY VILLASTAD", "Hässelby villastad"),
        ("ULVSUNDA INDUSTRIOMR", "Ulvsunda industriområde"),
        ("STORA ESSINGEN", "Stora Essingen"),
    ],
)
def test_display_name(source: str, shown: str) -> None:
    assert display_name(source) == shown


def test_districts_are_in_stockholm_with_land_areas(loaded_db: ScratchDatabase) -> None:
    municipalities, total_km2 = rows(
        loaded_db.owner_url,
        "SELECT array_agg(DISTINCT municipality_code), sum(area_km2) FROM ref.districts",
    )[0]
    assert municipalities == ["0180"]
    assert 150 < total_km2 < 200  # Stockholm's land area is about 188 km²


def test_municipalities_keep_scb_codes_names_and_attribution(loaded_db: ScratchDatabase) -> None:
    url = loaded_db.owner_url
    assert rows(url, "SELECT name, attribution FROM ref.municipalities WHERE code = '0180'") == [
        ("Stockholm", "Källa: SCB")
    ]
    assert scalar(url, "SELECT name FROM ref.municipalities WHERE code = '0114'") == (
        "Upplands Väsby"
    )
    assert scalar(url, "SELECT count(*) FROM ref.municipalities WHERE county_code = '01'") == 26


def test_reloading_replaces_without_duplicates_and_keeps_ids(
    db: ScratchDatabase, settings: Settings
) -> None:
    paths = (settings.data_dir / DISTRICTS_FILE, settings.data_dir / MUNICIPALITIES_FILE)
    load_boundaries(db.owner_url, *paths)
    query = (
        "SELECT (SELECT array_agg(id ORDER BY id) FROM ref.districts), (SELECT count(*)"
        " FROM ref.municipalities), (SELECT count(*) FROM ref.places)"
    )
    first = rows(db.owner_url, query)
    again = load_boundaries(db.owner_url, *paths)
    assert rows(db.owner_url, query) == first
    assert (again.districts, again.municipalities, again.stale_kept) == (117, 290, 0)


def test_places_get_district_municipality_and_county_rows(loaded_db: ScratchDatabase) -> None:
    kinds = dict(rows(loaded_db.owner_url, "SELECT kind, count(*) FROM ref.places GROUP BY 1"))
    assert kinds == {"district": 117, "municipality": 290, "county": 1}


def test_boundaries_load_from_urls(db: ScratchDatabase, settings: Settings) -> None:
    files = {
        "/districts.geojson": (settings.data_dir / DISTRICTS_FILE).read_bytes(),
        "/municipalities.geojson": (settings.data_dir / MUNICIPALITIES_FILE).read_bytes(),
    }
    with http_server(lambda handler: (200, {}, files[handler.path])) as base:
        counts = load_boundaries(
            db.owner_url, f"{base}/districts.geojson", f"{base}/municipalities.geojson"
        )
    assert (counts.districts, counts.municipalities) == (117, 290)
    assert scalar(db.owner_url, "SELECT source FROM ref.districts LIMIT 1").endswith(
        "districts.geojson"
    )


def test_an_invalid_polygon_is_made_valid(
    db: ScratchDatabase, settings: Settings, tmp_path: Path
) -> None:
    districts = tmp_path / "districts.geojson"
    feature = {"type": "Feature", "properties": {"name": "TESTBY"}, "geometry": BOW_TIE}
    districts.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    load_boundaries(db.owner_url, districts, settings.data_dir / MUNICIPALITIES_FILE)
    assert rows(
        db.owner_url,
        "SELECT ST_IsValid(geom), ST_NumGeometries(geom) FROM ref.districts WHERE name = 'Testby'",
    ) == [(True, 2)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        (
            '{"type": "FeatureCollection", "crs": {"properties": {"name": "EPSG:3006"}},'
            ' "features": []}',
            "is not lon/lat",
        ),
        (
            '{"type": "FeatureCollection", "features": [{"properties": {}, "geometry": null}]}',
            "needs a `name`",
        ),
    ],
)
def test_bad_district_files_are_refused_and_nothing_changes(
    db: ScratchDatabase, settings: Settings, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text(content)
    with pytest.raises(BoundaryError, match=message):
        load_boundaries(db.owner_url, bad, settings.data_dir / MUNICIPALITIES_FILE)
    assert scalar(db.owner_url, "SELECT count(*) FROM ref.municipalities") == 0


def test_a_missing_file_is_a_clear_error(db: ScratchDatabase, tmp_path: Path) -> None:
    with pytest.raises(BoundaryError, match="No such file"):
        load_boundaries(db.owner_url, tmp_path / "a.geojson", tmp_path / "b.geojson")
