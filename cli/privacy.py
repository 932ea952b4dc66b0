"""`halo privacy`: erase a report or a device's data by id, apply retention now (as the owner)."""

from __future__ import annotations

import typer

from config.settings import get_settings
from core.photo_store import photo_store_for
from pipeline.privacy import Erased, apply_retention, erase_device_data, erase_report

app = typer.Typer(help="Privacy: erasure by id, retention (docs/privacy.md).", no_args_is_help=True)


@app.command()
def erase(
    report: int | None = typer.Option(None, help="Erase this report id."),
    device: str | None = typer.Option(
        None, help="Erase every report sent with this X-Device-Id and its push registration."
    ),
) -> None:
    """Erase a report, or a device's data (reports, photos, registration, cluster traces)."""
    if (report is None) == (device is None):
        raise typer.BadParameter("give exactly one of --report or --device")
    settings = get_settings()
    store = photo_store_for(settings.reports)
    if report is not None:
        erased = erase_report(settings.database_url, store, report)
    else:
        salt = settings.security.client_hash_salt.get_secret_value().encode()
        erased = erase_device_data(settings.database_url, store, salt, str(device))
    _print(erased)
    if not erased.report_ids and not erased.device:
        raise typer.Exit(1)


@app.command()
def retention() -> None:
    """Apply the retention periods now (the nightly run does it every night)."""
    settings = get_settings()
    removed = apply_retention(
        settings.database_url, settings.retention, photo_store_for(settings.reports)
    )
    for item, count in removed.items():
        typer.echo(f"{item}: {count} removed")


def _print(erased: Erased) -> None:
    ids = ", ".join(str(i) for i in erased.report_ids) or "none"
    typer.echo(
        f"reports erased: {ids}; photos deleted: {erased.photos}; "
        f"push registration erased: {'yes' if erased.device else 'no'}"
    )
