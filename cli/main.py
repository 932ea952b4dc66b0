"""`halo`: the ops command line (typer). Sub-commands live in their own modules."""

from __future__ import annotations

import typer

from cli import backup, database, ingest, keys, load, privacy, push, risk

app = typer.Typer(
    help="Halo: the risk-map server's operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")
app.add_typer(ingest.app, name="ingest")
app.add_typer(load.app, name="load")
app.add_typer(keys.app, name="keys")
app.add_typer(push.app, name="push")
app.add_typer(privacy.app, name="privacy")
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.add_typer(risk.app)  # refresh, retrain, backtest, nightly, scheduler: top-level


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

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
    )


if __name__ == "__main__":
    app()
