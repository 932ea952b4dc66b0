"""Rolling-origin backtest over a unit x week matrix built once: weekly origins, every
method on the same folds, only what was first seen before each origin; per level (districts,
H3 resolutions 9 and 8). The origins adapt to the history available. Results are stored per
model version and printed."""

from __future__ import annotations

import itertools
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from tqdm import tqdm

from pipeline.jobs import recorded_job
from pipeline.risk import alert_rule, baselines
from pipeline.risk.blend import (
    MIN_HISTORY_WEEKS,
    BlendFeatures,
    fit_blend,
    poisson_deviance,
)
from pipeline.risk.evaluation import calibration_by_decile, jaccard, pooled_hit_rate_and_pai
from pipeline.risk.model import current_cutoff
from pipeline.risk.study import (
    Level,
    Study,
    district_level,
    h3_level,
    level_events,
    load_study,
    study_cities,
    week_grid,
)
from pipeline.risk.weekly import WeekMatrix, data_start_week

log = logging.getLogger("halo.backtest")

AREA_PCTS = (1, 2, 5, 10, 20)
METHODS = ("model", "uniform", "last52", "ring_kde", "risk_score", "score_no_model")
RESOLUTIONS = (9, 8)
STABILITY_DAYS = 14
MIN_ORIGINS = 4
# Every method's prediction is floored at this share of the uniform one for the deviance, so
# a zero prediction where something happened costs the same finite amount for every method.
DEVIANCE_FLOOR = 1e-3
CALIBRATION_MIN_EXPECTED = 100.0
# Scores, not counts: ranked, and their alert zones measured, but no deviance or calibration.
SCORES = ("risk_score", "score_no_model")
ALERT_THRESHOLD = 0.6  # risk.parameters.alert_threshold's default
# The levels the SQL chooses a city's reference multiple on: the base resolution and its
# parent (risk.choose_alert_multiples).
ALERT_LEVELS = ("h3_9", "h3_8")


class BacktestSkipped(ValueError):
    """Too little history for even MIN_ORIGINS origins."""


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
    """Metric rows (level, method, metric, area_pct, value) of one city (its code; 'all' for
    the whole study area) and the model version they rate; the folds they summarise (not
    stored: for benchmarks' per-origin comparisons)."""

    model_version: str
    origins: int
    rows: list[tuple[str, str, str, float, float]]
    requested_origins: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    city: str = "all"
    folds: Folds | None = None


# The city code of rows that belong to no one city: the whole study area when no city has one,
# and the SQL alert-zone rows (level h3), which span every city's cells.
ALL_CITIES = "all"


def run_backtest(
    owner_url: str,
    n_origins: int | None = 52,
    progress: bool = True,
    end: datetime | None = None,
    thin: float | None = None,
    seed: int = 20,
) -> list[BacktestReport]:
    """Backtest each city alone (its own cells, its own fits, as `fit_cities` trains the
    nightly's model) over (up to) n_origins weekly origins ending at the data's as-of time
    (None: every origin the history supports; `requested_origins` in the run's details null);
    the whole study area as one when no city has cells yet. Stored per model version and
    city; a city with too little history is skipped (BacktestSkipped when every one is)."""
    with recorded_job(owner_url, "backtest") as run, psycopg.connect(owner_url) as conn:
        end = end or current_cutoff(conn)
        version = latest_model_version(conn)
        cities: list[tuple[int | None, str]] = list(study_cities(conn)) or [(None, ALL_CITIES)]
        reports, skipped = [], []
        for city_id, code in cities:
            study = load_study(conn, city_id)
            if thin is not None:
                study = study.thinned(thin, seed)
            try:
                report = backtest_study(study, study_levels(conn, study), end, n_origins, progress)
            except BacktestSkipped as exc:
                skipped.append(str(exc) if len(cities) == 1 else f"{code}: {exc}")
                continue
            report.city, report.model_version = code, version
            reports.append(report)
        if not reports:
            raise BacktestSkipped("; ".join(skipped))
        if thin is None:
            reports.append(BacktestReport(version, 0, alert_stability(conn, end), city=ALL_CITIES))
        conn.execute("DELETE FROM risk.backtest_results WHERE model_version = %s", (version,))
        for report in reports:
            report.notes += [f"skipped: {note}" for note in skipped]
            store_results(conn, version, report.city, report.rows)
        conn.commit()
        run.rows = sum(len(r.rows) for r in reports)
        run.details = {
            "model_version": version,
            "origins": {r.city: r.origins for r in reports if r.origins},
            "requested_origins": n_origins,
            "notes": sorted({n for r in reports for n in r.notes}),
        }
    return reports


