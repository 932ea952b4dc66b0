"""The gazetteer: curated places in the right districts, areas as unions, idempotent loads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from config.ingest import IngestSettings
from config.settings import Settings
from pipeline.ingest.gazetteer import (
    CURATED_PLACES_FILE,
    GazetteerError,
    load_curated_gazetteer,
    read_curated_places,
    read_gazetteer,
)
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.ingest_support import reference_database, rows, scalar


@pytest.fixture(scope="module")
def reference_db(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, settings: Settings
) -> Iterator[ScratchDatabase]:
    db = reference_database(db_factory, template_db, settings.data_dir)
    yield db
    db_factory.drop(db.name)


def test_gazetteer_holds_districts_municipalities_the_county_and_curated_places(
    reference_db: ScratchDatabase,
) -> None:
    kinds = dict(rows(reference_db.owner_url, "SELECT kind, count(*) FROM ref.places GROUP BY 1"))
    assert (kinds["district"], kinds["municipality"], kinds["county"]) == (117, 290, 1)
    curated = sum(n for kind, n in kinds.items() if kind not in ("district", "municipality"))
    assert 40 <= curated - 1 <= 90
    assert {"square", "station", "street", "landmark", "area"} <= set(kinds)


def test_curated_points_lie_in_stockholm_and_in_their_stated_district(
    reference_db: ScratchDatabase,
) -> None:
    stated = {p.name: p.in_district for p in read_curated_places() if p.in_district}
    found = dict(
        rows(
            reference_db.owner_url,
            "SELECT p.name, d.name FROM ref.places p JOIN ref.districts d ON d.id = p.district_id"
            " WHERE p.kind IN ('square', 'station', 'street', 'landmark')",
        )
    )
    assert {name: found.get(name) for name in stated} == stated
    # The districts, not SCB's coarse municipality outline, are the precise land of the city.
    outside = rows(
        reference_db.owner_url,
        "SELECT p.name FROM ref.places p WHERE ST_Dimension(p.geom) = 0"
        " AND (p.municipality_code IS DISTINCT FROM '0180' OR NOT EXISTS (SELECT 1 FROM"
        " ref.districts d WHERE ST_DWithin(p.geom::geography, d.geom::geography, p.radius_m)))",
    )
    assert outside == []


def test_jarva_is_the_union_of_its_districts(reference_db: ScratchDatabase) -> None:
    url = reference_db.owner_url
    area_km2 = scalar(
        url, "SELECT ST_Area(geom::geography) / 1e6 FROM ref.places WHERE name = 'Järva'"
    )
    members_km2 = scalar(
        url,
        "SELECT sum(area_km2) FROM ref.districts"
        " WHERE name IN ('Rinkeby', 'Tensta', 'Husby', 'Akalla', 'Kista')",
    )
    assert area_km2 == pytest.approx(members_km2, rel=0.01)
    with psycopg.connect(url) as conn:
        jarva = next(e for e in read_gazetteer(conn) if e.name == "Järva")
    assert len(jarva.district_ids) == 5
    assert (jarva.kind, jarva.municipality_code, jarva.district_id) == ("area", "0180", None)
    assert 2000 < jarva.extent_m < 8000


def test_district_aliases_are_loaded(reference_db: ScratchDatabase) -> None:
    aliases = dict(
        rows(
            reference_db.owner_url,
            "SELECT name, aliases FROM ref.places WHERE aliases <> '{}' AND kind = 'district'",
        )
    )
    assert aliases["Vasastaden"] == ["Vasastan"]
    assert aliases["Ladugårdsgärdet"] == ["Gärdet"]


def test_points_have_a_radius_and_polygons_none(reference_db: ScratchDatabase) -> None:
    bad = rows(
        reference_db.owner_url,
        "SELECT name FROM ref.places WHERE (ST_Dimension(geom) = 0) <> (radius_m > 0)",
    )
    assert bad == []


def test_reloading_the_gazetteer_changes_nothing(db: ScratchDatabase, settings: Settings) -> None:
    from tests.support.ingest_support import load_reference

    load_reference(db.owner_url, settings.data_dir)
    query = (
        "SELECT array_agg((id, name, kind, radius_m, aliases) ORDER BY id)::text FROM ref.places"
    )
    before = scalar(db.owner_url, query)
    counts = load_curated_gazetteer(db.owner_url)
    assert scalar(db.owner_url, query) == before
    assert counts["stale_places_removed"] == 0


def test_a_place_dropped_from_the_list_is_removed(
    db: ScratchDatabase, settings: Settings, tmp_path: Path
) -> None:
    from tests.support.ingest_support import load_reference

    load_reference(db.owner_url, settings.data_dir)
    shorter = tmp_path / "places.csv"
    lines = CURATED_PLACES_FILE.read_text(encoding="utf-8").splitlines()
    shorter.write_text("\n".join(line for line in lines if not line.startswith("Slussen,")))
    counts = load_curated_gazetteer(db.owner_url, shorter)
    assert counts["stale_places_removed"] == 1
    assert scalar(db.owner_url, "SELECT count(*) FROM ref.places WHERE name = 'Slussen'") == 0


def test_the_gazetteer_needs_boundaries_first(db: ScratchDatabase) -> None:
    with pytest.raises(GazetteerError, match="halo load boundaries"):
        load_curated_gazetteer(db.owner_url)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Nowhere,square,,,100,,,", "line 2: Nowhere: give either lat/lon or districts"),
        ("Moon,square,95,18,100,,,", "line 2: Moon: coordinates outside the world"),
        ("X,volcano,59,18,100,,,", "line 2: needs a name and a kind"),
    ],
)
def test_a_bad_curated_row_is_refused_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "places.csv"
    path.write_text("name,kind,lat,lon,radius_m,districts,aliases,in_district\n" + row + "\n")
    with pytest.raises(GazetteerError, match=message):
        read_curated_places(path)


def test_the_configured_region_covers_the_county(reference_db: ScratchDatabase) -> None:
    min_lon, min_lat, max_lon, max_lat = IngestSettings().region_bbox
    extent = rows(
        reference_db.owner_url,
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e"
        " FROM ref.municipalities WHERE county_code = '01') s",
    )[0]
    assert min_lon <= extent[0] and min_lat <= extent[1]
    assert max_lon >= extent[2] and max_lat >= extent[3]
