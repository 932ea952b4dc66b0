"""Test database plumbing: per-run template built by the migrations, per-test clones."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from psycopg import sql

from config.settings import Settings
from migrations.schema import alembic_config
from migrations.snapshot import HALO_SCHEMAS_SQL

__all__ = [
    "HALO_SCHEMAS_SQL",
    "DatabaseFactory",
    "ScratchDatabase",
    "settings_for",
    "with_database",
]


def with_database(url: str, dbname: str) -> str:
    """The same connection URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


@dataclass(frozen=True)
class ScratchDatabase:
    """A database of the test run, reachable as each of Halo's three roles."""

    name: str
    owner_url: str
    api_url: str
    analyst_url: str


class DatabaseFactory:
    """Creates and drops databases on the test server as the owner role."""

    def __init__(self, owner_url: str, api_url: str, analyst_url: str) -> None:
        self.owner_url, self.api_url, self.analyst_url = owner_url, api_url, analyst_url
        self.prefix = f"halo_test_{os.getpid()}"
        self.maintenance_url = with_database(owner_url, "postgres")

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(self.maintenance_url, autocommit=True) as conn:
            conn.execute(statement)

    def database(self, name: str) -> ScratchDatabase:
        return ScratchDatabase(
            name,
            with_database(self.owner_url, name),
            with_database(self.api_url, name),
            with_database(self.analyst_url, name),
        )

    def create(self, template: str = "template1", suffix: str | None = None) -> ScratchDatabase:
        """A new database cloned from `template` (template1 carries the extensions)."""
        name = f"{self.prefix}_{suffix or uuid.uuid4().hex[:10]}"
        self._admin(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        return self.database(name)

    def drop(self, name: str) -> None:
        """Drop a database; waits for sessions of other roles that are still closing."""
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        deadline = time.monotonic() + 10
        while True:
            try:
                self._admin(statement)
                return
            except psycopg.errors.InsufficientPrivilege:
                # FORCE may not end other roles' sessions (a test server's pool, just closed).
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def migrated_template(self) -> ScratchDatabase:
        """The run's template: an empty database upgraded to head by the migrations."""
        db = self.create(suffix="template")
        command.upgrade(alembic_config(db.owner_url), "head")
        return db


def settings_for(settings: Settings, db: ScratchDatabase) -> Settings:
    """The run's settings pointed at one test database."""
    return settings.model_copy(
        update={
            "database_url": db.owner_url,
            "api_database_url": db.api_url,
            "analyst_database_url": db.analyst_url,
        }
    )
