"""The model against the baselines on Vancouver (dense, and a seeded 3 % thinning to
Stockholm-like sparsity): the rolling-origin backtest tables at H3 resolutions 9 and 8, the
time of the backtest, and the model's PAI@5 % and deviance against the best baseline.

    python -m bench.bench_model [--origins 104] [--thin 0.03] [--database URL]

Without --database it loads ../shared/data/cities/vancouver into a scratch database with
`halo ingest points`' code (no id column used: content ids; types from docs/types/) and drops
it after. Nothing is stored; `halo backtest` stores results per model version.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from config.settings import get_settings
from pipeline.ingest.point_rows import load_type_mapping
from pipeline.ingest.points_file import default_rules, ingest_points_file, parse_mapping
from pipeline.risk.backtest import BacktestReport, backtest_study, format_report, study_levels
from pipeline.risk.model import current_cutoff
from pipeline.risk.study import Study, load_study
from tests.support.dbtools import DatabaseFactory

VANCOUVER = Path("cities/vancouver/vancouver_vpd_crime_2020_2025.csv")
TYPES = Path(__file__).resolve().parent.parent / "docs/types/vancouver_vpd.csv"
BASELINES = ("last52", "ring_kde", "risk_score")


def load_vancouver(owner_url: str, data_dir: Path) -> None:
    """Ingest the Vancouver file as a city publishes it (its id column ignored)."""
    rules = default_rules("America/Vancouver", None, None, load_type_mapping(TYPES))
    mapping = parse_mapping("time=occurred_at,lat=lat,lon=lon,type=type")
    summary = ingest_points_file(owner_url, data_dir / VANCOUVER, mapping, "vpd", rules, "VPD")
    print(f"ingested: {summary.line()}", flush=True)


def run(study: Study, levels: list[Any], end: datetime, origins: int, label: str) -> BacktestReport:
    report = backtest_study(study, levels, end, origins, progress=True)
    print(
        f"\n== {label}: {report.origins} weekly origins x {len(levels)} levels:"
        f" {report.seconds:.1f} s wall, {report.cpu_seconds:.1f} s CPU"
    )
    print(format_report(report), flush=True)
    return report


def versus(reports: dict[str, BacktestReport]) -> str:
    """Model against each baseline: PAI@5 % and deviance, and the ratio to the best one."""
    head = f"{'data':>9} {'level':>6} {'metric':>9} {'model':>8}"
    head += "".join(f" {b:>10}" for b in BASELINES) + f" {'model/best':>11}"
    lines = [head]
    for label, report in reports.items():
        v = {(lv, m, metric, pct): x for lv, m, metric, pct, x in report.rows}
        for level in sorted({lv for lv, *_ in report.rows}):
            for metric, pct, better in (("pai", 5, max), ("deviance", 0, min)):
                model = v.get((level, "model", metric, pct))
                if model is None:
                    continue
                base = [v.get((level, b, metric, pct)) for b in BASELINES]
                best = better(x for x in base if x is not None)
                cells = [f"{x:>10.4f}" if x is not None else f"{'-':>10}" for x in base]
                lines.append(
                    f"{label:>9} {level:>6} {metric:>9} {model:>8.4f} {' '.join(cells)}"
                    f" {model / best:>11.3f}"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=104)
    parser.add_argument("--thin", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--database", help="a database with Vancouver loaded (else scratch)")
    args = parser.parse_args()
    settings = get_settings()
    factory = DatabaseFactory(
        settings.database_url, settings.api_database_url, settings.analyst_database_url or ""
    )
    scratch = None
    url = args.database
    if url is None:
        template = factory.migrated_template()
        scratch = factory.create(template=template.name, suffix="bench_model")
        factory.drop(template.name)
        url = scratch.owner_url
        load_vancouver(url, settings.data_dir)
    try:
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            end = current_cutoff(conn)
            dense = load_study(conn)
            thinned = dense.thinned(args.thin, args.seed)
            dense_levels = study_levels(conn, dense)
            thin_levels = study_levels(conn, thinned)
            conn.rollback()
            print(f"read {len(dense.share):,} events: {time.perf_counter() - started:.1f} s")
        reports = {
            "dense": run(dense, dense_levels, end, args.origins, "Vancouver dense"),
            f"thin {args.thin:.0%}": run(
                thinned, thin_levels, end, args.origins, f"Vancouver {args.thin:.0%} thinned"
            ),
        }
        print("\n" + versus(reports))
    finally:
        if scratch is not None:
            factory.drop(scratch.name)


if __name__ == "__main__":
    main()
