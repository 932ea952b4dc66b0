"""The schema's catalogue as rows: what a migrated database and a fresh install must share.

Used by the tests (migrations == fresh install; abuse changes nothing) and by
`halo db revision`, which turns the difference into the next revision.
"""

from __future__ import annotations

import psycopg

from core.schemas import HALO_SCHEMAS

# The schemas as an SQL list literal, for catalog queries (fixed names, not user input).
HALO_SCHEMAS_SQL = "(" + ", ".join(f"'{s}'" for s in HALO_SCHEMAS) + ")"


def sorted_acl(column: str) -> str:
    """An ACL column as sorted text: grant order differs between the two install paths."""
    return f"(SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest({column}) a)"  # noqa: S608


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
SELECT 'column_acl', c.oid::regclass::text || '.' || a.attname, {sorted_acl("a.attacl")}
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} AND a.attacl IS NOT NULL
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
"""  # noqa: S608 (fixed schema names, not input)


def schema_snapshot(url: str) -> list[tuple[str, str, str]]:
    """The catalogue rows (kind, name, definition) of the database at `url`, sorted."""
    with psycopg.connect(url) as conn:
        return conn.execute(SCHEMA_SNAPSHOT_SQL).fetchall()
