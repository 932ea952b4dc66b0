"""The operator's `halo` command run as the installed console script (a real process), and
the shape every refusal must have: one `error:` line and a non-zero exit, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.dbtools import ScratchDatabase

HALO = shutil.which("halo", path=str(Path(sys.executable).parent)) or "halo"


def halo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # No HALO_LOG_FORMAT from the caller's environment: the CLI chooses by its terminal.
    base = {k: v for k, v in os.environ.items() if k != "HALO_LOG_FORMAT"}
    return subprocess.run(
        [HALO, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        check=False,
    )


def one_error_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single stderr line of a refused command (JSON log lines aside)."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def db_env(db: ScratchDatabase) -> dict[str, str]:
    return {"DATABASE_URL": db.owner_url, "HALO_API_DATABASE_URL": db.api_url}
