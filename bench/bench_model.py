"""The model against the baselines and the published score, every method side by side: Vancouver
(dense, and a seeded 3 % thinning to Stockholm-like sparsity) at H3 resolutions 9 and 8, and the
polisen archive's districts (and resolutions 9 and 8); the calibration tables, the alert zones
of the published score, and the time of each backtest.

    python -m bench.bench_model [--origins N] [--polisen-origins N] [--thin 0.03]
                                [--database URL] [--polisen-database URL] [--vancouver-only]

Every weekly origin the history supports by default (Vancouver 299, the polisen archive 132);
--origins N / --polisen-origins N: the last N.

Without --database it loads ../shared/data/cities/vancouver into a scratch database with
`halo ingest points`' code (no id column used: content ids; types from docs/types/); without
--polisen-database it runs `halo load boundaries`, `load gazetteer`, `ingest polisen` and
`retrain` on a scratch database. Scratch databases are dropped after. Nothing is stored;
`halo backtest` stores results per model version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import numpy as np
import psycopg
from scipy import stats

from config.settings import get_settings
from pipeline.ingest.cities import CitySpec, add_city
from pipeline.ingest.point_rows import load_type_mapping
from pipeline.ingest.points_file import default_rules, ingest_points_file, parse_mapping
from pipeline.risk.backtest import (
    CALIBRATION_MIN_EXPECTED,
    DEVIANCE_FLOOR,
    METHODS,
    BacktestReport,
    alert_stability,
    backtest_study,
    study_levels,
)
from pipeline.risk.blend import poisson_deviance
from pipeline.risk.evaluation import hit_rate_at_area, pooled_hit_rate_and_pai
from pipeline.risk.model import current_cutoff, retrain
from pipeline.risk.study import Level, Study, level_events, load_study, week_grid
from pipeline.risk.weekly import WeekMatrix
from tests.support.dbtools import DatabaseFactory
from tests.support.ingest_support import stockholm_city_command

VANCOUVER = Path("cities/vancouver/vancouver_vpd_crime_2020_2025.csv")
TYPES = Path(__file__).resolve().parent.parent / "docs/types/vancouver_vpd.csv"
BASELINES = ("last52", "ring_kde", "uniform")
SCORES = ("risk_score", "score_no_model")
POLISEN_STEPS = (
    ["load", "boundaries"],
    stockholm_city_command(get_settings().data_dir),
    ["load", "gazetteer"],
    ["ingest", "polisen"],
    ["retrain"],
)


def load_vancouver(owner_url: str, data_dir: Path) -> None:
    """Ingest the Vancouver file as a city publishes it (its id column ignored)."""
    rules = default_rules("America/Vancouver", None, None, load_type_mapping(TYPES))
    mapping = parse_mapping("time=occurred_at,lat=lat,lon=lon,type=type")
    summary = ingest_points_file(owner_url, data_dir / VANCOUVER, mapping, "vpd", rules, "VPD")
    print(f"ingested: {summary.line()}", flush=True)


def vancouver_sql_alerts(owner_url: str, end: datetime) -> list[tuple[str, str, str, float, float]]:
    """The SQL alert zones of the published score day to day (alert_stability), after the
    Python backtests: the city added if the database has none (no boundary: its located
    cells plus a ring), a model trained and the risk tables refreshed at `end`, so the score
    carries the city's reference multiple."""
    with psycopg.connect(owner_url) as conn:
        cities = conn.execute("SELECT count(*) FROM ref.cities").fetchone()
    if not cities or not cities[0]:
        add_city(owner_url, CitySpec("Vancouver", "America/Vancouver", sources=("vpd",)))
        retrain(owner_url, end)
    with psycopg.connect(owner_url) as conn:
        conn.execute("SELECT risk.refresh_all(%s)", (end,))
        conn.commit()
        k = conn.execute("SELECT alert_multiple, alert_area_share FROM risk.city_rates").fetchone()
        print(f"Vancouver refreshed: reference multiple, alert share {k}", flush=True)
        rows = alert_stability(conn, end)
        conn.rollback()
    return rows


def load_polisen(owner_url: str) -> None:
    """The polisen archive with Halo's own commands, and a trained model (for the SQL alert
    zones)."""
    env = dict(os.environ, DATABASE_URL=owner_url)
    for step in POLISEN_STEPS:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", *step], env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"halo {' '.join(step)} failed: {done.stderr.strip()[-400:]}")
        print(f"halo {' '.join(step)}: {done.stdout.strip().splitlines()[-1]}", flush=True)


