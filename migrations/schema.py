"""Shared pieces of the schema machinery: Halo's schemas, SQL file runners, alembic config."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Connection, text

from config.settings import REPO_ROOT, get_settings

SQL_DIR = REPO_ROOT / "sql"
FROZEN_DIR = Path(__file__).resolve().parent / "versions"


def sqlalchemy_url(url: str | None = None) -> str:
    """The psycopg 3 SQLAlchemy URL of a libpq URL (default: the owner's DATABASE_URL)."""
    url = url or get_settings().database_url
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def alembic_config(url: str | None = None) -> Config:
    """An alembic Config for the repository's migrations, bound to a database URL."""
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.attributes["url"] = sqlalchemy_url(url)
    return cfg


def run_sql_file(connection: Connection, path: Path) -> None:
    """Execute one SQL file (several statements) on an open SQLAlchemy connection."""
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(path.read_text(encoding="utf-8"))


def apply_frozen(connection: Connection, name: str) -> None:
    """Apply a revision's frozen SQL file from migrations/versions/."""
    run_sql_file(connection, FROZEN_DIR / name)


def install_fresh(connection: Connection, head: str) -> None:
    """A fresh install: every file of sql/ in order, then the version stamp of `head`."""
    for path in sorted(SQL_DIR.glob("*.sql")):
        run_sql_file(connection, path)
    connection.execute(text("DELETE FROM public.alembic_version"))
    connection.execute(text("INSERT INTO public.alembic_version VALUES (:v)"), {"v": head})
