"""Pre-rendered tiles per generation, shared stores, the worker warm-up, the cached-tile fast
path and the nginx proxy cache: over real HTTP on a refreshed synthetic city, tiles decoded."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.types.json import Jsonb

from config.settings import Settings
from core.tiles.prerender import (
    CARRIED_LAYERS,
    EXTENT_SQL,
    PRERENDERED,
    STAMP_KEY,
    extents_of,
    prerender_into,
    prerender_keys,
)
from core.tiles.store import DiskTiles, unpack
from pipeline.risk.refresh import refresh_risk
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.halo_cli import db_env, halo
from tests.support.live_server import free_port, live_server
from tests.support.map_support import (
    MapCity,
    decode,
    map_api,
    map_city,
    metric,
    redis_server,
    tile_of,
)
from tests.support.nginx_proxy import nginx_binary, nginx_proxy
from tests.support.synthetic_city import AS_OF

MISSES = "halo_tile_cache_misses_total"
HITS = "halo_tile_cache_hits_total"


@pytest.fixture(scope="module")
def city(db_factory: DatabaseFactory, template_db: ScratchDatabase) -> Iterator[MapCity]:
    with map_city(db_factory, template_db) as seeded:
        yield seeded


@pytest.fixture
def no_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refresh job reads its stores from the environment: start from none."""
    monkeypatch.delenv("HALO_MAP_TILE_DIR", raising=False)
    monkeypatch.delenv("HALO_MAP_REDIS_URL", raising=False)


def the_set(city: MapCity) -> set[tuple[str, int, int, int]]:
    """The keys the pre-render should cover, from the study area's extent."""
    with psycopg.connect(city.db.owner_url) as conn:
        extents = extents_of(conn.execute(EXTENT_SQL).fetchall())
    assert extents
    return set(prerender_keys(extents))


def misses_of_the_set(http: httpx.Client) -> float:
    """Tiles rendered by this process, over the layers of the pre-rendered set."""
    return sum(metric(http, MISSES, item.layer) for item in PRERENDERED)


