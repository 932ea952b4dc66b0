"""The map tests' city: the synthetic city with a hot spot, refreshed; tile maths; MVT decoding."""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg
import pytest
import redis

from config.settings import Settings
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.live_server import free_port, live_server
from tests.support.synthetic_city import AS_OF, add_area, add_hotspot_history, make_city

# A circular district east of the two boxes: many vertices, so simplification shows.
ROUND_DISTRICT_SQL = """
INSERT INTO ref.districts (name, name_key, municipality_code, geom, area_km2, source, city_id)
SELECT 'Runda', 'runda', '0180', g, ST_Area(g::geography) / 1e6, 'test',
       (SELECT id FROM ref.cities WHERE code = 'stockholm')
  FROM (SELECT ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(18.125, 59.33), 4326), 0.01, 64)) AS g) c
RETURNING id
"""
# 150 exact points at the centre of a neighbour of the hot spot's cell: two adjacent alert
# cells, so the alert zone is a merge of several cells.
NEIGHBOUR_HOTSPOT_SQL = """
INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,
    occurred_at, first_seen_at, location_support, point_geom, h3_cell, raw_payload)
SELECT 1, 'n' || i, 'test', 'robbery', 0.9, %(as_of)s - i * interval '2 days',
       %(as_of)s - i * interval '2 days', 'point', p.g, h3_lat_lng_to_cell(p.g, 10), '{}'
  FROM generate_series(1, 150) AS i,
       (SELECT ST_SetSRID(h3_cell_to_geometry(n), 4326) AS g
          FROM h3_grid_disk(h3_lat_lng_to_cell(ST_SetSRID(ST_Point(%(lon)s, %(lat)s), 4326), 9), 1)
               AS n
         WHERE n <> h3_lat_lng_to_cell(ST_SetSRID(ST_Point(%(lon)s, %(lat)s), 4326), 9)
         ORDER BY n LIMIT 1) p
"""


@dataclass(frozen=True)
class MapCity:
    """What the map tests know about the seeded database."""

    db: ScratchDatabase
    hotspot: tuple[float, float]  # lon, lat
    district_ids: dict[str, int]
    district_incident: str  # external id of a district-support incident


def seed_map_city(owner_url: str) -> tuple[tuple[float, float], dict[str, int]]:
    """The synthetic city, a round district, hot spots and a district-only incident; refreshed."""
    with psycopg.connect(owner_url) as conn:
        ids = make_city(conn)
        row = conn.execute(ROUND_DISTRICT_SQL).fetchone()
        ids["Runda"] = row[0]
        hotspot = add_hotspot_history(conn)
        params = {"as_of": AS_OF, "lon": hotspot[0], "lat": hotspot[1]}
        conn.execute(NEIGHBOUR_HOTSPOT_SQL, params)
        add_area(
            conn, "district-only", "district", AS_OF - timedelta(days=3), district_id=ids["Östra"]
        )
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
    return hotspot, ids


@contextmanager
def map_city(factory: DatabaseFactory, template: ScratchDatabase) -> Iterator[MapCity]:
    """A seeded clone of the migrated template, dropped afterwards."""
    db = factory.create(template=template.name)
    try:
        hotspot, ids = seed_map_city(db.owner_url)
        yield MapCity(db, hotspot, ids, "district-only")
    finally:
        factory.drop(db.name)


@contextmanager
def map_api(settings: Settings, city: MapCity, **map_fields: object) -> Iterator[httpx.Client]:
    """A live API on the city's database; generation re-read on every request by default."""
    base = settings_for(settings, city.db)
    fields = {"generation_check_s": 0.0, "prerender_on_serve": False, **map_fields}
    config = base.model_copy(
        update={
            "map": base.map.model_copy(update=fields),
            "rate_limits": base.rate_limits.model_copy(update={"enabled": False}),
        }
    )
    with live_server(config) as client:
        yield client


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the tile holding a point (Web Mercator, XYZ scheme)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    lat_r = math.radians(lat)
    y = int((1 - math.log(math.tan(lat_r) + 1 / math.cos(lat_r)) / math.pi) / 2 * n)
    return z, x, y


def decode(content: bytes) -> dict[str, Any]:
    """The layers of an MVT tile, geometry in tile coordinates (y down, as in the tile)."""
    layers: dict[str, Any] = mapbox_vector_tile.decode(
        content, default_options={"y_coord_down": True}
    )
    return layers


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a loopback port (Debian package redis-server); its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (optional tile cache)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def metric(client: httpx.Client, name: str, layer: str = "risk") -> float:
    """A per-layer tile counter (e.g. halo_tile_cache_misses_total) from /metrics."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'{name}{{layer="{layer}"}}'):
            return float(line.split()[-1])
    return 0.0
