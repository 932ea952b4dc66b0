"""Rolling-origin backtest: weekly origins, only what was first seen before each origin,
the model against the baselines at district and H3 level; results stored and printed."""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import psycopg
from tqdm import tqdm

from pipeline.jobs import recorded_job
from pipeline.risk import baselines
from pipeline.risk.evaluation import calibration_by_decile, jaccard, pooled_hit_rate_and_pai
from pipeline.risk.features import read_cell_weeks
from pipeline.risk.model import HISTORY_WEEKS, current_cutoff, fit_and_predict
from pipeline.risk.refresh import rebuild_study_area

log = logging.getLogger("halo.backtest")

AREA_PCTS = (1, 2, 5, 10, 20)
METHODS = ("model", "uniform", "last52", "ring_kde")
LEVELS = ("district", "h3")
STABILITY_DAYS = 14


@dataclass
class Folds:
    """Per level and method, one (predicted, observed, area) triple per origin."""

    data: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(
        self, level: str, method: str, pred: np.ndarray, obs: np.ndarray, area: np.ndarray
    ) -> None:
        self.data[(level, method)].append((pred, obs, area))


@dataclass
class BacktestReport:
    """Metric rows (level, method, metric, area_pct, value) and the model version they rate."""

    model_version: str
    origins: int
    rows: list[tuple[str, str, str, float, float]]


def run_backtest(
    owner_url: str, n_origins: int = 52, progress: bool = True, end: datetime | None = None
) -> BacktestReport:
    """Backtest over n_origins weekly origins ending a week before the data's as-of time."""
    with recorded_job(owner_url, "backtest") as run, psycopg.connect(owner_url) as conn:
        end = end or current_cutoff(conn)
        origins = [end - timedelta(weeks=k) for k in range(n_origins, 0, -1)]
        rebuild_study_area(conn)
        units = read_units(conn)
        folds = Folds()
        for origin in tqdm(origins, desc="backtest", unit="origin", disable=not progress):
            evaluate_origin(conn, origin, units, folds)
        rows = summarise(folds) + alert_stability(conn, end)
        version = latest_model_version(conn)
        store_results(conn, version, rows)
        conn.commit()
        run.rows = len(rows)
        run.details = {"model_version": version, "origins": n_origins}
    return BacktestReport(version, n_origins, rows)


@dataclass(frozen=True)
class Units:
    """Resolution-8 cells, their rings, and the base cells that map them onto districts."""

    cells: list[str]
    index: dict[str, int]
    rings: list[list[list[int]]]
    base_parent: np.ndarray  # row index of each base cell's parent
    base_district: np.ndarray
    base_area: np.ndarray
    parent_area: np.ndarray
    base_cell: list[str]


def read_units(conn: psycopg.Connection) -> Units:
    """The study area's cells and their neighbourhoods, from risk.cells."""
    cells = [
        r[0]
        for r in conn.execute(
            "SELECT cell::text FROM risk.cells WHERE resolution = 8 ORDER BY cell"
        ).fetchall()
    ]
    index = {c: i for i, c in enumerate(cells)}
    rings: list[list[list[int]]] = [[[], []] for _ in cells]
    for cell, neighbour, distance in conn.execute(
        "SELECT c.cell::text, n::text, h3_grid_distance(c.cell, n) FROM risk.cells c,"
        " h3_grid_disk(c.cell, 2) AS n WHERE c.resolution = 8 AND n <> c.cell"
    ).fetchall():
        if neighbour in index:
            rings[index[cell]][distance - 1].append(index[neighbour])
    base = conn.execute(
        "SELECT b.cell::text, h3_cell_to_parent(b.cell, 8)::text, b.district_id, b.area_km2,"
        " p.area_km2 FROM risk.cells b JOIN risk.cells p ON p.cell = h3_cell_to_parent(b.cell, 8)"
        " WHERE b.resolution = (SELECT base_resolution FROM risk.parameters)"
    ).fetchall()
    return Units(
        cells,
        index,
        rings,
        np.array([index[r[1]] for r in base]),
        np.array([r[2] for r in base]),
        np.array([r[3] for r in base], dtype=float),
        np.array([r[4] for r in base], dtype=float),
        [r[0] for r in base],
    )


def evaluate_origin(conn: psycopg.Connection, origin: datetime, units: Units, folds: Folds) -> None:
    """Fit at one origin, predict its week with every method, add the folds of both levels."""
    fitted = fit_and_predict(read_cell_weeks(conn, origin, HISTORY_WEEKS), HISTORY_WEEKS)
    rows = np.array([units.index[c] for c in fitted.target.cells])
    n = len(units.cells)
    area8, last52 = np.zeros(n), np.zeros(n)
    area8[rows], last52[rows] = fitted.target.area_km2, fitted.target.last52
    model = np.zeros(n)
    model[rows] = fitted.predicted
    predictions = {
        "model": model,
        "uniform": baselines.uniform(last52, area8),
        "last52": baselines.last_52_weeks(last52),
        "ring_kde": baselines.ring_kde(last52, units.rings),
    }
    observed_base = observed_week(conn, origin, units)
    observed8 = np.bincount(units.base_parent, weights=observed_base, minlength=n)
    _districts, district_of_base = np.unique(units.base_district, return_inverse=True)
    district_area = np.bincount(district_of_base, weights=units.base_area)
    district_observed = np.bincount(district_of_base, weights=observed_base)
    for method, pred8 in predictions.items():
        folds.add("h3", method, pred8, observed8, area8)
        share = units.base_area / units.parent_area
        district_pred = np.bincount(district_of_base, weights=pred8[units.base_parent] * share)
        folds.add("district", method, district_pred, district_observed, district_area)


