"""The schema's history: migrations, a fresh install and the models all agree."""

from __future__ import annotations

import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from migrations.env_compare import include_name
from migrations.schema import alembic_config, install_fresh, sqlalchemy_url
from models import Base
from tests.dbtools import HALO_SCHEMAS_SQL, ScratchDatabase


def sorted_acl(column: str) -> str:
    """An ACL column as sorted text: grant order differs between the two install paths."""
    return f"(SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest({column}) a)"


SCHEMA_SNAPSHOT_SQL = f"""
SELECT 'column', table_schema || '.' || table_name || '.' || column_name,
       concat_ws('|', data_type, udt_name, is_nullable, column_default,
                 generation_expression, is_identity)
  FROM information_schema.columns WHERE table_schema IN {HALO_SCHEMAS_SQL}
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(c.oid)
  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname IN {HALO_SCHEMAS_SQL}
UNION ALL
SELECT 'index', schemaname || '.' || indexname, indexdef
  FROM pg_indexes WHERE schemaname IN {HALO_SCHEMAS_SQL}
UNION ALL
SELECT 'view', schemaname || '.' || viewname, definition
  FROM pg_views WHERE schemaname IN {HALO_SCHEMAS_SQL}
UNION ALL
SELECT 'function', p.oid::regprocedure::text,
       md5(pg_get_functiondef(p.oid)) || '|'
       || coalesce({sorted_acl("p.proacl")}, '')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'relation', n.nspname || '.' || c.relname,
       concat_ws('|', c.relkind, {sorted_acl("c.relacl")}, obj_description(c.oid, 'pg_class'))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} OR (n.nspname = 'public' AND c.relname = 'alembic_version')
UNION ALL
SELECT 'column_comment', c.oid::regclass::text || '.' || a.attname, col_description(c.oid, a.attnum)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} AND col_description(c.oid, a.attnum) IS NOT NULL
UNION ALL
SELECT 'schema', nspname,
       concat_ws('|', {sorted_acl("nspacl")}, obj_description(oid, 'pg_namespace'))
  FROM pg_namespace WHERE nspname IN {HALO_SCHEMAS_SQL}
UNION ALL
SELECT 'default_acl', defaclnamespace::regnamespace::text || '.' || defaclobjtype::text,
       {sorted_acl("defaclacl")}
  FROM pg_default_acl
UNION ALL
SELECT 'geometry', f_table_schema || '.' || f_table_name || '.' || f_geometry_column,
       type || '/' || srid
  FROM geometry_columns WHERE f_table_schema IN {HALO_SCHEMAS_SQL}
UNION ALL
SELECT 'data', 'incident_categories', string_agg(code || ':' || severity_weight, ',' ORDER BY code)
  FROM ref.incident_categories
UNION ALL
SELECT 'version', 'alembic', string_agg(version_num, ',') FROM public.alembic_version
ORDER BY 1, 2
"""


def schema_snapshot(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(SCHEMA_SNAPSHOT_SQL).fetchall()


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
