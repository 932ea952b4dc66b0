"""HTTP load for the benchmarks: uvicorn server processes, and wrk runs cycling through URLs.

wrk (Debian package) reports requests/s and latency percentiles; /metrics of a Halo server
gives the time spent inside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
# uvicorn's options as `halo serve` sets them (cli/main.py): Halo writes its own access log and
# applies HALO_TRUSTED_PROXIES itself.
UVICORN_AS_SERVED = ["--no-access-log", "--no-proxy-headers", "--no-server-header"]

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(list)s") do paths[#paths + 1] = line end
local threads = 0
function setup(thread) thread:set("offset", threads * 7919); threads = threads + 1 end
function init(args) i = tonumber(offset) or 0 end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, '
    .. '"errors": %%d, "non2xx": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.errors.status))
end
"""


@contextmanager
def server(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """A uvicorn process (one worker) on a loopback port; yields its base URL."""
    process = subprocess.Popen(
        [
            *command,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    """Poll / until the server answers (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"server on {base} exited with {process.returncode}")
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit(f"server on {base} did not start")


def warm_up(base: str, paths: Mapping[Any, list[str]]) -> None:
    """Request every tile once (fills Halo's cache); `paths` by zoom, layer or view."""
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as client:
        for zoom_paths in paths.values():
            for path in zoom_paths:
                client.get(path).raise_for_status()


TILE_ROUTE = 'route="/tiles/{layer}/{z}/{x}/{y}.mvt"'


def server_seconds(base: str, route: str = TILE_ROUTE) -> tuple[float, float]:
    """Halo's own time spent on a route's requests so far (sum, count), from /metrics; tipg: 0."""
    total = count = 0.0
    try:
        text = httpx.get(base + "/metrics", timeout=5).text
    except httpx.HTTPError:
        return total, count
    for line in text.splitlines():
        if route in line and line.startswith("halo_http_request_duration_seconds_sum"):
            total = float(line.split()[-1])
        if route in line and line.startswith("halo_http_request_duration_seconds_count"):
            count = float(line.split()[-1])
    return total, count


def mean_ms(before: tuple[float, float], after: tuple[float, float]) -> float | None:
    """Mean request time inside the server between two /metrics readings (None for tipg)."""
    requests = after[1] - before[1]
    return (after[0] - before[0]) / requests * 1000 if requests else None


def wrk(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """One wrk run cycling through `paths`: requests/s, p50, p99, failures."""
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        script = Path(folder) / "cycle.lua"
        script.write_text(WRK_SCRIPT % {"list": listing})
        threads = min(clients, 2)
        out = subprocess.run(
            [
                "wrk",
                f"-t{threads}",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                str(script),
                "-H",
                "Accept-Encoding: gzip",
                base,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if out.returncode != 0:
        sys.exit(f"wrk failed: {out.stderr or out.stdout}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "failed": data["errors"] + data["non2xx"],
    }
