"""Glyphs for the map's text labels: SDF glyph PBFs built offline from a Debian font."""
