"""Read what a backtest needs from the database once: the base cells of the study area, every
located event's share of them with when it happened and was first seen, and the units of
each level (H3 parents of any resolution, districts) with their rings.

The study area is risk.cells when districts are loaded; a city without districts (a points
file only) gets the base cells of the concave hull of its points plus the cells with events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import psycopg

from pipeline.risk.alert_rule import DEFAULT_ALERT_AREA
from pipeline.risk.refresh import rebuild_study_area
from pipeline.risk.weekly import WEEK_S, Events, Units, ring_matrices, second_ring, week_index

BASE_RESOLUTION = 9
HULL_TARGET = 0.3  # ST_ConcaveHull's target percent of the convex hull's area


@dataclass(frozen=True)
class Study:
    """Base cells (resolution BASE_RESOLUTION) and the events' shares of them."""

    base_cells: list[str]
    base_area: np.ndarray
    base_district: np.ndarray  # -1 when the cell lies in no district
    event_id: np.ndarray
    event_base: np.ndarray
    share: np.ndarray
    occurred: np.ndarray  # epoch seconds
    seen: np.ndarray
    # The city's cap on its alert zones' share of the area (ref.cities.alert_area).
    alert_area: float = DEFAULT_ALERT_AREA

    def thinned(self, keep: float, seed: int) -> Study:
        """A seeded random share `keep` of the events (all shares of an event together)."""
        ids = np.unique(self.event_id)
        kept = np.random.default_rng(seed).random(len(ids)) < keep
        mask = np.isin(self.event_id, ids[kept])
        return Study(
            self.base_cells,
            self.base_area,
            self.base_district,
            self.event_id[mask],
            self.event_base[mask],
            self.share[mask],
            self.occurred[mask],
            self.seen[mask],
            self.alert_area,
        )


def study_cities(conn: psycopg.Connection) -> list[tuple[int, str]]:
    """The cities (id, code) with base cells in the study area, rebuilt first."""
    rebuild_study_area(conn)
    return [
        (int(r[0]), str(r[1]))
        for r in conn.execute(
            "SELECT k.id, k.code FROM ref.cities k WHERE EXISTS (SELECT 1 FROM risk.cells c,"
            " risk.parameters p WHERE c.city_id = k.id AND c.resolution = p.base_resolution)"
            " ORDER BY k.id"
        ).fetchall()
    ]


def load_study(conn: psycopg.Connection, city_id: int | None = None) -> Study:
    """The study area (of one city, or all) and every located event there that counts for
    risk."""
    rebuild_study_area(conn)
    has_cells = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM risk.cells c, risk.parameters p"
        " WHERE c.resolution = p.base_resolution)"
    ).fetchone()
    if has_cells and has_cells[0]:
        cells = conn.execute(
            "SELECT c.cell::text, c.area_km2, c.district_id FROM risk.cells c, risk.parameters p"
            " WHERE c.resolution = p.base_resolution"
            " AND (%(city)s::smallint IS NULL OR c.city_id = %(city)s) ORDER BY c.cell",
            {"city": city_id},
        ).fetchall()
        events = conn.execute(
            "SELECT s.incident_id, s.cell::text, s.share, extract(epoch FROM s.occurred),"
            " extract(epoch FROM s.first_seen_at)"
            " FROM risk.incident_shares('infinity', '-infinity', 'infinity') s"
            # A fixed order: float sums over events (np.bincount) must not depend on the plan,
            # which changes when another city's rows are present.
            " ORDER BY s.incident_id, s.cell"
        ).fetchall()
    else:
        cells, events = _point_city(conn)
    index = {c: i for i, c in enumerate(r[0] for r in cells)}
    events = [e for e in events if e[1] in index]
    return Study(
        [r[0] for r in cells],
        np.array([r[1] for r in cells], dtype=float),
        np.array([-1 if r[2] is None else r[2] for r in cells], dtype=np.int64),
        np.array([e[0] for e in events], dtype=np.int64),
        np.array([index[e[1]] for e in events], dtype=np.int64),
        np.array([e[2] for e in events], dtype=float),
        np.array([e[3] for e in events], dtype=float),
        np.array([e[4] for e in events], dtype=float),
        city_alert_area(conn, city_id),
    )


def city_alert_area(conn: psycopg.Connection, city_id: int | None) -> float:
    """The city's alert-area cap; the default for the whole study area."""
    row = conn.execute("SELECT alert_area FROM ref.cities WHERE id = %s", (city_id,)).fetchone()
    return float(row[0]) if row else DEFAULT_ALERT_AREA


