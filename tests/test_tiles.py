"""Vector tiles over real HTTP on a refreshed synthetic city, decoded with mapbox-vector-tile."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import redis

from config.settings import Settings
from core.tiles.rendered import FASTEST, gzip_of
from tests.support.map_support import MapCity, decode, map_api, redis_server, tile_of
from tests.support.synthetic_city import AS_OF

RISK_PROPERTIES = {"h3", "resolution", "risk_score", "relative_risk", "rr_lower", "rr_upper"}


@pytest.fixture(scope="module")
def client(settings: Settings, city: MapCity) -> Iterator[httpx.Client]:
    with map_api(settings, city) as http:
        yield http


def risk_features(client: httpx.Client, z: int, x: int, y: int) -> list[dict[str, Any]]:
    response = client.get(f"/tiles/risk/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features: list[dict[str, Any]] = decode(response.content)["risk"]["features"]
    return features


@pytest.mark.parametrize(("z", "resolution"), [(8, 7), (9, 7), (11, 8), (12, 9), (14, 9)])
def test_risk_tile_shows_the_h3_resolution_of_its_zoom(
    client: httpx.Client, city: MapCity, z: int, resolution: int
) -> None:
    features = risk_features(client, *tile_of(*city.hotspot, z))
    assert features
    assert {f["properties"]["resolution"] for f in features} == {resolution}


def test_risk_features_carry_numbers_and_the_cell_as_their_id(
    client: httpx.Client, city: MapCity
) -> None:
    features = risk_features(client, *tile_of(*city.hotspot, 14))
    for feature in features:
        props = feature["properties"]
        assert props.keys() >= RISK_PROPERTIES
        assert feature["id"] == int(props["h3"], 16)
        for name in ("risk_score", "relative_risk", "rr_lower", "rr_upper"):
            assert isinstance(props[name], float)
        assert 0 <= props["risk_score"] <= 1
        assert props["rr_lower"] <= props["relative_risk"] <= props["rr_upper"]
        assert props["evidence"] in {"point", "inferred", "none"}
    hottest = max(features, key=lambda f: f["properties"]["risk_score"])
    assert hottest["properties"]["risk_score"] >= 0.6
    assert hottest["properties"]["evidence"] == "point"


def test_a_cell_on_a_tile_edge_is_in_both_tiles_with_the_same_id(
    client: httpx.Client, city: MapCity
) -> None:
    z, x, y = tile_of(*city.hotspot, 14)
    left = {f["id"]: f for f in risk_features(client, z, x, y)}
    right = {f["id"]: f for f in risk_features(client, z, x + 1, y)}
    shared = left.keys() & right.keys()
    assert shared
    for cell in shared:
        assert left[cell]["properties"] == right[cell]["properties"]

    def xs(feature: dict[str, Any]) -> list[float]:
        return [pt[0] for ring in feature["geometry"]["coordinates"] for pt in ring]

    # A cell crossing the edge reaches into both tiles' buffers: no seam between them.
    assert any(max(xs(left[c])) > 4096 and min(xs(right[c])) < 0 for c in shared)


def test_districts_tile_has_each_district_with_its_name_and_risk(
    client: httpx.Client, city: MapCity
) -> None:
    response = client.get("/tiles/districts/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 10)))
    assert response.status_code == 200
    features = decode(response.content)["districts"]["features"]
    assert {f["id"] for f in features} == set(city.district_ids.values())
    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    assert isinstance(by_name["Västra"]["risk_score"], float)
    assert by_name["Västra"]["evidence"] == "point"


def window_incidents(city: MapCity) -> list[tuple[int, str]]:
    """(id, location support) of the incidents of the risk window."""
    with psycopg.connect(city.db.owner_url) as conn:
        return conn.execute(
            "SELECT id, location_support FROM raw.incidents"
            " WHERE occurred_at > %(t)s - interval '365 days' AND occurred_at <= %(t)s",
            {"t": AS_OF},
        ).fetchall()


def incident_tiles(client: httpx.Client, city: MapCity, z: int) -> Iterator[dict[str, Any]]:
    """The decoded incidents layer of every tile over the located incidents at zoom z."""
    with psycopg.connect(city.db.owner_url) as conn:
        box = conn.execute(
            "SELECT st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e)"
            " FROM (SELECT st_extent(point_geom) e FROM raw.incidents) s"
        ).fetchone()
    assert box is not None
    _, x0, y0 = tile_of(box[0], box[3], z)
    _, x1, y1 = tile_of(box[2], box[1], z)
    # One tile more each way: a cell's centre (where its count is drawn) may lie beyond it.
    for x in range(x0 - 1, x1 + 2):
        for y in range(y0 - 1, y1 + 2):
            response = client.get(f"/tiles/incidents/{z}/{x}/{y}.mvt")
            assert response.status_code in (200, 204)
            if response.status_code == 200:
                yield decode(response.content)["incidents"]


def test_incidents_show_exact_points_of_the_window_and_no_district_only_incident(
    client: httpx.Client, city: MapCity
) -> None:
    rows = window_incidents(city)
    points = {i for i, support in rows if support == "point"}
    district_only = {i for i, support in rows if support == "district"}
    assert district_only
    shown = set()
    for layer in incident_tiles(client, city, 16):
        for feature in layer["features"]:
            assert set(feature["properties"]) == {
                "category",
                "week",
                "month",
                "precision",
                "radius_m",
            }
            assert feature["properties"]["precision"] == "point"
            shown.add(feature["id"])
    assert shown == points
    assert not shown & district_only


@pytest.mark.parametrize(("z", "resolution"), [(13, 8), (14, 9), (15, 9)])
def test_incidents_below_zoom_16_are_counts_per_cell_that_add_up(
    client: httpx.Client, city: MapCity, z: int, resolution: int
) -> None:
    points = {i for i, support in window_incidents(city) if support == "point"}
    counts: dict[int, int] = {}
    for layer in incident_tiles(client, city, z):
        for feature in layer["features"]:
            props = feature["properties"]
            assert set(props) == {"count", "places", "h3", "resolution"}
            assert props["resolution"] == resolution
            assert feature["id"] == int(props["h3"], 16)
            assert feature["geometry"]["type"] == "Point"
            # A cell near a tile edge is in both tiles (buffer), with the same count.
            assert counts.setdefault(feature["id"], props["count"]) == props["count"]
    assert counts and max(counts.values()) > 1
    assert sum(counts.values()) == len(points)


def test_incidents_below_zoom_13_are_404(client: httpx.Client, city: MapCity) -> None:
    z, x, y = tile_of(*city.hotspot, 12)
    assert client.get(f"/tiles/incidents/{z}/{x}/{y}.mvt").status_code == 404


def test_empty_tile_is_204_without_body(client: httpx.Client) -> None:
    response = client.get("/tiles/risk/14/0/0.mvt")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["etag"]


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/risk/7/70/37.mvt",
        "/tiles/risk/17/1/1.mvt",
        "/tiles/risk/14/16384/0.mvt",
        "/tiles/risk/14/0/-1.mvt",
        "/tiles/risk/99999999999999999999/0/0.mvt",
        "/tiles/nosuchlayer/10/1/1.mvt",
        "/tiles/raw.incidents/14/1/1.mvt",
    ],
)
def test_out_of_range_tile_or_unknown_layer_is_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path", ["/tiles/risk/a/1/1.mvt", "/tiles/risk/10/1.5/1.mvt", "/tiles/risk/10/1/x.mvt"]
)
def test_non_numeric_tile_coordinates_are_422(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 422


def test_matching_etag_is_304_and_gzip_is_served_when_accepted(
    client: httpx.Client, city: MapCity
) -> None:
    path = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 12))
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decodes the gzip body
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert zipped.headers["vary"] == "Accept-Encoding"
    for etag in (plain.headers["etag"], zipped.headers["etag"], "W/" + plain.headers["etag"]):
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_raw_gzip_body_is_the_compressed_tile(client: httpx.Client, city: MapCity) -> None:
    path = "/tiles/districts/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 9))
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert decode(gzip.decompress(raw))["districts"]["features"]


def test_every_gzip_level_gives_the_tile_back_and_the_fastest_still_compresses(
    client: httpx.Client, city: MapCity
) -> None:
    tile = client.get("/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 12))).content
    assert len(tile) > 1000
    sizes = {}
    for level in (FASTEST, 1, 6, 9):
        packed = gzip_of(tile, level)
        assert gzip.decompress(packed) == tile
        sizes[level] = len(packed)
    assert sizes[FASTEST] < 0.8 * len(tile)  # compressed, unlike zlib's level 0 (stored)
    assert sizes[9] <= sizes[6] < sizes[FASTEST]


def test_versioned_url_is_cached_long_and_unversioned_briefly(
    client: httpx.Client, city: MapCity
) -> None:
    generation = client.get("/tiles/risk.json").json()["tiles"][0].rsplit("v=", 1)[1]
    path = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 12))
    assert "immutable" in client.get(f"{path}?v={generation}").headers["cache-control"]
    assert "must-revalidate" in client.get(path).headers["cache-control"]


def test_a_refresh_changes_the_etag(settings: Settings, city: MapCity) -> None:
    path = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 12))
    with map_api(settings, city) as http:
        first = http.get(path)
        with psycopg.connect(city.db.owner_url) as conn:
            conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        second = http.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]

    # Same data, same tile content (row order may differ after the rebuild).
    def by_id(response: httpx.Response) -> dict[str, Any]:
        return {f["id"]: f["properties"] for f in decode(response.content)["risk"]["features"]}

    assert by_id(second) == by_id(first)


def test_tilejson_is_3_0_0_with_the_generation_in_its_tile_urls(client: httpx.Client) -> None:
    document = client.get("/tiles/risk.json").json()
    assert document["tilejson"] == "3.0.0"
    assert document["minzoom"] == 8 and document["maxzoom"] == 16
    (url,) = document["tiles"]
    assert url.startswith(str(client.base_url)) and "/tiles/risk/{z}/{x}/{y}.mvt?v=" in url
    west, south, east, north = document["bounds"]
    assert west < 18.07 < east and south < 59.33 < north
    (layer,) = document["vector_layers"]
    assert layer["id"] == "risk" and "risk_score" in layer["fields"]
    assert client.get("/tiles/nosuchlayer.json").status_code == 404


def test_style_draws_the_layers_from_this_servers_tilejson(client: httpx.Client) -> None:
    style = client.get("/style.json").json()
    assert style["version"] == 8
    assert style["sources"]["risk"]["url"] == f"{client.base_url}/tiles/risk.json"
    layer_ids = [layer["id"] for layer in style["layers"]]
    assert {"risk-fill", "districts-line", "incidents"} <= set(layer_ids)
    assert style["glyphs"].startswith(f"{client.base_url}/fonts/") and "sprite" not in style


def test_second_request_is_served_from_the_cache(client: httpx.Client, city: MapCity) -> None:
    path = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 13))

    client.get(path)
    before = risk_cache_hits(client)
    client.get(path)
    assert risk_cache_hits(client) == before + 1


def risk_cache_hits(client: httpx.Client) -> float:
    """halo_tile_cache_hits_total of the risk layer, from /metrics."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('halo_tile_cache_hits_total{layer="risk"}'):
            return float(line.split()[-1])
    return 0.0


