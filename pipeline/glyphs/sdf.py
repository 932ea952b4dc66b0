"""Signed distance field glyphs from a TrueType font through FreeType (freetype-py).

MapLibre's glyph convention (as fontnik and tiny-sdf): rendered at 24 px, a 3 px border, and
the value 255 - 255 * (distance / 8 + 0.25), so the outline sits at 192 and 8 px of distance
span the range. The outline is rendered 4x larger and the exact Euclidean distance is taken
there (scipy), then averaged down: sharper than a distance field of the anti-aliased 24 px
bitmap.
"""

from __future__ import annotations

from pathlib import Path

import freetype
import numpy as np
from scipy import ndimage

from core.glyph_pbf import Glyph

SIZE_PX = 24
BORDER_PX = 3
RADIUS_PX = 8
CUTOFF = 0.25
OVERSAMPLE = 4


class GlyphRenderer:
    """Renders the SDF glyphs of one font file."""

    def __init__(self, font: Path) -> None:
        self.face = freetype.Face(str(font))
        self.face.set_pixel_sizes(0, SIZE_PX * OVERSAMPLE)
        # Baseline to the top of the line box, as fontnik subtracts it from each glyph's top.
        self.ascender_px = round(self.face.size.ascender / 64 / OVERSAMPLE)

    def has(self, codepoint: int) -> bool:
        """Whether the font has a glyph for this code point."""
        return bool(self.face.get_char_index(codepoint) != 0)

    def render(self, codepoint: int) -> Glyph:
        """The SDF glyph of one code point (the font's .notdef if it has none)."""
        self.face.load_char(codepoint, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_TARGET_MONO)
        slot = self.face.glyph
        advance = round(slot.advance.x / 64 / OVERSAMPLE)
        ink = _mono_bitmap(slot.bitmap)
        if ink.size == 0 or not ink.any():
            return Glyph(codepoint, b"", 0, 0, 0, 0, advance)
        left4, top4 = slot.bitmap_left, slot.bitmap_top
        height4, width4 = ink.shape
        left, top = left4 // OVERSAMPLE, -(-top4 // OVERSAMPLE)
        width = -(-(left4 + width4) // OVERSAMPLE) - left
        height = top - (top4 - height4) // OVERSAMPLE
        canvas = np.zeros(
            ((height + 2 * BORDER_PX) * OVERSAMPLE, (width + 2 * BORDER_PX) * OVERSAMPLE), bool
        )
        y0 = (top * OVERSAMPLE - top4) + BORDER_PX * OVERSAMPLE
        x0 = (left4 - left * OVERSAMPLE) + BORDER_PX * OVERSAMPLE
        canvas[y0 : y0 + height4, x0 : x0 + width4] = ink
        bitmap = _sdf(canvas)
        return Glyph(codepoint, bitmap, width, height, left, top - self.ascender_px, advance)


def _mono_bitmap(bitmap: freetype.Bitmap) -> np.ndarray:
    """A FreeType 1-bit bitmap as a boolean array (rows, columns)."""
    rows, width, pitch = bitmap.rows, bitmap.width, bitmap.pitch
    if rows == 0 or width == 0:
        return np.zeros((0, 0), bool)
    packed = np.frombuffer(bytes(bitmap.buffer), np.uint8).reshape(rows, abs(pitch))
    return np.unpackbits(packed, axis=1)[:, :width].astype(bool)


def _sdf(canvas: np.ndarray) -> bytes:
    """The 8-bit SDF of an oversampled ink mask, at 1/OVERSAMPLE of its size."""
    outside = ndimage.distance_transform_edt(~canvas)
    inside = ndimage.distance_transform_edt(canvas)
    signed = (outside - inside) / OVERSAMPLE
    rows, cols = canvas.shape[0] // OVERSAMPLE, canvas.shape[1] // OVERSAMPLE
    distance = signed.reshape(rows, OVERSAMPLE, cols, OVERSAMPLE).mean(axis=(1, 3))
    values = 255 - 255 * (distance / RADIUS_PX + CUTOFF)
    return bytes(np.clip(np.round(values), 0, 255).astype(np.uint8).tobytes())
