"""Build the glyph PBFs of Halo's font stacks into a directory outside git.

Layout as served at /fonts/{fontstack}/{start}-{end}.pbf: <dir>/<fontstack>/<start>-<end>.pbf.
Only the ranges the labels need are built (Latin, Latin Extended, Cyrillic, punctuation and
symbols: Swedish names and the UI's multiplication sign and dashes); any other range is
answered empty by the server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from core.glyph_pbf import FONT_STACKS, encode_range
from pipeline.glyphs.sdf import GlyphRenderer

log = logging.getLogger("halo.glyphs")

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
RANGE_STARTS = (0, 256, 512, 768, 1024, 8192, 8448)


class GlyphBuildError(RuntimeError):
    """A font that cannot be read (the Debian package is missing)."""


@dataclass(frozen=True)
class GlyphBuild:
    """What a build wrote."""

    stacks: int
    ranges: int
    glyphs: int


def build_glyphs(out_dir: Path, font_dir: Path = FONT_DIR) -> GlyphBuild:
    """Write every range of every font stack; files are replaced atomically (rename)."""
    ranges = glyphs = 0
    for stack, file_name in FONT_STACKS.items():
        font = font_dir / file_name
        if not font.is_file():
            raise GlyphBuildError(f"{font} is missing: apt-get install fonts-dejavu-core")
        renderer = GlyphRenderer(font)
        target = out_dir / stack
        target.mkdir(parents=True, exist_ok=True)
        for start in RANGE_STARTS:
            rendered = [renderer.render(cp) for cp in range(start, start + 256) if renderer.has(cp)]
            path = target / f"{start}-{start + 255}.pbf"
            partial = path.with_suffix(".pbf.partial")
            partial.write_bytes(encode_range(stack, start, rendered))
            partial.replace(path)
            ranges += 1
            glyphs += len(rendered)
        log.info("glyphs built: %s", stack)
    return GlyphBuild(len(FONT_STACKS), ranges, glyphs)
