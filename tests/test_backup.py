"""Backups with the real pg_dump/pg_restore: round trip equal, no plaintext key in a dump,
UTC names and retention, S3 upload, failures recorded, the CLI."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from api.probes import api_answers
from cli.main import app as cli_app
from config.settings import Settings, get_settings
from pipeline.backup import manifest_path, prune_backups, run_backup
from pipeline.backup_photos import photos_path
from pipeline.pg_client import ClientToolError, run_tool, tool_command, wait_tool
from pipeline.restore import RestoreError, drop_database, restore_into, verify_restore
from tests.support.dbtools import ScratchDatabase
from tests.support.opstools import api_key, seed_small_city, tuned


@pytest.fixture
def seeded(settings: Settings, db: ScratchDatabase) -> Settings:
    """Settings on a test database holding a small city, a key and a nightly run."""
    seed_small_city(db.owner_url)
    api_key(db, "admin", name="ops")
    return tuned(settings, db)


def test_backup_then_verified_restore_is_equal(seeded: Settings, tmp_path: Path) -> None:
    result = run_backup(seeded, tmp_path, probe=api_answers)
    tables = result.manifest_data.tables
    assert tables["raw.incidents"]["rows"] == 7
    assert tables["ref.districts"]["rows"] == 2
    assert "ops.rate_limit_counters" not in tables  # ephemeral, left out
    assert result.manifest_data.alembic_version
    assert result.manifest_data.api["/health/ready"]["status"] == 200
    report = verify_restore(seeded, result.dump, probe=api_answers)
    assert report.ok and report.problems == []
    assert report.tables == len(tables)
    assert report.rows == sum(t["rows"] or 0 for t in tables.values())


def test_verify_fails_when_the_restored_copy_differs(seeded: Settings, tmp_path: Path) -> None:
    result = run_backup(seeded, tmp_path, probe=api_answers)
    manifest = json.loads(result.manifest.read_text())
    manifest["tables"]["raw.incidents"]["rows"] = 8
    result.manifest.write_text(json.dumps(manifest))
    with pytest.raises(RestoreError, match=r"raw\.incidents"):
        verify_restore(seeded, result.dump, probe=api_answers)
    with psycopg.connect(seeded.database_url) as conn:
        row = conn.execute(
            "SELECT status FROM ops.job_runs WHERE kind = 'restore_verify'"
        ).fetchone()
    assert row == ("failed",)


def test_verify_refuses_a_dump_that_does_not_match_its_manifest(
    seeded: Settings, tmp_path: Path
) -> None:
    result = run_backup(seeded, tmp_path, probe=api_answers)
    with result.dump.open("ab") as dump:
        dump.write(b"tampered")
    with pytest.raises(RestoreError, match="SHA-256"):
        verify_restore(seeded, result.dump, probe=api_answers)


def test_a_dump_contains_no_plaintext_api_key(
    settings: Settings, db: ScratchDatabase, tmp_path: Path
) -> None:
    key = api_key(db, "admin", "ingest")
    config = tuned(settings, db)
    result = run_backup(config, tmp_path)
    # Read the dump as SQL text (the custom format is compressed).
    command = tool_command("pg_restore", config.database_url, None)
    with result.dump.open("rb") as source, (tmp_path / "dump.sql").open("wb") as out:
        process = run_tool(command, ["--file=-"], None, source, out)
        wait_tool(process, "pg_restore")
    text = (tmp_path / "dump.sql").read_text()
    assert "COPY ops.api_keys" in text
    assert key not in text and key.rsplit("_", 1)[1] not in text
    import hashlib

    assert hashlib.sha256(key.encode()).hexdigest() in text


def test_backups_are_named_by_utc_time_owner_only_and_pruned(
    seeded: Settings, tmp_path: Path
) -> None:
    start = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    names = []
    for day in range(3):
        result = run_backup(seeded, tmp_path, retention=2, now=start + timedelta(days=day))
        names.append(result.dump.name)
    assert names[0] == "halo-20261129T020000Z.dump"
    kept = sorted(p.name for p in tmp_path.iterdir())
    companions = [f(Path(n)).name for n in names[1:] for f in (manifest_path, photos_path)]
    assert kept == sorted([*names[1:], *companions])
    assert stat.S_IMODE((tmp_path / names[2]).stat().st_mode) == 0o600
    first = tmp_path / names[0]
    assert result.deleted == [first, manifest_path(first), photos_path(first)]


def test_pruning_keeps_the_newest_by_name(tmp_path: Path) -> None:
    for stamp in ("20250101T000000Z", "20261231T235959Z", "20260615T120000Z"):
        (tmp_path / f"halo-{stamp}.dump").write_bytes(b"x")
    (tmp_path / "unrelated.dump").write_bytes(b"x")
    prune_backups(tmp_path, keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "halo-20261231T235959Z.dump",
        "unrelated.dump",
    ]


def test_backup_uploads_to_s3_compatible_storage_with_retention(
    seeded: Settings, tmp_path: Path, s3_endpoint: str
) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket="halo-backups")
    backup = {
        "s3_bucket": "halo-backups",
        "s3_prefix": "prod/",
        "s3_endpoint_url": s3_endpoint,
        "s3_region": "us-east-1",
    }
    config = seeded.model_copy(update={"backup": seeded.backup.model_copy(update=backup)})
    start = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    for day in range(3):
        run_backup(config, tmp_path, retention=2, now=start + timedelta(days=day))
    listed = s3.list_objects_v2(Bucket="halo-backups", Prefix="prod/")["Contents"]
    assert sorted(o["Key"] for o in listed) == [
        "prod/halo-20261130T020000Z.dump",
        "prod/halo-20261130T020000Z.manifest.json",
        "prod/halo-20261130T020000Z.photos.tar",
        "prod/halo-20261201T020000Z.dump",
        "prod/halo-20261201T020000Z.manifest.json",
        "prod/halo-20261201T020000Z.photos.tar",
    ]
    local = (tmp_path / "halo-20261201T020000Z.dump").read_bytes()
    remote = s3.get_object(Bucket="halo-backups", Key="prod/halo-20261201T020000Z.dump")
    assert remote["Body"].read() == local


def test_a_failed_backup_is_recorded_as_a_failed_job(
    settings: Settings, db: ScratchDatabase, tmp_path: Path
) -> None:
    config = tuned(settings, db, backup={"pg_bin_dir": tmp_path / "no-such-bin"})
    with pytest.raises(ClientToolError, match="HALO_PG_BIN_DIR"):
        run_backup(config, tmp_path)
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute("SELECT status, error FROM ops.job_runs WHERE kind = 'backup'")
        status, error = row.fetchone() or (None, None)
    assert status == "failed" and "pg_dump" in error
    assert not list(tmp_path.glob("*.dump"))


def test_client_tools_come_from_the_configured_folder_first(
    settings: Settings, tmp_path: Path
) -> None:
    tool = tmp_path / "pg_dump"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert tool_command("pg_dump", settings.database_url, tmp_path) == [str(tool)]
    fallback = tool_command("pg_dump", settings.database_url, None)
    assert fallback[-1] == "pg_dump"  # a >= 17 pg_dump on PATH, or the local database's


@pytest.fixture
def cli_on(db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    monkeypatch.setenv("HALO_API_DATABASE_URL", db.api_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_backup_then_restore_verify_and_restore_into_a_new_database(
    cli_on: CliRunner, seeded: Settings, tmp_path: Path
) -> None:
    made = cli_on.invoke(cli_app, ["backup", "--dir", str(tmp_path), "--retention", "3"])
    assert made.exit_code == 0, made.output
    dump = Path(made.stdout.split()[0])
    verified = cli_on.invoke(cli_app, ["restore", str(dump), "--verify"])
    assert verified.exit_code == 0, verified.output
    assert "tables" in verified.stdout and "rows equal" in verified.stdout
    target = f"halo_restored_{tmp_path.name[-8:].lower().replace('-', '_')}"
    try:
        into = cli_on.invoke(cli_app, ["restore", str(dump), "--into", target])
        assert into.exit_code == 0, into.output
        with psycopg.connect(seeded.database_url.rsplit("/", 1)[0] + "/" + target) as conn:
            assert conn.execute("SELECT count(*) FROM raw.incidents").fetchone() == (7,)
        with pytest.raises(psycopg.errors.DuplicateDatabase):
            restore_into(seeded, dump, target)  # never over an existing database
    finally:
        drop_database(seeded, target)
    assert cli_on.invoke(cli_app, ["restore", str(dump)]).exit_code != 0


def test_report_photos_are_backed_up_verified_and_restored(
    seeded: Settings, tmp_path: Path
) -> None:
    from core.photo_store import DiskPhotoStore
    from pipeline.restore import restore_photos
    from tests.support.report_support import LAT, LON, insert_report, jpeg_with_gps

    photos = tmp_path / "photos"
    config = seeded.model_copy(
        update={"reports": seeded.reports.model_copy(update={"photo_dir": photos})}
    )
    store = DiskPhotoStore(photos)
    photo = jpeg_with_gps()
    key = store.put(photo, "jpg")
    with psycopg.connect(config.database_url, autocommit=True) as conn:
        report_id = insert_report(conn, LON, LAT, datetime.now(UTC) - timedelta(hours=1))
        conn.execute("UPDATE raw.user_reports SET photo_key = %s WHERE id = %s", (key, report_id))
    result = run_backup(config, tmp_path / "backups")
    archive = photos_path(result.dump)
    assert archive.exists() and stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert result.manifest_data.photos["count"] == 1
    assert verify_restore(config, result.dump).ok

    store.delete(key)  # the photo folder is lost; the backup brings the photo back
    assert restore_photos(config, result.dump) == 1
    assert store.get(key) == photo

    archive.unlink()
    with pytest.raises(RestoreError, match="photo archive"):
        verify_restore(config, result.dump)
