"""Add or update a city: its boundary, time zone, municipalities, default view, districts and
sources, in one transaction (bad input writes nothing).

Re-adding a code replaces the city's row with what the command gives (a missing --boundary
means "no boundary": the study area then comes from the cells where its sources located
incidents, plus one ring; a missing --alert-area means the default 5 % cap on its alert
zones; a missing --emergency or --police means none stated: residents are then told 112).
Districts given with it are upserted by name and tied to the city; the city's districts
missing from the file are removed unless incidents refer to them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from pipeline.ingest.boundaries import (
    BoundaryError,
    geometry_text,
    load_districts,
    read_geojson,
    remove_stale_districts,
)
from pipeline.risk.alert_rule import DEFAULT_ALERT_AREA

CODE_PATTERN = re.compile(r"[a-z0-9_-]{1,40}")
MAX_NAME_CHARS = 200
# ref.cities.alert_area's CHECK: alert zones over half a city would not be alerts.
MAX_ALERT_AREA = 0.5
# ref.cities.emergency_number/police_number's CHECK: what a resident dials, as written locally.
PHONE_PATTERN = re.compile(r"\+?[0-9][0-9 -]{0,18}[0-9]")


@dataclass(frozen=True)
class View:
    """A default map view: centre and zoom."""

    lat: float
    lon: float
    zoom: float


@dataclass(frozen=True)
class CitySpec:
    """Everything `halo city add` states about a city."""

    name: str
    time_zone: str
    code: str | None = None
    boundary: str | Path | None = None
    districts: str | Path | None = None
    municipalities: tuple[str, ...] = ()
    view: View | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)
    alert_area: float = DEFAULT_ALERT_AREA
    emergency_number: str | None = None  # what residents call in an emergency, e.g. "112"
    police_number: str | None = None  # the police's non-emergency number, e.g. "114 14"

    @property
    def city_code(self) -> str:
        """The given code, else the name in lower case without diacritics, with runs of other
        characters as '-' ("Göteborg" -> "goteborg", "New York" -> "new-york")."""
        if self.code:
            return self.code
        plain = unicodedata.normalize("NFKD", self.name.lower()).encode("ascii", "ignore")
        return re.sub(r"[^a-z0-9]+", "-", plain.decode()).strip("-")


@dataclass(frozen=True)
class CityAdded:
    """What `halo city add` wrote."""

    city_id: int
    code: str
    districts: int
    stale_kept: int
    sources: int


def parse_view(text: str) -> View:
    """ "lat,lon,zoom" -> View, with ranges checked."""
    parts = text.split(",")
    try:
        lat, lon, zoom = (float(p) for p in parts)
    except ValueError:
        raise BoundaryError(
            f"--view {text!r}: expected lat,lon,zoom (e.g. 59.33,18.07,11)"
        ) from None
    if not (-85 <= lat <= 85 and -180 <= lon <= 180 and 0 <= zoom <= 22):
        raise BoundaryError(f"--view {text!r}: lat in -85..85, lon in -180..180, zoom in 0..22")
    return View(lat, lon, zoom)


def check_spec(spec: CitySpec) -> None:
    """Refuse a bad name, code or municipality code before anything is read or written."""
    if not spec.name.strip() or len(spec.name) > MAX_NAME_CHARS:
        raise BoundaryError(f"city name must be 1-{MAX_NAME_CHARS} characters")
    if not CODE_PATTERN.fullmatch(spec.city_code):
        raise BoundaryError(f"city code {spec.city_code!r}: use 1-40 of a-z 0-9 _ -")
    for code in spec.municipalities:
        if not re.fullmatch(r"[0-9]{4}", code):
            raise BoundaryError(f"municipality code {code!r}: expected 4 digits (SCB)")
    if not (0 < spec.alert_area <= MAX_ALERT_AREA):  # also refuses NaN
        raise BoundaryError(
            f"--alert-area {spec.alert_area:g}: a share of the city's area,"
            f" 0 < share <= {MAX_ALERT_AREA:g} (e.g. 0.05 for 5 %)"
        )
    numbers = (("--emergency", spec.emergency_number), ("--police", spec.police_number))
    for option, number in numbers:
        if number is not None and not PHONE_PATTERN.fullmatch(number):
            raise BoundaryError(
                f"{option} {number!r}: a phone number of 2-20 digits, spaces or hyphens,"
                " optionally after + (e.g. 112, 114 14, 604-717-3321)"
            )


def boundary_geometries(source: str | Path) -> list[str]:
    """The polygon geometries of a GeoJSON FeatureCollection (their union is the boundary)."""
    document = read_geojson(source)
    features = document.get("features") or []
    if not features:
        raise BoundaryError(f"{source}: the boundary file has no features")
    return [geometry_text(feature, number) for number, feature in enumerate(features, start=1)]


def add_city(database_url: str, spec: CitySpec) -> CityAdded:
    """Upsert the city, then its districts and sources, in one transaction."""
    check_spec(spec)
    geometries = boundary_geometries(spec.boundary) if spec.boundary else []
    districts = read_geojson(spec.districts) if spec.districts else None
    view = spec.view
    with psycopg.connect(database_url) as conn, conn.transaction():
        row = conn.execute(
            "SELECT ref.upsert_city(%s, %s, %s, %s::text[], %s::text[], %s, %s, %s::real)",
            (
                spec.city_code,
                spec.name.strip(),
                spec.time_zone,
                geometries,
                list(spec.municipalities),
                view.lat if view else None,
                view.lon if view else None,
                view.zoom if view else None,
            ),
        ).fetchone()
        assert row is not None
        city_id = int(row[0])
        conn.execute(
            "UPDATE ref.cities SET alert_area = %s, emergency_number = %s, police_number = %s"
            " WHERE id = %s",
            (spec.alert_area, spec.emergency_number, spec.police_number, city_id),
        )
        names: list[str] = []
        stale = 0
        if districts is not None:
            label = f"{spec.name.strip()}: {Path(str(spec.districts)).name}"
            names = load_districts(conn, districts, label, city_id)
            stale = remove_stale_districts(conn, names, city_id)
            conn.execute("SELECT ref.sync_boundary_places(NULL, NULL)")
        linked = link_sources(conn, city_id, spec.sources)
    return CityAdded(city_id, spec.city_code, len(names), stale, linked)


def link_sources(conn: psycopg.Connection, city_id: int, codes: tuple[str, ...]) -> int:
    """Tie the named data sources to the city; an unknown code is refused."""
    if not codes:
        return 0
    rows = conn.execute(
        "UPDATE ref.data_sources SET city_id = %s WHERE code = ANY(%s) RETURNING code",
        (city_id, list(codes)),
    ).fetchall()
    missing = sorted(set(codes) - {r[0] for r in rows})
    if missing:
        raise BoundaryError(
            f"unknown source {', '.join(missing)} (ingest its file first: halo ingest points)"
        )
    return len(rows)


def source_time_zone(database_url: str, source_code: str) -> str | None:
    """The time zone of the city a data source belongs to (None: no such source or city)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT c.time_zone FROM ref.data_sources s JOIN ref.cities c ON c.id = s.city_id"
            " WHERE s.code = %s",
            (source_code,),
        ).fetchone()
    return str(row[0]) if row else None


def city_rows(database_url: str) -> list[tuple[object, ...]]:
    """Every city: code, name, time zone, boundary area km2, districts, sources, view, and its
    alert rule (the cap on its alert zones' share, the reference multiple of the last
    refresh)."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            """
            SELECT c.code, c.name, c.time_zone,
                   round((ST_Area(c.boundary::geography) / 1e6)::numeric, 1),
                   (SELECT count(*) FROM ref.districts d WHERE d.city_id = c.id),
                   (SELECT string_agg(s.code, ',' ORDER BY s.code) FROM ref.data_sources s
                     WHERE s.city_id = c.id),
                   CASE WHEN c.view_lat IS NOT NULL
                        THEN concat_ws(',', c.view_lat, c.view_lon, c.view_zoom) END,
                   c.alert_area, (SELECT r.alert_multiple FROM risk.city_rates r
                                   WHERE r.city_id = c.id)
              FROM ref.cities c ORDER BY c.id
            """
        ).fetchall()
