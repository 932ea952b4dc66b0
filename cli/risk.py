"""`halo refresh | thresholds | retrain | backtest | nightly | scheduler`: the risk pipeline's
jobs."""

from __future__ import annotations

from datetime import datetime

import typer

from config.settings import get_settings

app = typer.Typer()


def _owner_url() -> str:
    return get_settings().database_url


@app.command()
def refresh(
    as_of: datetime | None = typer.Option(None, help="As-of time (default: the data's latest)."),
) -> None:
    """Rebuild the risk tables in one transaction (a new tile generation)."""
    from pipeline.risk.refresh import refresh_risk

    g = refresh_risk(_owner_url(), as_of)
    share = f"{g.located_share:.1%}" if g.located_share is not None else "n/a"
    typer.echo(
        f"generation {g.id} as of {g.as_of:%Y-%m-%d %H:%M} UTC: {g.cells} cells,"
        f" {g.districts} districts, {g.located_incidents} located incidents"
        f" (located share {share})"
    )


@app.command()
def thresholds(
    enter: float | None = typer.Option(None, help="Risk score at which a cell enters the zone."),
    clear: float | None = typer.Option(None, help="Risk score below which it leaves it again."),
) -> None:
    """Show the alert thresholds, or set both and refresh (legend, style, zones change together)."""
    from cli.errors import UserError
    from pipeline.risk.refresh import AlertThresholds, alert_thresholds, refresh_risk

    url = _owner_url()
    if enter is None and clear is None:
        current = alert_thresholds(url)
        typer.echo(f"alert zone: enter at {current.enter}, clear below {current.clear}")
        return
    if enter is None or clear is None:
        raise UserError("give both --enter and --clear (the alert zone's hysteresis)")
    try:
        wanted = AlertThresholds(enter=enter, clear=clear)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    g = refresh_risk(url, thresholds=wanted)
    typer.echo(f"alert zone: enter at {enter}, clear below {clear}; generation {g.id}")


@app.command()
def retrain() -> None:
    """Train the blend model (weights and recalibration) and the hour-of-week profile on the
    current data."""
    from pipeline.risk.model import retrain as train

    typer.echo(f"trained model {train(_owner_url())}")


@app.command()
def backtest(
    origins: int = typer.Option(
        52, min=4, max=260, help="Weekly origins (test weeks); fewer if the history is shorter."
    ),
    all_history: bool = typer.Option(
        False, "--all-history", help="Every weekly origin the history supports (not --origins)."
    ),
) -> None:
    """Rolling-origin backtest of the model against the baselines, each city alone; prints
    the table of each."""
    from pipeline.risk.backtest import format_report, run_backtest

    for report in run_backtest(_owner_url(), n_origins=None if all_history else origins):
        if report.origins:
            typer.echo(
                f"city {report.city}: model {report.model_version}, {report.origins} weekly"
                f" origins ({report.seconds:.1f} s, {report.cpu_seconds:.1f} s CPU)"
            )
        else:
            typer.echo("every city: alert zones of the published score (SQL)")
        typer.echo(format_report(report))


@app.command()
def nightly(
    backtest_origins: int = typer.Option(52, min=0, help="Origins of the nightly backtest."),
) -> None:
    """Run the nightly pipeline now: retrain, refresh, backtest."""
    from pipeline.nightly import run_nightly

    r = run_nightly(_owner_url(), backtest_origins=backtest_origins)
    typer.echo(f"nightly run {r.run_id}: model {r.model_version}, generation {r.generation}")


@app.command()
def scheduler(
    hour_utc: int = typer.Option(2, min=0, max=23, help="Daily run hour (UTC)."),
) -> None:
    """Run the nightly pipeline every day at hour_utc and whenever an admin queues one."""
    from pipeline.nightly import run_scheduler

    run_scheduler(_owner_url(), hour_utc)