def test_slow_tile_is_503_with_retry_after(settings: Settings, city: MapCity) -> None:
    slow = settings.model_copy(update={"statement_timeout_ms": 200})
    with psycopg.connect(city.db.owner_url) as conn:
        conn.execute(
            "CREATE FUNCTION tiles.sleepy() RETURNS void LANGUAGE sql AS 'SELECT pg_sleep(1)'"
        )
        conn.execute(
            "ALTER FUNCTION tiles.tile_districts(integer, integer, integer)"
            " RENAME TO tile_districts_fast"
        )
        conn.execute(
            "CREATE FUNCTION tiles.tile_districts(z integer, x integer, y integer) RETURNS bytea"
            " LANGUAGE sql AS 'SELECT tiles.sleepy(); SELECT tiles.tile_districts_fast(z, x, y)'"
        )
    try:
        with map_api(slow, city) as http:
            response = http.get("/tiles/districts/10/561/300.mvt")
    finally:
        with psycopg.connect(city.db.owner_url) as conn:
            conn.execute("DROP FUNCTION tiles.tile_districts(integer, integer, integer)")
            conn.execute("DROP FUNCTION tiles.sleepy()")
            conn.execute(
                "ALTER FUNCTION tiles.tile_districts_fast(integer, integer, integer)"
                " RENAME TO tile_districts"
            )
    assert response.status_code == 503
    assert response.headers["retry-after"]


