"""Debian's nginx with Halo's proxy-cache config (deploy/nginx/halo.conf.template) on a
loopback port, in front of a running Halo: for the proxy tests and bench/bench_tiles."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from string import Template

import httpx

from config.base import REPO_ROOT

TEMPLATE = REPO_ROOT / "deploy" / "nginx" / "halo.conf.template"


def nginx_binary() -> str | None:
    """nginx from PATH or /usr/sbin (Debian installs it there)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def render_config(upstream: str, port: int, cache_dir: Path, run_dir: Path) -> str:
    """The template with its placeholders filled (nginx's own $variables are left alone)."""
    values = {
        "HALO_UPSTREAM": upstream,
        "LISTEN_PORT": f"127.0.0.1:{port}",
        "CACHE_DIR": str(cache_dir),
        "RUN_DIR": str(run_dir),
        "CACHE_MAX_SIZE": "256m",
    }
    return Template(TEMPLATE.read_text()).safe_substitute(values)


@contextmanager
def nginx_proxy(upstream: str, port: int) -> Iterator[str]:
    """nginx caching `upstream` (host:port) on 127.0.0.1:`port`; yields its base URL."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is missing: apt-get install nginx-light")
    with tempfile.TemporaryDirectory(prefix="halo-nginx-") as folder:
        root = Path(folder)
        root.chmod(0o755)
        cache_dir, run_dir = root / "cache", root / "run"
        for path in (cache_dir, run_dir):
            path.mkdir()
            path.chmod(0o777)  # nginx workers drop to nobody when started as root
        config = run_dir / "nginx.conf"
        config.write_text(render_config(upstream, port, cache_dir, run_dir))
        process = subprocess.Popen(
            [binary, "-c", str(config), "-p", str(run_dir), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


def wait_for(base: str, process: subprocess.Popen[bytes]) -> None:
    """Until nginx accepts connections (10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"nginx exited: {error}")
        try:
            httpx.get(base + "/health", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")
