"""`halo city`: cities as data — add (or update) a city, list them."""

from __future__ import annotations

import psycopg
import typer

from config.settings import get_settings

app = typer.Typer(help="Cities (or regions) Halo computes risk for.", no_args_is_help=True)


@app.command()
def add(
    name: str = typer.Argument(..., help="The city's name, e.g. Stockholm."),
    time_zone: str = typer.Option(..., "--tz", help="IANA time zone, e.g. Europe/Stockholm."),
    boundary: str = typer.Option(
        None,
        "--boundary",
        help="GeoJSON (path or URL) whose polygons' union is the study area. Without it: the"
        " cells where the city's sources located incidents, plus one ring.",
    ),
    districts: str = typer.Option(
        None, "--districts", help="GeoJSON of its districts (property `name`), optional."
    ),
    view: str = typer.Option(None, "--view", help="Default map view lat,lon,zoom."),
    code: str = typer.Option(None, "--code", help="Short code (default: from the name)."),
    municipalities: list[str] = typer.Option(
        [], "--municipality", help="SCB code of a municipality it covers (repeatable)."
    ),
    sources: list[str] = typer.Option(
        [], "--source", help="Data source code whose incidents are this city's (repeatable)."
    ),
    alert_area: float | None = typer.Option(
        None,
        "--alert-area",
        help="Largest share of the city its alert zones may cover (0 < share <= 0.5; default"
        " 0.05 = 5 %). Each refresh raises the city's reference multiple k until they fit.",
    ),
    emergency: str = typer.Option(
        None,
        "--emergency",
        help="The emergency number the app and map give residents, e.g. 112 or 911 (without"
        " it: 112, which mobile phones route to the local service almost everywhere).",
    ),
    police: str = typer.Option(
        None, "--police", help="The police's non-emergency number, e.g. '114 14' (optional)."
    ),
) -> None:
    """Add a city, or update it: re-adding a code replaces what the command states (a
    missing --boundary means none); nothing is written when any input is bad."""
    from pipeline.ingest.boundaries import BoundaryError
    from pipeline.ingest.cities import CitySpec, add_city, parse_view

    try:
        spec = CitySpec(
            name=name,
            time_zone=time_zone,
            code=code,
            boundary=boundary,
            districts=districts,
            municipalities=tuple(municipalities),
            view=parse_view(view) if view else None,
            sources=tuple(sources),
            **({} if alert_area is None else {"alert_area": alert_area}),
            emergency_number=emergency,
            police_number=police,
        )
        added = add_city(get_settings().database_url, spec)
    except (BoundaryError, OSError, psycopg.Error) as exc:
        typer.echo(f"error: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"city {added.code} (id {added.city_id}): districts {added.districts},"
        f" stale districts kept {added.stale_kept}, sources {added.sources}"
    )


@app.command("list")
def list_cities() -> None:
    """Every city: code, name, time zone, boundary area, districts, sources, view, alert rule
    (cap on the alert zones' share; k: the reference multiple of the last refresh)."""
    from pipeline.ingest.cities import city_rows

    typer.echo(
        f"{'code':<14}{'name':<20}{'time zone':<22}{'km2':>8}{'districts':>10}"
        "  alert (cap, k)  sources  view"
    )
    rows = city_rows(get_settings().database_url)
    for code, name, tz, area, districts, sources, view, cap, multiple in rows:
        shown_area = "-" if area is None else str(area)
        rule = f"{float(str(cap)) * 100:g} %, k {'-' if multiple is None else f'{multiple:g}'}"
        typer.echo(
            f"{code!s:<14}{name!s:<20}{tz!s:<22}{shown_area:>8}{districts!s:>10}"
            f"  {rule:<14}  {sources or '-'}  {view or '-'}"
        )
