"""The glyph PBF of MapLibre/Mapbox (glyphs.proto), written by hand: a few varints and strings.

message glyphs { repeated fontstack stacks = 1; }
message fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3; }
message glyph { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
                sint32 left = 5; sint32 top = 6; uint32 advance = 7; }
"""

from __future__ import annotations

from dataclasses import dataclass

# Font stack name (as a style's text-font names it) -> font file of the Debian package
# fonts-dejavu-core. Shared by the builder (pipeline/glyphs) and the server (api/tiles/glyphs).
FONT_STACKS = {
    "DejaVu Sans Book": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
}

VARINT, LENGTH_DELIMITED = 0, 2


@dataclass(frozen=True)
class Glyph:
    """One glyph: its SDF bitmap ((width + 6) x (height + 6) bytes) and its metrics in pixels."""

    codepoint: int
    bitmap: bytes
    width: int
    height: int
    left: int
    top: int
    advance: int


def varint(value: int) -> bytes:
    """Base-128 varint of a non-negative integer."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def zigzag(value: int) -> int:
    """The sint32 encoding of a signed integer."""
    return (value << 1) ^ (value >> 31)


def field_varint(number: int, value: int) -> bytes:
    """A varint field."""
    return varint(number << 3 | VARINT) + varint(value)


def field_bytes(number: int, value: bytes) -> bytes:
    """A length-delimited field (bytes, string or embedded message)."""
    return varint(number << 3 | LENGTH_DELIMITED) + varint(len(value)) + value


def encode_glyph(glyph: Glyph) -> bytes:
    """One glyph message."""
    body = field_varint(1, glyph.codepoint)
    if glyph.bitmap:
        body += field_bytes(2, glyph.bitmap)
    body += field_varint(3, glyph.width) + field_varint(4, glyph.height)
    body += field_varint(5, zigzag(glyph.left)) + field_varint(6, zigzag(glyph.top))
    return body + field_varint(7, glyph.advance)


def encode_range(fontstack: str, start: int, glyphs: list[Glyph]) -> bytes:
    """The PBF of one range of 256 code points of one font stack (possibly without glyphs)."""
    stack = field_bytes(1, fontstack.encode()) + field_bytes(2, f"{start}-{start + 255}".encode())
    for glyph in glyphs:
        stack += field_bytes(3, encode_glyph(glyph))
    return field_bytes(1, stack)
