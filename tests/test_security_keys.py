"""API keys: scopes enforced over real HTTP, revocation at once, only hashes stored, the CLI."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from api.security.keys import generate_api_key, looks_like_api_key
from cli.main import app as cli_app
from config.settings import Settings, get_settings
from tests.support.dbtools import ScratchDatabase, settings_for
from tests.support.live_server import live_server
from tests.support.opstools import api_key

JOBS = "/api/v1/admin/jobs"


@pytest.fixture
def server(settings: Settings, db: ScratchDatabase) -> Iterator[httpx.Client]:
    with live_server(settings_for(settings, db)) as client:
        yield client


def test_admin_route_without_a_key_is_401_problem(server: httpx.Client) -> None:
    response = server.get(JOBS)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"].startswith("ApiKey")
    assert response.json()["title"] == "API key required"


def test_admin_route_with_a_key_of_another_scope_is_403(
    server: httpx.Client, db: ScratchDatabase
) -> None:
    key = api_key(db, "ingest", "analyst")
    response = server.get(JOBS, headers={"X-API-Key": key})
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


def test_admin_key_lists_recent_job_runs_newest_first(
    server: httpx.Client, db: ScratchDatabase
) -> None:
    with psycopg.connect(db.owner_url) as conn:
        conn.execute(
            "INSERT INTO ops.job_runs (kind, status, started_at, finished_at) VALUES"
            " ('ingest', 'success', now() - interval '2 hours', now() - interval '1 hour'),"
            " ('nightly', 'failed', now() - interval '30 minutes', now())"
        )
    key = api_key(db, "admin")
    runs = server.get(JOBS, headers={"X-API-Key": key}).json()
    assert [r["kind"] for r in runs] == ["nightly", "ingest"]
    only = server.get(JOBS, params={"kind": "ingest"}, headers={"X-API-Key": key}).json()
    assert [r["status"] for r in only] == ["success"]


@pytest.mark.parametrize(
    "key",
    [generate_api_key().key, "halo_zzzzzzzz_short", "not a key", ""],
    ids=["unknown", "malformed", "garbage", "empty"],
)
def test_unknown_or_malformed_key_is_401(server: httpx.Client, key: str) -> None:
    response = server.get(JOBS, headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json()["title"] == "Invalid or revoked API key"


def test_a_revoked_key_stops_working_on_the_next_request(
    server: httpx.Client, db: ScratchDatabase
) -> None:
    key = api_key(db, "admin")
    assert server.get(JOBS, headers={"X-API-Key": key}).status_code == 200
    with psycopg.connect(db.owner_url) as conn:
        conn.execute("UPDATE ops.api_keys SET revoked_at = now()")
    assert server.get(JOBS, headers={"X-API-Key": key}).status_code == 401


def test_only_the_sha256_of_a_key_is_stored_and_use_is_recorded(
    server: httpx.Client, db: ScratchDatabase
) -> None:
    key = api_key(db, "admin")
    server.get(JOBS, headers={"X-API-Key": key})
    with psycopg.connect(db.owner_url) as conn:
        row = conn.execute("SELECT k::text, key_sha256, last_used_at FROM ops.api_keys k")
        text, digest, last_used = row.fetchone() or (None, None, None)
    assert digest == hashlib.sha256(key.encode()).digest()
    secret = key.rsplit("_", 1)[1]
    assert secret not in (text or "")
    assert last_used is not None


def test_api_role_reaches_rate_limit_counters_only_through_the_function(
    db: ScratchDatabase,
) -> None:
    for statement in (
        "SELECT * FROM ops.rate_limit_counters",
        "SELECT ops.prune_rate_limit_counters()",
    ):
        with (
            psycopg.connect(db.api_url) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement)


def test_generated_keys_are_unique_and_recognisable() -> None:
    keys = {generate_api_key().key for _ in range(50)}
    assert len(keys) == 50
    assert all(looks_like_api_key(k) for k in keys)


@pytest.fixture
def cli_on(db: ScratchDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CLI runner whose settings point at the test database."""
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_keys_cli_creates_shows_once_lists_and_revokes(
    cli_on: CliRunner, db: ScratchDatabase
) -> None:
    created = cli_on.invoke(cli_app, ["keys", "create", "qgis-anna", "--scope", "analyst"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert looks_like_api_key(key)
    listed = cli_on.invoke(cli_app, ["keys", "list"])
    assert "qgis-anna" in listed.stdout and "live" in listed.stdout
    assert key not in listed.stdout
    assert cli_on.invoke(cli_app, ["keys", "revoke", "1"]).exit_code == 0
    assert "revoked" in cli_on.invoke(cli_app, ["keys", "list"]).stdout
    assert cli_on.invoke(cli_app, ["keys", "revoke", "1"]).exit_code == 1


def test_keys_cli_refuses_an_unknown_scope(cli_on: CliRunner) -> None:
    result = cli_on.invoke(cli_app, ["keys", "create", "x", "--scope", "root"])
    assert result.exit_code != 0
