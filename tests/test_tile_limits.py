"""Tiles stay small where incidents are dense: below zoom 16 the incidents layer draws counts
per H3 cell (all of them, adding up); a zoom-16 tile of more than 2,000 incidents draws the
counts of the base cells overlapping it instead of points."""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import psycopg

from tests.support.dbtools import ScratchDatabase
from tests.support.map_support import tile_of
from tests.support.synthetic_city import AS_OF, make_city

DENSE = 2500
# 2,500 points in 50 x 50 steps inside one zoom-16 tile of central Västra.
WEST, SOUTH, STEP_LON, STEP_LAT = 18.0625, 59.3290, 0.00005, 0.00001


def test_a_dense_spot_is_counted_below_zoom_16_and_in_its_zoom_16_tile(
    db: ScratchDatabase,
) -> None:
    corners = {tile_of(WEST, SOUTH, 16), tile_of(WEST + 50 * STEP_LON, SOUTH + 50 * STEP_LAT, 16)}
    assert len(corners) == 1, "the dense spot must lie in one zoom-16 tile"
    with psycopg.connect(db.owner_url) as conn:
        make_city(conn)
        conn.execute(
            "INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,"
            " occurred_at, first_seen_at, location_support, point_geom, h3_cell, raw_payload)"
            " SELECT 1, 'dense-' || g, 'test', 'theft', 0.4, t, t, 'point', p,"
            " h3_lat_lng_to_cell(p, 10), '{}'"
            " FROM generate_series(1, %(n)s) g,"
            " LATERAL (SELECT %(as_of)s::timestamptz - g * interval '1 hour' AS t,"
            " ST_SetSRID(ST_Point(%(w)s + (g %% 50) * %(dx)s, %(s)s + (g / 50) * %(dy)s),"
            " 4326) AS p) x",
            {"n": DENSE, "as_of": AS_OF, "w": WEST, "s": SOUTH, "dx": STEP_LON, "dy": STEP_LAT},
        )
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))

        def layer(z: int, x: int, y: int) -> list[dict[str, Any]]:
            tile = conn.execute("SELECT tiles.tile_incidents(%s, %s, %s)", (z, x, y)).fetchone()
            assert tile is not None
            decoded = mapbox_vector_tile.decode(bytes(tile[0]))
            return list(decoded["incidents"]["features"]) if decoded else []

        (points_tile,) = corners
        points = layer(*points_tile)
        _, x13, y13 = tile_of(WEST, SOUTH, 13)
        counts = {
            f["id"]: f["properties"]["count"]
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for f in layer(13, x13 + dx, y13 + dy)
        }
        dense_cells = conn.execute(
            "SELECT count(DISTINCT h3_cell_to_parent(h3_lat_lng_to_cell(point_geom::point, 9), 8))"
            " FROM raw.incidents WHERE external_id LIKE 'dense-%%'"
        ).fetchone()
    # At zoom 16: 2,500 incidents in the tile, so the counts of the base cells it overlaps,
    # which hold all of them.
    assert points and all(f["properties"]["resolution"] == 9 for f in points)
    assert sum(f["properties"]["count"] for f in points) >= DENSE
    # At zoom 13: a handful of counted cells instead of thousands of points; nothing dropped.
    assert dense_cells is not None and len(counts) >= dense_cells[0]
    assert sum(counts.values()) >= DENSE
    assert max(counts.values()) > 100