@pytest.fixture
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_redis_keeps_tiles_for_other_workers_keyed_by_generation(
    settings: Settings, city: MapCity, redis_url: str
) -> None:
    path = "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, 12))
    with map_api(settings, city, redis_url=redis_url) as first_worker:
        rendered = first_worker.get(path)
    keys = redis.Redis.from_url(redis_url).keys("halo:tile:*")
    assert len(keys) == 1 and b":risk:12:" in keys[0]
    # A fresh process (empty LRU) gets the tile from Redis, identical.
    with map_api(settings, city, redis_url=redis_url) as second_worker:
        before = risk_cache_hits(second_worker)
        again = second_worker.get(path)
        assert risk_cache_hits(second_worker) == before + 1
    assert again.content == rendered.content


DENSE_COPIES_SQL = """
INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity, occurred_at,
    first_seen_at, location_support, point_geom, h3_cell, raw_payload)
SELECT i.source_id, 'dense-' || g, i.event_type, i.category, i.severity, i.occurred_at,
       i.first_seen_at, 'point', i.point_geom, i.h3_cell, '{}'::jsonb
  FROM raw.incidents i, generate_series(%s::integer, %s::integer) g
 WHERE i.id = %s
"""
TILE_SQL = "SELECT tiles.tile_incidents(%s, %s, %s)"


