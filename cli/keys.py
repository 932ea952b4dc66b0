"""`halo keys`: create, list and revoke API keys (as the owner; only hashes are stored)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import typer

from api.security.keys import SCOPES, generate_api_key
from cli.errors import input_errors
from config.settings import get_settings

app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)

# One statement: the name is refused while a live key has it (no window between check and write
# in one process; two operators racing on one name is not a case worth a lock).
INSERT_SQL = """
INSERT INTO ops.api_keys (name, key_prefix, key_sha256, scopes)
SELECT %(name)s, %(prefix)s, %(sha256)s, %(scopes)s
 WHERE NOT EXISTS (SELECT 1 FROM ops.api_keys WHERE name = %(name)s AND revoked_at IS NULL)
RETURNING id
"""
MAX_NAME_LENGTH = 100
LIST_SQL = """
SELECT id, name, key_prefix, scopes, created_at, last_used_at, revoked_at
  FROM ops.api_keys ORDER BY id
"""
REVOKE_SQL = "UPDATE ops.api_keys SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL"


def create_key(url: str, name: str, scopes: list[str]) -> tuple[int, str]:
    """Store a new key's hash; returns its id and the clear key (never stored)."""
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise ValueError(f"the key name must be 1-{MAX_NAME_LENGTH} printable characters")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)}; got {scopes}")
    new = generate_api_key()
    values = {"name": name, "prefix": new.prefix, "sha256": new.sha256}
    with psycopg.connect(url) as conn:
        row = conn.execute(INSERT_SQL, {**values, "scopes": sorted(set(scopes))}).fetchone()
    if row is None:
        raise ValueError(f"a live key is already named {name!r}: choose another name")
    return int(row[0]), new.key


def list_keys(url: str) -> list[dict[str, Any]]:
    """Every key's id, name, prefix, scopes and dates; never a hash."""
    with psycopg.connect(url) as conn:
        cur = conn.execute(LIST_SQL)
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def revoke_key(url: str, key_id: int) -> bool:
    """Revoke a key at once; False if there is no such live key."""
    with psycopg.connect(url) as conn:
        return conn.execute(REVOKE_SQL, (key_id,)).rowcount == 1


@app.command()
def create(
    name: str = typer.Argument(..., help="Who or what uses the key, e.g. 'qgis-anna'."),
    scope: list[str] = typer.Option(..., "--scope", help="admin, analyst or ingest; repeatable."),
) -> None:
    """Create a key and print it once: it cannot be shown again."""
    with input_errors(ValueError):
        key_id, key = create_key(get_settings().database_url, name, scope)
    typer.echo(f"created key {key_id} ({name}, scopes: {', '.join(sorted(set(scope)))})", err=True)
    typer.echo("store it now, it is not kept anywhere:", err=True)
    typer.echo(key)


@app.command("list")
def list_command() -> None:
    """List the keys (prefix only, never the key), with their dates in UTC."""
    rows = list_keys(get_settings().database_url)
    if not rows:
        typer.echo("no keys yet: halo keys create NAME --scope ...", err=True)
        return
    typer.echo(LIST_FORMAT.format(*LIST_HEADER))
    for row in rows:
        status = f"revoked {_when(row['revoked_at'])}" if row["revoked_at"] else "live"
        typer.echo(
            LIST_FORMAT.format(
                row["id"],
                f"halo_{row['key_prefix']}_…",
                ",".join(row["scopes"]),
                _when(row["created_at"]),
                _when(row["last_used_at"]),
                status,
                row["name"],
            )
        )


@app.command()
def revoke(key_id: int = typer.Argument(..., help="The key's id (see `halo keys list`).")) -> None:
    """Revoke a key; requests with it fail from the next one on."""
    if not revoke_key(get_settings().database_url, key_id):
        typer.echo(f"no live key with id {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked key {key_id}")


LIST_HEADER = ("ID", "KEY", "SCOPES", "CREATED", "LAST USED", "STATUS", "NAME")
LIST_FORMAT = "{:>4}  {:<18}  {:<22}  {:<20}  {:<20}  {:<28}  {}"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "never"
