"""Throwaway PostgreSQL clusters for tests that change roles, replicate or kill servers.

Started from the same Debian 13 root filesystem as the local database (db/localdb.sh), under
chroot as `postgres`, each with its own data directory and port: the shared server is never
touched. Needs root (chroot); tests skip without it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from config.settings import REPO_ROOT, halo_home
from tests.support.live_server import free_port

PG_BIN = "/usr/lib/postgresql/17/bin"
SCRATCH = "/var/lib/halo-scratch"  # inside the root filesystem


def rootfs() -> Path:
    return halo_home() / "pg-rootfs"


def available() -> bool:
    """Root, and a built root filesystem with PostgreSQL 17."""
    return os.geteuid() == 0 and (rootfs() / PG_BIN.lstrip("/") / "postgres").exists()


def in_root(*command: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run a command in the root filesystem as postgres; its stdout."""
    variables = [
        f"{k}={v}"
        for k, v in {"PATH": f"{PG_BIN}:/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})}.items()
    ]
    done = subprocess.run(
        [
            "chroot",
            "--userspec=postgres:postgres",
            str(rootfs()),
            "/usr/bin/env",
            "-i",
            *variables,
            *command,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


@dataclass
class Cluster:
    """One throwaway cluster: `name` under SCRATCH, listening on 127.0.0.1:`port`."""

    name: str
    port: int
    passwords: dict[str, str] = field(
        default_factory=lambda: {
            r: secrets.token_urlsafe(18) for r in ("owner", "api", "analyst", "replicator")
        }
    )

    @property
    def home(self) -> str:
        return f"{SCRATCH}/{self.name}"

    @property
    def data(self) -> str:
        return f"{self.home}/data"

    def url(self, role: str, database: str = "halo", **params: str) -> str:
        extra = "".join(f"&{k}={v}" for k, v in params.items())
        user = f"halo_{role}"
        return (
            f"postgresql://{user}:{self.passwords[role]}@127.0.0.1:{self.port}/{database}"
            f"?connect_timeout=5{extra}"
        )

    def create(self) -> None:
        """initdb (as db/init-cluster.sh does), start, provision with db/bootstrap.sql."""
        host_home = rootfs() / self.home.lstrip("/")
        shutil.rmtree(host_home, ignore_errors=True)
        host_home.mkdir(parents=True)
        for name in ("init-cluster.sh", "bootstrap.sql", "harden_database.sql"):
            shutil.copy(REPO_ROOT / "db" / name, host_home / name)
        subprocess.run(
            ["chroot", str(rootfs()), "chown", "-R", "postgres:postgres", self.home], check=True
        )
        in_root(
            "sh", f"{self.home}/init-cluster.sh", "init", self.data, str(self.port), "127.0.0.1"
        )
        self.start()
        in_root(
            "sh",
            f"{self.home}/init-cluster.sh",
            "provision",
            env={
                "PGPORT": str(self.port),
                "HALO_BOOTSTRAP_SQL": f"{self.home}/bootstrap.sql",
                "HALO_DB_OWNER_PASSWORD": self.passwords["owner"],
                "HALO_DB_API_PASSWORD": self.passwords["api"],
                "HALO_DB_ANALYST_PASSWORD": self.passwords["analyst"],
                "HALO_DB_REPLICATOR_PASSWORD": self.passwords["replicator"],
            },
        )

    def create_standby(self, name: str, port: int) -> Cluster:
        """A hot standby of this cluster (db/init-cluster.sh standby), started."""
        standby = Cluster(name, port, dict(self.passwords))
        host_home = rootfs() / standby.home.lstrip("/")
        shutil.rmtree(host_home, ignore_errors=True)
        host_home.mkdir(parents=True)
        shutil.copy(REPO_ROOT / "db" / "init-cluster.sh", host_home / "init-cluster.sh")
        subprocess.run(
            ["chroot", str(rootfs()), "chown", "-R", "postgres:postgres", standby.home], check=True
        )
        in_root(
            "sh",
            f"{standby.home}/init-cluster.sh",
            "standby",
            standby.data,
            "127.0.0.1",
            str(self.port),
            env={"HALO_DB_REPLICATOR_PASSWORD": self.passwords["replicator"]},
        )
        standby.start()
        return standby

    def start(self) -> None:
        in_root(
            "pg_ctl",
            "-D",
            self.data,
            "-l",
            f"{self.home}/postgres.log",
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        in_root("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(rootfs() / self.home.lstrip("/"), ignore_errors=True)

    def superuser_sql(self, sql: str, database: str = "halo") -> str:
        """Run SQL as the superuser over the local socket (psql -At)."""
        return in_root(
            "psql",
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "/var/run/postgresql",
            "-p",
            str(self.port),
            "-d",
            database,
            "-c",
            sql,
        )


def wait_for(url: str, timeout_s: float = 30.0) -> None:
    """Until a connection to `url` succeeds."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def cluster_port() -> int:
    """A free port for a throwaway cluster, in 55500-55599 (clear of the shared server's 55432
    and of the ports tests' HTTP servers take), starting at a spread point so that parallel
    runs rarely race for one."""
    for port in range(55500 + free_port() % 50, 55600):
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 55500-55599")
