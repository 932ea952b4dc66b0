"""The schema's history: migrations, a fresh install and the models all agree."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from migrations.env_compare import include_name
from migrations.schema import alembic_config, install_fresh, sqlalchemy_url
from migrations.snapshot import HALO_SCHEMAS_SQL, schema_snapshot
from models import Base
from tests.support.dbtools import ScratchDatabase


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()
    assert head is not None
    return head


def test_upgrade_downgrade_upgrade_on_an_empty_database(empty_db: ScratchDatabase) -> None:
    cfg = alembic_config(empty_db.owner_url)
    command.upgrade(cfg, "head")
    first = schema_snapshot(empty_db.owner_url)
    command.downgrade(cfg, "base")
    with psycopg.connect(empty_db.owner_url) as conn:
        left = conn.execute(
            f"SELECT count(*) FROM pg_namespace WHERE nspname IN {HALO_SCHEMAS_SQL}"
        ).fetchone()
    assert left == (0,)
    command.upgrade(cfg, "head")
    assert schema_snapshot(empty_db.owner_url) == first
    assert any(kind == "column" and name == "raw.incidents.h3_cell" for kind, name, _ in first)


def test_fresh_install_gives_the_same_schema_as_the_migrations(
    empty_db: ScratchDatabase, template_db: ScratchDatabase
) -> None:
    engine = create_engine(sqlalchemy_url(empty_db.owner_url), poolclass=pool.NullPool)
    with engine.begin() as conn:
        install_fresh(conn, head_revision())
    engine.dispose()
    assert schema_snapshot(empty_db.owner_url) == schema_snapshot(template_db.owner_url)


def test_models_do_not_drift_from_the_migrated_database(template_db: ScratchDatabase) -> None:
    engine = create_engine(sqlalchemy_url(template_db.owner_url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "include_name": include_name,
                "compare_type": True,
                "target_metadata": Base.metadata,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    # Comments are documentation kept in sql/ (they become QGIS layer abstracts), not in models.
    diff = [d for d in diff if not _is_comment_change(d)]
    assert diff == []


def _is_comment_change(change: object) -> bool:
    if isinstance(change, list):
        return all(_is_comment_change(c) for c in change)
    if isinstance(change, tuple):
        if change[0] == "modify_comment":
            return True
        if change[0] in ("add_table_comment", "remove_table_comment"):
            return True
    return False


def test_migrations_run_through_a_multi_host_failover_url(empty_db: ScratchDatabase) -> None:
    # The compose stack hands the owner a libpq multi-host URL (primary, then the standby):
    # alembic (SQLAlchemy) must take it, and skip a host that is down.
    parts = urlsplit(empty_db.owner_url)
    netloc = parts.netloc.replace(
        f"@{parts.hostname}:{parts.port}", f"@127.0.0.1:1,{parts.hostname}:{parts.port}"
    )
    multi = urlunsplit(parts._replace(netloc=netloc, query="target_session_attrs=read-write"))
    command.upgrade(alembic_config(multi), "head")
    with psycopg.connect(empty_db.owner_url) as conn:
        assert conn.execute("SELECT version_num FROM public.alembic_version").fetchone() == (
            head_revision(),
        )
