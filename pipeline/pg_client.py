"""PostgreSQL client tools (pg_dump, pg_restore) of a version that can read the server.

Chosen in order: HALO_PG_BIN_DIR when set; else the tool on PATH if its major version is at
least the server's; else the local database's own tools (`db/localdb.sh tool`, PostgreSQL 17
inside the Debian 13 root filesystem; Debian 12 hosts only have pg_dump 15).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import IO, Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from config.settings import REPO_ROOT

Tool = Literal["pg_dump", "pg_restore"]
LOCALDB = REPO_ROOT / "db" / "localdb.sh"


class ClientToolError(RuntimeError):
    """No usable client tool, or the tool failed."""


def server_major(url: str) -> int:
    """The server's major version (17 for 17.x)."""
    with psycopg.connect(url) as conn:
        return conn.info.server_version // 10000


def tool_major(executable: str) -> int | None:
    """The major version a client tool reports, or None if it does not run."""
    try:
        out = subprocess.run(  # noqa: S603 (a path we chose, no shell)
            [executable, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def tool_command(tool: Tool, url: str, bin_dir: Path | None) -> list[str]:
    """The command line prefix that runs `tool` against the server at `url`."""
    if bin_dir is not None:
        path = bin_dir / tool
        if not os.access(path, os.X_OK):
            raise ClientToolError(f"HALO_PG_BIN_DIR has no executable {tool}: {path}")
        return [str(path)]
    need = server_major(url)
    on_path = shutil.which(tool)
    if on_path and (tool_major(on_path) or 0) >= need:
        return [on_path]
    if LOCALDB.exists() and os.geteuid() == 0:
        return [str(LOCALDB), "tool", tool]
    raise ClientToolError(
        f"no {tool} of version >= {need}: set HALO_PG_BIN_DIR to PostgreSQL {need}'s bin folder"
    )


def split_password(url: str) -> tuple[str, dict[str, str]]:
    """A connection string without its password, and the environment that supplies it."""
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {"PGPASSWORD": str(password)} if password else {}
    return make_conninfo("", **params), env


def run_tool(
    command: list[str],
    args: list[str],
    url: str | None,
    stdin: IO[bytes] | None = None,
    stdout: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a client tool on `url` (None: no database, e.g. pg_restore to SQL text).

    The password travels in the environment, never in the argument list (visible in `ps`).
    """
    target: list[str] = []
    secret_env: dict[str, str] = {}
    if url is not None:
        conninfo, secret_env = split_password(url)
        target = ["--dbname", conninfo]
    return subprocess.Popen(  # noqa: S603 (argument list, no shell)
        [*command, *args, *target],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env={**os.environ, **secret_env},
    )


def wait_tool(process: subprocess.Popen[bytes], what: str) -> None:
    """Wait for a tool; raise with its error output if it failed."""
    _, err = process.communicate()
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip()[-2000:]
        raise ClientToolError(f"{what} failed (exit {process.returncode}): {message}")
