"""Read the SQL-computed features (risk.cell_week_features) into arrays for statsmodels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg

# History a training row needs before its features mean something (weeks).
WARMUP_WEEKS = 26
FEATURE_NAMES = (
    "const",
    "log1p_last52",
    "log1p_decayed",
    "log1p_ring_decayed",
    "log_district_rate",
    "woy_sin",
    "woy_cos",
)


@dataclass(frozen=True)
class CellWeeks:
    """Cell x week rows: identities, observed counts (NaN for the week to predict), design."""

    cells: np.ndarray  # h3 index text per row
    district_ids: np.ndarray
    week_no: np.ndarray
    observed: np.ndarray
    last52: np.ndarray
    area_km2: np.ndarray
    design: np.ndarray  # columns FEATURE_NAMES

    def rows(self, mask: np.ndarray) -> CellWeeks:
        """The subset of rows selected by a boolean mask."""
        return CellWeeks(
            self.cells[mask],
            self.district_ids[mask],
            self.week_no[mask],
            self.observed[mask],
            self.last52[mask],
            self.area_km2[mask],
            self.design[mask],
        )


def read_cell_weeks(conn: psycopg.Connection, cutoff: datetime, n_weeks: int) -> CellWeeks:
    """Features known at `cutoff` for n_weeks of history plus the week after cutoff."""
    rows = conn.execute(
        "SELECT cell::text, district_id, week_no, observed, last52, decayed,"
        " ring_decayed, district_rate, woy_sin, woy_cos, area_km2"
        " FROM risk.cell_week_features(%s, %s)",
        (cutoff, n_weeks),
    ).fetchall()
    if not rows:
        raise ValueError("no cells in the study area: load boundaries and refresh first")
    cols = list(zip(*rows, strict=True))
    num = {
        name: np.array(col, dtype=float)
        for name, col in zip(
            ("last52", "decayed", "ring", "district_rate", "sin", "cos", "area"),
            cols[4:],
            strict=True,
        )
    }
    observed = np.array([np.nan if v is None else v for v in cols[3]], dtype=float)
    design = np.column_stack(
        [
            np.ones(len(rows)),
            np.log1p(num["last52"]),
            np.log1p(num["decayed"]),
            np.log1p(num["ring"]),
            np.log(num["district_rate"] + 0.01),
            num["sin"],
            num["cos"],
        ]
    )
    return CellWeeks(
        np.array(cols[0]),
        np.array(cols[1], dtype=int),
        np.array(cols[2], dtype=int),
        observed,
        num["last52"],
        num["area"],
        design,
    )


def first_dense_week(data: CellWeeks, n_weeks: int) -> int:
    """The first week whose city total reaches a quarter of the median week: before it the
    archive is empty or sparse, and training on it would teach "no history, no incidents"."""
    totals = np.bincount(
        data.week_no[data.week_no < n_weeks],
        weights=np.nan_to_num(data.observed[data.week_no < n_weeks]),
        minlength=n_weeks,
    )
    busy = totals[totals > 0]
    if busy.size == 0:
        return 0
    return int(np.argmax(totals >= 0.25 * np.median(busy)))


def split_train_predict(data: CellWeeks, n_weeks: int) -> tuple[CellWeeks, CellWeeks]:
    """Training rows (observed, after the warm-up that follows the first dense week) and
    the rows of the week to predict."""
    start = first_dense_week(data, n_weeks) + WARMUP_WEEKS
    train = data.rows((data.week_no >= start) & (data.week_no < n_weeks))
    target = data.rows(data.week_no == n_weeks)
    return train, target
