"""The pre-rendered tile set of a generation: every tile of the listed layers over the study
area at the listed zooms (a few thousand per layer for a city), rendered once per refresh.

Two users: the refresh job renders the set inside its transaction, before the new generation
is committed (published), into the shared store (disk or Redis); each API worker, when it
first sees a new generation, fills its LRU with the same set in the background (from the
shared store when configured, else by rendering). A tile outside the set renders on demand.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import psycopg

from core.tiles.layers import LAYERS
from core.tiles.rendered import Rendered
from core.tiles.store import CacheKey, SyncStore, pack

log = logging.getLogger("halo.tiles.prerender")


@dataclass(frozen=True)
class Prerendered:
    """A layer whose tiles over the study area are rendered per generation, at these zooms."""

    layer: str
    minzoom: int
    maxzoom: int


# The set: every layer the web map and the app draw over a city, at the zooms they are
# drawn (zoom 16 renders on demand).
PRERENDERED: tuple[Prerendered, ...] = (
    Prerendered("risk", 8, 15),
    Prerendered("districts", 8, 15),
    Prerendered("incidents", 13, 15),
    Prerendered("water", 8, 15),
    Prerendered("streets", 8, 15),
    Prerendered("district_labels", 10, 15),
)

# The base map does not change with the risk: its tiles are rendered once per base-map load
# and carried from one generation to the next in the stores (copied, not rendered again)
# while the base map's stamp is the one the previous generation recorded. Over Stockholm
# and Vancouver (18,974 tiles in the set, 6,352 of them water and streets) the pre-render
# took 10.0 s rendering everything and 5.4-5.7 s carrying the base map (disk store, during
# a test run); the gap grows with the base map. District labels follow the districts, which
# a refresh may rebuild: rendered every time.
CARRIED_LAYERS = frozenset({"water", "streets"})
# A `halo load basemap` writes new identities (basemap.replace_*: DELETE and INSERT), so the
# highest id and the count of both tables change with every load. The definitions of the
# functions drawing the base map's tiles are in it too: a migration that changes how water or
# streets are drawn renders them again (their URLs and ETags follow the stamp: a browser keeps
# such a tile as immutable for a day).
BASEMAP_STAMP_SQL = (
    "SELECT concat_ws(':', (SELECT max(id) FROM basemap.streets),"
    " (SELECT count(*) FROM basemap.streets), (SELECT max(id) FROM basemap.water),"
    " (SELECT count(*) FROM basemap.water),"
    " (SELECT md5(string_agg(pg_get_functiondef(p.oid), '' ORDER BY p.oid::regprocedure::text))"
    "    FROM pg_proc p"
    "   WHERE p.prokind = 'f' AND (p.pronamespace = 'basemap'::regnamespace"
    "      OR (p.pronamespace = 'tiles'::regnamespace AND p.proname IN"
    "          ('tile_water', 'tile_streets', 'envelope_4326', 'tile_lon', 'tile_lat')))))"
)
# Where a generation's stores keep the stamp of the base map its tiles were rendered from.
STAMP_KEY: CacheKey = ("basemap_stamp", 0, 0, 0)
# The version of the base map's tiles (their URLs' ?v= and their ETags): "b" and 64 bits of a
# hash of the stamp, so it stays the same across refreshes and changes with a load.
BASEMAP_VERSION_PREFIX = "b"

# Each city's lon/lat box: the extent of its risk cells (its study area's H3 cover). One box
# per city, so two cities far apart do not make one box spanning the ocean between them.
EXTENT_SQL = (
    "SELECT st_xmin(e), st_ymin(e), st_xmax(e), st_ymax(e)"
    " FROM (SELECT city_id, st_extent(geom) AS e FROM risk.cell_risk GROUP BY city_id) s"
    " WHERE e IS NOT NULL ORDER BY city_id"
)
Extent = tuple[float, float, float, float]
MAX_MERCATOR_LAT = 85.0511


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x/y of the tile holding a point at zoom z (Web Mercator, XYZ), clamped to the matrix."""
    n = 2**z
    lat = max(-MAX_MERCATOR_LAT, min(MAX_MERCATOR_LAT, lat))
    x = int((lon + 180) / 360 * n)
    lat_r = math.radians(lat)
    y = int((1 - math.log(math.tan(lat_r) + 1 / math.cos(lat_r)) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_over(extent: Extent, minzoom: int, maxzoom: int) -> Iterator[tuple[int, int, int]]:
    """Every z/x/y covering the lon/lat box, coarse zooms first (they serve the first views)."""
    west, south, east, north = extent
    for z in range(minzoom, maxzoom + 1):
        x0, y0 = tile_xy(west, north, z)
        x1, y1 = tile_xy(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y


def prerender_keys(
    extents: Sequence[Extent], layers: tuple[Prerendered, ...] = PRERENDERED
) -> list[CacheKey]:
    """The cache keys of the set over every city's box, layer by layer, each coarse zooms
    first; a tile two boxes share is listed once."""
    keys: dict[CacheKey, None] = {}
    for item in layers:
        layer = LAYERS.get(item.layer)
        if layer is None:
            continue  # listed before its layer exists: nothing to render
        low, high = max(item.minzoom, layer.minzoom), min(item.maxzoom, layer.maxzoom)
        for z in range(low, high + 1):
            for extent in extents:
                keys.update(((item.layer, z, x, y), None) for _, x, y in tiles_over(extent, z, z))
    return list(keys)


def extents_of(rows: Sequence[Sequence[float]]) -> list[Extent]:
    """EXTENT_SQL's rows as boxes."""
    return [(row[0], row[1], row[2], row[3]) for row in rows]


@dataclass
class PrerenderReport:
    """What one pre-render did, for the job's details."""

    planned: int = 0
    rendered: int = 0
    carried: int = 0
    empty: int = 0
    bytes_gzip: int = 0
    seconds: float = 0.0
    complete: bool = True

    def as_details(self) -> dict[str, object]:
        return {
            "planned": self.planned,
            "rendered": self.rendered,
            "carried": self.carried,
            "empty": self.empty,
            "bytes_gzip": self.bytes_gzip,
            "seconds": round(self.seconds, 2),
            "complete": self.complete,
        }


def prerender_into(
    conn: psycopg.Connection,
    generation: int,
    stores: list[SyncStore],
    max_s: float,
    gzip_level: int = 6,
    progress: Callable[[PrerenderReport], None] | None = None,
    previous: int | None = None,
) -> PrerenderReport:
    """Render the set on `conn` (the refresh's open transaction, so it sees the new tables)
    into every store under `generation`; stops after `max_s` (the rest renders on demand).
    The base map's tiles are copied from the `previous` generation's stores instead, while
    the base map is the one they were rendered from."""
    report = PrerenderReport()
    extents = extents_of(conn.execute(EXTENT_SQL).fetchall())
    if not extents or not stores:
        return report
    keys = prerender_keys(extents)
    report.planned = len(keys)
    stamp = basemap_stamp(conn)
    carry_from = previous if previous is not None and stamped(stores, previous, stamp) else None
    started = time.perf_counter()
    next_progress = started + 5
    for key in keys:
        now = time.perf_counter()
        if now - started > max_s:
            report.complete = False
            break
        layer, z, x, y = key
        if (
            carry_from is not None
            and layer in CARRIED_LAYERS
            and carried(stores, carry_from, generation, key)
        ):
            report.carried += 1
            continue
        cur = conn.execute(LAYERS[layer].query, (z, x, y), binary=True)
        found = cur.fetchone()
        raw = bytes(found[0]) if found and found[0] is not None else b""
        answer = Rendered(raw, gzip_level)
        gz = answer.gz if raw else b""
        for store in stores:
            store.put(generation, key, pack(raw, gz))
        report.rendered += 1
        report.empty += not raw
        report.bytes_gzip += len(gz)
        if progress is not None and now >= next_progress:
            report.seconds = now - started
            progress(report)
            next_progress = now + 5
    # A set cut short leaves base-map tiles to render on demand; a base map loaded while the
    # set rendered (read committed: later tiles may show it) leaves a mixed set. Neither gets
    # a stamp: nothing is carried from it, and its base map is named by the generation.
    stamp_holds = report.complete and basemap_stamp(conn) == stamp
    for store in stores:
        if stamp_holds:
            store.put(generation, STAMP_KEY, stamp)
        store.flush()
    report.seconds = time.perf_counter() - started
    return report


def basemap_stamp(conn: psycopg.Connection) -> bytes:
    """What identifies the loaded base map (BASEMAP_STAMP_SQL)."""
    row = conn.execute(BASEMAP_STAMP_SQL).fetchone()
    return str(row[0] if row else "").encode()


def basemap_version(stamp: bytes) -> str:
    """The version naming the base map's tiles rendered from `stamp` (BASEMAP_VERSION_PREFIX)."""
    return BASEMAP_VERSION_PREFIX + hashlib.blake2b(stamp, digest_size=8).hexdigest()


def stamped(stores: list[SyncStore], generation: int, stamp: bytes) -> bool:
    """Every store holds a complete set of `generation` rendered from the base map `stamp`."""
    return all(store.get(generation, STAMP_KEY) == stamp for store in stores)


def carried(stores: list[SyncStore], source: int, target: int, key: CacheKey) -> bool:
    """Copy a tile from generation `source` to `target` in every store; False (nothing
    copied) when a store lacks it."""
    values = [store.get(source, key) for store in stores]
    if any(value is None for value in values):
        return False
    for store, value in zip(stores, values, strict=True):
        assert value is not None
        store.put(target, key, value)
    return True
