"""`db/localdb.sh` with HALO_LOCAL_REPLICA=1, run for real on a setup of its own (never the shared
server, never ~/.cache/halo's data directory): its own HALO_HOME (local.env), data directories
under a scratch directory of the cached root filesystem (HALO_LOCAL_DATA_ROOT), its own ports.
`up` starts a primary and a hot standby from pg_basebackup, `status` shows the replay lag, a row
written on the primary appears on the standby, analysts cannot write there (SQLSTATE 25006),
a second `up` changes nothing, `down` stops both."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from config.settings import REPO_ROOT
from tests.support import pg_cluster
from tests.support.live_server import free_port

pytestmark = pytest.mark.skipif(
    not pg_cluster.available(), reason="needs root and the local database's root filesystem"
)
LOCALDB = REPO_ROOT / "db" / "localdb.sh"


@dataclass
class LocalDb:
    """One throwaway localdb setup: how to run the script on it, and where its state lives."""

    env: dict[str, str]
    home: Path
    data_root: str  # inside the root filesystem
    port: int
    replica_port: int

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["bash", str(LOCALDB), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"localdb.sh {' '.join(args)}: {done.stderr[-2000:]}")
        return done

    def run_without_replica(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The script with HALO_LOCAL_REPLICA=0 (the standby's data directory stays)."""
        return LocalDb({**self.env, "HALO_LOCAL_REPLICA": "0"}, *self.fields()).run(*args)

    def fields(self) -> tuple[Path, str, int, int]:
        return self.home, self.data_root, self.port, self.replica_port

    def settings(self) -> dict[str, str]:
        """local.env as written by `up`."""
        lines = (self.home / "local.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def on(self, url: str, port: int) -> str:
        """The same login on another server of the setup."""
        return url.replace(f"127.0.0.1:{self.port}/", f"127.0.0.1:{port}/")


@pytest.fixture(scope="module")
def localdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDb]:
    port, replica_port = free_port(), free_port()
    home = tmp_path_factory.mktemp("localdb-home")
    data_root = f"{pg_cluster.SCRATCH}/localdb-{port}"
    env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    env.update(
        HALO_HOME=str(home),
        HALO_LOCAL_ROOTFS=str(pg_cluster.rootfs()),
        HALO_LOCAL_DATA_ROOT=data_root,
        HALO_LOCAL_DB_PORT=str(port),
        HALO_LOCAL_REPLICA_PORT=str(replica_port),
        HALO_LOCAL_REPLICA="1",
    )
    setup = LocalDb(env, home, data_root, port, replica_port)
    try:
        yield setup
    finally:
        setup.run("down", check=False)
        shutil.rmtree(pg_cluster.rootfs() / data_root.lstrip("/"), ignore_errors=True)


def started_at(url: str) -> str:
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT pg_postmaster_start_time()::text").fetchone()
    assert row is not None
    return str(row[0])


def test_up_status_replication_refusals_second_up_and_down(localdb: LocalDb) -> None:
    started = time.monotonic()
    up = localdb.run("up")
    up_s = time.monotonic() - started
    assert "pg_basebackup: standby of 127.0.0.1" in up.stdout + up.stderr
    assert f"starting the hot standby on 127.0.0.1:{localdb.replica_port}" in up.stderr

    status = localdb.run("status").stdout
    assert f"running on 127.0.0.1:{localdb.port}" in status
    assert f"standby on 127.0.0.1:{localdb.replica_port}" in status
    assert "replay lag " in status, status

    env = localdb.settings()
    owner, analyst = env["DATABASE_URL"], env["HALO_ANALYST_DATABASE_URL"]
    assert f"127.0.0.1:{localdb.replica_port}/" in analyst  # analysts on the standby
    read_url = env["HALO_API_READ_DATABASE_URL"]
    assert f"127.0.0.1:{localdb.port},127.0.0.1:{localdb.replica_port}/" in read_url
    assert "target_session_attrs=prefer-standby" in read_url
    standby_owner = localdb.on(owner, localdb.replica_port)

    # A row written on the primary (a commit that waits for the standby) appears on it.
    with psycopg.connect(owner, autocommit=True) as conn:
        row = conn.execute("SHOW synchronous_standby_names").fetchone()
        assert row == ("ANY 1 (*)",)
        conn.execute("CREATE TABLE IF NOT EXISTS public.localdb_probe (note text)")
        conn.execute("INSERT INTO public.localdb_probe VALUES ('written on the primary')")
    deadline, seen = time.monotonic() + 10, []
    with psycopg.connect(standby_owner, autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        while not seen and time.monotonic() < deadline:
            seen = conn.execute("SELECT note FROM public.localdb_probe").fetchall()
            time.sleep(0.05)
    assert seen == [("written on the primary",)]

    # Analysts on the standby: no write of any kind, also after lifting the default.
    with psycopg.connect(analyst, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        for statement in (
            "CREATE TEMP TABLE t (x int)",
            "CREATE TABLE public.mine (x int)",
            "ALTER ROLE halo_analyst SET work_mem = '2GB'",
        ):
            with pytest.raises(psycopg.Error) as caught:
                conn.execute(statement)
            assert caught.value.sqlstate == "25006", statement
        with pytest.raises(psycopg.Error) as caught:  # revoked on the primary, replicated
            conn.execute("SELECT lo_create(0)")
        assert caught.value.sqlstate in ("25006", "42501")

    # A second `up` is a no-op: neither server restarted, no new base backup.
    before = started_at(owner), started_at(standby_owner)
    again = localdb.run("up")
    assert "already running" in again.stderr
    assert "pg_basebackup" not in again.stdout + again.stderr
    assert (started_at(owner), started_at(standby_owner)) == before

    localdb.run("down")
    stopped = localdb.run("status", check=False)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout
    for url in (owner, standby_owner):
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=3).close()

    # Up after down: both start from their data directories (no new base backup, and the
    # primary's provisioning does not wait for a standby that is not started yet).
    restarted = localdb.run("up")
    assert "pg_basebackup" not in restarted.stdout + restarted.stderr
    assert f"starting the hot standby on 127.0.0.1:{localdb.replica_port}" in restarted.stderr
    with psycopg.connect(owner, autocommit=True) as conn:
        assert conn.execute("SHOW synchronous_standby_names").fetchone() == ("ANY 1 (*)",)
        conn.execute("SET statement_timeout = '10s'")
        conn.execute("INSERT INTO public.localdb_probe VALUES ('after a restart')")
    localdb.run("down")

    # Up again without the standby: commits must not wait for one that is not started.
    alone = localdb.run_without_replica("up")
    assert "starting the hot standby" not in alone.stderr
    with psycopg.connect(owner, autocommit=True) as conn:
        assert conn.execute("SHOW synchronous_standby_names").fetchone() == ("",)
        conn.execute("SET statement_timeout = '5s'")
        conn.execute("INSERT INTO public.localdb_probe VALUES ('no standby to wait for')")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(standby_owner, connect_timeout=3).close()
    localdb.run_without_replica("down")
    print(f"\nlocaldb: up (primary + standby from pg_basebackup) {up_s:.1f} s")  # noqa: T201
