"""What a backup must give back: row count and checksum per table, alembic version, API answers.

Computed at dump time inside the very snapshot pg_dump reads, and again on the restored
copy; the two must be equal.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from config.settings import Settings
from core.schemas import HALO_SCHEMAS

# The API's answers on the database of some settings (api.probes.api_answers). Passed in by
# the caller (the CLI), because pipeline/ does not import api/ (README, Layout).
ApiProbe = Callable[[Settings], Coroutine[Any, Any, dict[str, dict[str, Any]]]]

# Tables and materialized views whose rows are Halo's data. Unlogged tables (rate-limit
# counters) are ephemeral and left out of dumps (--no-unlogged-table-data).
RELATIONS_SQL = """
SELECT n.nspname, c.relname, c.relkind = 'm' AND NOT c.relispopulated AS unpopulated
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'm') AND c.relpersistence = 'p'
   AND (n.nspname = ANY(%s) OR (n.nspname = 'public' AND c.relname = 'alembic_version'))
 ORDER BY 1, 2
"""
# Order-independent: the sum of the first 64 bits of each row's MD5, with the row count.
CHECKSUM_SQL = """
SELECT count(*),
       coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text
  FROM {} AS t
"""
# Row text must not depend on session settings (time zone, float digits, date style).
STABLE_TEXT_SQL = "SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = 1"


@dataclass
class Manifest:
    """The facts a restored copy is checked against."""

    alembic_version: str | None = None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    api: dict[str, dict[str, Any]] = field(default_factory=dict)
    dump_file: str | None = None
    dump_sha256: str | None = None
    dump_bytes: int | None = None
    created_at: str | None = None
    # The report photos archive beside the dump (pipeline/backup_photos.py): count, sha256.
    photos: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The manifest as stored beside the dump."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """A manifest read back from its JSON file."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def table_checksums(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Row count and checksum of every data table, in the connection's current transaction."""
    conn.execute(STABLE_TEXT_SQL)
    out: dict[str, dict[str, Any]] = {}
    for schema, name, unpopulated in conn.execute(RELATIONS_SQL, (list(HALO_SCHEMAS),)):
        key = f"{schema}.{name}"
        if unpopulated:
            out[key] = {"rows": None, "checksum": None}
            continue
        query = sql.SQL(CHECKSUM_SQL).format(sql.Identifier(schema, name))
        row = conn.execute(query).fetchone()
        assert row is not None
        out[key] = {"rows": int(row[0]), "checksum": row[1]}
    return out


def alembic_version(conn: psycopg.Connection) -> str | None:
    """The schema revision the database is at."""
    row = conn.execute("SELECT string_agg(version_num, ',') FROM public.alembic_version").fetchone()
    return row[0] if row else None


def differences(expected: Manifest, actual: Manifest) -> list[str]:
    """Human-readable differences between the backup's manifest and the restored copy's."""
    problems: list[str] = []
    if expected.alembic_version != actual.alembic_version:
        problems.append(
            f"alembic version {actual.alembic_version!r} != {expected.alembic_version!r}"
        )
    for name in sorted(set(expected.tables) | set(actual.tables)):
        want, got = expected.tables.get(name), actual.tables.get(name)
        if want != got:
            problems.append(f"table {name}: restored {got} != backed up {want}")
    # Only the answers recorded at backup time are compared (none if the API was unreachable).
    for path in sorted(expected.api):
        want, got = expected.api.get(path), actual.api.get(path)
        if want != got:
            problems.append(f"API {path}: restored {got} != backed up {want}")
    return problems