def observed_week(conn: psycopg.Connection, origin: datetime, units: Units) -> np.ndarray:
    """What happened in the week after origin (whenever it was first seen), per base cell."""
    position = {c: i for i, c in enumerate(units.base_cell)}
    observed = np.zeros(len(units.base_cell))
    for cell, n in conn.execute(
        "SELECT cell::text, sum(share) FROM risk.incident_shares('infinity', %s, %s) GROUP BY cell",
        (origin, origin + timedelta(weeks=1)),
    ).fetchall():
        if cell in position:
            observed[position[cell]] = n
    return observed


def summarise(folds: Folds) -> list[tuple[str, str, str, float, float]]:
    """Hit rate and PAI per area share, calibration by decile and totals, per level/method."""
    rows: list[tuple[str, str, str, float, float]] = []
    for (level, method), fold_list in sorted(folds.data.items()):
        for pct in AREA_PCTS:
            hit, pai = pooled_hit_rate_and_pai(fold_list, pct / 100)
            rows += [(level, method, "hit_rate", pct, hit), (level, method, "pai", pct, pai)]
        predicted = np.concatenate([f[0] for f in fold_list])
        observed = np.concatenate([f[1] for f in fold_list])
        for decile, (p, o) in enumerate(calibration_by_decile(predicted, observed), start=1):
            rows += [
                (level, method, f"calibration_predicted_d{decile:02d}", 0, p),
                (level, method, f"calibration_observed_d{decile:02d}", 0, o),
            ]
        rows += [
            (level, method, "predicted_total", 0, float(predicted.sum())),
            (level, method, "observed_total", 0, float(observed.sum())),
        ]
    return rows


def alert_stability(
    conn: psycopg.Connection, end: datetime
) -> list[tuple[str, str, str, float, float]]:
    """Day-to-day overlap (Jaccard) of the resolution-8 alert zones over the last days, and
    the share of the area they cover, from the SQL risk functions (rolled back after)."""
    zones: list[set[str]] = []
    shares: list[float] = []
    for day in range(STABILITY_DAYS, -1, -1):
        as_of = end - timedelta(days=day)
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT risk.rebuild_cell_mass(%s)", (as_of,))
            conn.execute("SELECT risk.rebuild_cell_risk(NULL)")
            alert = conn.execute(
                "SELECT r.cell::text, r.area_km2 FROM risk.cell_risk r, risk.parameters p"
                " WHERE r.resolution = 8 AND r.risk_score >= p.alert_threshold"
            ).fetchall()
            total = conn.execute(
                "SELECT sum(area_km2) FROM risk.cells WHERE resolution = 8"
            ).fetchone()
        zones.append({c for c, _ in alert})
        shares.append(sum(a for _, a in alert) / total[0] if total and total[0] else 0.0)
    overlaps = [jaccard(a, b) for a, b in itertools.pairwise(zones)]
    return [
        ("h3", "risk_score", "alert_jaccard_day_to_day", 0, float(np.mean(overlaps))),
        ("h3", "risk_score", "alert_area_share", 0, float(np.mean(shares))),
    ]


def latest_model_version(conn: psycopg.Connection) -> str:
    """The model version the backtest rates: the latest trained, else 'untrained'."""
    row = conn.execute(
        "SELECT version FROM risk.model_runs ORDER BY trained_at DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else "untrained"


def store_results(
    conn: psycopg.Connection, version: str, rows: list[tuple[str, str, str, float, float]]
) -> None:
    """Replace the stored results of this model version."""
    conn.execute("DELETE FROM risk.backtest_results WHERE model_version = %s", (version,))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO risk.backtest_results (model_version, level, method, metric, area_pct,"
            " value) VALUES (%s, %s, %s, %s, %s, %s)",
            [(version, *row) for row in rows],
        )


def format_report(report: BacktestReport) -> str:
    """The backtest as a table: hit rate and PAI per area share, calibration totals."""
    values = {(lv, m, metric, pct): v for lv, m, metric, pct, v in report.rows}
    head = ["level", "method"] + [f"hit@{p}%" for p in AREA_PCTS] + ["PAI@5%", "pred/obs"]
    lines = [" ".join(f"{h:>9}" for h in head)]
    for level in LEVELS:
        for method in METHODS:
            if (level, method, "pai", 5) not in values:
                continue
            hits = [values[(level, method, "hit_rate", p)] for p in AREA_PCTS]
            ratio = values[(level, method, "predicted_total", 0)] / max(
                values[(level, method, "observed_total", 0)], 1e-9
            )
            cells = [level, method] + [f"{h:.3f}" for h in hits]
            cells += [f"{values[(level, method, 'pai', 5)]:.2f}", f"{ratio:.3f}"]
            lines.append(" ".join(f"{c:>9}" for c in cells))
    for key in ("alert_jaccard_day_to_day", "alert_area_share"):
        lines.append(f"{key}: {values.get(('h3', 'risk_score', key, 0), float('nan')):.3f}")
    return "\n".join(lines)
