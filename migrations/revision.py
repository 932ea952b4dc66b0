"""`halo db revision NAME`: the next revision, from the difference between history and sql/.

Two scratch databases are built on the owner's server: one by the migrations (upgrade head),
one by a fresh install of `sql/`. Their catalogues (migrations/snapshot.py) are compared:

* functions and views that are new or changed become `CREATE OR REPLACE` statements taken
  from the fresh install (their old definitions go into the downgrade), dropped ones `DROP`;
* grants on changed relations and functions, and comments, are rewritten exactly;
* everything else (tables, columns, constraints, indexes, schemas) is listed as a checklist
  in the file, for a hand-written `ALTER` above the generated part.

The revision then goes through review and `make test`, which proves that the migrated schema
equals a fresh install. Once on main it is released: `halo db release` records its hashes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from alembic import command
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import create_engine, pool

from migrations.schema import FROZEN_DIR, SQL_DIR, alembic_config, install_fresh, sqlalchemy_url
from migrations.snapshot import HALO_SCHEMAS_SQL, schema_snapshot

AUTOMATIC_KINDS = {"function", "view", "relation", "column_comment", "version"}

FUNCTIONS_SQL = f"""
SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid),
       p.proacl IS NOT NULL,
       coalesce((SELECT array_agg(coalesce(r.rolname, 'PUBLIC') ORDER BY 1)
                   FROM aclexplode(p.proacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
                  WHERE a.grantee <> p.proowner AND a.privilege_type = 'EXECUTE'), '{{}}')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} AND p.prokind IN ('f', 'p')
"""  # noqa: S608 (fixed schema names, not input)

VIEWS_SQL = f"""
SELECT schemaname || '.' || viewname, pg_get_viewdef((schemaname || '.' || viewname)::regclass)
  FROM pg_views WHERE schemaname IN {HALO_SCHEMAS_SQL}
"""  # noqa: S608 (fixed schema names, not input)

RELATION_GRANTS_SQL = f"""
SELECT n.nspname || '.' || c.relname, coalesce(r.rolname, 'PUBLIC'), a.privilege_type
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} AND a.grantee <> c.relowner
 ORDER BY 1, 2, 3
"""  # noqa: S608 (fixed schema names, not input)

COMMENTS_SQL = f"""
SELECT 'relation', n.nspname || '.' || c.relname,
       CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
       obj_description(c.oid, 'pg_class')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN {HALO_SCHEMAS_SQL} AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
UNION ALL
SELECT 'column_comment', c.oid::regclass::text || '.' || a.attname, 'COLUMN',
       col_description(c.oid, a.attnum)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname IN {HALO_SCHEMAS_SQL}
"""  # noqa: S608 (fixed schema names, not input)


@dataclass
class Catalogue:
    """What one database holds, as far as a revision can write it automatically."""

    snapshot: dict[tuple[str, str], str]
    functions: dict[str, tuple[str, bool, list[str]]]
    views: dict[str, str]
    grants: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    comments: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)

    def relations(self) -> set[str]:
        return {name for kind, name in self.snapshot if kind == "relation"}

    def tables(self) -> set[str]:
        return {n for (k, n), row in self.snapshot.items() if k == "relation" and row[:1] in "rp"}

    def is_sequence(self, relation: str) -> bool:
        return self.snapshot.get(("relation", relation), "").startswith("S")


def read_catalogue(url: str) -> Catalogue:
    """The catalogue of the database at `url`."""
    snapshot = {(kind, name): definition for kind, name, definition in schema_snapshot(url)}
    with psycopg.connect(url) as conn:
        functions = {
            sig: (body, has_acl, list(grantees))
            for sig, body, has_acl, grantees in conn.execute(FUNCTIONS_SQL)
        }
        views: dict[str, str] = dict(conn.execute(VIEWS_SQL).fetchall())
        grants: dict[str, list[tuple[str, str]]] = {}
        for relation, grantee, privilege in conn.execute(RELATION_GRANTS_SQL):
            grants.setdefault(relation, []).append((grantee, privilege))
        comments = {
            (kind, name): (target, text) for kind, name, target, text in conn.execute(COMMENTS_SQL)
        }
    return Catalogue(snapshot, functions, views, grants, comments)


@dataclass
class RevisionText:
    """The generated SQL of both directions and the checklist of hand-written changes."""

    upgrade: list[str]
    downgrade: list[str]
    checklist: list[str]


def changed(before: dict[str, object], after: dict[str, object]) -> tuple[list[str], list[str]]:
    """(new or changed keys, removed keys) between two dictionaries."""
    new_or_changed = sorted(k for k in after if before.get(k) != after[k])
    removed = sorted(k for k in before if k not in after)
    return new_or_changed, removed


def function_statements(old: Catalogue, new: Catalogue) -> RevisionText:
    """CREATE OR REPLACE / DROP FUNCTION, with exact EXECUTE grants, both directions."""
    text = RevisionText([], [], [])
    touched, removed = changed(dict(old.functions), dict(new.functions))
    for sig in touched:
        text.upgrade += function_definition(sig, new.functions[sig])
        if sig in old.functions:
            text.downgrade += function_definition(sig, old.functions[sig])
        else:
            text.downgrade.append(f"DROP FUNCTION IF EXISTS {sig};")
    for sig in removed:
        text.upgrade.append(f"DROP FUNCTION IF EXISTS {sig};")
        text.downgrade += function_definition(sig, old.functions[sig])
    return text


def function_definition(sig: str, spec: tuple[str, bool, list[str]]) -> list[str]:
    """A function's definition followed by the grants that make its ACL exact."""
    body, has_acl, grantees = spec
    statements = [body.rstrip() + ";"]
    if has_acl:
        statements.append(f"REVOKE ALL ON FUNCTION {sig} FROM PUBLIC;")
        statements += [f"GRANT EXECUTE ON FUNCTION {sig} TO {g};" for g in grantees]
    return statements


