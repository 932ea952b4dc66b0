"""The nightly job killed halfway through its refresh: the previous risk tables keep serving,
the run is marked failed (at once, or by the reaper after a hard kill), the next run succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from config.settings import REPO_ROOT, Settings
from pipeline.jobs import ABANDONED_ERROR, reap_abandoned_runs
from pipeline.nightly import run_nightly
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.live_server import live_server
from tests.support.map_support import MapCity, decode, map_city, tile_of

# The refresh's backend once it waits for the lock the test holds, i.e. halfway through:
# cells and cell mass rebuilt in its transaction, cell risk not yet.
BLOCKED_REFRESH_SQL = """
SELECT pid FROM pg_stat_activity
 WHERE datname = current_database() AND query LIKE 'SELECT risk.refresh_all%%'
   AND state = 'active' AND wait_event_type = 'Lock'
"""
REFRESH_SQL = """
SELECT count(*) FROM pg_stat_activity
 WHERE datname = current_database() AND query LIKE 'SELECT risk.refresh_all%%'
   AND pid <> pg_backend_pid()
"""
STEP_TIMEOUT_S = 60


@pytest.fixture
def own_city(db_factory: DatabaseFactory, template_db: ScratchDatabase) -> Iterator[MapCity]:
    """The map tests' own_city, refreshed once (generation 1), for one test."""
    with map_city(db_factory, template_db) as own_city:
        yield own_city


@pytest.fixture
def api(settings: Settings, own_city: MapCity) -> Iterator[httpx.Client]:
    """The API on the own_city, tiles rendered by the database, the generation read every time."""
    base = settings_for(settings, own_city.db)
    config = base.model_copy(
        update={
            "map": base.map.model_copy(
                update={"tile_cache_max_bytes": 0, "generation_check_s": 0.0}
            ),
            "rate_limits": base.rate_limits.model_copy(update={"enabled": False}),
        }
    )
    with live_server(config) as client:
        yield client


@contextmanager
def refresh_held_halfway(owner_url: str) -> Iterator[psycopg.Connection]:
    """Hold a SHARE lock on risk.cell_risk: readers pass, the refresh's DELETE waits."""
    with psycopg.connect(owner_url) as blocker:
        blocker.execute("LOCK TABLE risk.cell_risk IN SHARE MODE")
        try:
            yield blocker
        finally:
            blocker.rollback()


def wait_for_row(conn: psycopg.Connection, query: str, present: bool = True) -> int | None:
    """Poll `query` until it returns a row (or none, with present=False); its first value."""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while True:
        row = conn.execute(query).fetchone()
        if (row is not None and row[0] != 0) == present:
            return row[0] if row else None
        assert time.monotonic() < deadline, f"timed out waiting for: {query}"
        time.sleep(0.05)


def snapshot(api: httpx.Client, own_city: MapCity) -> tuple[int, list[Any], dict[str, Any]]:
    """What clients see: the generation, a risk tile's features (in id order: a rolled-back
    refresh's ANALYZE may change plans, so feature order) and the risk at the hot spot."""
    lon, lat = own_city.hotspot
    risk = api.get("/api/v1/risk", params={"lat": lat, "lon": lon})
    tile = api.get("/tiles/risk/{}/{}/{}.mvt".format(*tile_of(lon, lat, 14)))
    assert risk.status_code == 200 and tile.status_code == 200
    body = risk.json()
    body.pop("at")  # the hour-of-week value follows the clock
    features = decode(tile.content)["risk"]["features"]
    return body["generation"], sorted(features, key=lambda f: f["id"]), body


def job_runs(owner_url: str) -> dict[str, tuple[str, str | None]]:
    """The latest run of each kind: (status, error)."""
    with psycopg.connect(owner_url) as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (kind) kind, status, error FROM ops.job_runs ORDER BY kind, id DESC"
        ).fetchall()
    return {kind: (status, error) for kind, status, error in rows}


