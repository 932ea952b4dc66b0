"""The operator's `halo` command, run as the installed console script (a real process): a
mistake gives one `error:` line and a non-zero exit, never a traceback; --version; keys."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfoNotFoundError

import pytest

from cli.errors import describe
from tests.support.dbtools import ScratchDatabase
from tests.support.halo_cli import HALO, db_env, halo, one_error_line


def test_version_names_the_release_and_commit() -> None:
    result = halo("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"halo \d+\.\d+\.\d+\S* \(\w+\)\n", result.stdout)


def test_database_down_is_one_line_for_migrate() -> None:
    down = "postgresql://halo_owner:whatever@127.0.0.1:9/halo"
    line = one_error_line(halo("db", "migrate", env={"DATABASE_URL": down}))
    assert "database:" in line and "127.0.0.1" in line


def test_wrong_password_is_one_line(db: ScratchDatabase) -> None:
    wrong = re.sub(r"://([^:]+):[^@]*@", r"://\1:not-the-password@", db.owner_url)
    line = one_error_line(halo("keys", "list", env={"DATABASE_URL": wrong}))
    assert "password authentication failed" in line


def test_default_secrets_in_production_refused_before_serving() -> None:
    env = {
        "HALO_ENV": "production",
        "HALO_CLIENT_HASH_SALT": "local-only-client-hash-salt",
        # local.env is never read in production: the URLs come from the environment.
        "DATABASE_URL": "postgresql://halo_owner@127.0.0.1:9/halo",
        "HALO_API_DATABASE_URL": "postgresql://halo_api@127.0.0.1:9/halo",
    }
    line = one_error_line(halo("serve", "--port", "9", env=env), code=2)
    assert "HALO_CLIENT_HASH_SALT" in line


def test_keys_names_are_checked_and_listed_with_header_and_dates(db: ScratchDatabase) -> None:
    env = db_env(db)
    assert "key name" in one_error_line(halo("keys", "create", "  ", "--scope", "admin", env=env))
    created = halo("keys", "create", "qgis-anna", "--scope", "analyst", env=env)
    assert created.returncode == 0 and created.stdout.startswith("halo_")
    again = halo("keys", "create", "qgis-anna", "--scope", "admin", env=env)
    assert "already named 'qgis-anna'" in one_error_line(again)
    listed = halo("keys", "list", env=env)
    header, row = listed.stdout.splitlines()
    assert header.split()[:4] == ["ID", "KEY", "SCOPES", "CREATED"]
    assert re.search(r"analyst\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+never\s+live\s+qgis-anna$", row)
    key_id = row.split()[0]
    assert halo("keys", "revoke", key_id, env=env).returncode == 0
    # A revoked key's name may be given to its successor.
    assert halo("keys", "create", "qgis-anna", "--scope", "analyst", env=env).returncode == 0


def test_restore_into_an_existing_database_is_refused(db: ScratchDatabase, tmp_path: Path) -> None:
    dump = tmp_path / "halo-x.dump"
    dump.write_bytes(b"PGDMP")
    existing = db.owner_url.rsplit("/", 1)[1].split("?")[0]
    line = one_error_line(halo("restore", str(dump), "--into", existing, env=db_env(db)))
    assert "already exists" in line and existing in line


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ZoneInfoNotFoundError("No time zone found with key Mars/Base"), "unknown time zone"),
        (FileNotFoundError(2, "No such file or directory", "x.csv"), "No such file"),
    ],
)
def test_operator_errors_map_to_one_line(error: Exception, expected: str) -> None:
    described = describe(error)
    assert described is not None and expected in described[0] and "\n" not in described[0]


def test_a_bug_keeps_its_traceback() -> None:
    assert describe(KeyError("bug")) is None


def test_jobs_log_json_lines_when_not_on_a_terminal(db: ScratchDatabase) -> None:
    import json

    result = halo("db", "migrate", env=db_env(db))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records, "the migration logged nothing"
    assert all({"ts", "level", "logger", "msg"} <= set(record) for record in records)
    assert any(record["logger"].startswith("alembic") for record in records)


def test_glyphs_build_before_any_database_exists(tmp_path: Path) -> None:
    # `make install` builds the glyphs before `db up` has written local.env: the build needs
    # the map settings only, never the database URLs.
    base = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "HALO_API_DATABASE_URL")
    }
    built = subprocess.run(
        [HALO, "glyphs", "build"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**base, "HALO_HOME": str(tmp_path)},
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "glyphs" / "DejaVu Sans Book" / "0-255.pbf").stat().st_size > 1000
