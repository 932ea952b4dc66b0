"""`halo load`: reference data — boundaries (districts, municipalities) and the gazetteer."""

from __future__ import annotations

from pathlib import Path

import psycopg
import typer

from cli.errors import input_errors
from config.settings import get_settings

app = typer.Typer(
    help="Load reference data: boundaries, the place gazetteer and the base map.",
    no_args_is_help=True,
)


@app.command()
def boundaries(
    districts: str = typer.Option(
        None, help="Districts GeoJSON, path or URL (default: the data dir's simplified file)."
    ),
    municipalities: str = typer.Option(
        None, help="Municipalities GeoJSON (SCB KnKod/KnNamn), path or URL."
    ),
) -> None:
    """Load Stockholm's districts and Sweden's municipalities; a re-run replaces them."""
    from pipeline.ingest.boundaries import (
        DISTRICTS_FILE,
        MUNICIPALITIES_FILE,
        BoundaryError,
        load_boundaries,
    )

    settings = get_settings()
    with input_errors(BoundaryError, OSError, psycopg.Error):
        counts = load_boundaries(
            settings.database_url,
            districts or settings.data_dir / DISTRICTS_FILE,
            municipalities or settings.data_dir / MUNICIPALITIES_FILE,
        )
    typer.echo(
        f"municipalities {counts.municipalities}, districts {counts.districts}, "
        f"gazetteer rows {counts.places}, stale districts kept {counts.stale_kept}"
    )


@app.command()
def gazetteer(
    places: Path = typer.Option(None, help="Curated places CSV (default: Halo's Stockholm list)."),
) -> None:
    """Load the curated Stockholm places (squares, stations, streets, areas, aliases)."""
    from pipeline.ingest.gazetteer import (
        CURATED_PLACES_FILE,
        GazetteerError,
        load_curated_gazetteer,
    )

    with input_errors(GazetteerError, OSError, psycopg.Error):
        counts = load_curated_gazetteer(get_settings().database_url, places or CURATED_PLACES_FILE)
    typer.echo(", ".join(f"{name} {n}" for name, n in counts.items()))


@app.command()
def basemap(
    streets: str = typer.Option(None, help="Streets GeoJSON (default: the data dir's OSM file)."),
    water: str = typer.Option(None, help="Water GeoJSON (default: the data dir's water file)."),
) -> None:
    """Load the base map (streets and water) read from the data dir; a re-run replaces it."""
    from pipeline.ingest.basemap import STREETS_FILE, WATER_FILE, BasemapError, load_basemap

    settings = get_settings()
    with input_errors(BasemapError, OSError, psycopg.Error):
        counts = load_basemap(
            settings.database_url,
            streets or settings.data_dir / STREETS_FILE,
            water or settings.data_dir / WATER_FILE,
        )
    typer.echo(
        f"street edges {counts.street_edges} -> lines {counts.street_lines}, "
        f"water pieces {counts.water_pieces}"
    )
