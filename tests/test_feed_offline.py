"""Without network: `halo feed` keeps running, logs the failure once, backs off, records it
(readiness and /api/v1/freshness say `unreachable`), and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api import metrics as api_metrics
from cli import ingest
from config.settings import Settings, get_settings
from tests.support.dbtools import ScratchDatabase, settings_for
from tests.support.ingest_support import polisen_event, rows
from tests.support.live_server import free_port, live_server


def test_the_feed_process_survives_no_network_and_says_so(
    ref_db: ScratchDatabase, settings: Settings
) -> None:
    closed = free_port()  # nothing listens here: connection refused, as offline
    env = {
        **os.environ,
        "DATABASE_URL": ref_db.owner_url,
        "HALO_FEED_BASE_URL": f"http://127.0.0.1:{closed}/api/events",
        "HALO_FEED_INTERVAL_S": "1",
        "HALO_FEED_ENABLED": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "feed"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        failures = 0
        while time.monotonic() < deadline and failures < 3:
            time.sleep(0.5)
            found = rows(ref_db.owner_url, "SELECT polls_failed FROM ops.feed_state")
            failures = found[0][0] if found else 0
        assert process.poll() is None, "the feed is still running"
        assert failures >= 3
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert output.count("backing off (logged once until it recovers)") == 1, output
    on = settings_for(settings, ref_db)
    on = on.model_copy(update={"feed": on.feed.model_copy(update={"enabled": True})})
    with live_server(on) as api:
        freshness = api.get("/api/v1/freshness").json()
        ready = api.get("/health/ready").json()
        tiles = api.get("/api/v1/neighborhoods")
    assert freshness["feed"] == "unreachable"
    assert ready["status"] == "degraded"
    assert "network error" in " ".join(ready["checks"]["freshness"]["problems"])
    assert tiles.status_code == 200, "the map is served meanwhile"


def test_unknown_types_are_listed_and_counted_in_metrics(
    ref_db: ScratchDatabase, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    events = [
        polisen_event(1, title="14 maj 08.30, Drönarlarm, Stockholm", event_type="Drönarlarm"),
        polisen_event(2, title="14 maj 09.30, Drönarlarm, Stockholm", event_type="Drönarlarm"),
        polisen_event(3, title="14 maj 10.30, Fylleri, Stockholm", event_type="Fylleri"),
        polisen_event(
            4, title="14 maj 11.30, Upphittat föremål, Stockholm", event_type="Upphittat föremål"
        ),
    ]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    ingest_file(ref_db, monkeypatch, path)
    monkeypatch.setenv("DATABASE_URL", ref_db.owner_url)
    get_settings.cache_clear()
    try:
        listed = CliRunner().invoke(ingest.app, ["unknown-types"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.stdout.splitlines() if "Drönarlarm" in line]
    assert len(lines) == 1 and lines[0].split()[:3] == ["polisen", "Drönarlarm", "2"]
    assert "Fylleri" not in listed.stdout and "Upphittat" not in listed.stdout
    categories = dict(rows(ref_db.owner_url, "SELECT event_type, category FROM raw.incidents"))
    assert categories == {
        "Drönarlarm": "unmapped",
        "Fylleri": "other",
        "Upphittat föremål": "non_incident",
    }
    fylleri = 'halo_incidents_ingested{source="polisen",type="Fylleri"}'
    more = tmp_path / "more.json"
    more.write_text(
        json.dumps(
            [polisen_event(5, title="15 maj 08.30, Fylleri, Stockholm", event_type="Fylleri")],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    with live_server(settings_for(settings, ref_db)) as api:
        metrics = api.get("/metrics").text
        ingest_file(ref_db, monkeypatch, more)
        # The whole-table count by type is read once per interval, not at every scrape.
        within_interval = api.get("/metrics").text
        monkeypatch.setattr(api_metrics, "TYPE_COUNTS_EVERY_S", 0.0)
        after_interval = api.get("/metrics").text
    assert 'halo_unknown_event_types{source="polisen",type="Drönarlarm"} 2.0' in metrics
    assert f"{fylleri} 1.0" in metrics
    assert "halo_data_newest_event_age_seconds" in metrics
    assert f"{fylleri} 1.0" in within_interval
    assert f"{fylleri} 2.0" in after_interval


def ingest_file(db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """`halo ingest polisen FILE` against the scratch database."""
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(ingest.app, ["polisen", str(path)])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