_POINT_EVENTS = """
    SELECT i.id, h3_cell_to_parent(i.h3_cell, %(res)s)::text, 1.0,
           extract(epoch FROM risk.incident_time(i.occurred_at, i.published_at, i.first_seen_at)),
           extract(epoch FROM i.first_seen_at)
    FROM raw.incidents i JOIN ref.incident_categories k ON k.code = i.category
    WHERE k.counts_for_risk AND i.location_support = 'point'
    ORDER BY i.id
"""
_POINT_CELLS = """
    WITH hull AS (
        SELECT ST_ConcaveHull(ST_Collect(DISTINCT i.point_geom), %(target)s) AS geom
        FROM raw.incidents i WHERE i.location_support = 'point'
    ), cells AS (
        SELECT h3_polygon_to_cells(hull.geom, %(res)s) AS cell FROM hull
        UNION
        SELECT DISTINCT h3_cell_to_parent(i.h3_cell, %(res)s) FROM raw.incidents i
        WHERE i.location_support = 'point'
    )
    SELECT cell::text, h3_cell_area(cell, 'km^2'), NULL::integer FROM cells ORDER BY cell
"""


def _point_city(
    conn: psycopg.Connection,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    params = {"res": BASE_RESOLUTION, "target": HULL_TARGET}
    return (
        conn.execute(_POINT_CELLS, params).fetchall(),
        conn.execute(_POINT_EVENTS, params).fetchall(),
    )


@dataclass(frozen=True)
class Level:
    """One level of a backtest: its units and each base cell's unit (-1: none)."""

    name: str
    units: Units
    unit_of_base: np.ndarray


def h3_level(conn: psycopg.Connection, study: Study, resolution: int) -> Level:
    """H3 cells of `resolution` (at most the base's): parents of the base cells, their area
    the sum of their base cells', rings 1-2 among them."""
    parents = [
        r[0]
        for r in conn.execute(
            "SELECT h3_cell_to_parent(c::h3index, %s)::text FROM unnest(%s::text[]) AS c",
            (resolution, study.base_cells),
        ).fetchall()
    ]
    names = sorted(set(parents))
    index = {c: i for i, c in enumerate(names)}
    unit_of_base = np.array([index[p] for p in parents], dtype=np.int64)
    pairs = [
        (index[a], index[b], d)
        for a, b, d in conn.execute(
            "SELECT u, x.index::text, x.distance FROM unnest(%s::text[]) AS u,"
            " h3_grid_disk_distances(u::h3index, 2) AS x WHERE x.distance > 0 ORDER BY 1, 2",
            (names,),
        ).fetchall()
        if b in index
    ]
    ring1, ring2 = ring_matrices(len(names), pairs)
    area = np.bincount(unit_of_base, study.base_area, minlength=len(names))
    return Level(f"h3_{resolution}", Units(names, area, ring1, ring2), unit_of_base)


def district_level(conn: psycopg.Connection, study: Study) -> Level | None:
    """Districts holding base cells, their rings from shared borders; None without any."""
    ids = sorted({int(d) for d in study.base_district if d >= 0})
    if not ids:
        return None
    index = {d: i for i, d in enumerate(ids)}
    unit_of_base = np.array([index.get(int(d), -1) for d in study.base_district], np.int64)
    pairs = [
        (index[a], index[b], 1)
        for a, b in conn.execute(
            "SELECT a.id, b.id FROM ref.districts a JOIN ref.districts b"
            " ON a.id <> b.id AND ST_Intersects(a.geom, b.geom) WHERE a.id = ANY(%s)"
            " ORDER BY 1, 2",
            (ids,),
        ).fetchall()
        if b in index
    ]
    ring1, _ = ring_matrices(len(ids), pairs)
    mapped = unit_of_base >= 0
    area = np.bincount(unit_of_base[mapped], study.base_area[mapped], minlength=len(ids))
    units = Units([str(d) for d in ids], area, ring1, second_ring(ring1))
    return Level("district", units, unit_of_base)


def level_events(study: Study, level: Level, start_epoch: float) -> Events:
    """The study's events on a level's units and the week grid starting at start_epoch."""
    unit = level.unit_of_base[study.event_base]
    keep = unit >= 0
    return Events(
        unit[keep],
        study.share[keep],
        week_index(study.occurred[keep], start_epoch),
        week_index(study.seen[keep], start_epoch),
    )


def week_grid(study: Study, end: datetime) -> tuple[float, int]:
    """(start epoch, number of weeks): whole weeks ending at `end` back to the first event."""
    end_epoch = end.timestamp()
    first = float(study.occurred.min()) if study.occurred.size else end_epoch - WEEK_S
    n_weeks = max(int(np.ceil((end_epoch - first) / WEEK_S)), 1)
    return end_epoch - n_weeks * WEEK_S, n_weeks
