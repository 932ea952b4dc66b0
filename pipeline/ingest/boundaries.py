"""Load a city's districts and Sweden's municipalities from GeoJSON files or URLs.

Geometries become valid MultiPolygons in EPSG:4326 (ref.multipolygon_from_geojson); rows are
upserted by SCB code or normalized name, so a re-run replaces rather than duplicates and
keeps the ids incidents and places refer to. Municipality codes and names come from the SCB
properties `KnKod`/`KnNamn` (attribution "Källa: SCB"); districts from the property `name`,
each tied to the city named (`halo city add --districts`) or to the city whose boundary holds
it, and to the municipality that holds it.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from pipeline.ingest.counties import COUNTY_NAMES

log = logging.getLogger("halo.ingest.boundaries")

DISTRICTS_FILE = "boundaries/stockholm_stadsdelar_utan_vatten_simplified.geojson"
MUNICIPALITIES_FILE = "boundaries/sweden_kommuner_scb.geojson"
DISTRICT_SOURCE_NOTE = "Stockholms stad, Stadskarta (CC0 1.0)"

_LON_LAT_CRS = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"}
# Generic words that Swedish writes in lower case after a place name: "Hässelby gård".
_LOWER_CASE_WORDS = frozenset(
    {"gård", "strand", "villastad", "kyrka", "stan", "slott", "industriområde"}
)
# Abbreviations in the source's upper-case names, written out.
_ABBREVIATIONS = {"industriomr": "industriområde"}


class BoundaryError(ValueError):
    """A boundary file that cannot be loaded (unreadable, not GeoJSON, wrong CRS, bad feature)."""


@dataclass(frozen=True)
class BoundaryCounts:
    """What a boundary load wrote."""

    municipalities: int
    districts: int
    stale_kept: int
    places: int


def read_geojson(source: str | Path, timeout_s: float = 60.0) -> dict[str, Any]:
    """A FeatureCollection from a local path or an http(s) URL, with its CRS checked."""
    text = _read_text(str(source), timeout_s)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryError(f"{source}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BoundaryError(f"{source}: not a GeoJSON FeatureCollection")
    crs = (document.get("crs") or {}).get("properties", {}).get("name")
    if crs is not None and crs not in _LON_LAT_CRS:
        raise BoundaryError(f"{source}: CRS {crs} is not lon/lat WGS84 (CRS84 / EPSG:4326)")
    return document


def _read_text(source: str, timeout_s: float) -> str:
    if source.startswith(("https://", "http://")):
        request = urllib.request.Request(  # noqa: S310 (http/https checked above)
            source, headers={"User-Agent": "Halo boundary loader"}
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            body: bytes = response.read()
            return body.decode("utf-8")
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise BoundaryError(f"{source}: {exc.strerror}") from None


def display_name(upper_case_name: str) -> str:
    """A district name as people write it: "HÄSSELBY GÅRD" -> "Hässelby gård"."""
    words = [_ABBREVIATIONS.get(w.lower(), w) for w in upper_case_name.split()]
    shown = []
    for position, word in enumerate(words):
        if position > 0 and word.lower() in _LOWER_CASE_WORDS:
            shown.append(word.lower())
        else:
            shown.append("-".join(part[:1].upper() + part[1:].lower() for part in word.split("-")))
    return " ".join(shown)


def load_municipalities(conn: psycopg.Connection, document: dict[str, Any]) -> list[str]:
    """Upsert every municipality of an SCB FeatureCollection; their codes."""
    codes = []
    for number, feature in enumerate(document.get("features") or [], start=1):
        properties = feature.get("properties") or {}
        code, name = str(properties.get("KnKod") or ""), properties.get("KnNamn")
        if not re.fullmatch(r"[0-9]{4}", code) or not isinstance(name, str) or not name.strip():
            raise BoundaryError(f"municipality feature {number}: needs KnKod (4 digits) and KnNamn")
        conn.execute(
            "SELECT ref.upsert_municipality(%s, %s, %s)",
            (code, name.strip(), geometry_text(feature, number)),
        )
        codes.append(code)
    if not codes:
        raise BoundaryError("the municipality file has no features")
    return codes


def load_districts(
    conn: psycopg.Connection, document: dict[str, Any], source: str, city_id: int | None = None
) -> list[str]:
    """Upsert every district of a FeatureCollection (property `name`); their display names."""
    names = []
    for number, feature in enumerate(document.get("features") or [], start=1):
        raw_name = (feature.get("properties") or {}).get("name")
        if not isinstance(raw_name, str) or not raw_name.strip():
            raise BoundaryError(f"district feature {number}: needs a `name` property")
        name = display_name(raw_name)
        conn.execute(
            "SELECT ref.upsert_district(%s, %s, %s, %s)",
            (name, geometry_text(feature, number), source, city_id),
        )
        names.append(name)
    if not names:
        raise BoundaryError("the district file has no features")
    return names


def geometry_text(feature: dict[str, Any], number: int) -> str:
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryError(f"feature {number}: geometry is not a Polygon or MultiPolygon")
    return json.dumps(geometry)


# The districts of the same city as the file's (another city's districts are never stale).
_SAME_CITY = """
    EXISTS (SELECT 1 FROM ref.districts k
             WHERE k.name_key IN (SELECT ref.normalize_name(n) FROM unnest(%(kept)s::text[]) n)
               AND k.city_id IS NOT DISTINCT FROM d.city_id)
