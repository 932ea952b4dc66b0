"""The database restarts under traffic (a scratch cluster, never the shared test server), with
two API server processes (`halo serve`) on it and the clients spread over both: every
acknowledged report, and its photo, is stored exactly once, and the API recovers by itself.
"Exactly once" is counted by content (text, place, device, photo) and by acknowledged id, not
only by idempotency key, which the database's UNIQUE constraint alone keeps distinct."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from PIL import Image

from config.settings import Settings
from core.digests import device_client_hash
from tests.support.api_processes import environment_without_database_urls, serve_processes
from tests.support.fault_support import ScratchCluster, scratch_cluster
from tests.support.fault_traffic import TrafficLog, reader, recovery, report_client
from tests.support.map_support import seed_map_city, tile_of
from tests.support.report_support import photo_files

REPORT_CLIENTS = 4  # spread over the two API processes
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


def cluster_environment(cluster: ScratchCluster, photo_dir: Path) -> dict[str, str]:
    """The API processes' settings on the scratch cluster: limits high but on (their counters
    live in the database too), tiles rendered by the database on every request, a short wait
    for a connection; one photo folder for both."""
    return environment_without_database_urls(
        DATABASE_URL=cluster.owner_url,
        HALO_API_DATABASE_URL=cluster.api_url,
        HALO_ANALYST_DATABASE_URL=cluster.analyst_url,
        HALO_REPORTS_PHOTO_DIR=str(photo_dir),
        HALO_REPORTS_PER_CLIENT_DAILY_LIMIT="10000",
        HALO_REPORTS_PER_ADDRESS_DAILY_LIMIT="10000",
        HALO_RATE_LIMIT_REPORTS_REQUESTS=str(HIGH),
        HALO_RATE_LIMIT_READS_REQUESTS=str(HIGH),
        HALO_RATE_LIMIT_TILES_REQUESTS=str(HIGH),
        HALO_MAP_TILE_CACHE_MAX_BYTES="0",
        HALO_MAP_GENERATION_CHECK_S="0",
        HALO_POOL_TIMEOUT_S="2",
        HALO_LOG_LEVEL="WARNING",
    )


@pytest.fixture(scope="module")
def api_processes(
    cluster: tuple[ScratchCluster, tuple[float, float]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[str], Path]]:
    """Two `halo serve` processes on the scratch cluster; their base URLs and photo folder."""
    scratch, _ = cluster
    work = tmp_path_factory.mktemp("api-processes")
    photo_dir = work / "photos"
    with serve_processes(cluster_environment(scratch, photo_dir), work) as bases:
        yield bases, photo_dir


def read_paths(hotspot: tuple[float, float]) -> tuple[list[str], list[str]]:
    """Risk tiles around the hot spot at three zooms, and risk lookups at and near it."""
    lon, lat = hotspot
    tiles = ["/tiles/risk/{}/{}/{}.mvt".format(*tile_of(lon, lat, z)) for z in (10, 12, 14)]
    risks = [f"/api/v1/risk?lat={lat + d:.5f}&lon={lon + d:.5f}" for d in (0.0, 0.0005, -0.0005)]
    return tiles, risks


MODES = ["fast", "immediate", "down-20s"]


@pytest.mark.parametrize("mode", MODES)
def test_a_database_restart_under_traffic_loses_and_duplicates_no_report(
    cluster: tuple[ScratchCluster, tuple[float, float]],
    api_processes: tuple[list[str], Path],
    settings: Settings,
    mode: str,
) -> None:
    scratch, hotspot = cluster
    bases, photo_dir = api_processes
    tiles, risks = read_paths(hotspot)
    log, stop = TrafficLog(), threading.Event()
    files_before = set(photo_files(photo_dir))
    workers = [
        threading.Thread(
            target=report_client,
            args=(bases[i % 2], log, stop, i + REPORT_CLIENTS * MODES.index(mode)),
        )
        for i in range(REPORT_CLIENTS)
    ]
    for i, base in enumerate(bases):  # each process serves both kinds of read
        workers.append(threading.Thread(target=reader, args=(base, "tile", tiles, log, stop)))
        workers.append(
            threading.Thread(target=reader, args=(bases[1 - i], "risk", risks, log, stop))
        )
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
    assert_each_acknowledged_report_stored_once(scratch, log, settings, photo_dir)
    # Both processes took reports: every client (two per process) had some acknowledged.
    devices = {log.submitted[key].device for key in log.acknowledged}
    assert len(devices) == REPORT_CLIENTS, devices
    # A file whose report insert failed and whose use could not be checked (the database was
    # down) is kept rather than risk deleting a stored report's photo: only failed attempts
    # may leave one.
    unreferenced = unreferenced_photos(scratch, photo_dir) - files_before
    failed_reports = sum(1 for r in log.requests if r.kind == "report" and not r.ok)
    print(  # noqa: T201 (shown by pytest -s)
        f"photos: {len(log.acknowledged)} stored once each; {len(unreferenced)} unreferenced"
        f" files left by {failed_reports} failed report attempts"
    )
    assert len(unreferenced) <= failed_reports


def test_the_exactly_once_check_fails_on_a_report_stored_twice_under_another_key(
    cluster: tuple[ScratchCluster, tuple[float, float]],
    api_processes: tuple[list[str], Path],
    settings: Settings,
) -> None:
    """The check above can fail: one real report, then the same content stored again under
    another key (what a lost key or a broken replay would leave) is found as a duplicate,
    though each key is still one row with its acknowledged id."""
    scratch, _ = cluster
    bases, photo_dir = api_processes
    log, stop = TrafficLog(), threading.Event()
    stop_after_one = threading.Thread(target=stop_when_acknowledged, args=(log, stop))
    stop_after_one.start()
    report_client(bases[0], log, stop, 99)
    stop_after_one.join()
    assert_each_acknowledged_report_stored_once(scratch, log, settings, photo_dir)
    report_id = next(iter(log.acknowledged.values()))[0]
    with psycopg.connect(scratch.owner_url, autocommit=True) as conn:
        copied = conn.execute(
            "INSERT INTO raw.user_reports (idempotency_key, request_sha256, category,"
            " occurred_at, received_at, geom, h3_cell, description, client_sha256)"
            " SELECT idempotency_key || '-again', request_sha256, category, occurred_at,"
            " received_at, geom, h3_cell, description, client_sha256"
            " FROM raw.user_reports WHERE id = %s RETURNING id",
            (report_id,),
        ).fetchone()
        assert copied is not None
        try:
            with pytest.raises(AssertionError, match="stored more than once"):
                assert_each_acknowledged_report_stored_once(scratch, log, settings, photo_dir)
        finally:
            conn.execute("DELETE FROM raw.user_reports WHERE id = %s", (copied[0],))


def stop_when_acknowledged(log: TrafficLog, stop: threading.Event, deadline_s: float = 30) -> None:
    """Stop the clients once one report is acknowledged (bounded)."""
    deadline = time.monotonic() + deadline_s
    while not log.acknowledged and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()


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


def assert_each_acknowledged_report_stored_once(
    cluster: ScratchCluster, log: TrafficLog, settings: Settings, photo_dir: Path
) -> None:
    """Every report the clients sent was acknowledged, and is stored exactly once: counted by
    content (text, place, device; a second row with the same content under another key is a
    duplicate), by acknowledged id (one row each, with the content sent under that key), and
    its photo once, as a file in the photo store that is that report's photo."""
    assert log.acknowledged, "no report was acknowledged"
    assert set(log.submitted) == set(log.acknowledged), "a client gave up on a report"
    texts = sorted({sent.description for sent in log.submitted.values()})
    with psycopg.connect(cluster.owner_url) as conn:
        rows = conn.execute(
            "SELECT id, idempotency_key, description, client_sha256, h3_cell::text, photo_key"
            " FROM raw.user_reports WHERE description = ANY(%s)",
            (texts,),
        ).fetchall()
    by_content: dict[tuple[str, str, str], list[int]] = {}
    for report_id, _, text, client, cell, _ in rows:
        by_content.setdefault((text, client, cell), []).append(report_id)
    duplicated = {content: ids for content, ids in by_content.items() if len(ids) > 1}
    assert not duplicated, (
        f"{len(duplicated)} reports stored more than once, e.g. {list(duplicated.items())[:3]}"
    )
    assert len(rows) == len(log.acknowledged), "stored reports != acknowledged reports"

    by_id = {row[0]: row for row in rows}
    acknowledged_ids = [report_id for report_id, _ in log.acknowledged.values()]
    assert len(set(acknowledged_ids)) == len(acknowledged_ids), "two reports got one id"
    salt = settings.security.client_hash_salt.get_secret_value().encode()
    photo_keys = []
    for key, (report_id, _) in log.acknowledged.items():
        assert report_id in by_id, f"acknowledged report {report_id} is missing"
        _, stored_key, text, client, _, photo_key = by_id[report_id]
        sent = log.submitted[key]
        assert (stored_key, text) == (key, sent.description), report_id
        assert client == device_client_hash(salt, sent.device), report_id
        assert photo_key, f"report {report_id} lost its photo"
        assert (photo_dir / photo_key).is_file(), f"the photo of report {report_id} is not stored"
        with Image.open(io.BytesIO((photo_dir / photo_key).read_bytes())) as image:
            assert image.size == sent.photo_size, f"report {report_id} shows another photo"
        photo_keys.append(photo_key)
    assert len(set(photo_keys)) == len(photo_keys), "one photo file shared by two reports"


def unreferenced_photos(cluster: ScratchCluster, photo_dir: Path) -> set[Path]:
    """Files in the photo store that no report refers to."""
    with psycopg.connect(cluster.owner_url) as conn:
        keys = conn.execute(
            "SELECT photo_key FROM raw.user_reports WHERE photo_key IS NOT NULL"
        ).fetchall()
    return set(photo_files(photo_dir)) - {photo_dir / key for (key,) in keys}
