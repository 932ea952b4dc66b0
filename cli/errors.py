"""One clear line and a non-zero exit for an operator's mistake, instead of a traceback.

`halo` runs every command through `run_cli`: the errors an operator causes or can fix (a
database that is down or refuses the password, a setting that fails validation, an unknown
time zone, a name that exists already, a missing file) become `error: ...` on stderr with exit
code 1 (2 for configuration). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfoNotFoundError

import psycopg
import typer
from pydantic import ValidationError

from config.settings import ConfigurationRefused

EXIT_FAILURE = 1
EXIT_CONFIG = 2


class UserError(Exception):
    """A mistake the operator can fix; its message is the whole story (one line)."""


def first_line(text: object) -> str:
    """The first non-empty line of a message (psycopg's carry DETAIL/HINT lines after it)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else type(text).__name__


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The line and exit code for an operator's error, or None for a bug."""
    # SQLAlchemy (alembic, migrations) wraps the driver's error: look at the driver's.
    original = getattr(exc, "orig", None)
    if isinstance(original, psycopg.Error):
        exc = original
    if isinstance(exc, UserError):
        return str(exc), EXIT_FAILURE
    if isinstance(exc, psycopg.OperationalError):
        return f"database: {first_line(exc)}", EXIT_FAILURE
    if isinstance(exc, psycopg.errors.DuplicateDatabase | psycopg.errors.UniqueViolation):
        return f"already exists: {first_line(exc)}", EXIT_FAILURE
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return f"database refused: {first_line(exc)}", EXIT_FAILURE
    if isinstance(exc, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        return f"configuration: {problems.replace('Value error, ', '')}", EXIT_CONFIG
    if isinstance(exc, ZoneInfoNotFoundError):
        return f"unknown time zone {first_line(exc)} (use an IANA name, e.g. Europe/Stockholm)", 2
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return first_line(exc), EXIT_FAILURE
    return None


@contextmanager
def input_errors(*errors: type[Exception]) -> Iterator[None]:
    """Inside: an error of these types is bad input the command names (a file, a database
    refusing a row): `error: <message>` on stderr and exit 1, without a traceback."""
    try:
        yield
    except errors as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILURE) from None


def run_cli(main: Callable[[], object]) -> None:
    """Run the typer app; map operator errors to one line on stderr and an exit code."""
    try:
        main()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except ConfigurationRefused as refused:  # settings refused: one line, exit 2 (configuration)
        sys.stderr.write(f"error: {str(refused.code).removeprefix('halo: ')}\n")
        sys.exit(2)
    except Exception as exc:
        described = describe(exc)
        if described is None:
            raise
        message, code = described
        sys.stderr.write(f"error: {message}\n")
        sys.exit(code)
