"""Alembic environment: runs revisions as the owner role against DATABASE_URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from migrations.env_compare import include_name
from migrations.schema import sqlalchemy_url
from models import Base

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("url") or sqlalchemy_url()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_schemas=True,
        include_name=include_name,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported: the revisions apply SQL files")
run_migrations_online()
