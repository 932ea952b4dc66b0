"""Halo API server processes (`halo serve`) for the fault tests: each its own pools, rate-limit
leases and event loop, as two workers or two machines have; all on the same database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from config.settings import REPO_ROOT
from tests.support.live_server import free_port


def environment_without_database_urls(**settings: str) -> dict[str, str]:
    """This process's environment without its database URLs, plus `settings`."""
    environment = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    environment.update(settings)
    return environment


@contextmanager
def serve_processes(environment: dict[str, str], work: Path, count: int = 2) -> Iterator[list[str]]:
    """`count` `halo serve` processes on loopback ports; their base URLs. Logs in `work`."""
    halo = str(Path(sys.executable).parent / "halo")
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for i in range(count):
            port = free_port()
            with (work / f"serve-{i}.log").open("wb") as log_file:
                processes.append(
                    subprocess.Popen(
                        [halo, "serve", "--host", "127.0.0.1", "--port", str(port)],
                        cwd=REPO_ROOT,
                        env=environment,
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                    )
                )
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            wait_until_serving(base, process, work)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_serving(base: str, process: subprocess.Popen[bytes], work: Path) -> None:
    """Until the process answers HTTP (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs = "".join(p.read_text()[-1500:] for p in work.glob("serve-*.log"))
            raise AssertionError(f"halo serve exited with {process.returncode}: {logs}")
        try:
            httpx.get(f"{base}/health/ready", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"halo serve on {base} did not answer within 60 s")
