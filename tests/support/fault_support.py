"""A throwaway PostgreSQL cluster for fault tests: restarted, crashed and deleted at will.

The shared test server (127.0.0.1:55432) is used by everyone at once and must never be
restarted by a test. `scratch_cluster()` initialises a second cluster from the same Debian 13
root filesystem that db/localdb.sh runs (same binaries, same db/init-cluster.sh settings and
db/bootstrap.sql roles), on a free loopback port, in /var/lib/halo/faultdb-<pid>-<id> inside the
root filesystem; it migrates it, yields it, then stops it and deletes its data. chroot needs
root (CI runs as root): without it, or without the local root filesystem, the test is skipped.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from alembic import command

from config.settings import REPO_ROOT, halo_home
from migrations.schema import alembic_config
from tests.support.live_server import free_port

PG_BIN = "/usr/lib/postgresql/17/bin"
CLUSTERS_DIR = "/var/lib/halo"  # inside the root filesystem, owned by postgres
NAME_PATTERN = re.compile(r"^faultdb-(\d+)-[0-9a-f]+$")
# Small and quick: the scratch cluster shares the machine with the shared test server.
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c shared_buffers=64MB -c max_connections=60"
    " -c log_min_messages=warning -c log_min_duration_statement=-1"
)
STEP_TIMEOUT_S = 60


@dataclass(frozen=True)
class ScratchCluster:
    """A running throwaway cluster: its port, data directory and the three roles' URLs."""

    rootfs: Path
    data_dir: str  # inside the root filesystem
    port: int
    owner_url: str
    api_url: str
    analyst_url: str

    @property
    def log_file(self) -> str:
        """The server log, beside the data directory (inside the root filesystem)."""
        return f"{self.data_dir}.log"

    def pg_ctl(self, *args: str, timeout_s: float = STEP_TIMEOUT_S) -> None:
        """Run pg_ctl on this cluster (as postgres, in the root filesystem)."""
        in_root(self.rootfs, ["pg_ctl", "-D", self.data_dir, *args], timeout_s=timeout_s)

    def start(self) -> None:
        """Start the server on its port (pg_ctl -w: returns once it accepts connections)."""
        self.pg_ctl("-l", self.log_file, "-o", f"-p {self.port} {SERVER_OPTIONS}", "-w", "start")

    def restart(self, mode: str = "fast") -> float:
        """`pg_ctl restart -m mode`; returns the seconds until the server accepts connections
        again (pg_ctl -w waits for that)."""
        started = time.monotonic()
        self.pg_ctl("-m", mode, "-w", "-t", "60", "-l", self.log_file, "restart")
        return time.monotonic() - started

    def stop(self, mode: str = "immediate") -> None:
        """`pg_ctl stop -m mode`."""
        self.pg_ctl("-m", mode, "-w", "-t", "30", "stop")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log, for a failing test's message."""
        path = self.rootfs / self.log_file.lstrip("/")
        with suppress(OSError):
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def in_root(
    rootfs: Path, args: list[str], stdin: str | None = None, timeout_s: float = STEP_TIMEOUT_S
) -> str:
    """Run a command in the root filesystem as postgres with a clean environment."""
    out = subprocess.run(
        [
            "chroot",
            "--userspec=postgres:postgres",
            str(rootfs),
            "/usr/bin/env",
            "-i",
            f"PATH={PG_BIN}:/usr/local/bin:/usr/bin:/bin",
            "LANG=C.UTF-8",
            "HOME=/var/lib/postgresql",
            *args,
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed ({out.returncode}): {out.stderr}")
    return out.stdout


def local_rootfs() -> Path:
    """The root filesystem of db/localdb.sh, or skip the test with the reason."""
    if os.geteuid() != 0:
        pytest.skip("fault tests restart a scratch PostgreSQL under chroot: they need root")
    rootfs = halo_home() / "pg-rootfs"
    if not (rootfs / PG_BIN.lstrip("/") / "initdb").exists():
        pytest.skip(f"no local database root filesystem at {rootfs} (run db/localdb.sh up)")
    if not shutil.which("chroot"):
        pytest.skip("chroot is not installed")
    return rootfs


def remove_abandoned_clusters(rootfs: Path) -> None:
    """Stop and delete scratch clusters whose test process is gone (a killed test run)."""
    parent = rootfs / CLUSTERS_DIR.lstrip("/")
    for entry in parent.glob("faultdb-*"):
        match = NAME_PATTERN.match(entry.name)
        if not match or not entry.is_dir() or Path(f"/proc/{match.group(1)}").exists():
            continue
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            data_dir = f"{CLUSTERS_DIR}/{entry.name}"
            in_root(rootfs, ["pg_ctl", "-D", data_dir, "-m", "immediate", "-w", "stop"], None, 30)
        shutil.rmtree(entry, ignore_errors=True)
        (parent / f"{entry.name}.log").unlink(missing_ok=True)


def provision(rootfs: Path, port: int, passwords: dict[str, str]) -> None:
    """Roles, extensions and the `halo` database from db/bootstrap.sql, as the superuser."""
    in_root(
        rootfs,
        [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "/var/run/postgresql",
            "-p",
            str(port),
            "-d",
            "postgres",
            "-v",
            f"owner_pw={passwords['owner']}",
            "-v",
            f"api_pw={passwords['api']}",
            "-v",
            f"analyst_pw={passwords['analyst']}",
            "-v",
            "db_name=halo",
            "-v",
            "replicator_pw=",
            "-f",
            "-",
        ],
        stdin=bootstrap_script(),
    )


def bootstrap_script() -> str:
    """db/bootstrap.sql for psql's standard input: its `\\ir` includes inlined (stdin has no
    folder to resolve them against)."""
    db = REPO_ROOT / "db"
    text = (db / "bootstrap.sql").read_text(encoding="utf-8")
    harden = (db / "harden_database.sql").read_text(encoding="utf-8")
    return text.replace("\\ir harden_database.sql", harden)


@contextmanager
def scratch_cluster() -> Iterator[ScratchCluster]:
    """A new, provisioned and migrated cluster on a free port; stopped and deleted afterwards."""
    rootfs = local_rootfs()
    remove_abandoned_clusters(rootfs)
    name = f"faultdb-{os.getpid()}-{secrets.token_hex(4)}"
    data_dir = f"{CLUSTERS_DIR}/{name}"
    port = free_port()
    passwords = {role: secrets.token_hex(12) for role in ("owner", "api", "analyst")}
    urls = {
        role: f"postgresql://halo_{role}:{pw}@127.0.0.1:{port}/halo"
        for role, pw in passwords.items()
    }
    cluster = ScratchCluster(rootfs, data_dir, port, urls["owner"], urls["api"], urls["analyst"])
    script = (REPO_ROOT / "db" / "init-cluster.sh").read_text(encoding="utf-8")
    try:
        in_root(rootfs, ["/bin/sh", "-s", "init", data_dir, str(port), "127.0.0.1"], script)
        cluster.start()
        provision(rootfs, port, passwords)
        command.upgrade(alembic_config(cluster.owner_url), "head")
        yield cluster
    finally:
        with suppress(RuntimeError, subprocess.TimeoutExpired):
            cluster.stop()
        shutil.rmtree(rootfs / data_dir.lstrip("/"), ignore_errors=True)
        (rootfs / cluster.log_file.lstrip("/")).unlink(missing_ok=True)


def wait_until_accepting(url: str, timeout_s: float = 30) -> None:
    """Poll until a connection succeeds (after a restart)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
