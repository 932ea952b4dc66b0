"""The database restarts under traffic (a scratch cluster, never the shared test server):
every acknowledged report is stored exactly once, and the API recovers by itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from config.settings import Settings
from tests.support.dbtools import ScratchDatabase
from tests.support.fault_support import ScratchCluster, scratch_cluster
from tests.support.fault_traffic import TrafficLog, reader, recovery, report_client
from tests.support.live_server import live_server
from tests.support.map_support import seed_map_city, tile_of
from tests.support.opstools import tuned

REPORT_CLIENTS = 3
BASELINE_S = 1.5  # traffic before the fault: all of it must succeed
AFTER_RECOVERY_S = 1.5  # traffic after recovery: all of it must succeed
RECOVERY_LIMIT_S = 5.0
HIGH = 1_000_000


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[ScratchCluster, tuple[float, float]]]:
    """One scratch cluster for the module, seeded with the map tests' city (refreshed)."""
    with scratch_cluster() as cluster:
        hotspot, _ = seed_map_city(cluster.owner_url)
        yield cluster, hotspot


def cluster_settings(settings: Settings, cluster: ScratchCluster, photo_dir: Path) -> Settings:
    """The API on the scratch cluster: limits high but on (their counters live in the database
    too), tiles rendered by the database on every request, a short wait for a connection."""
    db = ScratchDatabase("halo", cluster.owner_url, cluster.api_url, cluster.analyst_url)
    tuned_settings = tuned(
        settings,
        db,
        reports={
            "photo_dir": photo_dir,
            "per_client_daily_limit": 10_000,
            "per_address_daily_limit": 10_000,
        },
        rate_limits={
            "reports_requests": HIGH,
            "reads_requests": HIGH,
            "tiles_requests": HIGH,
        },
        map={"tile_cache_max_bytes": 0, "generation_check_s": 0.0},
    )
    return tuned_settings.model_copy(update={"pool_timeout_s": 2.0})


def read_paths(hotspot: tuple[float, float]) -> tuple[list[str], list[str]]:
    """Risk tiles around the hot spot at three zooms, and risk lookups at and near it."""
    lon, lat = hotspot
    tiles = ["/tiles/risk/{}/{}/{}.mvt".format(*tile_of(lon, lat, z)) for z in (10, 12, 14)]
    risks = [f"/api/v1/risk?lat={lat + d:.5f}&lon={lon + d:.5f}" for d in (0.0, 0.0005, -0.0005)]
    return tiles, risks


@pytest.mark.parametrize("mode", ["fast", "immediate", "down-20s"])
def test_a_database_restart_under_traffic_loses_and_duplicates_no_report(
    cluster: tuple[ScratchCluster, tuple[float, float]],
    settings: Settings,
    tmp_path: Path,
    mode: str,
) -> None:
    scratch, hotspot = cluster
    tiles, risks = read_paths(hotspot)
    log, stop = TrafficLog(), threading.Event()
    with live_server(cluster_settings(settings, scratch, tmp_path / "photos")) as api:
        base = str(api.base_url)
        workers = [
            threading.Thread(target=report_client, args=(base, log, stop))
            for _ in range(REPORT_CLIENTS)
        ]
        workers.append(threading.Thread(target=reader, args=(base, "tile", tiles, log, stop)))
        workers.append(threading.Thread(target=reader, args=(base, "risk", risks, log, stop)))
        for worker in workers:
            worker.start()
        try:
            time.sleep(BASELINE_S)
            fault_at = time.monotonic()
            interrupt(scratch, mode)
            back_at = time.monotonic()
            wait_for_every_kind(log, back_at, deadline_s=20)
            time.sleep(AFTER_RECOVERY_S)
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
    assert not any(worker.is_alive() for worker in workers), "a client did not finish"
    assert log.unexpected == []
    figures = recovery(log.requests, fault_at, back_at)
    print(f"\nfault {mode}: {figures.line()}")  # noqa: T201 (shown by pytest -s)
    print(  # noqa: T201 (shown by pytest -s)
        f"reports: {len(log.acknowledged)} acknowledged, "
        f"{sum(replayed for _, replayed in log.acknowledged.values())} by a replayed answer"
    )

    assert figures.failures_before_fault == 0
    assert figures.recovery_s <= RECOVERY_LIMIT_S, figures.line()
    assert figures.failures_after_recovery == 0, figures.line()
    # An outage is a 503 with Retry-After (or no answer while a connection was cut), never a 500.
    server_errors = [r for r in log.requests if r.server_error]
    assert all(r.status == 503 and r.retry_after for r in server_errors), figures.statuses
    assert figures.server_errors <= 500  # clients retry every 0.1 s: a bound, not a target
    assert_each_acknowledged_report_stored_once(scratch, log)


def interrupt(cluster: ScratchCluster, mode: str) -> None:
    """`pg_ctl restart -m fast|immediate`, or a 20 s outage (stopped, then started): long
    enough for the pool's reconnection backoff to outlast it by seconds without
    HALO_POOL_RECONNECT_TIMEOUT_S (measured: 8 s)."""
    if mode == "down-20s":
        cluster.stop("fast")
        time.sleep(20)
        cluster.start()
    else:
        cluster.restart(mode)


def wait_for_every_kind(log: TrafficLog, since: float, deadline_s: float) -> None:
    """Wait until every kind of request has succeeded after `since` (bounded)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        with log.lock:
            done = {r.kind for r in log.requests if r.ok and r.ended >= since}
        if done >= {"report", "tile", "risk"}:
            return
        time.sleep(0.05)


def assert_each_acknowledged_report_stored_once(cluster: ScratchCluster, log: TrafficLog) -> None:
    """Every key the clients sent was acknowledged, and is one row with the acknowledged id."""
    assert log.acknowledged, "no report was acknowledged"
    assert set(log.submitted) == set(log.acknowledged), "a client gave up on a report"
    with psycopg.connect(cluster.owner_url) as conn:
        rows = conn.execute(
            "SELECT idempotency_key, count(*), min(id), count(DISTINCT description)"
            " FROM raw.user_reports WHERE idempotency_key = ANY(%s) GROUP BY idempotency_key",
            (list(log.submitted),),
        ).fetchall()
        duplicated_text = conn.execute(
            "SELECT count(*) FROM (SELECT description FROM raw.user_reports"
            " WHERE description LIKE 'fault test report %%'"
            " GROUP BY description HAVING count(*) > 1) d"
        ).fetchone()[0]
    stored = {key: (count, first_id) for key, count, first_id, _ in rows}
    assert set(stored) == set(log.acknowledged), "an acknowledged report is missing"
    for key, (report_id, _) in log.acknowledged.items():
        assert stored[key] == (1, report_id), key
    assert duplicated_text == 0, "the same report was stored under two keys"
