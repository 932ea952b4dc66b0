"""Map API settings: tile caching, HTTP cache lifetimes, request limits, the web map's files."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings, halo_home

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def default_glyphs_dir() -> Path:
    """$HALO_HOME/glyphs (default ~/.cache/halo/glyphs): built by `halo glyphs build`."""
    return halo_home() / "glyphs"


class MapSettings(HaloSettings):
    """Tiles, TileJSON, neighbourhoods, alert zones and the web map (HALO_MAP_ prefix)."""

    model_config = SettingsConfigDict(env_prefix="HALO_MAP_")

    # In-process LRU of rendered tiles, per worker; 0 turns the server-side cache off.
    tile_cache_max_bytes: int = Field(default=64 * 2**20, ge=0)
    # How long a worker trusts the generation it read before asking the database again.
    generation_check_s: float = Field(default=1.0, ge=0, le=60)
    # Optional shared second-level tile cache (redis://host:port/db); keys carry the generation.
    redis_url: str | None = None
    redis_ttl_s: int = Field(default=86_400, ge=1, le=30 * 86_400)
    # Optional shared tile directory (disk level), written by the refresh's pre-render and by
    # workers; a restarted or second worker finds its tiles there.
    tile_dir: Path | None = None
    # Pre-render of every risk tile of the study area (api/tiles/prerender.py): the refresh
    # job's budget before it publishes the generation, and each worker's in-memory warm-up.
    prerender_max_s: float = Field(default=120.0, ge=0, le=3600)
    prerender_on_serve: bool = True
    # Browser/CDN lifetimes: URLs carrying the current ?v=<generation> never change content.
    versioned_max_age_s: int = Field(default=86_400, ge=0)
    unversioned_max_age_s: int = Field(default=60, ge=0)
    # gzip of what is rendered ahead of time (the refresh's pre-render, map documents) ...
    gzip_level: int = Field(default=6, ge=1, le=9)
    # ... and of a tile rendered while its request waits (outside the pre-rendered set): 0 is
    # ISA-L's fastest (still compressed; core/tiles/rendered.py), 1-9 zlib's levels. A z14
    # tile: ~7 us at 0, ~15 at 1, ~60 at 6, for ~19 % and ~11 % more bytes than level 6.
    render_gzip_level: int = Field(default=0, ge=0, le=9)
    # Stockholm; the TileJSON bounds and the web map's initial view.
    bounds: tuple[float, float, float, float] = (17.75, 59.22, 18.21, 59.45)
    center: tuple[float, float, int] = (18.07, 59.33, 11)
    # Largest alert-zone box a client may ask for, degrees in longitude and latitude.
    alert_zones_max_bbox_deg: float = Field(default=1.0, gt=0, le=10)
    # Resolution of the alert zones: 8 (about 0.7 km2) is the honest level for the sparse,
    # mostly district-located police data (DESIGN.md); finer cells rarely carry the evidence.
    alert_zones_resolution: int = Field(default=8, ge=7, le=9)
    # The web map: web/public (the page) and web/node_modules (maplibre-gl, `npm ci --prefix web`).
    web_dir: Path = WEB_DIR
    # Glyph PBFs for the map's labels, served at /fonts/{fontstack}/{range}.pbf.
    glyphs_dir: Path = Field(default_factory=default_glyphs_dir)
    # An external MapLibre style for the web map (e.g. a city without local base-map data);
    # unset: Halo's own /style.json, which works offline.
    style_url: str | None = None
