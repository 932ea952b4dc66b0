"""`halo ingest`: polisen.se events (files or the live API) and generic incident point files."""

from __future__ import annotations

from pathlib import Path

import psycopg
import typer

from config.settings import get_settings
from pipeline.ingest.summary import IngestSummary

app = typer.Typer(help="Ingest incidents: polisen.se events and point files.", no_args_is_help=True)

ARCHIVE_FILE = "polisen/stockholm_county_events_2022_2025.json"
SHOWN_REJECTIONS = 20


@app.command()
def polisen(
    files: list[Path] = typer.Argument(
        None, help="Event files in the API's format (default: the 2022-2025 archive)."
    ),
    live: bool = typer.Option(False, "--live", help="Fetch from the live API instead of files."),
    poll: bool = typer.Option(False, "--poll", help="With --live: keep polling (Ctrl-C stops)."),
    date: str = typer.Option(
        None, "--date", help="With --live: DateTime filter YYYY-MM[-DD[ HH]]."
    ),
    pages: Path = typer.Option(
        None, "--pages", help="Page-text file (default: FILE_pages.json beside each file)."
    ),
    report: bool = typer.Option(False, "--report", help="Print the location-quality report."),
) -> None:
    """Ingest polisen.se events; prints inserted/updated/unchanged/rejected at the end."""
    from config.ingest import get_ingest_settings
    from pipeline.ingest.polisen_api import PolisenApiError, PolisenClient
    from pipeline.ingest.polisen_files import InputFileError
    from pipeline.ingest.polisen_ingest import GazetteerMissingError, ingest_files, ingest_live

    if (poll or date) and not live:
        typer.echo("error: --poll and --date need --live", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    try:
        if live:
            client = PolisenClient(get_ingest_settings())
            summary = ingest_live(
                settings.database_url, client, max_polls=None if poll else 1, date_filter=date
            )
        else:
            summary = ingest_files(
                settings.database_url, files or [settings.data_dir / ARCHIVE_FILE], pages
            )
    except (InputFileError, GazetteerMissingError, PolisenApiError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
        raise typer.Exit(130) from None
    _show_rejections(summary)
    typer.echo(summary.line())
    if report:
        _print_report(settings.database_url)


@app.command()
def points(
    file: Path = typer.Argument(..., help="CSV or GeoJSON file (or .gz) of incident points."),
    mapping: str = typer.Option(
        ...,
        "--map",
        help="Columns: time=... (or date=...,hour=...[,minute=...]),lat=...,lon=...,type=...,"
        " optional id=... (else a stable id from the row's content), title, summary.",
    ),
    source: str = typer.Option(..., "--source", help="Data source code, e.g. chicago_crimes."),
    source_name: str = typer.Option(None, "--source-name", help="Its name, when new."),
    attribution: str = typer.Option(
        None,
        "--attribution",
        help="The credit the map shows for this source's data, e.g. 'Data: Vancouver Police"
        " Department (open data)'.",
    ),
    timezone_name: str = typer.Option(
        None,
        "--tz",
        help="Time zone of times without offset (default: the source's city's, else"
        " HALO_INGEST_LOCAL_TIMEZONE).",
    ),
    time_format: str = typer.Option(
        None, "--time-format", help="strptime format or 'epoch' (default: ISO 8601)."
    ),
    bbox: str = typer.Option(
        None, "--bbox", help="Region min_lon,min_lat,max_lon,max_lat, or 'world' (default: config)."
    ),
    types: Path = typer.Option(
        None,
        "--types",
        help="CSV type,category[,severity]: the source's words; others are stored as"
        " 'unmapped' (never counted for risk) and listed.",
    ),
    crs: str = typer.Option(
        None, "--crs", help="CRS of projected lon/lat (x/y) columns, e.g. EPSG:26910."
    ),
    encoding: str = typer.Option("utf-8-sig", "--encoding", help="Text encoding, e.g. latin-1."),
    delimiter: str = typer.Option(
        None, "--delimiter", help="CSV separator (default: detected from the header: , ; tab)."
    ),
    max_rejects: int = typer.Option(
        0, "--max-rejects", min=0, help="Rejected rows tolerated; more roll everything back."
    ),
) -> None:
    """Bulk-load a points file (COPY) in one transaction; bad rows listed with line numbers."""
    from zoneinfo import ZoneInfoNotFoundError

    from config.ingest import get_ingest_settings
    from pipeline.ingest.cities import source_time_zone
    from pipeline.ingest.point_rows import load_type_mapping
    from pipeline.ingest.points_file import (
        FileFormat,
        PointsFileError,
        TooManyRejects,
        default_rules,
        ingest_points_file,
        parse_mapping,
    )

    ingest_settings = get_ingest_settings()
    try:
        rules = default_rules(
            timezone_name
            or source_time_zone(get_settings().database_url, source)
            or ingest_settings.local_timezone,
            time_format,
            _region(bbox, ingest_settings.region_bbox),
            load_type_mapping(types) if types else None,
            crs,
        )
        summary = ingest_points_file(
            get_settings().database_url,
            file,
            parse_mapping(mapping),
            source,
            rules,
            source_name,
            FileFormat(encoding, delimiter),
            max_rejects,
            attribution,
        )
    except TooManyRejects as exc:
        _show_rejections(exc.summary)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except (PointsFileError, ValueError, ZoneInfoNotFoundError, psycopg.Error) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    _show_rejections(summary)
    for word, n in summary.unknown_types.most_common(SHOWN_REJECTIONS):
        typer.echo(f"unmapped type {word!r}: {n} rows (not counted for risk)", err=True)
    typer.echo(summary.line())


@app.command("unknown-types")
def unknown_types() -> None:
    """List the source types Halo has no category for (stored as `unmapped`, never counted
    for risk): source, type, how many incidents, first and last seen. Map them in
    pipeline/ingest/categories.py, then re-ingest."""
    with psycopg.connect(get_settings().database_url) as conn:
        found = conn.execute(UNKNOWN_TYPES_SQL).fetchall()
    if not found:
        typer.echo("no unknown types: every stored type has a category")
        return
    typer.echo(f"{'source':<12} {'type':<40} {'incidents':>9}  first seen  last seen")
    for source, event_type, count, first, last in found:
        typer.echo(f"{source:<12} {event_type:<40} {count:>9}  {first:%Y-%m-%d}  {last:%Y-%m-%d}")


UNKNOWN_TYPES_SQL = """
SELECT s.code, i.event_type, count(*), min(i.first_seen_at), max(i.first_seen_at)
  FROM raw.incidents i JOIN ref.data_sources s ON s.id = i.source_id
 WHERE i.category = 'unmapped'
 GROUP BY s.code, i.event_type
 ORDER BY count(*) DESC, s.code, i.event_type
"""


def _region(
    bbox: str | None, default: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """The region box of the --bbox option ('world': no region check)."""
    if bbox is None:
        return default
    if bbox.strip().lower() == "world":
        return None
    parts = [float(p) for p in bbox.split(",")]
    if len(parts) != 4 or parts[0] >= parts[2] or parts[1] >= parts[3]:
        raise ValueError("--bbox must be min_lon,min_lat,max_lon,max_lat")
    return parts[0], parts[1], parts[2], parts[3]


def _show_rejections(summary: IngestSummary) -> None:
    for rejection in summary.rejections[:SHOWN_REJECTIONS]:
        typer.echo(f"rejected {rejection.where}: {rejection.reason}: {rejection.detail}", err=True)
    hidden = sum(summary.rejected.values()) - min(len(summary.rejections), SHOWN_REJECTIONS)
    if hidden > 0:
        typer.echo(f"… and {hidden} more rejected rows", err=True)


def _print_report(database_url: str) -> None:
    from pipeline.ingest.report import (
        city_municipalities,
        format_location_quality,
        location_quality,
    )

    with psycopg.connect(database_url) as conn:
        typer.echo(format_location_quality(location_quality(conn), city_municipalities(conn)))
