"""`halo db`: the local database (db/localdb.sh) and migrations (alembic)."""

from __future__ import annotations

import subprocess
import sys
import time

import psycopg
import typer

from config.settings import REPO_ROOT, get_settings

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


@app.command()
def promote(
    url: str = typer.Option(
        ..., "--url", help="The standby, as the owner: postgresql://halo_owner:…@standby:5432/halo"
    ),
) -> None:
    """Promote a hot standby to primary after the primary is lost (docs/scaling.md runbook)."""
    from pipeline.failover import NotAStandby, promote_standby

    try:
        promote_standby(url)
    except NotAStandby as exc:
        typer.echo(f"halo db promote: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo("promoted: the standby accepts writes; multi-host clients reconnect to it")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def psql(ctx: typer.Context) -> None:
    """Open psql on the local server as the superuser."""
    _localdb("psql", *ctx.args)


@app.command()
def migrate(
    revision: str = typer.Argument("head", help="Target revision."),
    wait: float = typer.Option(
        0, "--wait", min=0, max=3600, help="Seconds to wait for the database to accept logins."
    ),
) -> None:
    """Upgrade the schema to a revision (default: head)."""
    from alembic import command

    from migrations.schema import alembic_config

    if wait:
        wait_for_database(get_settings().database_url, wait)
    command.upgrade(alembic_config(), revision)
    typer.echo(f"migrated to {revision}", err=sys.stderr.isatty())


def wait_for_database(url: str, timeout_s: float) -> None:
    """Return once the owner can log in; after timeout_s the last error is raised.

    A container start orders by "started", not by "accepting logins" (podman 4.3 and compose
    files without health conditions), and a fresh cluster restarts once after provisioning.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1.0)


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Downgrade the schema to a revision."""
    from alembic import command

    from migrations.schema import alembic_config

    command.downgrade(alembic_config(), revision)


@app.command()
def revision(
    name: str = typer.Argument(..., help="Short snake_case name, e.g. live_feed."),
    message: str = typer.Option("", help="One line saying what the revision changes."),
) -> None:
    """Write the next revision from the difference between the migrations and sql/."""
    from migrations.revision import compare_history_with_sql, next_revision_id, write_revision

    try:
        head, text = compare_history_with_sql(get_settings().database_url)
        revision_id = next_revision_id(head, name)
    except (ValueError, psycopg.Error) as exc:
        typer.echo(f"error: {exc}".splitlines()[0], err=True)
        raise typer.Exit(1) from None
    if not (text.upgrade or text.checklist):
        typer.echo("sql/ and the migrations agree: nothing to write", err=True)
        raise typer.Exit(1)
    for path in write_revision(revision_id, head, text, message or name.replace("_", " ")):
        typer.echo(path.relative_to(REPO_ROOT))
    typer.echo(f"{len(text.checklist)} hand-written change(s) listed at the top of the .up.sql")


@app.command()
def release() -> None:
    """Record the hashes of reviewed new revisions (released revisions are never edited)."""
    from migrations.released import record_new

    for name in record_new():
        typer.echo(f"released {name}")
