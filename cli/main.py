"""`halo`: the ops command line (typer). Sub-commands live in their own modules."""

from __future__ import annotations

import typer

from cli import database

app = typer.Typer(
    help="Halo: the risk-map server's operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(database.app, name="db")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="Port to bind."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


if __name__ == "__main__":
    app()
