"""The place gazetteer: load the curated places (Stockholm's, for polisen.se text), read the
gazetteer for geocoding.

The curated list (stockholm_places.csv, next to this module) is Halo's own data: squares,
stations, streets and landmarks as a WGS84 point with an uncertainty radius, areas such as
Järva as the union of named districts, and extra names (aliases) of districts ("Vasastan").
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipeline.ingest.geocode import GazetteerEntry

log = logging.getLogger("halo.ingest.gazetteer")

CURATED_PLACES_FILE = Path(__file__).with_name("stockholm_places.csv")
CURATED_KINDS = frozenset({"square", "station", "area", "street", "landmark"})
_COLUMNS = ("name", "kind", "lat", "lon", "radius_m", "districts", "aliases", "in_district")


class GazetteerError(ValueError):
    """A curated place list that cannot be loaded."""


@dataclass(frozen=True)
class CuratedPlace:
    """One row of the curated place list."""

    line: int
    name: str
    kind: str
    lat: float | None
    lon: float | None
    radius_m: float
    districts: tuple[str, ...]
    aliases: tuple[str, ...]
    in_district: str | None


def read_curated_places(path: Path = CURATED_PLACES_FILE) -> list[CuratedPlace]:
    """The curated places of a CSV file, validated; errors name the line."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            raise GazetteerError(f"{path}: header must be {','.join(_COLUMNS)}")
        return [_curated_place(row, reader.line_num) for row in reader]


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _curated_place(row: dict[str, str], line: int) -> CuratedPlace:
    name, kind = (row["name"] or "").strip(), (row["kind"] or "").strip()
    if not name or kind not in CURATED_KINDS | {"district"}:
        raise GazetteerError(f"line {line}: needs a name and a kind among {sorted(CURATED_KINDS)}")
    place = CuratedPlace(
        line=line,
        name=name,
        kind=kind,
        lat=float(row["lat"]) if row["lat"] else None,
        lon=float(row["lon"]) if row["lon"] else None,
        radius_m=float(row["radius_m"]) if row["radius_m"] else 0.0,
        districts=_split(row["districts"]),
        aliases=_split(row["aliases"]),
        in_district=(row["in_district"] or "").strip() or None,
    )
    is_point = place.lat is not None and place.lon is not None
    if kind != "district" and is_point == bool(place.districts):
        raise GazetteerError(f"line {line}: {name}: give either lat/lon or districts")
    if is_point and not (-90 <= (place.lat or 0) <= 90 and -180 <= (place.lon or 0) <= 180):
        raise GazetteerError(f"line {line}: {name}: coordinates outside the world")
    return place


def load_gazetteer(conn: psycopg.Connection, places: list[CuratedPlace]) -> dict[str, int]:
    """Upsert the curated places and district aliases in the caller's transaction; counts."""
    if not conn.execute("SELECT 1 FROM ref.districts LIMIT 1").fetchone():
        raise GazetteerError("no districts loaded: run `halo load boundaries` first")
    conn.execute("UPDATE ref.places SET aliases = '{}' WHERE kind = 'district' AND aliases <> '{}'")
    counts = {"district_aliases": 0, "places": 0, "stale_places_removed": 0}
    for place in places:
        if place.kind == "district":
            _set_district_aliases(conn, place)
            counts["district_aliases"] += len(place.aliases)
        else:
            conn.execute(
                "SELECT ref.upsert_curated_place("
                "%s, %s, %s::float8, %s::float8, %s::real, %s::text[], %s::text[])",
                (
                    place.name,
                    place.kind,
                    place.lon,
                    place.lat,
                    place.radius_m,
                    list(place.districts),
                    list(place.aliases),
                ),
            )
            counts["places"] += 1
    counts["stale_places_removed"] = _remove_stale_places(conn, places)
    return counts


def _set_district_aliases(conn: psycopg.Connection, place: CuratedPlace) -> None:
    updated = conn.execute(
        "UPDATE ref.places SET aliases = %s"
        " WHERE kind = 'district' AND name_key = ref.normalize_name(%s)",
        (list(place.aliases), place.name),
    ).rowcount
    if updated != 1:
        raise GazetteerError(f"line {place.line}: no district named {place.name!r}")


def _remove_stale_places(conn: psycopg.Connection, places: list[CuratedPlace]) -> int:
    """Delete curated places dropped from the list, unless incidents refer to them."""
    listed = [p for p in places if p.kind != "district"]
    cursor = conn.execute(
        """
        DELETE FROM ref.places p
         WHERE p.kind = ANY(%s)
           AND NOT EXISTS (SELECT 1 FROM unnest(%s::text[], %s::text[]) AS k(name, kind)
                            WHERE ref.normalize_name(k.name) = p.name_key AND k.kind = p.kind)
           AND NOT EXISTS (SELECT 1 FROM raw.incidents i WHERE i.place_id = p.id)
        """,
        (sorted(CURATED_KINDS), [p.name for p in listed], [p.kind for p in listed]),
    )
    return cursor.rowcount


def read_gazetteer(conn: psycopg.Connection) -> list[GazetteerEntry]:
    """Every place of the ref.gazetteer view, as the geocoder uses it."""
    rows = conn.execute(
        """
        SELECT place_id, name, kind, aliases, district_id, district_ids, municipality_code,
               county_code, centre_lon, centre_lat, extent_m
          FROM ref.gazetteer ORDER BY place_id
        """
    ).fetchall()
    return [
        GazetteerEntry(
            place_id=row[0],
            name=row[1],
            kind=row[2],
            aliases=tuple(row[3]),
            district_id=row[4],
            district_ids=frozenset(row[5]),
            municipality_code=row[6],
            county_code=row[7],
            centre=(row[8], row[9]),
            extent_m=float(row[10]),
        )
        for row in rows
    ]


def load_curated_gazetteer(database_url: str, path: Path = CURATED_PLACES_FILE) -> dict[str, int]:
    """Read the curated list and load it in one transaction."""
    places = read_curated_places(path)
    with psycopg.connect(database_url) as conn, conn.transaction():
        counts = load_gazetteer(conn, places)
    log.info("gazetteer loaded: %s", counts)
    return counts
