"""The `halo load` and `halo ingest` commands: defaults from the data dir, summaries, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import city, ingest, load
from config.settings import get_settings
from pipeline.ingest.boundaries import DISTRICTS_FILE
from tests.support.dbtools import ScratchDatabase
from tests.support.ingest_support import polisen_event, scalar

runner = CliRunner()


@pytest.fixture
def cli_db(db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[ScratchDatabase]:
    """The commands' settings pointed at the test's database."""
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_load_then_ingest_a_file_with_a_report(cli_db: ScratchDatabase, tmp_path: Path) -> None:
    loaded = runner.invoke(load.app, ["boundaries"])
    assert loaded.exit_code == 0, loaded.output
    assert "municipalities 290, districts 117" in loaded.output
    districts = get_settings().data_dir / DISTRICTS_FILE
    stockholm = runner.invoke(
        city.app,
        [
            *("add", "Stockholm", "--tz", "Europe/Stockholm", "--boundary", str(districts)),
            *("--districts", str(districts), "--municipality", "0180", "--source", "polisen"),
        ],
    )
    assert stockholm.exit_code == 0, stockholm.output
    assert "city stockholm (id 1): districts 117" in stockholm.output
    places = runner.invoke(load.app, ["gazetteer"])
    assert places.exit_code == 0 and "places" in places.output

    events = tmp_path / "events.json"
    events.write_text(json.dumps([polisen_event(), polisen_event(2, title="bad")]))
    result = runner.invoke(ingest.app, ["polisen", str(events), "--report"])
    assert result.exit_code == 0, result.output
    assert "inserted 1, updated 0, unchanged 0, rejected 1 (bad_title 1)" in result.stdout
    assert "rejected events.json event 2: bad_title" in result.output
    assert "Stockholm (0180) events located to a district or finer: 100.0%" in result.stdout


def test_garbage_input_exits_non_zero_with_the_reason(
    cli_db: ScratchDatabase, tmp_path: Path
) -> None:
    runner.invoke(load.app, ["boundaries"])
    garbage = tmp_path / "garbage.json"
    garbage.write_text("[{")
    result = runner.invoke(ingest.app, ["polisen", str(garbage)])
    assert result.exit_code == 1
    assert "malformed JSON" in result.output
    assert scalar(cli_db.owner_url, "SELECT count(*) FROM raw.incidents") == 0


def test_points_command_loads_a_csv_with_a_mapping(cli_db: ScratchDatabase, tmp_path: Path) -> None:
    runner.invoke(load.app, ["boundaries"])
    path = tmp_path / "points.csv"
    path.write_text("nr,t,kind,y,x\n1,2024-05-14T08:30:00,Rån,59.33,18.06\n2,x,Rån,59.33,18.06\n")
    args = ["points", str(path), "--map", "id=nr,time=t,type=kind,lat=y,lon=x", "--source", "demo"]
    refused = runner.invoke(ingest.app, args)  # --max-rejects 0 by default
    assert refused.exit_code == 1
    assert "rejected line 3: bad_time" in refused.output
    assert "1 rows rejected, more than --max-rejects 0: nothing written" in refused.output
    types = tmp_path / "types.csv"
    types.write_text("type,category,severity\nStöld,theft,\n")
    result = runner.invoke(ingest.app, [*args, "--max-rejects", "1", "--types", str(types)])
    assert result.exit_code == 0, result.output
    assert "inserted 1, updated 0, unchanged 0, rejected 1 (bad_time 1)" in result.stdout
    assert "rejected line 3: bad_time" in result.output
    assert "unmapped type 'Rån': 1 rows (not counted for risk)" in result.output


def test_a_bad_bbox_is_refused(cli_db: ScratchDatabase, tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("nr,t,kind,y,x\n")
    result = runner.invoke(
        ingest.app,
        [
            "points",
            str(path),
            "--map",
            "id=nr,time=t,type=kind,lat=y,lon=x",
            "--source",
            "demo",
            "--bbox",
            "18,59,17,60",
        ],
    )
    assert result.exit_code == 1
    assert "--bbox must be" in result.output


def test_poll_without_live_is_a_usage_error() -> None:
    result = runner.invoke(ingest.app, ["polisen", "--poll"])
    assert result.exit_code == 2
    assert "--poll and --date need --live" in result.output


def test_the_commands_are_registered_on_halo() -> None:
    from cli.main import app

    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "ingest" in result.output and "load" in result.output
