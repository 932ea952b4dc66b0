"""Load the base map (streets, water) from GeoJSON files into the basemap schema.

Read by path from the data directory (never copied into the repository). The SQL functions
basemap.replace_streets / replace_water merge, subdivide and replace in one transaction, so a
re-run gives the same tables and a failed load leaves the previous base map in place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb

from pipeline.ingest.boundaries import BoundaryError, read_geojson

log = logging.getLogger("halo.ingest.basemap")

STREETS_FILE = "basemap/streets.geojson"
WATER_FILE = "basemap/water.geojson"


class BasemapError(ValueError):
    """A base-map file that cannot be loaded."""


@dataclass(frozen=True)
class BasemapCounts:
    """What a base-map load wrote."""

    street_edges: int
    street_lines: int
    water_pieces: int


def load_basemap(database_url: str, streets: str | Path, water: str | Path) -> BasemapCounts:
    """Replace the streets and the water with the features of the two files."""
    try:
        street_features = read_geojson(streets)["features"]
        water_features = read_geojson(water)["features"]
    except BoundaryError as exc:
        raise BasemapError(str(exc)) from None
    if not street_features or not water_features:
        raise BasemapError("a base-map file has no features")
    with psycopg.connect(database_url) as conn, conn.transaction():
        lines = conn.execute(
            "SELECT basemap.replace_streets(%s)", (Jsonb(street_features),)
        ).fetchone()
        pieces = conn.execute(
            "SELECT basemap.replace_water(%s)", (Jsonb(water_features),)
        ).fetchone()
        conn.execute("ANALYZE basemap.streets")
        conn.execute("ANALYZE basemap.water")
    counts = BasemapCounts(
        len(street_features), lines[0] if lines else 0, pieces[0] if pieces else 0
    )
    log.info("basemap loaded: %s", counts)
    return counts