def study_levels(conn: psycopg.Connection, study: Study) -> list[Level]:
    """Districts (when loaded), then H3 at RESOLUTIONS."""
    district = district_level(conn, study)
    return ([district] if district else []) + [h3_level(conn, study, r) for r in RESOLUTIONS]


def usable_origins(n_weeks: int, data_start: int) -> int:
    """How many weekly origins the history supports: each needs MIN_HISTORY_WEEKS of history
    and at least one week to fit on before it."""
    return max(n_weeks - (data_start + MIN_HISTORY_WEEKS + 1), 0)


def backtest_study(
    study: Study, levels: list[Level], end: datetime, n_origins: int | None, progress: bool
) -> BacktestReport:
    """Every level and method over the same origins; adapts the origins to the history
    (n_origins None: every origin the history supports)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    start_epoch, n_weeks = week_grid(study, end)
    matrices = [
        WeekMatrix(lv.units, level_events(study, lv, start_epoch), n_weeks) for lv in levels
    ]
    data_start = data_start_week(matrices[-1].weekly_totals())
    available = usable_origins(n_weeks, data_start)
    notes = []
    origins = available if n_origins is None else min(n_origins, available)
    if origins < MIN_ORIGINS:
        raise BacktestSkipped(
            f"only {available} weekly origins of history (need {MIN_ORIGINS}): backtest skipped"
        )
    if n_origins is not None and origins < n_origins:
        notes.append(
            f"{origins} of {n_origins} requested origins: the history since"
            f" {datetime.fromtimestamp(start_epoch + data_start * 7 * 86400, UTC):%Y-%m-%d}"
            f" supports no more"
        )
        log.warning(notes[-1])
    folds = Folds()
    weeks = range(n_weeks - origins, n_weeks)
    total = len(weeks) * len(levels)
    with tqdm(total=total, desc="backtest", unit="origin", disable=not progress) as bar:
        for level, matrix in zip(levels, matrices, strict=True):
            features = BlendFeatures(matrix, data_start)
            for week in weeks:
                evaluate_origin(level.name, matrix, features, week, folds)
                bar.update()
    rows = summarise(folds, study.alert_area)
    seconds = time.perf_counter() - started
    requested = origins if n_origins is None else n_origins
    report = BacktestReport("", origins, rows, requested, seconds, notes=notes, folds=folds)
    report.cpu_seconds = time.process_time() - cpu_started
    return report


def method_predictions(
    matrix: WeekMatrix, features: BlendFeatures, origin: int
) -> dict[str, np.ndarray]:
    """Every method's expected count per unit for week `origin`, from what was known then.
    risk_score is a score, not a count: its entry is score x area so that ranking by
    prediction per area ranks by the score."""
    units = matrix.units
    last52 = matrix.window(origin - 52, origin, origin) / 52.0
    model = fit_blend(features, origin).predict(features.at(origin), units.area)
    window = matrix.block(origin - 52, origin, origin)
    return {
        "model": model,
        "uniform": baselines.uniform(last52 * 52.0, units.area),
        "last52": last52,
        "ring_kde": baselines.ring_kde_matrix(last52, units.ring1, units.ring2),
        "risk_score": units.area * baselines.risk_score_from_model(model, units.area),
        "score_no_model": units.area
        * baselines.risk_score_now(window, units.area, units.ring1, units.ring2),
    }


def evaluate_origin(
    level: str, matrix: WeekMatrix, features: BlendFeatures, origin: int, folds: Folds
) -> None:
    """Predict week `origin` with every method; add one fold per method."""
    observed = matrix.observed(origin)
    for method, predicted in method_predictions(matrix, features, origin).items():
        folds.add(level, method, predicted, observed, matrix.units.area)


def summarise(
    folds: Folds, alert_area: float = alert_rule.DEFAULT_ALERT_AREA
) -> list[tuple[str, str, str, float, float]]:
    """Hit rate and PAI per area share, Poisson deviance, calibration by decile and totals,
    per level and method; the scores' alert zones within the city's cap `alert_area`."""
    rows: list[tuple[str, str, str, float, float]] = []
    multiples = {method: alert_multiples(folds, method, alert_area) for method in SCORES}
    for (level, method), fold_list in sorted(folds.data.items()):
        for pct in AREA_PCTS:
            hit, pai = pooled_hit_rate_and_pai(fold_list, pct / 100)
            rows += [(level, method, "hit_rate", pct, hit), (level, method, "pai", pct, pai)]
        if method in SCORES:
            rows += alert_rows(level, method, fold_list, multiples[method])
            continue
        predicted = np.concatenate([f[0] for f in fold_list])
        observed = np.concatenate([f[1] for f in fold_list])
        floor = np.concatenate([DEVIANCE_FLOOR * f[0].sum() * f[2] / f[2].sum() for f in fold_list])
        rows.append(
            (level, method, "deviance", 0, poisson_deviance(observed, np.maximum(predicted, floor)))
        )
        deciles = calibration_by_decile(predicted, observed)
        per_decile = len(predicted) / len(deciles)
        worst = 0.0
        for decile, (p, o) in enumerate(deciles, start=1):
            rows += [
                (level, method, f"calibration_predicted_d{decile:02d}", 0, p),
                (level, method, f"calibration_observed_d{decile:02d}", 0, o),
            ]
            if p * per_decile >= CALIBRATION_MIN_EXPECTED:
                worst = max(worst, abs(o / p - 1.0))
        rows += [
            (level, method, "calibration_worst_decile", 0, worst),
            (level, method, "calibration_units_per_decile", 0, per_decile),
            (level, method, "predicted_total", 0, float(predicted.sum())),
            (level, method, "observed_total", 0, float(observed.sum())),
        ]
    return rows


def alert_multiples(
    folds: Folds, method: str, cap: float = alert_rule.DEFAULT_ALERT_AREA
) -> list[float]:
    """The city's reference multiple k at each origin for a score's alert zones, as the SQL
    chooses it (baselines.alert_multiple: the smallest rung of the ladder keeping the zones
    within the city's cap of the area at every alert level, with its hysteresis carried
    from origin to origin, starting at k = 1). The folds hold the score at k = 1 (x area)."""
    levels = [folds.data[(name, method)] for name in ALERT_LEVELS if (name, method) in folds.data]
    if not levels:
        return []
    chosen, previous = [], 1.0
    for origin in zip(*levels, strict=True):
        rr = [(alert_rule.rr_lower_of(pred / area), area) for pred, _, area in origin]
        previous, _ = alert_rule.alert_multiple(rr, ALERT_THRESHOLD, cap, previous)
        chosen.append(previous)
    return chosen


def alert_rows(
    level: str,
    method: str,
    fold_list: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    multiples: list[float] | None = None,
) -> list[tuple[str, str, str, float, float]]:
    """The score's alert zones (score >= ALERT_THRESHOLD, with the city's reference multiple
    of each origin: `multiples`, k = 1 without) at each origin: their mean share of the area,
    the mean week-to-week overlap (Jaccard) of consecutive origins' zones (a stricter test
    than day to day: a week of new events between them) and the mean multiple."""
    ks = multiples or [1.0] * len(fold_list)
    zones = [
        {
            int(i)
            for i in np.flatnonzero(
                alert_rule.score_of(alert_rule.rr_lower_of(pred / area), k) >= ALERT_THRESHOLD
            )
        }
        for (pred, _, area), k in zip(fold_list, ks, strict=True)
    ]
    shares = [
        float(area[list(zone)].sum() / area.sum()) if zone else 0.0
        for zone, (_, _, area) in zip(zones, fold_list, strict=True)
    ]
    overlaps = [jaccard(a, b) for a, b in itertools.pairwise(zones)]
    return [
        (level, method, "alert_area_share", 0, float(np.mean(shares))),
        (level, method, "alert_jaccard_week_to_week", 0, float(np.mean(overlaps or [1.0]))),
        (level, method, "alert_multiple", 0, float(np.mean(ks))),
    ]


def alert_stability(
    conn: psycopg.Connection, end: datetime
) -> list[tuple[str, str, str, float, float]]:
    """Day-to-day overlap (Jaccard) of the alert zones over the last days and the share of the
    area they cover, at resolution 8 (the alert zones' default; rows named as before) and 9
    (suffix _9), and the mean largest reference multiple of the cities, from the SQL risk
    functions with the latest model's predictions, as published (rolled back after)."""
    zones: dict[int, list[set[str]]] = {8: [], 9: []}
    shares: dict[int, list[float]] = {8: [], 9: []}
    multiples: list[float] = []
    model = latest_model_version(conn)
    for day in range(STABILITY_DAYS, -1, -1):
        as_of = end - timedelta(days=day)
        with conn.transaction(force_rollback=True):
            conn.execute("SELECT risk.rebuild_cell_mass(%s)", (as_of,))
            conn.execute("SELECT risk.rebuild_cell_risk(%s)", (model,))
            for resolution in (8, 9):
                alert = conn.execute(
                    "SELECT r.cell::text, r.area_km2 FROM risk.cell_risk r, risk.parameters p"
                    " WHERE r.resolution = %s AND r.risk_score >= p.alert_threshold",
                    (resolution,),
                ).fetchall()
                total = conn.execute(
                    "SELECT sum(area_km2) FROM risk.cells WHERE resolution = %s", (resolution,)
                ).fetchone()
                zones[resolution].append({c for c, _ in alert})
                shares[resolution].append(
                    sum(a for _, a in alert) / total[0] if total and total[0] else 0.0
                )
            k = conn.execute("SELECT max(alert_multiple) FROM risk.city_rates").fetchone()
            multiples.append(float(k[0]) if k and k[0] is not None else 1.0)
    rows = []
    for resolution, suffix in ((8, ""), (9, "_9")):
        overlaps = [jaccard(a, b) for a, b in itertools.pairwise(zones[resolution])]
        rows += [
            ("h3", "risk_score", f"alert_jaccard_day_to_day{suffix}", 0, float(np.mean(overlaps))),
            (
                "h3",
                "risk_score",
                f"alert_area_share{suffix}",
                0,
                float(np.mean(shares[resolution])),
            ),
        ]
    return [*rows, ("h3", "risk_score", "alert_multiple", 0, float(np.mean(multiples)))]


def latest_model_version(conn: psycopg.Connection) -> str:
    """The model version the backtest rates: the latest trained, else 'untrained'."""
    row = conn.execute(
        "SELECT version FROM risk.model_runs ORDER BY trained_at DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else "untrained"


def store_results(
    conn: psycopg.Connection,
    version: str,
    city: str,
    rows: list[tuple[str, str, str, float, float]],
) -> None:
    """Store one city's rows of this model version (the caller clears the version first)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO risk.backtest_results (model_version, city, level, method, metric,"
            " area_pct, value) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(version, city, *row) for row in rows],
        )


def format_report(report: BacktestReport) -> str:
    """The backtest as a table: hit rate and PAI per area share, deviance, calibration."""
    values = {(lv, m, metric, pct): v for lv, m, metric, pct, v in report.rows}
    head = ["level", "method"] + [f"hit@{p}%" for p in AREA_PCTS]
    head += ["PAI@5%", "deviance", "pred/obs", "worst dec"]
    lines = [" ".join(f"{h:>10}" for h in head)]
    levels = sorted({lv for lv, *_ in report.rows if lv != "h3"}, key=_level_order)
    for level in levels:
        for method in METHODS:
            if (level, method, "pai", 5) not in values:
                continue
            cells = [level, method]
            cells += [f"{values[(level, method, 'hit_rate', p)]:.3f}" for p in AREA_PCTS]
            cells.append(f"{values[(level, method, 'pai', 5)]:.2f}")
            if (level, method, "deviance", 0) in values:
                ratio = values[(level, method, "predicted_total", 0)] / max(
                    values[(level, method, "observed_total", 0)], 1e-9
                )
                cells += [
                    f"{values[(level, method, 'deviance', 0)]:.4f}",
                    f"{ratio:.3f}",
                    f"{values[(level, method, 'calibration_worst_decile', 0)]:.3f}",
                ]
            else:
                cells += ["-", "-", "-"]
            lines.append(" ".join(f"{c:>10}" for c in cells))
    for key in ("alert_jaccard_day_to_day", "alert_area_share"):
        if ("h3", "risk_score", key, 0) in values:
            lines.append(f"{key}: {values[('h3', 'risk_score', key, 0)]:.3f}")
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines)


def _level_order(level: str) -> tuple[int, str]:
    return (0 if level == "district" else 1, level)
