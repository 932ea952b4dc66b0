"""Fixtures: one database server per run, a migrated template, an isolated clone per test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from config.settings import Settings, get_settings
from tests.support.dbtools import DatabaseFactory, ScratchDatabase, settings_for
from tests.support.ingest_support import reference_database
from tests.support.live_server import free_port, live_server
from tests.support.map_support import MapCity, map_city


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def db_factory(settings: Settings) -> DatabaseFactory:
    if not settings.analyst_database_url:
        pytest.exit("HALO_ANALYST_DATABASE_URL is not set: run the tests through `make test`")
    return DatabaseFactory(
        settings.database_url, settings.api_database_url, settings.analyst_database_url
    )


@pytest.fixture(scope="session")
def template_db(db_factory: DatabaseFactory) -> Iterator[ScratchDatabase]:
    db = db_factory.migrated_template()
    yield db
    db_factory.drop(db.name)


@pytest.fixture
def db(db_factory: DatabaseFactory, template_db: ScratchDatabase) -> Iterator[ScratchDatabase]:
    """A fresh clone of the migrated template, dropped after the test."""
    clone = db_factory.create(template=template_db.name)
    yield clone
    db_factory.drop(clone.name)


@pytest.fixture
def empty_db(db_factory: DatabaseFactory) -> Iterator[ScratchDatabase]:
    """A database with the extensions only, no Halo schema."""
    empty = db_factory.create()
    yield empty
    db_factory.drop(empty.name)


@pytest.fixture
def api(settings: Settings, db: ScratchDatabase) -> Iterator[httpx.Client]:
    """An HTTP client of a live Halo API serving the test's own database."""
    with live_server(settings_for(settings, db)) as client:
        yield client


@pytest.fixture(scope="session")
def city(db_factory: DatabaseFactory, template_db: ScratchDatabase) -> Iterator[MapCity]:
    """The map tests' city (tests/support/map_support.py), seeded and refreshed once per run.

    Shared by every module that only reads it; a test that changes it (a nightly run, a lock
    left behind) builds its own with `map_city`.
    """
    with map_city(db_factory, template_db) as seeded:
        yield seeded


@pytest.fixture(scope="session")
def reference_template(
    db_factory: DatabaseFactory, template_db: ScratchDatabase, settings: Settings
) -> Iterator[ScratchDatabase]:
    """The migrated template with the reference data (boundaries, gazetteer): built once a run."""
    db = reference_database(db_factory, template_db, settings.data_dir)
    yield db
    db_factory.drop(db.name)


@pytest.fixture
def ref_db(
    db_factory: DatabaseFactory, reference_template: ScratchDatabase
) -> Iterator[ScratchDatabase]:
    """A fresh clone of the reference template, dropped after the test."""
    clone = db_factory.create(template=reference_template.name)
    yield clone
    db_factory.drop(clone.name)


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local S3-compatible server (moto) on loopback, with throwaway credentials
    (backups and report photos go to S3 in production)."""
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