def view_statements(old: Catalogue, new: Catalogue) -> RevisionText:
    """CREATE OR REPLACE / DROP VIEW in both directions."""
    text = RevisionText([], [], [])
    touched, removed = changed(dict(old.views), dict(new.views))
    for name in touched:
        text.upgrade.append(f"CREATE OR REPLACE VIEW {name} AS\n{new.views[name].rstrip(';')};")
        if name in old.views:
            text.downgrade.append(
                f"CREATE OR REPLACE VIEW {name} AS\n{old.views[name].rstrip(';')};"
            )
            text.checklist.append(
                f"view {name} changed: if its columns changed beyond appending, replace the "
                "generated CREATE OR REPLACE by DROP VIEW + CREATE VIEW"
            )
        else:
            text.downgrade.append(f"DROP VIEW IF EXISTS {name};")
    for name in removed:
        text.upgrade.append(f"DROP VIEW IF EXISTS {name};")
        text.downgrade.append(f"CREATE OR REPLACE VIEW {name} AS\n{old.views[name].rstrip(';')};")
    return text


def grant_statements(old: Catalogue, new: Catalogue, relations: list[str]) -> list[str]:
    """Statements that give `relations` exactly the grants they have in `new`."""
    statements = []
    for relation in relations:
        if relation not in new.relations():
            continue
        kind = "SEQUENCE" if new.is_sequence(relation) else "TABLE"
        holders = sorted(
            {g for g, _ in old.grants.get(relation, []) + new.grants.get(relation, [])}
        )
        if holders:
            statements.append(f"REVOKE ALL ON {kind} {relation} FROM {', '.join(holders)};")
        by_grantee: dict[str, list[str]] = {}
        for grantee, privilege in new.grants.get(relation, []):
            by_grantee.setdefault(grantee, []).append(privilege)
        statements += [
            f"GRANT {', '.join(sorted(privs))} ON {kind} {relation} TO {grantee};"
            for grantee, privs in sorted(by_grantee.items())
        ]
    return statements


def comment_statements(old: Catalogue, new: Catalogue) -> list[str]:
    """COMMENT ON for every relation or column whose comment differs."""
    statements = []
    for key, (target, comment) in sorted(new.comments.items()):
        if old.comments.get(key, (target, None))[1] == comment:
            continue
        literal = "NULL" if comment is None else "'" + comment.replace("'", "''") + "'"
        statements.append(f"COMMENT ON {target} {key[1]} IS {literal};")
    return statements


def diff_catalogues(old: Catalogue, new: Catalogue) -> RevisionText:
    """The revision that turns `old` (migrated) into `new` (fresh install of sql/)."""
    functions, views = function_statements(old, new), view_statements(old, new)
    checklist = views.checklist[:] + table_checklist(old, new)
    whole_tables = (old.tables() ^ new.tables()) | set(old.views) | set(new.views)
    for key in sorted(set(old.snapshot) | set(new.snapshot)):
        kind, name = key
        before, after = old.snapshot.get(key), new.snapshot.get(key)
        if before == after or kind in AUTOMATIC_KINDS:
            continue
        if _owner(kind, name, before or after or "") in whole_tables:
            continue
        verb = "added" if before is None else "dropped" if after is None else "changed"
        checklist.append(f"{kind} {name} {verb}: {before or ''} -> {after or ''}".rstrip(" ->"))
    regranted = sorted(
        name
        for name in old.relations() | new.relations()
        if sorted(old.grants.get(name, [])) != sorted(new.grants.get(name, []))
    )
    upgrade = functions.upgrade + views.upgrade + grant_statements(old, new, regranted)
    downgrade = views.downgrade + functions.downgrade + grant_statements(new, old, regranted)
    return RevisionText(
        upgrade + comment_statements(old, new),
        downgrade + comment_statements(new, old),
        checklist,
    )


