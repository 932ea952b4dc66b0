"""`halo glyphs build`: the SDF glyph PBFs of the map's labels, from a Debian font."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.errors import input_errors
from config.map import MapSettings

app = typer.Typer(help="Glyphs for the map's labels (served at /fonts/...).", no_args_is_help=True)


@app.command()
def build(
    out: Path = typer.Option(None, help="Output folder (default: HALO_MAP_GLYPHS_DIR)."),
) -> None:
    """Build the glyph ranges of Halo's font stacks from fonts-dejavu-core (about a minute)."""
    from pipeline.glyphs.build import GlyphBuildError, build_glyphs

    # The map section alone: glyphs are built at install, before the database (and its URLs).
    target = out or MapSettings().glyphs_dir
    with input_errors(GlyphBuildError, OSError):
        built = build_glyphs(target)
    typer.echo(
        f"{built.stacks} font stacks, {built.ranges} ranges, {built.glyphs} glyphs in {target}"
    )


@app.callback()
def _group() -> None:
    """Glyph commands."""
