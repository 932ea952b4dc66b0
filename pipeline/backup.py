"""`halo backup`: pg_dump (custom format) named by UTC time, a manifest, retention, optional S3.

The dump and the manifest's checksums read the same exported snapshot, so the manifest states
exactly what the dump holds. Files are written owner-only (they hold reports and key hashes).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from config.settings import Settings
from core.photo_store import photo_store_for
from pipeline.backup_manifest import ApiProbe, Manifest, alembic_version, table_checksums
from pipeline.backup_photos import photo_keys, photos_path, write_photo_archive
from pipeline.jobs import recorded_job
from pipeline.pg_client import run_tool, tool_command, wait_tool

log = logging.getLogger("halo.backup")

PREFIX = "halo-"
DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".manifest.json"
# Extensions come from provisioning (db/bootstrap.sql) on the target; rate-limit counters
# are ephemeral.
DUMP_ARGS = ["--format=custom", "--exclude-extension=*", "--no-unlogged-table-data"]


@dataclass(frozen=True)
class BackupResult:
    """Where a backup went and what it holds."""

    dump: Path
    manifest: Path
    manifest_data: Manifest
    deleted: list[Path]
    uploaded: list[str]


def backup_name(moment: datetime) -> str:
    """halo-20261129T020000Z: the dump's UTC time, sortable as text."""
    return PREFIX + moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def manifest_path(dump: Path) -> Path:
    """The manifest that goes with a dump file."""
    return dump.with_name(dump.name.removesuffix(DUMP_SUFFIX) + MANIFEST_SUFFIX)


def run_backup(
    settings: Settings,
    directory: Path | None = None,
    retention: int | None = None,
    now: datetime | None = None,
    *,
    probe: ApiProbe | None = None,
) -> BackupResult:
    """Dump the database, write its manifest, keep the newest `retention`, upload if set.

    With a `probe`, the API's answers on the database go into the manifest too."""
    directory = directory or settings.backup.dir
    retention = retention or settings.backup.retention
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    moment = now or datetime.now(UTC)
    dump = directory / (backup_name(moment) + DUMP_SUFFIX)
    with recorded_job(settings.database_url, "backup") as run:
        manifest = dump_with_manifest(settings, dump)
        manifest.created_at = moment.isoformat()
        manifest.api = _api_answers_or_nothing(settings, probe)
        write_manifest(manifest_path(dump), manifest)
        deleted = prune_backups(directory, retention)
        uploaded = _upload(settings, dump, retention)
        run.rows = sum(t["rows"] or 0 for t in manifest.tables.values())
        run.details = {"file": dump.name, "bytes": manifest.dump_bytes, "uploaded": uploaded}
    log.info("backup %s: %s bytes, %d tables", dump.name, manifest.dump_bytes, len(manifest.tables))
    return BackupResult(dump, manifest_path(dump), manifest, deleted, uploaded)


def dump_with_manifest(settings: Settings, dump: Path) -> Manifest:
    """pg_dump into `dump` while the manifest is read from the same snapshot."""
    url = settings.database_url
    command = tool_command("pg_dump", url, settings.backup.pg_bin_dir)
    partial = dump.with_name(dump.name + ".partial")
    with psycopg.connect(url) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            process = run_tool(command, [*DUMP_ARGS, f"--snapshot={row[0]}"], url, stdout=out)
            try:
                manifest = Manifest(alembic_version=alembic_version(conn))
                manifest.tables = table_checksums(conn)
                keys = photo_keys(conn)
            finally:
                # The snapshot must live until pg_dump has taken it: keep the transaction open.
                wait_tool(process, "pg_dump")
    partial.rename(dump)
    store = photo_store_for(settings.reports)
    manifest.photos = write_photo_archive(store, keys, photos_path(dump)).to_json()
    manifest.dump_file = dump.name
    manifest.dump_sha256 = file_sha256(dump)
    manifest.dump_bytes = dump.stat().st_size
    return manifest


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(path: Path, manifest: Manifest) -> None:
    """Write the manifest JSON, owner-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(manifest.to_json(), out, indent=2, sort_keys=True)


def read_manifest(dump: Path) -> Manifest | None:
    """The manifest beside a dump, if there is one."""
    path = manifest_path(dump)
    if not path.exists():
        return None
    return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` dumps (by their UTC name) and their manifests."""
    dumps = sorted(directory.glob(f"{PREFIX}*{DUMP_SUFFIX}"), key=lambda p: p.name, reverse=True)
    deleted: list[Path] = []
    for old in dumps[keep:]:
        for path in (old, manifest_path(old), photos_path(old)):
            if path.exists():
                path.unlink()
                deleted.append(path)
    return deleted


def _api_answers_or_nothing(
    settings: Settings, probe: ApiProbe | None
) -> dict[str, dict[str, object]]:
    """The API answers for the manifest; a backup is not lost because the API role cannot log in."""
    if probe is None:
        return {}
    try:
        return asyncio.run(probe(settings))
    except Exception:
        log.warning(
            "backup: API answers not recorded; a restore will not compare them", exc_info=True
        )
        return {}


def _upload(settings: Settings, dump: Path, retention: int) -> list[str]:
    if not settings.backup.s3_bucket:
        return []
    from pipeline.backup_s3 import upload_backup

    files = [dump, manifest_path(dump), photos_path(dump)]
    return upload_backup(settings.backup, files, retention)
