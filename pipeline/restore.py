"""`halo restore`: a dump into a new database, and `--verify`: restore into a scratch database
and compare it with the backup's manifest (rows and checksum per table, alembic version, API
answers), then drop it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from config.settings import Settings
from core.photo_store import photo_store_for
from pipeline.backup import file_sha256, read_manifest
from pipeline.backup_manifest import (
    ApiProbe,
    Manifest,
    alembic_version,
    differences,
    table_checksums,
)
from pipeline.backup_photos import archive_keys, photo_keys, photos_path, restore_photo_archive
from pipeline.jobs import recorded_job
from pipeline.pg_client import run_tool, tool_command, wait_tool

log = logging.getLogger("halo.restore")

DATABASE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class RestoreError(RuntimeError):
    """The dump could not be restored, or the restored copy is not what was backed up."""


@dataclass
class VerifyReport:
    """The outcome of a verified restore."""

    database: str
    tables: int
    rows: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the restored copy equals the manifest."""
        return not self.problems


def with_database(url: str, name: str) -> str:
    """The same connection URL for another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def restore_into(settings: Settings, dump: Path, database: str) -> str:
    """Create `database` (must not exist) from template1 and restore the dump into it."""
    if not DATABASE_NAME.fullmatch(database):
        raise RestoreError(f"not a plain database name: {database!r}")
    owner = settings.database_url
    with psycopg.connect(with_database(owner, "postgres"), autocommit=True) as conn:
        # template1 carries the extensions (provisioning), which dumps leave out.
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template1").format(sql.Identifier(database))
        )
    target = with_database(owner, database)
    command = tool_command("pg_restore", owner, settings.backup.pg_bin_dir)
    with dump.open("rb") as source:
        # pg_catalog's ACL entries (provisioning revokes the large-object functions, in
        # template1 too) are the superuser's to set and already in place: leave them out.
        args = ["--exit-on-error", "--single-transaction", "--exclude-schema=pg_catalog"]
        process = run_tool(command, args, target, source)
        wait_tool(process, "pg_restore")
    return target


def drop_database(settings: Settings, database: str, wait_s: float = 10.0) -> None:
    """Drop a scratch database, disconnecting whoever is on it."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with psycopg.connect(with_database(settings.database_url, "postgres")) as conn:
                conn.autocommit = True
                conn.execute(statement)
            return
        except psycopg.errors.InsufficientPrivilege:
            # The owner may not end other roles' sessions (the API role's, just closed by the
            # probes): they are on their way out, so wait for them.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def verify_restore(
    settings: Settings, dump: Path, keep: bool = False, *, probe: ApiProbe | None = None
) -> VerifyReport:
    """Restore into a scratch database, compare with the manifest, drop it (unless `keep`).

    API answers recorded in the manifest are compared only through a `probe`; without one
    they count as missing (a difference)."""
    expected = read_manifest(dump)
    if expected is None:
        raise RestoreError(f"no manifest beside {dump.name}: cannot verify")
    if expected.dump_sha256 and file_sha256(dump) != expected.dump_sha256:
        raise RestoreError(f"{dump.name} does not match the SHA-256 in its manifest")
    scratch = "halo_verify_" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    with recorded_job(settings.database_url, "restore_verify") as run:
        try:
            target = restore_into(settings, dump, scratch)
            actual = restored_manifest(settings, target, scratch, probe)
            photo_problems = check_photo_archive(expected, dump, target)
        finally:
            if not keep:
                drop_database(settings, scratch)
        report = VerifyReport(
            database=scratch,
            tables=len(actual.tables),
            rows=sum(t["rows"] or 0 for t in actual.tables.values()),
            problems=differences(expected, actual) + photo_problems,
        )
        run.rows = report.rows
        run.details = {"file": dump.name, "problems": report.problems[:20]}
        if not report.ok:
            raise RestoreError("; ".join(report.problems[:5]))
    return report


def check_photo_archive(expected: Manifest, dump: Path, target_url: str) -> list[str]:
    """The photo archive is the one the manifest names and holds every photo the restored
    reports refer to; problems as sentences (none when all is well)."""
    if not expected.photos:
        return []  # a backup made before photos were archived
    archive = photos_path(dump)
    if not archive.exists():
        return [f"the photo archive {archive.name} is missing"]
    if file_sha256(archive) != expected.photos.get("sha256"):
        return [f"{archive.name} does not match the SHA-256 in the manifest"]
    with psycopg.connect(target_url) as conn:
        wanted = set(photo_keys(conn)) - set(expected.photos.get("missing", []))
    absent = sorted(wanted - archive_keys(archive))
    return [f"{len(absent)} report photos are not in {archive.name}"] if absent else []


def restore_photos(settings: Settings, dump: Path) -> int:
    """Put the dump's report photos back into the configured photo store; returns how many."""
    archive = photos_path(dump)
    if not archive.exists():
        return 0
    return restore_photo_archive(archive, photo_store_for(settings.reports))


def restored_manifest(
    settings: Settings, target: str, database: str, probe: ApiProbe | None = None
) -> Manifest:
    """The manifest facts of a restored database, API answers included."""
    with psycopg.connect(target) as conn:
        manifest = Manifest(alembic_version=alembic_version(conn))
        manifest.tables = table_checksums(conn)
    on_copy = settings.model_copy(
        update={
            "database_url": target,
            "api_database_url": with_database(settings.api_database_url, database),
        }
    )
    if probe is None:
        return manifest
    try:
        manifest.api = asyncio.run(probe(on_copy))
    except Exception:
        # Reported as a difference (the API answers nothing) rather than a crash.
        log.warning("restore verify: the API could not answer on the copy", exc_info=True)
    return manifest
