"""Shared pieces of the schema machinery: Halo's schemas, SQL file runners, alembic config."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Connection, text

from config.settings import REPO_ROOT, get_settings

SQL_DIR = REPO_ROOT / "sql"
FROZEN_DIR = Path(__file__).resolve().parent / "versions"


def sqlalchemy_url(url: str | None = None) -> str:
    """The psycopg 3 SQLAlchemy URL of a libpq URL (default: the owner's DATABASE_URL).

    A libpq multi-host URL (`user:pw@a:5432,b:5432/db?target_session_attrs=read-write`, the
    failover form) becomes SQLAlchemy's spelling of it: the hosts as repeated `host` query
    parameters (`user:pw@/db?host=a:5432&host=b:5432&...`).
    """
    url = url or get_settings().database_url
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + _hosts_as_query(url[len(prefix) :])
    return url


def _hosts_as_query(rest: str) -> str:
    """`user:pw@a:1,b:2/db?x=y` -> `user:pw@/db?host=a:1&host=b:2&x=y`; one host unchanged."""
    userinfo, at, hostpart = rest.rpartition("@")
    hosts, _, tail = hostpart.partition("/")
    if "," not in hosts:
        return rest
    path, _, query = tail.partition("?")
    params = [f"host={host}" for host in hosts.split(",")] + ([query] if query else [])
    return f"{userinfo}{at}/{path}?{'&'.join(params)}"


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
