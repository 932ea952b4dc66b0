"""Refresh the risk tables: one call of risk.refresh_all(), recorded as a job run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg

from config.map import MapSettings
from core.tiles.prerender import PrerenderReport, prerender_into
from core.tiles.store import DiskTiles, SyncRedisTiles, SyncStore
from pipeline.jobs import recorded_job

log = logging.getLogger("halo.jobs")


@dataclass(frozen=True)
class Generation:
    """What a refresh produced."""

    id: int
    as_of: datetime
    located_incidents: int
    located_share: float | None
    cells: int
    districts: int


@dataclass(frozen=True)
class AlertThresholds:
    """A cell enters the alert zone at `enter` and leaves it below `clear` (hysteresis)."""

    enter: float
    clear: float

    def __post_init__(self) -> None:
        if not 0 < self.clear < self.enter < 1:
            raise ValueError(
                f"thresholds need 0 < clear < enter < 1 (got enter {self.enter},"
                f" clear {self.clear})"
            )


def alert_thresholds(owner_url: str) -> AlertThresholds:
    """The thresholds in risk.parameters: the one place the alert level is set."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT alert_threshold, clear_threshold FROM risk.parameters"
        ).fetchone()
    if row is None:  # the baseline inserts the row; only a hand-damaged database lacks it
        raise RuntimeError("risk.parameters has no row")
    return AlertThresholds(enter=round(row[0], 3), clear=round(row[1], 3))


def refresh_risk(
    owner_url: str, as_of: datetime | None = None, thresholds: AlertThresholds | None = None
) -> Generation:
    """Rebuild every risk table in one transaction and return the new generation.

    Before the commit publishes the generation, its risk tiles over the study area are
    pre-rendered into the shared tile store (when one is configured), so the first request
    of any city tile after the refresh is a cache hit. New `thresholds` are written in the
    same transaction, so the legend, style, tiles and alert zones change together, under the
    new generation's ETags.
    """
    with recorded_job(owner_url, "refresh") as run, psycopg.connect(owner_url) as conn:
        if thresholds is not None:
            conn.execute(
                "UPDATE risk.parameters SET alert_threshold = %s, clear_threshold = %s",
                (thresholds.enter, thresholds.clear),
            )
        row = conn.execute("SELECT risk.refresh_all(%s)", (as_of,)).fetchone()
        assert row is not None
        generation = read_generation(conn, row[0])
        run.details = {"generation": generation.id, "as_of": generation.as_of.isoformat()}
        prerendered = prerender_tiles(conn, generation.id)
        if prerendered is not None:
            run.details["prerender"] = prerendered
        conn.commit()
        run.rows = generation.cells + generation.districts
    return generation


def prerender_tiles(conn: psycopg.Connection, generation: int) -> dict[str, object] | None:
    """Render the generation's tile set into the configured stores (None if there are none);
    progress goes to the job's log, the totals to its recorded details."""
    settings = MapSettings()
    stores = tile_stores(settings)
    if not stores:
        return None

    def progress(report: PrerenderReport) -> None:
        log.info(
            "prerender g%s: %d of %d tiles in %.0f s",
            generation,
            report.rendered,
            report.planned,
            report.seconds,
        )

    row = conn.execute(
        "SELECT max(id) FROM risk.generations WHERE id < %s", (generation,)
    ).fetchone()
    previous = row[0] if row else None
    report = prerender_into(
        conn,
        generation,
        stores,
        settings.prerender_max_s,
        settings.gzip_level,
        progress,
        previous,
    )
    log.info("prerender g%s done: %s", generation, report.as_details())
    for store in stores:
        store.prune({generation, previous or generation})  # the previous serves until the commit
    return report.as_details()


def tile_stores(settings: MapSettings) -> list[SyncStore]:
    """The shared tile stores configured (HALO_MAP_TILE_DIR, HALO_MAP_REDIS_URL)."""
    stores: list[SyncStore] = []
    if settings.tile_dir is not None:
        stores.append(DiskTiles(settings.tile_dir))
    if settings.redis_url:
        stores.append(SyncRedisTiles(settings.redis_url, settings.redis_ttl_s))
    return stores


def refresh_report_clusters(owner_url: str) -> int:
    """Rebuild the nightly DBSCAN clusters of recent user reports; returns their number."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT risk.refresh_report_clusters()").fetchone()
    return int(row[0]) if row else 0


def rebuild_study_area(conn: psycopg.Connection) -> None:
    """Rebuild the cells (and place cells) from the current districts and places, so jobs
    that run before any refresh (retrain, backtest) see the study area."""
    conn.execute("SELECT risk.rebuild_cells(base_resolution) FROM risk.parameters")


def read_generation(conn: psycopg.Connection, generation_id: int) -> Generation:
    """A generation with the sizes of the tables it produced."""
    row = conn.execute(
        "SELECT g.id, g.as_of, g.located_incidents, g.located_share,"
        " (SELECT count(*) FROM risk.cell_risk), (SELECT count(*) FROM risk.district_risk)"
        " FROM risk.generations g WHERE g.id = %s",
        (generation_id,),
    ).fetchone()
    assert row is not None
    return Generation(*row)