def run(
    study: Study, levels: list[Level], end: datetime, origins: int | None, label: str
) -> BacktestReport:
    report = backtest_study(study, levels, end, origins, progress=True)
    print(
        f"== {label}: {report.origins} weekly origins x {len(levels)} levels,"
        f" {len(study.share):,} event shares: {report.seconds:.1f} s wall,"
        f" {report.cpu_seconds:.1f} s CPU",
        flush=True,
    )
    return report


def side_by_side(reports: dict[str, BacktestReport]) -> str:
    """PAI@5 % and deviance of every method and of the oracle (the test week's own counts:
    the headroom), the model against the best baseline (ratio, and origins won/lost/tied
    with a two-sided sign test's p), and the published score's ranking against the model's."""
    methods = [m for m in METHODS if m != "model"]
    head = f"{'data':>14} {'level':>8} {'metric':>9} {'model':>8}"
    head += "".join(f" {m:>14}" for m in methods)
    head += f" {'oracle':>8} {'model/best baseline':>20} {'risk_score/model':>17}"
    head += f" {'origins W/L/T':>14} {'sign p':>7}"
    lines = [head]
    for label, report in reports.items():
        v = {(lv, m, metric, pct): x for lv, m, metric, pct, x in report.rows}
        for level in sorted({lv for lv, *_ in report.rows if lv != "h3"}, key=_level_order):
            for metric, pct, better in (("pai", 5, max), ("deviance", 0, min)):
                model = v[(level, "model", metric, pct)]
                best_name = better(BASELINES, key=lambda b: v[(level, b, metric, pct)])
                best = v[(level, best_name, metric, pct)]
                cells = [v.get((level, m, metric, pct)) for m in methods]
                score = v.get((level, "risk_score", metric, pct))
                oracle, duel = versus(report, level, metric, best_name)
                lines.append(
                    f"{label:>14} {level:>8} {metric:>9} {model:>8.4f}"
                    + "".join(f" {x:>14.4f}" if x is not None else f" {'-':>14}" for x in cells)
                    + f" {oracle:>8.4f} {model / best:>20.3f}"
                    + (f" {score / model:>17.3f}" if score is not None else f" {'-':>17}")
                    + f" {duel}"
                )
    return "\n".join(lines)


def versus(report: BacktestReport, level: str, metric: str, baseline: str) -> tuple[float, str]:
    """The oracle's figure (the test week's own counts as the prediction; deviance 0 by
    definition, so shown as 0) and the model against `baseline` origin by origin: hits at
    5 % of the area (PAI) or the origin's mean deviance, won/lost/tied and the two-sided
    sign test's p over the untied origins."""
    assert report.folds is not None
    model, other = report.folds.data[(level, "model")], report.folds.data[(level, baseline)]
    if metric == "pai":
        oracle = pooled_hit_rate_and_pai([(o, o, a) for _p, o, a in model], 0.05)[1]
        gain = [
            hit_rate_at_area(m[0], m[1], m[2], 0.05)[0]
            - hit_rate_at_area(b[0], b[1], b[2], 0.05)[0]
            for m, b in zip(model, other, strict=True)
        ]
    else:
        oracle = 0.0
        gain = [fold_deviance(*b) - fold_deviance(*m) for m, b in zip(model, other, strict=True)]
    won = sum(g > 1e-9 for g in gain)
    lost = sum(g < -1e-9 for g in gain)
    p = stats.binomtest(won, won + lost).pvalue if won + lost else 1.0
    return oracle, f"{f'{won}/{lost}/{len(gain) - won - lost}':>14} {p:>7.3f}"


def fold_deviance(predicted: np.ndarray, observed: np.ndarray, area: np.ndarray) -> float:
    """One origin's mean Poisson deviance, floored as the backtest's summary floors it."""
    floor = DEVIANCE_FLOOR * predicted.sum() * area / area.sum()
    return poisson_deviance(observed, np.maximum(predicted, floor))


def calibration(reports: dict[str, BacktestReport]) -> str:
    """The model's deciles (mean predicted and observed per unit-week, their ratio; * where
    the decile expects at least CALIBRATION_MIN_EXPECTED events, the ones the ±20 % bar
    applies to), the totals and the worst tested decile."""
    lines = []
    for label, report in reports.items():
        v = {(lv, m, metric): x for lv, m, metric, _pct, x in report.rows}
        for level in sorted({lv for lv, *_ in report.rows if lv != "h3"}, key=_level_order):
            per_decile = v[(level, "model", "calibration_units_per_decile")]
            cells = []
            for d in range(1, 11):
                p = v.get((level, "model", f"calibration_predicted_d{d:02d}"))
                o = v.get((level, "model", f"calibration_observed_d{d:02d}"))
                if p is None or o is None:
                    continue
                tested = "*" if p * per_decile >= CALIBRATION_MIN_EXPECTED else " "
                cells.append(f"{o / p:5.2f}{tested}" if p > 0 else "    - ")
            total = v[(level, "model", "predicted_total")] / v[(level, "model", "observed_total")]
            worst = v[(level, "model", "calibration_worst_decile")]
            lines.append(f"{label:>14} {level:>8}  {' '.join(cells)}  {total:6.3f} {worst:6.3f}")
    head = f"{'data':>14} {'level':>8}  " + " ".join(f"{'d' + str(d):>6}" for d in range(1, 11))
    return "\n".join([head + f"  {'total':>6} {'worst':>6}", *lines])


