"""The nightly pipeline (02:00 UTC and on demand): retention -> retrain -> refresh -> report
clusters -> backtest, then a push cycle; the refresh's new generation is the new tile generation
(and a silent refresh push to the devices). Never two at once."""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from config.settings import get_settings
from core.photo_store import photo_store_for
from pipeline.jobs import JobAlreadyRunning, exclusive, reap_abandoned_runs, recorded_job
from pipeline.privacy import apply_retention
from pipeline.push.cycle import run_push_cycle
from pipeline.risk.backtest import BacktestSkipped, run_backtest
from pipeline.risk.model import retrain
from pipeline.risk.refresh import refresh_report_clusters, refresh_risk

log = logging.getLogger("halo.nightly")

QUEUED_RUN_SQL = (
    "SELECT id FROM ops.job_runs WHERE kind = 'nightly' AND status = 'queued' ORDER BY id LIMIT 1"
)


@dataclass(frozen=True)
class NightlyResult:
    """What one nightly run produced."""

    run_id: int
    model_version: str
    generation: int


def run_nightly(
    owner_url: str, run_id: int | None = None, backtest_origins: int = 52
) -> NightlyResult:
    """Retrain, refresh and backtest under the nightly lock, recorded as one 'nightly' run.

    A failure leaves the previous risk tables serving (the refresh is one transaction) and
    the failed run makes /health/ready report 'degraded'.
    """
    settings = get_settings()
    with exclusive(owner_url), recorded_job(owner_url, "nightly", run_id) as run:
        # Retention first, so nothing past its period is trained on or clustered.
        retention = apply_retention(
            owner_url, settings.retention, photo_store_for(settings.reports)
        )
        version = retrain(owner_url)
        generation = refresh_risk(owner_url)
        clusters = refresh_report_clusters(owner_url)
        backtest = run_nightly_backtest(owner_url, backtest_origins)
        run.rows = generation.cells
        run.details = {
            "model_version": version,
            "generation": generation.id,
            "report_clusters": clusters,
            "backtest": backtest,
            "retention": retention,
        }
        result = NightlyResult(run.id, version, generation.id)
    # Outside the lock: push never fails the nightly run (it records its own runs).
    run_push_cycle(owner_url, settings.push)
    return result


def run_nightly_backtest(owner_url: str, n_origins: int) -> str:
    """The nightly's backtest, which never fails the nightly: the retrain and refresh have
    already served their new generation, so a failed backtest (too short a history, a bug)
    is logged and recorded as its own failed 'backtest' run, and readiness stays ok. Its
    origins adapt to the history available (BacktestReport.notes says so)."""
    if n_origins <= 0:
        return "off"
    try:
        reports = run_backtest(owner_url, n_origins=n_origins, progress=False)
    except BacktestSkipped as exc:
        log.warning("nightly backtest skipped: %s", exc)
        return f"skipped: {exc}"
    except Exception as exc:
        log.exception("nightly backtest failed (retrain and refresh stand)")
        return f"failed: {type(exc).__name__}: {exc}"[:500]
    origins = ", ".join(f"{r.city} {r.origins} origins" for r in reports if r.origins)
    notes = sorted({note for r in reports for note in r.notes})
    return origins + "".join(f"; {note}" for note in notes)


def next_daily_time(now: datetime, hour_utc: int, minute: int = 0) -> datetime:
    """The next hour_utc:minute UTC strictly after now."""
    candidate = now.astimezone(UTC).replace(hour=hour_utc, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def run_scheduler(owner_url: str, hour_utc: int = 2, poll_s: float = 5.0) -> None:
    """Run the nightly pipeline daily at hour_utc and whenever a run is queued (admin
    trigger); stop cleanly on SIGTERM or SIGINT."""
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        log.info("scheduler stopping (signal %s)", signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    due = next_daily_time(datetime.now(UTC), hour_utc)
    log.info("scheduler started; next nightly run at %s", due.isoformat())
    while not stopping:
        queued = _queued_run(owner_url)
        if queued is not None or datetime.now(UTC) >= due:
            # A light refresh of the live feed may hold the lock for a moment: the daily
            # run then waits for it (next poll) instead of skipping a day.
            ran = _run_logged(owner_url, queued)
            if queued is None and ran:
                due = next_daily_time(datetime.now(UTC), hour_utc)
                log.info("next nightly run at %s", due.isoformat())
        time.sleep(poll_s)


def _queued_run(owner_url: str) -> int | None:
    """The oldest queued nightly run; first marks killed runs failed, so a nightly run whose
    process died does not block the admin trigger ("already queued or running") for ever."""
    try:
        with psycopg.connect(owner_url, connect_timeout=5, autocommit=True) as conn:
            reap_abandoned_runs(conn)
            row = conn.execute(QUEUED_RUN_SQL).fetchone()
    except psycopg.OperationalError as exc:
        log.warning("scheduler cannot reach the database: %s", exc)
        return None
    return row[0] if row else None


def _run_logged(owner_url: str, run_id: int | None) -> bool:
    """Run the nightly pipeline; False only when another holder of the lock kept it from
    starting (try again soon), True when it ran (successfully or not)."""
    try:
        result = run_nightly(owner_url, run_id)
        log.info(
            "nightly run %s done: model %s, generation %s",
            result.run_id,
            result.model_version,
            result.generation,
        )
    except JobAlreadyRunning:
        log.info("nightly run waits: the lock is held (a light refresh or another run)")
        return False
    except Exception:
        log.exception("nightly run failed")
    return True
