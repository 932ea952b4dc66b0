"""Tiles stay small where incidents are dense: the incidents layer keeps the newest 2,000."""

from __future__ import annotations

import mapbox_vector_tile
import psycopg

from tests.support.dbtools import ScratchDatabase
from tests.support.synthetic_city import AS_OF, make_city

# The z13 tile holding central Västra (lon 18.0615-18.1055, lat about 59.33).
TILE = (13, 4507, 2409)


def test_a_dense_incidents_tile_keeps_the_2000_most_recent(db: ScratchDatabase) -> None:
    with psycopg.connect(db.owner_url) as conn:
        make_city(conn)
        conn.execute(
            "INSERT INTO raw.incidents (source_id, external_id, event_type, category, severity,"
            " occurred_at, first_seen_at, location_support, point_geom, h3_cell, raw_payload)"
            " SELECT 1, 'dense-' || g, 'test', 'theft', 0.4, t, t, 'point', p,"
            " h3_lat_lng_to_cell(p, 10), '{}'"
            " FROM generate_series(1, 2500) g,"
            " LATERAL (SELECT %s::timestamptz - g * interval '1 hour' AS t,"
            " ST_SetSRID(ST_Point(18.063 + (g %% 50) * 0.0002, 59.329 + (g / 50) * 0.00004),"
            " 4326) AS p) x",
            (AS_OF,),
        )
        conn.execute("SELECT risk.refresh_all(%s)", (AS_OF,))
        tile = conn.execute("SELECT tiles.tile_incidents(%s, %s, %s)", TILE).fetchone()[0]
    features = mapbox_vector_tile.decode(bytes(tile))["incidents"]["features"]
    assert len(features) == 2000
    weeks = sorted(f["properties"]["week"] for f in features)
    # The oldest kept is about 2,000 hours (12 weeks) before the as-of time, not 2,500.
    assert weeks[0] >= "2025-W14"