def test_a_zoom_16_tile_of_more_than_2000_incidents_draws_the_base_counts(
    city: MapCity,
) -> None:
    """Over a dense spot the points query would sort every incident of the tile (at 10M
    incidents, near the statement timeout): past 2,000 located incidents a zoom-16 tile draws
    the counts of the base cells (resolution 9) overlapping it; at 2,000 still points."""
    with psycopg.connect(city.db.owner_url) as conn:
        # An incident shown in the window, and its base cell.
        row = conn.execute(
            "SELECT i.id, st_x(i.point_geom), st_y(i.point_geom), c.cell::text"
            " FROM raw.incidents i JOIN risk.incident_counts c"
            "   ON c.cell = h3_lat_lng_to_cell(i.point_geom::point, 9)"
            " WHERE i.location_support = 'point' ORDER BY i.id LIMIT 1"
        ).fetchone()
        assert row is not None
        incident, lon, lat, cell = row
        tile = tile_of(lon, lat, 16)
        in_tile = conn.execute(
            "SELECT count(*) FROM raw.incidents"
            " WHERE point_geom && tiles.envelope_4326(%s, %s, %s)",
            tile,
        ).fetchone()
        assert in_tile is not None and in_tile[0] < 2000
        conn.execute(DENSE_COPIES_SQL, (1, 2000 - in_tile[0], incident))
        at_cap = decode(conn.execute(TILE_SQL, tile).fetchone()[0])["incidents"]["features"]
        assert at_cap and all("count" not in f["properties"] for f in at_cap)
        conn.execute(DENSE_COPIES_SQL, (0, 0, incident))
        dense = decode(conn.execute(TILE_SQL, tile).fetchone()[0])["incidents"]["features"]
        conn.rollback()
    assert dense
    for feature in dense:
        assert set(feature["properties"]) == {"count", "places", "h3", "resolution"}
        assert feature["properties"]["resolution"] == 9
        assert feature["id"] == int(feature["properties"]["h3"], 16)
    # The cell overlapping the tile is drawn even when its centre lies in a neighbour tile.
    assert cell in {feature["properties"]["h3"] for feature in dense}