def table_checklist(old: Catalogue, new: Catalogue) -> list[str]:
    """One line per added or dropped table (not one per column, constraint and index)."""
    lines = [
        f"table {name} added: copy its CREATE TABLE (and indexes) from {defining_file(name)}"
        for name in sorted(new.tables() - old.tables())
    ]
    lines += [f"table {name} dropped: DROP TABLE" for name in sorted(old.tables() - new.tables())]
    return lines


def defining_file(relation: str) -> str:
    """The sql/ file that creates `relation`, for the checklist."""
    pattern = re.compile(rf"CREATE TABLE (IF NOT EXISTS )?{re.escape(relation)}\b", re.IGNORECASE)
    for path in sorted(SQL_DIR.glob("*.sql")):
        if pattern.search(path.read_text(encoding="utf-8")):
            return f"sql/{path.name}"
    return "sql/"


def _owner(kind: str, name: str, definition: str) -> str:
    """The relation a column, constraint or index row belongs to (schema.table)."""
    found = re.search(r" ON (\S+) USING ", definition) if kind == "index" else None
    return found.group(1) if found else ".".join(name.split(".")[:2])


def with_database(url: str, dbname: str) -> str:
    """The same connection URL pointing at another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


@contextmanager
def scratch_database(owner_url: str, label: str) -> Iterator[str]:
    """A throwaway database from template1 on the owner's server, dropped afterwards."""
    name = f"halo_revision_{label}_{uuid.uuid4().hex[:8]}"
    admin = with_database(owner_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template1").format(sql.Identifier(name)))
    try:
        yield with_database(owner_url, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def compare_history_with_sql(owner_url: str) -> tuple[str, RevisionText]:
    """(current head, the revision text) from two scratch databases on `owner_url`'s server."""
    head = ScriptDirectory.from_config(alembic_config(owner_url)).get_current_head()
    if head is None:
        raise RuntimeError("no revisions in migrations/versions")
    with (
        scratch_database(owner_url, "migrated") as migrated,
        scratch_database(owner_url, "fresh") as fresh,
    ):
        command.upgrade(alembic_config(migrated), "head")
        engine = create_engine(sqlalchemy_url(fresh), poolclass=pool.NullPool)
        with engine.begin() as conn:
            install_fresh(conn, head)
        engine.dispose()
        return head, diff_catalogues(read_catalogue(migrated), read_catalogue(fresh))


def next_revision_id(head: str, name: str) -> str:
    """`0002_name` after `0001_baseline`: four digits, then a snake_case name."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise ValueError(f"revision name {name!r}: use lower-case letters, digits and _")
    return f"{int(head.split('_', 1)[0]) + 1:04d}_{name}"


def write_revision(revision: str, head: str, text: RevisionText, message: str) -> list[Path]:
    """Write REV.py, REV.up.sql and REV.down.sql into migrations/versions/."""
    checklist = [f"--   [ ] {item}" for item in text.checklist] or ["--   (nothing)"]
    up = [
        f"-- {revision}: {message}",
        "-- Generated by `halo db revision`; review before release.",
        "--",
        "-- Hand-written changes (tables, columns, constraints, indexes, schemas) still to do,",
        "-- above the generated part; delete each line when done:",
        *checklist,
        "",
        "-- ==== hand-written ALTERs ====",
        "",
        "-- ==== generated: functions, views, grants, comments ====",
        *text.upgrade,
        "",
    ]
    down = [
        f"-- Downgrade of {revision}: undo the hand-written part first (reverse order), then:",
        *text.downgrade,
        "",
    ]
    paths = [FROZEN_DIR / f"{revision}.up.sql", FROZEN_DIR / f"{revision}.down.sql"]
    paths[0].write_text("\n".join(up), encoding="utf-8")
    paths[1].write_text("\n".join(down), encoding="utf-8")
    script = FROZEN_DIR / f"{revision}.py"
    script.write_text(
        PY_TEMPLATE.format(
            revision=revision, head=head, message=message, date=datetime.now(UTC).date().isoformat()
        )
    )
    return [script, *paths]


PY_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {head}
Create Date: {date}
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "{revision}.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "{revision}.down.sql")
'''