def test_a_nightly_run_whose_refresh_backend_is_killed_fails_and_the_next_succeeds(
    own_city: MapCity, api: httpx.Client
) -> None:
    before = snapshot(api, own_city)
    failure: list[BaseException] = []

    def nightly() -> None:
        try:
            run_nightly(own_city.db.owner_url, backtest_origins=0)
        except BaseException as exc:  # noqa: BLE001 (the thread's failure, asserted below)
            failure.append(exc)

    worker = threading.Thread(target=nightly)
    with (
        psycopg.connect(own_city.db.owner_url, autocommit=True) as watcher,
        refresh_held_halfway(own_city.db.owner_url),
    ):
        worker.start()
        pid = wait_for_row(watcher, BLOCKED_REFRESH_SQL)
        assert snapshot(api, own_city) == before, "readers see the previous generation meanwhile"
        watcher.execute("SELECT pg_terminate_backend(%s)", (pid,))
        worker.join(timeout=STEP_TIMEOUT_S)
    assert not worker.is_alive()
    assert failure and isinstance(failure[0], psycopg.OperationalError)
    runs = job_runs(own_city.db.owner_url)
    assert runs["nightly"][0] == "failed" and "AdminShutdown" in (runs["nightly"][1] or "")
    assert runs["refresh"][0] == "failed"
    assert snapshot(api, own_city) == before
    assert api.get("/health/ready").json()["status"] == "degraded"

    result = run_nightly(own_city.db.owner_url, backtest_origins=0)
    assert result.generation > before[0]
    assert snapshot(api, own_city)[0] == result.generation
    assert job_runs(own_city.db.owner_url)["nightly"] == ("success", None)
    assert api.get("/health/ready").json()["status"] == "ok"


def test_a_hard_killed_nightly_process_is_reaped_as_failed_and_the_next_run_succeeds(
    own_city: MapCity, api: httpx.Client, tmp_path: Path
) -> None:
    before = snapshot(api, own_city)
    env = {
        **os.environ,
        "DATABASE_URL": own_city.db.owner_url,
        "HALO_API_DATABASE_URL": own_city.db.api_url,
        "HALO_ANALYST_DATABASE_URL": own_city.db.analyst_url,
    }
    log_path = tmp_path / "nightly.log"
    with (
        psycopg.connect(own_city.db.owner_url, autocommit=True) as watcher,
        refresh_held_halfway(own_city.db.owner_url),
        log_path.open("w") as log,
    ):
        process = subprocess.Popen(
            [str(REPO_ROOT / ".venv" / "bin" / "halo"), "nightly", "--backtest-origins", "0"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_row(watcher, BLOCKED_REFRESH_SQL)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=STEP_TIMEOUT_S)
        # The process is gone; its run is still recorded as running.
        assert job_runs(own_city.db.owner_url)["nightly"][0] == "running"
        assert snapshot(api, own_city) == before
    # Released, the orphaned refresh finishes its statement, finds no client and rolls back.
    with psycopg.connect(own_city.db.owner_url, autocommit=True) as conn:
        wait_for_row(conn, REFRESH_SQL, present=False)
        assert snapshot(api, own_city) == before
        reaped = reap_abandoned_runs(conn)
    runs = job_runs(own_city.db.owner_url)
    assert len(reaped) == 2, "the nightly run and its refresh"
    assert runs["nightly"] == ("failed", ABANDONED_ERROR)
    assert runs["refresh"] == ("failed", ABANDONED_ERROR)
    assert api.get("/health/ready").json()["status"] == "degraded"

    result = run_nightly(own_city.db.owner_url, backtest_origins=0)
    assert result.generation > before[0]
    assert snapshot(api, own_city)[0] == result.generation
    assert job_runs(own_city.db.owner_url)["nightly"] == ("success", None)


def test_a_live_run_is_never_reaped(own_city: MapCity) -> None:
    """The reaper leaves a run alone while its process holds the run's lock."""
    from pipeline.jobs import recorded_job

    with recorded_job(own_city.db.owner_url, "refresh") as run:
        with psycopg.connect(own_city.db.owner_url, autocommit=True) as conn:
            assert reap_abandoned_runs(conn) == []
            status = conn.execute(
                "SELECT status FROM ops.job_runs WHERE id = %s", (run.id,)
            ).fetchone()[0]
        assert status == "running"
    assert job_runs(own_city.db.owner_url)["refresh"] == ("success", None)


def test_a_run_recorded_without_the_lock_is_reaped_only_when_older_than_a_day(
    db: ScratchDatabase,
) -> None:
    """Runs recorded without the lock (by older versions) are judged by age alone."""
    with psycopg.connect(db.owner_url, autocommit=True) as conn:
        old, recent = (
            conn.execute(
                "INSERT INTO ops.job_runs (kind, status, started_at)"
                " VALUES ('ingest_points', 'running', now() - %s * interval '1 hour') RETURNING id",
                (hours,),
            ).fetchone()[0]
            for hours in (25, 1)
        )
        assert reap_abandoned_runs(conn) == [old]
        statuses = dict(conn.execute("SELECT id, status FROM ops.job_runs").fetchall())
    assert statuses == {old: "failed", recent: "running"}
