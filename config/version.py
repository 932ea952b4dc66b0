"""Halo's version (from the installed package) and the git commit it was built from."""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

try:
    __version__ = version("halo")
except PackageNotFoundError:  # run from a checkout without an install
    __version__ = "0.0.0+unknown"


@lru_cache
def git_sha() -> str:
    """HALO_GIT_SHA (set by the image build), else the checkout's HEAD, else "unknown"."""
    sha = os.environ.get("HALO_GIT_SHA", "").strip()
    if sha and sha != "unknown":
        return sha
    try:
        out = subprocess.run(  # noqa: S603 (fixed arguments)
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"
