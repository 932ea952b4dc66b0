"""`halo push dispatch | receipts`: queue and send push messages, check Expo's receipts."""

from __future__ import annotations

import typer

from config.settings import get_settings

app = typer.Typer(
    help="Push messages: queue and send (after each ingest), check receipts.",
    no_args_is_help=True,
)


@app.command()
def dispatch(
    send: bool = typer.Option(
        True, "--send/--no-send", help="--no-send: only queue (quiet hours, caps applied)."
    ),
) -> None:
    """Queue messages about new severe events in followed districts and the new risk
    generation's silent refresh, then send what is due. Safe to repeat: nothing goes twice."""
    from pipeline.push.dispatch import dispatch_pushes
    from pipeline.push.expo import PushCredentialsRejected

    settings = get_settings()
    try:
        summary = dispatch_pushes(settings.database_url, settings.push, send=send)
    except PushCredentialsRejected as exc:
        typer.echo(f"error: the push service refused the access token ({exc.code})", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary.line())


@app.command()
def receipts() -> None:
    """Fetch Expo's receipts of sent messages; remove devices that are no longer registered."""
    from pipeline.push.expo import PushCredentialsRejected
    from pipeline.push.receipts import check_receipts

    settings = get_settings()
    try:
        summary = check_receipts(settings.database_url, settings.push)
    except PushCredentialsRejected as exc:
        typer.echo(f"error: the push service refused the access token ({exc.code})", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary.line())
