"""The base map: `halo load basemap` from the real OSM streets and municipal water, tiles of
water, streets and district labels decoded per zoom, TileJSON and style attribution, glyphs
built from DejaVu and served, and who may read the basemap schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from config.settings import Settings
from pipeline.ingest.basemap import STREETS_FILE, WATER_FILE, BasemapError, load_basemap
from tests.support.basemap_support import T_CENTRALEN, built_glyphs, stockholm, stockholm_api
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.map_support import decode, tile_of

SLUSSEN = (18.0717, 59.3195)


@pytest.fixture(scope="module")
def city(
    settings: Settings, db_factory: DatabaseFactory, template_db: ScratchDatabase
) -> Iterator[ScratchDatabase]:
    with stockholm(settings, db_factory, template_db, events=False) as db:
        yield db


@pytest.fixture(scope="module")
def glyphs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_glyphs(tmp_path_factory.mktemp("glyphs"))


@pytest.fixture(scope="module")
def client(settings: Settings, city: ScratchDatabase, glyphs: Path) -> Iterator[httpx.Client]:
    with stockholm_api(settings, city, glyphs) as http:
        yield http


def layer_of(
    client: httpx.Client, layer: str, lon: float, lat: float, z: int
) -> list[dict[str, Any]]:
    """The decoded features of one layer's tile holding (lon, lat) at zoom z."""
    response = client.get("/tiles/{}/{}/{}/{}.mvt".format(layer, *tile_of(lon, lat, z)))
    assert response.status_code in (200, 204)
    if response.status_code == 204:
        return []
    features: list[dict[str, Any]] = decode(response.content)[layer]["features"]
    return features


def test_streets_near_t_centralen_carry_names_and_classes(client: httpx.Client) -> None:
    features = layer_of(client, "streets", *T_CENTRALEN, 15)
    names = {f["properties"].get("name") for f in features}
    assert {"Vasagatan", "Kungsgatan", "Klarabergsgatan"} <= names
    # The OSM extract is the drivable network: only Drottninggatan's northern, driveable end.
    north = layer_of(client, "streets", 18.0541, 59.3407, 15)
    assert "Drottninggatan" in {f["properties"].get("name") for f in north}
    classes = {f["properties"]["class"] for f in features}
    assert {"minor", "secondary"} <= classes
    assert all(f["geometry"]["type"] in ("LineString", "MultiLineString") for f in features)


def test_minor_streets_appear_only_from_zoom_13(client: httpx.Client) -> None:
    at_12 = {f["properties"]["class"] for f in layer_of(client, "streets", *T_CENTRALEN, 12)}
    at_13 = {f["properties"]["class"] for f in layer_of(client, "streets", *T_CENTRALEN, 13)}
    at_9 = {f["properties"]["class"] for f in layer_of(client, "streets", *T_CENTRALEN, 9)}
    assert "minor" not in at_12 and "tertiary" in at_12
    assert "minor" in at_13
    assert at_9 and at_9 <= {"motorway"}


def test_water_is_drawn_at_low_and_high_zoom_and_simplified_below_12(
    client: httpx.Client, city: ScratchDatabase
) -> None:
    low = layer_of(client, "water", *SLUSSEN, 10)
    high = layer_of(client, "water", *SLUSSEN, 15)
    assert low and high
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in low + high)
    with psycopg.connect(city.owner_url) as conn:
        full, simple = conn.execute(
            "SELECT sum(st_npoints(geom)) FILTER (WHERE detail = 0),"
            " sum(st_npoints(geom)) FILTER (WHERE detail = 1) FROM basemap.water"
        ).fetchone()
    assert simple < full / 3