def alerts(reports: dict[str, BacktestReport]) -> str:
    """Alert zones (score >= 0.6) of the published score and of the score without the model:
    mean share of the area, week-to-week overlap over the origins and the mean reference
    multiple k (the per-city alert rule); SQL day-to-day rows at resolutions 8 and 9."""
    lines = [f"{'data':>14} {'level':>8} {'score':>15} {'area share':>11} {'overlap':>8} {'k':>6}"]
    for label, report in reports.items():
        v = {(lv, m, metric): x for lv, m, metric, _pct, x in report.rows}
        for level in sorted({lv for lv, *_ in report.rows if lv != "h3"}, key=_level_order):
            for score in SCORES:
                share = v[(level, score, "alert_area_share")]
                overlap = v[(level, score, "alert_jaccard_week_to_week")]
                k = v.get((level, score, "alert_multiple"), 1.0)
                lines.append(
                    f"{label:>14} {level:>8} {score:>15} {share:>11.3f} {overlap:>8.3f} {k:>6.2f}"
                    "  (week to week)"
                )
        for name, suffix in (("h3_8", ""), ("h3_9", "_9")):
            if ("h3", "risk_score", f"alert_jaccard_day_to_day{suffix}") in v:
                lines.append(
                    f"{label:>14} {name:>8} {'risk_score':>15}"
                    f" {v[('h3', 'risk_score', f'alert_area_share{suffix}')]:>11.3f}"
                    f" {v[('h3', 'risk_score', f'alert_jaccard_day_to_day{suffix}')]:>8.3f}"
                    f" {v.get(('h3', 'risk_score', 'alert_multiple'), 1.0):>6.2f}"
                    "  (day to day, SQL, last 14 days)"
                )
    return "\n".join(lines)


def ceiling(study: Study, levels: list[Level], end: datetime, report: BacktestReport) -> str:
    """What no forecast from history can beat, on the same folds: PAI@5 % of last52 and the
    model against a clairvoyant rate (the 52 weeks centred on the test week, the test week
    left out: the best a stationary rate could know) and the oracle (the test week itself);
    then a Poisson world with the clairvoyant rates (5 seeded draws per origin), where the
    oracle's lead over the rate is the test week's noise alone; and how many units the 5 %
    takes (the last in part) and how many of them the model and last52 share. A PAI this
    high is the city's concentration, not leakage, when the clairvoyant rate is no higher."""
    start_epoch, n_weeks = week_grid(study, end)
    rng = np.random.default_rng(20)
    assert report.folds is not None
    origins = report.origins  # fewer than asked when the history supports no more
    lines = [
        f"{'level':>8} {'last52':>8} {'model':>8} {'clairvoyant':>12} {'oracle':>8}"
        f" {'Poisson: rate':>14} {'oracle':>8} {'units in 5 %':>13} {'shared':>7}"
    ]
    for level in levels:
        matrix = WeekMatrix(level.units, level_events(study, level, start_epoch), n_weeks)
        counts, area = matrix.counts, level.units.area
        folds: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        taken, shared = [], []
        model_folds = report.folds.data[(level.name, "model")]
        for week, (model, _obs, _area) in zip(
            range(n_weeks - origins, n_weeks), model_folds, strict=True
        ):
            observed = counts[:, week]
            around = counts[:, max(week - 26, 0) : week + 27].sum(axis=1) - observed
            last52 = counts[:, max(week - 52, 0) : week].sum(axis=1)
            for name, predicted in (
                ("last52", last52),
                ("model", model),
                ("clairvoyant", around),
                ("oracle", observed),
            ):
                folds.setdefault(name, []).append((predicted, observed, area))
            rate = around / max(around.sum(), 1e-9) * observed.sum()
            for _ in range(5):
                draw = rng.poisson(rate).astype(float)
                folds.setdefault("poisson_rate", []).append((rate, draw, area))
                folds.setdefault("poisson_oracle", []).append((draw, draw, area))
            top_model, top_last52 = top_units(model, area), top_units(last52, area)
            taken.append(len(top_model))
            shared.append(len(top_model & top_last52))
        pai = {k: pooled_hit_rate_and_pai(f, 0.05)[1] for k, f in folds.items()}
        lines.append(
            f"{level.name:>8} {pai['last52']:>8.3f} {pai['model']:>8.3f}"
            f" {pai['clairvoyant']:>12.3f} {pai['oracle']:>8.3f} {pai['poisson_rate']:>14.3f}"
            f" {pai['poisson_oracle']:>8.3f} {np.mean(taken):>13.1f} {np.mean(shared):>7.1f}"
        )
    return "\n".join(lines)


