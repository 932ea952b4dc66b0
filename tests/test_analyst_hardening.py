"""The analyst role hardened where PostgreSQL allows, proven on a throwaway cluster provisioned
by db/bootstrap.sql (never the shared server's roles); and the nightly lock that no other role
can hold (an analyst holding the old advisory key made every nightly run fail)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pipeline.jobs import exclusive
from tests.support import pg_cluster
from tests.support.dbtools import DatabaseFactory, ScratchDatabase
from tests.support.live_server import free_port

pytestmark = pytest.mark.skipif(
    not pg_cluster.available(), reason="needs root and the local database's root filesystem"
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[pg_cluster.Cluster]:
    one = pg_cluster.Cluster(f"hardening-{free_port()}", pg_cluster.cluster_port())
    one.create()
    try:
        yield one
    finally:
        one.destroy()


def _sqlstate(url: str, *statements: str) -> str | None:
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            for statement in statements:
                conn.execute(statement)
        except psycopg.Error as exc:
            return exc.sqlstate
    return None


def test_analyst_cannot_write_large_objects_even_with_read_only_off(
    cluster: pg_cluster.Cluster,
) -> None:
    url = cluster.url("analyst")
    off = "SET default_transaction_read_only = off"
    assert _sqlstate(url, off, "SELECT lo_from_bytea(0, '\\x00'::bytea)") == "42501"
    assert _sqlstate(url, off, "SELECT lo_create(0)") == "42501"
    assert _sqlstate(url, off, "CREATE TEMP TABLE t (x int)") == "42501"


def test_analyst_cannot_lift_its_connection_limit(cluster: pg_cluster.Cluster) -> None:
    url = cluster.url("analyst")
    off = "SET default_transaction_read_only = off"
    assert _sqlstate(url, off, "ALTER ROLE halo_analyst CONNECTION LIMIT -1") == "42501"
    open_connections = []
    try:
        for _ in range(8):
            open_connections.append(psycopg.connect(url))
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            psycopg.connect(url)
    finally:
        for conn in open_connections:
            conn.close()


def test_analyst_defaults_set_on_itself_do_not_outrank_the_database_ones(
    cluster: pg_cluster.Cluster,
) -> None:
    url = cluster.url("analyst")
    # PostgreSQL lets any role set its own defaults; the superuser's per-database ones win.
    off = "SET default_transaction_read_only = off"
    assert _sqlstate(url, off, "ALTER ROLE halo_analyst SET statement_timeout = 0") is None
    assert _sqlstate(url, off, "ALTER ROLE halo_analyst SET work_mem = '2GB'") is None
    with psycopg.connect(url) as conn:
        shown = [
            conn.execute(f"SHOW {name}").fetchone()
            for name in ("statement_timeout", "work_mem", "default_transaction_read_only")
        ]
    assert shown == [("2min",), ("64MB",), ("on",)]


def test_the_api_role_runs_without_jit(cluster: pg_cluster.Cluster) -> None:
    with psycopg.connect(cluster.url("api")) as conn:
        assert conn.execute("SHOW jit").fetchone() == ("off",)


def test_another_role_holding_the_old_advisory_key_cannot_block_the_nightly(
    db: ScratchDatabase, db_factory: DatabaseFactory
) -> None:
    with psycopg.connect(db.analyst_url, autocommit=True) as analyst:
        analyst.execute("SELECT pg_advisory_lock(%s)", (0x4A1_0001,))
        with exclusive(db.owner_url):
            pass  # taken while the analyst holds the key the nightly used before
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            analyst.execute("SELECT job FROM ops.job_locks FOR UPDATE")