def test_district_labels_are_points_inside_their_districts(
    client: httpx.Client, city: ScratchDatabase
) -> None:
    features = layer_of(client, "district_labels", *T_CENTRALEN, 12)
    names = {f["properties"]["name"] for f in features}
    assert {"Norrmalm", "Kungsholmen"} <= names
    assert all(f["geometry"]["type"] == "Point" for f in features)
    assert all(f["properties"]["area_km2"] > 0 for f in features)
    with psycopg.connect(city.owner_url) as conn:
        outside = conn.execute(
            "SELECT count(*) FROM ref.districts d"
            " WHERE NOT st_contains(d.geom, st_pointonsurface(d.geom))"
        ).fetchone()
    assert outside == (0,)


def test_base_map_tiles_have_etags_and_answer_304(client: httpx.Client) -> None:
    path = "/tiles/streets/{}/{}/{}.mvt".format(*tile_of(*T_CENTRALEN, 14))
    first = client.get(path)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert first.status_code == 200 and again.status_code == 304


def test_tilejson_and_style_credit_openstreetmap_and_use_halos_glyphs(
    client: httpx.Client,
) -> None:
    streets = client.get("/tiles/streets.json").json()
    assert streets["attribution"] == "© OpenStreetMap contributors"
    assert streets["vector_layers"][0]["fields"]["class"]
    style = client.get("/style.json").json()
    assert style["glyphs"] == f"{client.base_url}/fonts/{{fontstack}}/{{range}}.pbf"
    labels = {layer["id"]: layer for layer in style["layers"] if layer["type"] == "symbol"}
    assert labels["street-labels"]["layout"]["symbol-placement"] == "line"
    assert labels["district-labels"]["source"] == "district_labels"
    ids = [layer["id"] for layer in style["layers"]]
    assert ids.index("water") < ids.index("risk-fill") < ids.index("street-labels")
    assert "metadata" not in style


def test_base_map_tilejson_bounds_are_the_extent_of_its_own_data(
    client: httpx.Client, city: ScratchDatabase
) -> None:
    """Not the cities' box (here, before a refresh, HALO_MAP_BOUNDS): the web map shows and
    credits a base-map layer only over these bounds."""
    with psycopg.connect(city.owner_url) as conn:
        extents = {
            layer: conn.execute(
                sql.SQL(
                    "SELECT st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e)"
                    " FROM (SELECT st_extent(geom) AS e FROM {}) s"
                ).format(sql.Identifier("basemap", layer))
            ).fetchone()
            for layer in ("water", "streets")
        }
    cities = client.get("/tiles/risk.json").json()["bounds"]
    for layer, extent in extents.items():
        bounds = client.get(f"/tiles/{layer}.json").json()["bounds"]
        assert bounds == pytest.approx(extent, abs=1e-9)
        assert bounds != cities
        west, south, east, north = bounds
        assert 17.5 < west < T_CENTRALEN[0] < east < 18.5 and 59 < south < north < 59.7


def test_an_empty_base_map_gives_tilejson_the_configured_bounds(
    settings: Settings, db_factory: DatabaseFactory, template_db: ScratchDatabase, glyphs: Path
) -> None:
    empty = db_factory.create(template=template_db.name)
    try:
        with stockholm_api(settings, empty, glyphs) as http:
            water = http.get("/tiles/water.json").json()
            streets = http.get("/tiles/streets.json").json()
    finally:
        db_factory.drop(empty.name)
    assert water["bounds"] == streets["bounds"] == list(settings.map.bounds)


def test_an_external_style_url_is_offered_to_the_web_map(
    settings: Settings, city: ScratchDatabase, glyphs: Path
) -> None:
    external = "https://tiles.example.org/style.json"
    with stockholm_api(settings, city, glyphs, style_url=external) as http:
        style = http.get("/style.json").json()
    assert style["metadata"]["halo:base_style"] == external