def top_units(predicted: np.ndarray, area: np.ndarray, share: float = 0.05) -> set[int]:
    """The units the 5 % of the area takes by predicted density (the last one in part)."""
    order = np.argsort(-(predicted / area), kind="stable")
    full = int((np.cumsum(area[order]) <= share * area.sum()).sum())
    return {int(u) for u in order[: full + 1]}


def _level_order(level: str) -> tuple[int, str]:
    return (0 if level == "district" else 1, level)


@contextmanager
def scratch_or(
    factory: DatabaseFactory, url: str | None, suffix: str, load: object
) -> Iterator[str]:
    """The given database, or a scratch one loaded by `load(owner_url)` and dropped after."""
    if url is not None:
        yield url
        return
    template = factory.migrated_template()
    scratch = factory.create(template=template.name, suffix=suffix)
    factory.drop(template.name)
    try:
        assert callable(load)
        load(scratch.owner_url)
        yield scratch.owner_url
    finally:
        factory.drop(scratch.name)


def polisen(factory: DatabaseFactory, url: str | None, origins: int | None) -> BacktestReport:
    """The polisen archive's backtest (districts, res 9 and 8) and its SQL alert zones."""
    with (
        scratch_or(factory, url, "bench_polisen", load_polisen) as owner_url,
        psycopg.connect(owner_url) as conn,
    ):
        end = current_cutoff(conn)
        study = load_study(conn)
        levels = study_levels(conn, study)
        conn.commit()
        report = run(study, levels, end, origins, "polisen archive")
        report.rows += alert_stability(conn, end)
        conn.rollback()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Every origin the history supports by default (299 for Vancouver, 132 for the polisen
    # archive): the backtest takes seconds, and more origins mean less of the test weeks' noise.
    parser.add_argument("--origins", type=int, help="Vancouver's (default: all)")
    parser.add_argument("--polisen-origins", type=int, help="the archive's (default: all)")
    parser.add_argument("--thin", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--database", help="a database with Vancouver loaded (else scratch)")
    parser.add_argument("--polisen-database", help="a database with the polisen archive")
    parser.add_argument(
        "--vancouver-only", action="store_true", help="skip the polisen archive (faster)"
    )
    args = parser.parse_args()
    settings = get_settings()
    factory = DatabaseFactory(
        settings.database_url, settings.api_database_url, settings.analyst_database_url or ""
    )
    reports: dict[str, BacktestReport] = {}
    with scratch_or(
        factory, args.database, "bench_model", lambda u: load_vancouver(u, settings.data_dir)
    ) as url:
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            end = current_cutoff(conn)
            dense = load_study(conn)
            thinned = dense.thinned(args.thin, args.seed)
            dense_levels = study_levels(conn, dense)
            thin_levels = study_levels(conn, thinned)
            conn.rollback()
            print(f"read {len(dense.share):,} events: {time.perf_counter() - started:.1f} s")
        reports["vancouver"] = run(dense, dense_levels, end, args.origins, "Vancouver dense")
        limits = ceiling(dense, dense_levels, end, reports["vancouver"])
        reports[f"vancouver {args.thin:.0%}"] = run(
            thinned, thin_levels, end, args.origins, f"Vancouver {args.thin:.0%} thinned"
        )
        reports["vancouver"].rows += vancouver_sql_alerts(url, end)
    if not args.vancouver_only:
        reports["polisen"] = polisen(factory, args.polisen_database, args.polisen_origins)
    print("\nPAI@5 % and Poisson deviance, every method (risk_score: the published score)")
    print(side_by_side(reports))
    print("\nCalibration of the model: observed / predicted per decile of the prediction")
    print(calibration(reports))
    print(
        "\nVancouver dense, PAI@5 %: history against a clairvoyant rate, the oracle, and a"
        " Poisson world with the clairvoyant rates (the oracle's lead there is noise alone)"
    )
    print(limits)
    print("\nAlert zones (score >= 0.6)")
    print(alerts(reports))
    for label, report in reports.items():
        for note in report.notes:
            print(f"note ({label}): {note}")


if __name__ == "__main__":
    main()
