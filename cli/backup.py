"""`halo backup` and `halo restore`: database dumps, restores and restore verification."""

from __future__ import annotations

from pathlib import Path

import typer

from config.settings import get_settings

# Plain commands, registered on the main app: `halo backup ...`, `halo restore FILE ...`.


def backup(
    directory: Path | None = typer.Option(None, "--dir", help="Folder (HALO_BACKUP_DIR)."),
    retention: int | None = typer.Option(
        None, "--retention", min=1, help="Dumps to keep (HALO_BACKUP_RETENTION)."
    ),
) -> None:
    """Dump the database (custom format, UTC-named) with its manifest; prune; upload if set."""
    from api.probes import api_answers
    from pipeline.backup import run_backup

    result = run_backup(get_settings(), directory, retention, probe=api_answers)
    typer.echo(f"{result.dump} ({result.manifest_data.dump_bytes} bytes)")
    for path in result.deleted:
        typer.echo(f"deleted {path.name}", err=True)
    for key in result.uploaded:
        typer.echo(f"uploaded {key}", err=True)


def restore(
    dump: Path = typer.Argument(..., exists=True, dir_okay=False, help="A halo-*.dump file."),
    verify: bool = typer.Option(
        False, "--verify", help="Restore into a scratch database, compare, drop it."
    ),
    into: str | None = typer.Option(None, "--into", help="Restore into this new database."),
    keep: bool = typer.Option(False, "--keep", help="With --verify: keep the scratch database."),
) -> None:
    """Restore a dump into a new database, or verify that it restores to what was backed up."""
    from api.probes import api_answers
    from pipeline.restore import RestoreError, restore_into, restore_photos, verify_restore

    settings = get_settings()
    if verify == (into is not None):
        raise typer.BadParameter("give exactly one of --verify or --into NAME")
    try:
        if into is not None:
            restore_into(settings, dump, into)
            photos = restore_photos(settings, dump)
            typer.echo(f"restored {dump.name} into database {into} ({photos} report photos)")
            return
        report = verify_restore(settings, dump, keep=keep, probe=api_answers)
    except RestoreError as exc:
        typer.echo(f"restore verification FAILED: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"verified {dump.name}: {report.tables} tables, {report.rows} rows equal")