def test_glyph_ranges_hold_swedish_letters_as_sdf_bitmaps(client: httpx.Client) -> None:
    response = client.get("/fonts/DejaVu Sans Book,Arial Unicode MS Regular/0-255.pbf")
    assert response.status_code == 200
    name, glyph_range, glyphs = read_glyph_pbf(response.content)
    assert (name, glyph_range) == ("DejaVu Sans Book", "0-255")
    by_id = {g[1]: g for g in glyphs}
    for letter in "åäöÅÄÖA":
        bitmap, width, height = by_id[ord(letter)][2], by_id[ord(letter)][3], by_id[ord(letter)][4]
        assert len(bitmap) == (width + 6) * (height + 6)
        # Inside the outline above the edge value 192, outside below: a real distance field.
        assert max(bitmap) > 192 > min(bitmap)
    empty = client.get("/fonts/DejaVu Sans Bold/40960-41215.pbf")
    assert empty.status_code == 200 and read_glyph_pbf(empty.content)[2] == []


def test_unknown_font_stacks_and_ranges_are_404(client: httpx.Client) -> None:
    assert client.get("/fonts/Comic Sans/0-255.pbf").status_code == 404
    assert client.get("/fonts/DejaVu Sans Book/1-256.pbf").status_code == 404
    assert client.get("/fonts/DejaVu Sans Book/65536-65791.pbf").status_code == 404


def test_a_second_load_gives_the_same_base_map(settings: Settings, city: ScratchDatabase) -> None:
    data = settings.data_dir
    first = snapshot(city.owner_url)
    counts = load_basemap(city.owner_url, data / STREETS_FILE, data / WATER_FILE)
    assert snapshot(city.owner_url) == first
    assert counts.street_edges == 15021 and counts.street_lines == first[0]


def test_a_bad_file_leaves_the_base_map_in_place(
    settings: Settings, city: ScratchDatabase, tmp_path: Path
) -> None:
    before = snapshot(city.owner_url)
    broken = tmp_path / "streets.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(BasemapError):
        load_basemap(city.owner_url, broken, settings.data_dir / WATER_FILE)
    assert snapshot(city.owner_url) == before


def test_analysts_read_the_base_map_and_the_api_role_only_through_tiles(
    city: ScratchDatabase,
) -> None:
    assert city.analyst_url
    with psycopg.connect(city.analyst_url) as conn:
        assert conn.execute("SELECT count(*) FROM basemap.streets").fetchone()[0] > 9000
    with psycopg.connect(city.api_url) as conn:
        tile = conn.execute("SELECT length(tiles.tile_streets(14, 9013, 4818))").fetchone()
        assert tile is not None and tile[0] > 1000
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM basemap.streets")


def snapshot(url: str) -> tuple[int, int, str]:
    """Streets, water pieces and a digest of all base-map geometry and names."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM basemap.streets), (SELECT count(*) FROM basemap.water),"
            " md5((SELECT string_agg(coalesce(name, '') || class || st_astext(geom), ','"
            "                        ORDER BY name, class, st_astext(geom)) FROM basemap.streets)"
            "     || (SELECT string_agg(st_astext(geom), ',' ORDER BY st_astext(geom))"
            "         FROM basemap.water))"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


Glyphs = list[tuple[int, int, bytes, int, int]]


def read_glyph_pbf(content: bytes) -> tuple[str, str, Glyphs]:
    """(font stack, range, [(field-count, id, bitmap, width, height)]) of a glyph PBF, read with
    a minimal protobuf wire-format reader independent of the writer."""
    (stack,) = [value for number, value in fields(content) if number == 1]
    name = range_text = ""
    glyphs: Glyphs = []
    for number, value in fields(stack):
        if number == 1:
            name = value.decode()
        elif number == 2:
            range_text = value.decode()
        elif number == 3:
            glyph = dict(fields(value))
            glyphs.append((len(glyph), glyph[1], glyph.get(2, b""), glyph[3], glyph[4]))
    return name, range_text, glyphs


def fields(data: bytes) -> list[tuple[int, Any]]:
    """(field number, value) pairs: varints as int, length-delimited as bytes."""
    out: list[tuple[int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = varint(data, pos)
        if key & 7 == 0:
            value, pos = varint(data, pos)
            out.append((key >> 3, value))
        else:
            length, pos = varint(data, pos)
            out.append((key >> 3, data[pos : pos + length]))
            pos += length
    return out


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """A base-128 varint at pos, and the position after it."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos
