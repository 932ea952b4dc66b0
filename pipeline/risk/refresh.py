"""Refresh the risk tables: one call of risk.refresh_all(), recorded as a job run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from pipeline.jobs import recorded_job


@dataclass(frozen=True)
class Generation:
    """What a refresh produced."""

    id: int
    as_of: datetime
    located_incidents: int
    located_share: float | None
    cells: int
    districts: int


def refresh_risk(owner_url: str, as_of: datetime | None = None) -> Generation:
    """Rebuild every risk table in one transaction and return the new generation."""
    with recorded_job(owner_url, "refresh") as run, psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT risk.refresh_all(%s)", (as_of,)).fetchone()
        assert row is not None
        generation = read_generation(conn, row[0])
        conn.commit()
        run.rows = generation.cells + generation.districts
        run.details = {"generation": generation.id, "as_of": generation.as_of.isoformat()}
    return generation


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
