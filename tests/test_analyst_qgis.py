"""The analysts' read-only connection, seen by a real client: GDAL's ogrinfo (as QGIS uses it)
lists the analytics views with geometry type, SRID and feature count; writes fail."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.support.dbtools import ScratchDatabase
from tests.support.opstools import seed_small_city

pytestmark = pytest.mark.skipif(
    shutil.which("ogrinfo") is None, reason="needs GDAL's ogrinfo (Debian gdal-bin)"
)

# Layer -> (geometry type as GDAL names it, features in the seeded small_city).
BASE_LAYERS = {
    "analytics.municipalities": ("Multi Polygon", 1),
    "analytics.cities": ("Multi Polygon", 1),
    "analytics.districts": ("Multi Polygon", 2),
    # Seven incidents: the notice and the county-only one are left out.
    "analytics.incidents": ("Multi Polygon", 5),
    "analytics.incident_points": ("Point", 2),
}


# The schemas an analyst connection names (docs/operations.md): GDAL then lists only these.
ANALYST_SCHEMAS = "analytics"


def ogrinfo(url: str, *args: str, schemas: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ogrinfo on a PostgreSQL connection (password in the environment, as QGIS would)."""
    params = conninfo_to_dict(url)
    source = "PG:" + " ".join(f"{k}={params[k]}" for k in ("host", "port", "dbname", "user"))
    if schemas:
        source += f" schemas={schemas}"
    env = {**os.environ, "PGPASSWORD": str(params["password"])}
    return subprocess.run(
        ["ogrinfo", source, *args], capture_output=True, text=True, env=env, timeout=60
    )


@pytest.fixture
def small_city(db: ScratchDatabase) -> ScratchDatabase:
    seed_small_city(db.owner_url)
    return db


def test_ogrinfo_as_analyst_lists_typed_analytics_layers(small_city: ScratchDatabase) -> None:
    listing = ogrinfo(small_city.analyst_url, "-ro").stdout
    layers = dict(re.findall(r"^\d+: (analytics\.\w+) \(([^)]+)\)$", listing, re.M))
    for name, (geometry, _) in BASE_LAYERS.items():
        assert layers.get(name) == geometry, listing
    # Every analytics view has a declared type: no "Unknown (any)" layer for QGIS.
    assert all("Unknown" not in kind for kind in layers.values())


@pytest.mark.parametrize("layer", sorted(BASE_LAYERS))
def test_ogrinfo_reads_each_layer_with_srid_4326_and_feature_count(
    small_city: ScratchDatabase, layer: str
) -> None:
    summary = ogrinfo(small_city.analyst_url, "-ro", "-so", layer)
    geometry, count = BASE_LAYERS[layer]
    assert summary.returncode == 0, summary.stderr
    assert f"Geometry: {geometry}" in summary.stdout
    assert f"Feature Count: {count}" in summary.stdout
    assert 'ID["EPSG",4326]' in summary.stdout
    assert "DESCRIPTION=" in summary.stdout  # the view's comment, shown as the layer abstract


def test_analytics_incidents_carry_no_free_text(small_city: ScratchDatabase) -> None:
    summary = ogrinfo(small_city.analyst_url, "-ro", "-so", "analytics.incidents").stdout
    fields = re.findall(r"^(\w+): \w+", summary.split("Geometry Column")[1], re.M)
    assert fields == [
        "id",
        "category",
        "occurred_at",
        "first_seen_at",
        "location_support",
        "support_radius_m",
    ]
    features = ogrinfo(small_city.analyst_url, "-ro", "analytics.incidents").stdout
    assert "Secret free text" not in features and "Rån, Stockholm" not in features


def test_incident_areas_follow_the_location_support(small_city: ScratchDatabase) -> None:
    with psycopg.connect(small_city.analyst_url) as conn:
        rows = dict(
            conn.execute(
                "SELECT location_support, round(max(ST_Area(geom::geography)))::bigint"
                " FROM analytics.incidents GROUP BY 1"
            ).fetchall()
        )
    assert rows["point"] < 5_000  # a 25 m circle
    assert rows["place"] < 30_000  # an 80 m circle around the square
    assert rows["point"] < rows["place"] < rows["district"] < rows["municipality"]


def test_writes_as_the_analyst_fail_and_change_nothing(small_city: ScratchDatabase) -> None:
    for statement in (
        "DELETE FROM ref.districts",
        "UPDATE ref.districts SET name = 'x'",
        "CREATE TABLE analytics.scratch AS SELECT 1 AS id",
    ):
        result = ogrinfo(small_city.analyst_url, "-sql", statement)
        assert "read-only transaction" in result.stderr or "permission denied" in result.stderr
    with psycopg.connect(small_city.owner_url) as conn:
        assert conn.execute("SELECT count(*) FROM ref.districts").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM ref.districts WHERE name = 'x'").fetchone() == (
            0,
        )


def test_analyst_cannot_open_raw_incidents(small_city: ScratchDatabase) -> None:
    result = ogrinfo(small_city.analyst_url, "-ro", "-so", "raw.incidents")
    assert "Feature Count: 7" not in result.stdout
    assert "permission denied" in result.stderr


def test_analyst_queries_have_a_longer_statement_timeout(small_city: ScratchDatabase) -> None:
    with psycopg.connect(small_city.analyst_url) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("2min",)


def test_the_documented_analyst_connection_lists_only_layers_it_can_open(
    small_city: ScratchDatabase,
) -> None:
    """GDAL lists every geometry table of the catalog, readable or not (raw.* failed to open);
    the analyst connection of docs/operations.md names the analyst schemas."""
    listing = ogrinfo(small_city.analyst_url, "-ro", schemas=ANALYST_SCHEMAS).stdout
    layers = re.findall(r"^\d+: ([\w.]+) \(", listing, re.M)
    assert "place_points" in " ".join(layers) and not any("raw" in name for name in layers)
    for layer in layers:
        opened = ogrinfo(small_city.analyst_url, "-ro", "-so", layer, schemas=ANALYST_SCHEMAS)
        assert opened.returncode == 0 and "Feature Count" in opened.stdout, opened.stderr


def test_places_load_as_a_point_layer_and_an_area_layer(small_city: ScratchDatabase) -> None:
    with psycopg.connect(small_city.owner_url) as conn:
        conn.execute(
            "INSERT INTO ref.places (name, name_key, kind, geom) VALUES ('Järva', 'järva', 'area',"
            " ST_SetSRID(ST_MakeEnvelope(17.85, 59.39, 17.95, 59.42), 4326))"
        )
    mixed = ogrinfo(small_city.analyst_url, "-ro", "-so", "ref.places").stdout
    points = ogrinfo(small_city.analyst_url, "-ro", "-so", "analytics.place_points").stdout
    areas = ogrinfo(small_city.analyst_url, "-ro", "-so", "analytics.place_areas").stdout
    assert "Geometry: Unknown (any)" in mixed  # why QGIS could not load it as one layer
    assert "Geometry: Point" in points and "Feature Count: 1" in points
    assert "Geometry: Multi Polygon" in areas and "Feature Count: 1" in areas
