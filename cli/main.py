"""`halo`: the ops command line (typer). Sub-commands live in their own modules."""

from __future__ import annotations

import os
import sys

import typer

from cli import backup, city, database, feed, glyphs, ingest, keys, load, privacy, push, risk
from cli.errors import run_cli
from config.logging import configure_logging
from config.version import __version__, git_sha

app = typer.Typer(
    help="Halo: the risk-map server's operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")
app.add_typer(ingest.app, name="ingest")
app.add_typer(load.app, name="load")
app.add_typer(city.app, name="city")
app.add_typer(keys.app, name="keys")
app.add_typer(push.app, name="push")
app.add_typer(glyphs.app, name="glyphs")
app.add_typer(privacy.app, name="privacy")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.command("feed")(feed.feed)
app.add_typer(risk.app)  # refresh, retrain, backtest, nightly, scheduler: top-level


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"halo {__version__} ({git_sha()})")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Halo: the risk-map server's operations."""
    configure_cli_logging()


def configure_cli_logging() -> None:
    """Jobs log like the API: JSON lines when not on a terminal (containers, cron, CI), plain
    lines on a terminal; HALO_LOG_FORMAT (json/text) and HALO_LOG_LEVEL decide when set."""
    fmt = os.environ.get("HALO_LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    configure_logging(os.environ.get("HALO_LOG_LEVEL", "INFO"), "text" if fmt == "text" else "json")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    from config.settings import get_settings

    # Refuse a bad configuration (default secrets in production ...) in one line, here, rather
    # than as a traceback from inside uvicorn's app factory.
    get_settings()

    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Halo applies HALO_TRUSTED_PROXIES itself and writes its own JSON access log; uvicorn's
        # own lines go through Halo's JSON handler too (no log config of its own).
        proxy_headers=False,
        access_log=False,
        log_config=None,
        server_header=False,
        # SIGTERM (compose stop, a deploy): stop accepting, drain open requests, then exit;
        # below compose's stop_grace_period (30 s) so nothing is cut by a SIGKILL.
        timeout_graceful_shutdown=25,
    )


def main() -> None:
    """The `halo` command: the app, with operator errors as one line (cli/errors.py)."""
    run_cli(app)


if __name__ == "__main__":
    main()