def last_refresh_details(city: MapCity) -> dict[str, Any]:
    with psycopg.connect(city.db.owner_url) as conn:
        row = conn.execute(
            "SELECT details FROM ops.job_runs WHERE kind = 'refresh' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    details: dict[str, Any] = row[0]
    return details


def hotspot_path(city: MapCity, z: int) -> str:
    return "/tiles/risk/{}/{}/{}.mvt".format(*tile_of(*city.hotspot, z))


def rendered_by_sql(city: MapCity, z: int) -> dict[str, Any]:
    """The hot spot's risk tile straight from the tile function, by feature id."""
    with psycopg.connect(city.db.api_url) as conn:
        row = conn.execute("SELECT tiles.tile_risk(%s, %s, %s)", tile_of(*city.hotspot, z))
        tile = row.fetchone()
    assert tile is not None
    return {f["id"]: f["properties"] for f in decode(bytes(tile[0]))["risk"]["features"]}


def test_refresh_prerenders_the_set_and_first_requests_are_cache_hits(
    settings: Settings,
    city: MapCity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_stores: None,
) -> None:
    monkeypatch.setenv("HALO_MAP_TILE_DIR", str(tmp_path))
    generation = refresh_risk(city.db.owner_url, AS_OF)

    report = last_refresh_details(city)["prerender"]
    expected = the_set(city)
    assert report["complete"] and report["rendered"] == report["planned"] == len(expected)
    stored = {
        (p.parts[-4], int(p.parts[-3]), int(p.parts[-2]), int(p.stem))
        for p in (tmp_path / f"g{generation.id}").rglob("*.tile")
    }
    assert stored == expected | {STAMP_KEY}  # and the stamp of the base map rendered
    # Every layer the map draws over the city, the base map included, at its zooms.
    zooms = {layer: {z for name, z, _, _ in expected if name == layer} for layer, *_ in expected}
    assert zooms == {
        "risk": set(range(8, 16)),
        "districts": set(range(8, 16)),
        "incidents": {13, 14, 15},
        "water": set(range(8, 16)),
        "streets": set(range(8, 16)),
        "district_labels": set(range(10, 16)),
    }

    with map_api(settings, city, tile_dir=tmp_path) as http:
        misses = metric(http, MISSES)  # per process, shared by the tests: a baseline
        for z in range(8, 16):
            response = http.get(hotspot_path(city, z))
            assert response.status_code == 200
            assert response.headers["x-halo-cache"] == "store"
            assert f"-g{generation.id}-" in response.headers["etag"]
            features = decode(response.content)["risk"]["features"]
            assert {f["id"]: f["properties"] for f in features} == rendered_by_sql(city, z)
        assert metric(http, MISSES) == misses  # nothing of the set rendered by the API
        # Outside the set (zoom 16): rendered on demand, then kept for the other workers.
        outside = http.get(hotspot_path(city, 16))
        assert outside.headers["x-halo-cache"] == "render"
        assert metric(http, MISSES) == misses + 1


def test_a_restarted_worker_is_warm_from_redis(
    settings: Settings, city: MapCity, monkeypatch: pytest.MonkeyPatch, no_stores: None
) -> None:
    with redis_server() as redis_url:
        monkeypatch.setenv("HALO_MAP_REDIS_URL", redis_url)
        generation = refresh_risk(city.db.owner_url, AS_OF)
        assert last_refresh_details(city)["prerender"]["complete"]
        sources = []
        for _ in range(2):  # a worker, then the same worker restarted (empty memory)
            with map_api(settings, city, redis_url=redis_url) as http:
                tile = http.get(hotspot_path(city, 15))
                assert f"-g{generation.id}-" in tile.headers["etag"]
                assert decode(tile.content)["risk"]["features"]
                outside = http.get(hotspot_path(city, 16))
                sources.append((tile.headers["x-halo-cache"], outside.headers["x-halo-cache"]))
                assert metric(http, HITS) >= 1
        # The set comes from Redis both times; the zoom-16 tile rendered once, then shared.
        assert sources == [("store", "render"), ("store", "store")]


def test_a_new_generation_is_prerendered_and_older_ones_pruned(
    settings: Settings,
    city: MapCity,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_stores: None,
) -> None:
    monkeypatch.setenv("HALO_MAP_TILE_DIR", str(tmp_path))
    path = hotspot_path(city, 12)
    first = refresh_risk(city.db.owner_url, AS_OF)
    with map_api(settings, city, tile_dir=tmp_path) as http:
        before = http.get(path)
        assert f"-g{first.id}-" in before.headers["etag"]
        assert http.get(path, headers={"If-None-Match": before.headers["etag"]}).status_code == 304
        second = refresh_risk(city.db.owner_url, AS_OF)
        after = http.get(path, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert f"-g{second.id}-" in after.headers["etag"]
        assert after.headers["x-halo-cache"] == "store"  # the new generation's pre-render
    third = refresh_risk(city.db.owner_url, AS_OF)
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted([f"g{second.id}", f"g{third.id}"])


def load_water_around(city: MapCity) -> None:
    """A base-map load: one lake around the city's hot spot (basemap.replace_water)."""
    lon, lat = city.hotspot
    ring = [[lon - 0.01, lat - 0.005], [lon + 0.01, lat - 0.005], [lon + 0.01, lat + 0.005],
            [lon - 0.01, lat + 0.005], [lon - 0.01, lat - 0.005]]  # fmt: skip
    lake = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    with psycopg.connect(city.db.owner_url) as conn:
        conn.execute("SELECT basemap.replace_water(%s)", (Jsonb([lake]),))


def test_the_base_map_renders_once_per_load_and_is_carried_between_generations(
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_stores: None,
) -> None:
    monkeypatch.setenv("HALO_MAP_TILE_DIR", str(tmp_path))
    with map_city(db_factory, template_db) as own:  # its own: the test loads a base map
        load_water_around(own)
        reports, generations = [], []
        for reload in (False, False, True):
            if reload:
                load_water_around(own)  # the same lake, loaded again: a new load
            generations.append(refresh_risk(own.db.owner_url, AS_OF).id)
            reports.append(last_refresh_details(own)["prerender"])
        base_map = {key for key in the_set(own) if key[0] in CARRIED_LAYERS}
    first, second, after_load = reports
    assert first["carried"] == 0 and first["rendered"] == first["planned"]
    assert second["carried"] == len(base_map) > 0
    assert second["rendered"] == second["planned"] - len(base_map)
    assert after_load["carried"] == 0 and after_load["rendered"] == after_load["planned"]
    lake = ("water", *tile_of(*own.hotspot, 12))
    tiles = [
        (tmp_path / f"g{g}" / "water" / "12" / str(lake[2]) / f"{lake[3]}.tile")
        for g in generations[1:]
    ]
    assert tiles[0].read_bytes() == tiles[1].read_bytes()  # carried, then rendered: the same
    assert decode(unpack(tiles[0].read_bytes())[0])["water"]["features"]


class LoadedWhileRendering(DiskTiles):
    """A tile directory during whose first base-map write a base-map load commits: what an
    operator's `halo load basemap` racing a refresh's pre-render does."""

    def __init__(self, root: Path, city: MapCity) -> None:
        super().__init__(root)
        self.city, self.loaded = city, False

    def put(self, generation: int, key: tuple[str, int, int, int], value: bytes) -> None:
        if key[0] in CARRIED_LAYERS and not self.loaded:
            self.loaded = True
            load_water_around(self.city)  # its own connection, committed
        super().put(generation, key, value)


def test_a_base_map_loaded_during_the_pre_render_leaves_it_unstamped(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, tmp_path: Path
) -> None:
    with map_city(db_factory, template_db) as own:
        load_water_around(own)
        store = LoadedWhileRendering(tmp_path, own)
        with psycopg.connect(own.db.owner_url) as conn:
            report = prerender_into(conn, 1, [store], max_s=120)
    assert report.complete and store.loaded and report.rendered == report.planned
    # Tiles before the load show the old lake, later ones may show the new: not one base map,
    # so no stamp (nothing carried from it, the base map named by the generation).
    assert store.get(1, STAMP_KEY) is None


BASE_MAP = ("water", "streets")


def write_basemap(folder: Path, city: MapCity) -> tuple[Path, Path]:
    """A small base map around the hot spot, as the files `halo load basemap` reads: a lake
    and a primary street crossing it."""
    lon, lat = city.hotspot
    ring = [[lon - 0.01, lat - 0.005], [lon + 0.01, lat - 0.005], [lon + 0.01, lat + 0.005],
            [lon - 0.01, lat + 0.005], [lon - 0.01, lat - 0.005]]  # fmt: skip
    lake = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    street = {
        "type": "Feature",
        "properties": {"highway": "primary", "name": "Provgatan"},
        "geometry": {"type": "LineString", "coordinates": [[lon - 0.02, lat], [lon + 0.02, lat]]},
    }
    files = folder / "streets.geojson", folder / "water.geojson"
    for path, feature in zip(files, (street, lake), strict=True):
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return files


def halo_load_basemap(city: MapCity, files: tuple[Path, Path]) -> None:
    """`halo load basemap` as the operator runs it (a real process)."""
    streets, water = files
    done = halo(
        "load", "basemap", "--streets", str(streets), "--water", str(water), env=db_env(city.db)
    )
    assert done.returncode == 0, done.stderr


def tile_templates(http: httpx.Client) -> dict[str, str]:
    """Each layer's TileJSON tile URL, without the server's origin (servers differ by port)."""
    templates = {}
    for name in (*BASE_MAP, "risk"):
        url = httpx.URL(http.get(f"/tiles/{name}.json").json()["tiles"][0])
        templates[name] = f"{url.path}?{url.query.decode()}"
    return templates


def at_hotspot(template: str, city: MapCity, z: int = 14) -> str:
    """The template's tile holding the hot spot."""
    z, x, y = tile_of(*city.hotspot, z)
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def test_the_base_map_keeps_its_urls_and_etags_across_refreshes_until_a_load(
    settings: Settings,
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    no_stores: None,
) -> None:
    store = tmp_path / "tiles"
    monkeypatch.setenv("HALO_MAP_TILE_DIR", str(store))
    gzip = {"Accept-Encoding": "gzip"}
    with map_city(db_factory, template_db) as own:
        files = write_basemap(tmp_path, own)
        halo_load_basemap(own, files)
        first = refresh_risk(own.db.owner_url, AS_OF)
        with map_api(settings, own, tile_dir=store) as http:  # the full path (clock at 0 s)
            before = tile_templates(http)
            versions = {name: template.split("?v=")[1] for name, template in before.items()}
            assert versions["water"] == versions["streets"] != str(first.id) == versions["risk"]
            assert versions["water"].startswith("b")  # the base map's load, not the generation
            tiles = {name: http.get(at_hotspot(before[name], own), headers=gzip) for name in before}
            for name, tile in tiles.items():
                assert tile.status_code == 200 and decode(tile.content)[name]["features"]
                assert "immutable" in tile.headers["cache-control"]

            for _ in range(2):
                refresh_risk(own.db.owner_url, AS_OF)
            after = tile_templates(http)
            assert after["risk"] != before["risk"]
            assert {n: after[n] for n in BASE_MAP} == {n: before[n] for n in BASE_MAP}
            for name in BASE_MAP:
                path, etag = at_hotspot(after[name], own), tiles[name].headers["etag"]
                again = http.get(path, headers={**gzip, "If-None-Match": etag})
                assert again.status_code == 304 and again.headers["etag"] == etag
                assert "immutable" in again.headers["cache-control"]
                fresh = http.get(path, headers=gzip)
                assert fresh.headers["etag"] == etag and fresh.content == tiles[name].content
                assert fresh.headers["x-halo-cache"] == "store"  # carried to the new generation
                # A version that is not the current one (an old generation's, an unknown one):
                # today's tile, revalidated, never immutable.
                for stale in (str(first.id), "b0123456789abcdef"):
                    odd = http.get(path.replace(path.split("?v=")[1], stale), headers=gzip)
                    assert odd.status_code == 200 and odd.headers["etag"] == etag
                    assert "must-revalidate" in odd.headers["cache-control"]
            risk_path = at_hotspot(after["risk"], own)
            risk = http.get(
                risk_path, headers={**gzip, "If-None-Match": tiles["risk"].headers["etag"]}
            )
            assert risk.status_code == 200 and risk.headers["etag"] != tiles["risk"].headers["etag"]

        # A worker started now answers on the fast path (not access-logged) with the same
        # ETag and 304 as before the two refreshes.
        caplog.set_level(logging.INFO, logger="halo.api.access")
        with map_api(settings, own, tile_dir=store, generation_check_s=60) as http:
            assert tile_templates(http) == after  # the TileJSON's route looks the version up
            full_id = secrets.token_hex(8)
            http.get("/tiles/water.json", headers={"X-Request-ID": full_id})
            assert any(getattr(r, "request_id", None) == full_id for r in caplog.records)
            for name in BASE_MAP:
                path, etag = at_hotspot(after[name], own), tiles[name].headers["etag"]
                request_id = secrets.token_hex(8)
                fast = http.get(path, headers={**gzip, "X-Request-ID": request_id})
                assert fast.headers["etag"] == etag and fast.content == tiles[name].content
                assert "immutable" in fast.headers["cache-control"]
                assert not any(getattr(r, "request_id", None) == request_id for r in caplog.records)
                assert http.get(path, headers={"If-None-Match": etag}).status_code == 304

            # A new load of the same files: new identities, so the next refresh renders the
            # base map again, under a new version.
            halo_load_basemap(own, files)
            refresh_risk(own.db.owner_url, AS_OF)
        with map_api(settings, own, tile_dir=store) as http:
            reloaded = tile_templates(http)
            for name in BASE_MAP:
                assert reloaded[name] != after[name]
                etag = tiles[name].headers["etag"]
                old_url = http.get(
                    at_hotspot(after[name], own), headers={**gzip, "If-None-Match": etag}
                )
                assert old_url.status_code == 200 and old_url.headers["etag"] != etag
                assert "must-revalidate" in old_url.headers["cache-control"]
                new = http.get(at_hotspot(reloaded[name], own), headers=gzip)
                assert new.headers["etag"] == old_url.headers["etag"]
                assert "immutable" in new.headers["cache-control"]
                assert decode(new.content)[name]["features"]
        assert last_refresh_details(own)["prerender"]["carried"] == 0  # the reload rendered them


def test_the_proxy_keeps_the_base_map_across_refreshes_and_fetches_it_after_a_load(
    settings: Settings,
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_stores: None,
) -> None:
    if nginx_binary() is None:
        pytest.skip("nginx is not installed")
    store = tmp_path / "tiles"
    monkeypatch.setenv("HALO_MAP_TILE_DIR", str(store))
    with map_city(db_factory, template_db) as own:
        files = write_basemap(tmp_path, own)
        halo_load_basemap(own, files)
        refresh_risk(own.db.owner_url, AS_OF)
        with map_api(settings, own, tile_dir=store) as halo_api:
            upstream = str(halo_api.base_url).removeprefix("http://")
            with (
                nginx_proxy(upstream, free_port()) as base,
                httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as proxy,
            ):

                def cache_status() -> dict[str, str]:
                    """The proxy's answer for each layer's tile at the TileJSON's URL now."""
                    templates = tile_templates(halo_api)
                    return {
                        name: proxy.get(at_hotspot(templates[name], own)).headers["x-proxy-cache"]
                        for name in templates
                    }

                assert set(cache_status().values()) == {"MISS"}
                assert set(cache_status().values()) == {"HIT"}
                for _ in range(2):
                    refresh_risk(own.db.owner_url, AS_OF)
                # The base map from the proxy's cache, not asked of Halo; the risk anew.
                assert cache_status() == {"water": "HIT", "streets": "HIT", "risk": "MISS"}
                halo_load_basemap(own, files)
                refresh_risk(own.db.owner_url, AS_OF)
                assert set(cache_status().values()) == {"MISS"}


def test_with_redis_alone_the_base_map_keeps_its_version_across_refreshes(
    settings: Settings,
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    monkeypatch: pytest.MonkeyPatch,
    no_stores: None,
) -> None:
    with redis_server() as redis_url, map_city(db_factory, template_db) as own:
        monkeypatch.setenv("HALO_MAP_REDIS_URL", redis_url)
        load_water_around(own)
        refresh_risk(own.db.owner_url, AS_OF)
        with map_api(settings, own, redis_url=redis_url) as http:
            before = tile_templates(http)
            path = at_hotspot(before["water"], own, 12)
            etag = http.get(path).headers["etag"]
            refresh_risk(own.db.owner_url, AS_OF)
            assert tile_templates(http)["water"] == before["water"]
            assert tile_templates(http)["risk"] != before["risk"]
            again = http.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304 and again.headers["etag"] == etag
            assert "immutable" in again.headers["cache-control"]


def test_a_changed_base_map_function_renders_the_base_map_again_under_a_new_version(
    settings: Settings,
    db_factory: DatabaseFactory,
    template_db: ScratchDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_stores: None,
) -> None:
    monkeypatch.setenv("HALO_MAP_TILE_DIR", str(tmp_path))
    with map_city(db_factory, template_db) as own:
        load_water_around(own)
        refresh_risk(own.db.owner_url, AS_OF)
        with map_api(settings, own, tile_dir=tmp_path) as http:
            before = tile_templates(http)
            # What a migration redrawing the water does: a new definition of its function.
            with psycopg.connect(own.db.owner_url) as conn:
                row = conn.execute(
                    "SELECT pg_get_functiondef('tiles.tile_water(int, int, int)'::regprocedure)"
                ).fetchone()
                assert row is not None and "\nBEGIN\n" in row[0]
                conn.execute(row[0].replace("\nBEGIN\n", "\nBEGIN -- redrawn\n", 1))
            refresh_risk(own.db.owner_url, AS_OF)
            after = tile_templates(http)
        assert last_refresh_details(own)["prerender"]["carried"] == 0
    assert after["water"] != before["water"] and after["streets"] != before["streets"]


def test_a_worker_warms_its_memory_and_serves_it_on_the_fast_path(
    settings: Settings, city: MapCity
) -> None:
    planned = len(the_set(city))
    with map_api(settings, city, prerender_on_serve=True, generation_check_s=60) as http:
        # Counters are per process, and tests share theirs: compare against a baseline.
        baseline = misses_of_the_set(http)
        http.get("/tiles/risk.json")  # the worker sees the generation: its warm-up starts
        deadline = time.monotonic() + 120
        while misses_of_the_set(http) < baseline + planned:
            assert time.monotonic() < deadline, "warm-up did not finish"
            time.sleep(0.2)
        assert misses_of_the_set(http) == baseline + planned
        hits = metric(http, HITS)
        path = hotspot_path(city, 15)
        fast = http.get(path, headers={"Accept-Encoding": "gzip", "X-Request-ID": "fastpath-1"})
        assert fast.status_code == 200
        assert fast.headers["x-halo-cache"] == "memory"
        assert fast.headers["content-encoding"] == "gzip"
        assert fast.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        assert fast.headers["x-request-id"] == "fastpath-1"
        assert (
            fast.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        )
        assert fast.headers["x-content-type-options"] == "nosniff"
        assert fast.headers["vary"] == "Accept-Encoding"
        assert "must-revalidate" in fast.headers["cache-control"]
        assert decode(fast.content)["risk"]["features"]
        assert metric(http, HITS) == hits + 1
        assert misses_of_the_set(http) == baseline + planned
        again = http.get(path, headers={"If-None-Match": fast.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        # An unknown layer or a tile off the matrix still gets the full path's answers.
        assert http.get("/tiles/nosuch/15/1/1.mvt").status_code == 404
        assert http.get("/tiles/risk/15/99999/1.mvt").status_code == 404


def test_fast_path_keeps_the_rate_limit(settings: Settings, city: MapCity) -> None:
    limits = settings.rate_limits.model_copy(
        update={"enabled": True, "tiles_requests": 6, "tiles_lease": 2, "tiles_window_s": 600}
    )
    config = settings_for(settings, city.db)
    config = config.model_copy(
        update={
            "map": config.map.model_copy(update={"generation_check_s": 60.0}),
            "rate_limits": limits,
        }
    )
    path = hotspot_path(city, 13)
    with live_server(config) as http:
        answers = [http.get(path) for _ in range(10)]
    # Served from memory after the first, yet the seventh is refused like on the full path.
    assert [a.status_code for a in answers] == [200] * 6 + [429] * 4
    assert "memory" in {a.headers.get("x-halo-cache") for a in answers[:6]}
    assert all(a.headers["retry-after"] for a in answers[6:])


@pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (Debian nginx-light)")
def test_nginx_caches_tiles_and_revalidates_with_halos_etag(
    settings: Settings, city: MapCity
) -> None:
    path = hotspot_path(city, 14)
    with map_api(settings, city, unversioned_max_age_s=1) as halo:
        upstream = str(halo.base_url).removeprefix("http://")
        with (
            nginx_proxy(upstream, free_port()) as base,
            httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as proxy,
        ):
            first = proxy.get(path)
            second = proxy.get(path)
            assert (first.headers["x-proxy-cache"], second.headers["x-proxy-cache"]) == (
                "MISS",
                "HIT",
            )
            assert second.headers["etag"] == first.headers["etag"]
            assert second.content == first.content
            time.sleep(2.1)  # past Halo's max-age: nginx asks Halo with If-None-Match
            assert proxy.get(path).headers["x-proxy-cache"] == "REVALIDATED"
            with psycopg.connect(city.db.owner_url) as conn:
                conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
            time.sleep(2.1)
            renewed = proxy.get(path)
            assert renewed.headers["x-proxy-cache"] == "EXPIRED"
            assert renewed.headers["etag"] != first.headers["etag"]
            generation = renewed.headers["etag"].split("-")[1].removeprefix("g")
            versioned = f"{path}?v={generation}"
            proxy.get(versioned)
            cached = proxy.get(versioned)
            assert cached.headers["x-proxy-cache"] == "HIT"
            assert "immutable" in cached.headers["cache-control"]
