"""`halo db`: the local database (db/localdb.sh) and migrations (alembic)."""

from __future__ import annotations

import subprocess
import sys

import typer

from config.settings import REPO_ROOT

app = typer.Typer(help="The database: local server and migrations.", no_args_is_help=True)

LOCALDB = REPO_ROOT / "db" / "localdb.sh"


def _localdb(*args: str) -> None:
    raise typer.Exit(subprocess.call([str(LOCALDB), *args]))  # noqa: S603


@app.command()
def up() -> None:
    """Build (first time) and start the local PostgreSQL 17 + PostGIS + h3 server."""
    _localdb("up")


@app.command()
def down() -> None:
    """Stop the local server (data kept)."""
    _localdb("down")


@app.command()
def status() -> None:
    """Say whether the local server runs."""
    _localdb("status")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(ctx: typer.Context) -> None:
    """Open psql on the local server as the superuser."""
    _localdb("psql", *ctx.args)


@app.command()
def migrate(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Upgrade the schema to a revision (default: head)."""
    from alembic import command

    from migrations.schema import alembic_config

    command.upgrade(alembic_config(), revision)
    typer.echo(f"migrated to {revision}", err=sys.stderr.isatty())


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Downgrade the schema to a revision."""
    from alembic import command

    from migrations.schema import alembic_config

    command.downgrade(alembic_config(), revision)