"""


def remove_stale_districts(
    conn: psycopg.Connection, kept_names: list[str], city_id: int | None = None
) -> int:
    """Delete the city's districts no longer in the file unless incidents refer to them (the
    city: the one given, else those of the file's districts); how many stay."""
    scope = "d.city_id = %(city)s" if city_id is not None else _SAME_CITY
    conn.execute(
        f"""
        DELETE FROM ref.districts d
         WHERE d.name_key <> ALL (SELECT ref.normalize_name(n) FROM unnest(%(kept)s::text[]) n)
           AND {scope}
           AND NOT EXISTS (SELECT 1 FROM raw.incidents i WHERE i.district_id = d.id)
           AND NOT EXISTS (SELECT 1 FROM raw.incidents i JOIN ref.places p ON p.id = i.place_id
                            WHERE p.district_id = d.id)
        """,  # noqa: S608 (scope is one of two constants)
        {"kept": kept_names, "city": city_id},
    )
    row = conn.execute(
        f"""
        SELECT count(*) FROM ref.districts d
         WHERE d.name_key <> ALL (SELECT ref.normalize_name(n) FROM unnest(%(kept)s::text[]) n)
           AND {scope}
        """,  # noqa: S608 (scope is one of two constants)
        {"kept": kept_names, "city": city_id},
    ).fetchone()
    return int(row[0]) if row else 0


def load_boundaries(
    database_url: str, districts: str | Path, municipalities: str | Path, county_code: str = "01"
) -> BoundaryCounts:
    """Load both files in one transaction and refresh their gazetteer rows."""
    municipality_document = read_geojson(municipalities)
    district_document = read_geojson(districts)
    with psycopg.connect(database_url) as conn, conn.transaction():
        codes = load_municipalities(conn, municipality_document)
        names = load_districts(conn, district_document, _source_label(districts))
        stale = remove_stale_districts(conn, names)
        row = conn.execute(
            "SELECT ref.sync_boundary_places(%s, %s)", (county_code, COUNTY_NAMES[county_code])
        ).fetchone()
    if stale:
        log.warning("kept %d districts missing from the file: incidents refer to them", stale)
    return BoundaryCounts(len(codes), len(names), stale, int(row[0]) if row else 0)


def _source_label(source: str | Path) -> str:
    return f"{DISTRICT_SOURCE_NOTE}: {Path(str(source)).name}"
