"""Ingestion benchmark: events per second for the polisen archive and a 1M-row points CSV.

    .venv/bin/python -m bench.bench_ingest [--rows 1000000]

Creates its own scratch database (migrated, boundaries and gazetteer loaded), generates the
CSV in a temporary directory, prints a table, and drops both afterwards.
"""

from __future__ import annotations

import argparse
import csv
import logging
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from config.settings import get_settings
from pipeline.ingest.gazetteer import read_gazetteer
from pipeline.ingest.geocode import Geocoder
from pipeline.ingest.points_file import default_rules, ingest_points_file, parse_mapping
from pipeline.ingest.polisen_files import read_events, read_pages
from pipeline.ingest.polisen_ingest import PolisenIngester, ingest_files, parse_events, stage_events
from pipeline.ingest.summary import IngestSummary
from tests.support.dbtools import DatabaseFactory
from tests.support.ingest_support import ARCHIVE, ARCHIVE_PAGES, load_reference

TYPES = ("Misshandel", "Stöld", "Rån", "Skadegörelse", "Narkotikabrott", "Brand", "BATTERY")


@dataclass(frozen=True)
class Measurement:
    """One timed run."""

    what: str
    rows: int
    seconds: float
    outcome: str


def timed(what: str, rows: int, run: Callable[[], IngestSummary | None]) -> Measurement:
    """Run once and time it."""
    started = time.perf_counter()
    summary = run()
    seconds = time.perf_counter() - started
    return Measurement(what, rows, seconds, summary.line() if summary else "")


def write_points_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A points CSV of `rows` random incidents in Stockholm during 2024."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "time", "type", "lat", "lon"])
        for n in range(rows):
            when = start + timedelta(seconds=rng.randrange(366 * 86_400))
            writer.writerow(
                [
                    f"P{n}",
                    when.isoformat(),
                    TYPES[n % len(TYPES)],
                    f"{rng.uniform(59.25, 59.40):.6f}",
                    f"{rng.uniform(17.85, 18.15):.6f}",
                ]
            )


def parse_and_geocode(url: str, data_dir: Path) -> IngestSummary:
    """The archive through parsing and geocoding only (no database writes)."""
    import psycopg

    with psycopg.connect(url) as conn:
        geocoder = Geocoder(read_gazetteer(conn))
    ingester = PolisenIngester(geocoder, 1, frozenset({"01"}), ZoneInfo("Europe/Stockholm"))
    summary = IngestSummary()
    events = parse_events(
        ingester, read_events(data_dir / ARCHIVE), summary, "bench", datetime.now(UTC)
    )
    stage_events(ingester, events, read_pages(data_dir / ARCHIVE_PAGES), {}, summary)
    return summary


def run(rows: int) -> list[Measurement]:
    """Every measurement, on a scratch database dropped at the end."""
    settings = get_settings()
    factory = DatabaseFactory(
        settings.database_url, settings.api_database_url, settings.analyst_database_url or ""
    )
    db = factory.migrated_template()
    try:
        load_reference(db.owner_url, settings.data_dir)
        archive = settings.data_dir / ARCHIVE
        results = [
            timed(
                "polisen archive: parse + geocode",
                7656,
                lambda: parse_and_geocode(db.owner_url, settings.data_dir),
            ),
            timed(
                "polisen archive: first load", 7656, lambda: ingest_files(db.owner_url, [archive])
            ),
            timed("polisen archive: re-run", 7656, lambda: ingest_files(db.owner_url, [archive])),
        ]
        with tempfile.TemporaryDirectory(prefix="halo-bench-") as tmp:
            path = Path(tmp) / "points.csv"
            results.append(
                timed("points CSV: generate", rows, lambda: write_points_csv(path, rows))
            )
            mapping = parse_mapping("id=id,time=time,type=type,lat=lat,lon=lon")
            rules = default_rules("Europe/Stockholm", None, None)
            for label in ("points CSV: COPY load", "points CSV: COPY re-run"):
                results.append(
                    timed(
                        label,
                        rows,
                        lambda: ingest_points_file(
                            db.owner_url, path, mapping, "bench_points", rules
                        ),
                    )
                )
        return results
    finally:
        factory.drop(db.name)


def print_table(results: list[Measurement]) -> None:
    """The measurements as a plain-text table."""
    print(f"{'input / step':<36}{'rows':>10}{'seconds':>10}{'rows/s':>12}  outcome")
    for m in results:
        rate = m.rows / m.seconds if m.seconds else float("inf")
        print(f"{m.what:<36}{m.rows:>10}{m.seconds:>10.2f}{rate:>12,.0f}  {m.outcome}")


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the points CSV")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print_table(run(args.rows))


if __name__ == "__main__":
    main()
