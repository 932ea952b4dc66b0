"""Which version a layer's tiles are named by: the `?v=` of their TileJSON URLs and the tag in
their ETags. The data layers (risk, districts, labels, incidents) follow the risk generation.
The base map (water, streets) follows its load: a refresh carries its tiles over unchanged
while the loaded base map is the one they were rendered from (core/tiles/prerender.py), so
their URLs and ETags stay the same across refreshes, and browsers, phones and the proxy keep
what they have; a `halo load basemap` changes them at the next refresh.

The base map's version at a generation comes from that generation's shared store: the stamp
the refresh recorded with a complete pre-rendered set (STAMP_KEY). The store then holds every
base-map tile of the set as rendered from that stamp, so a tile read at the current generation
is the tile the version names. Without a stamp (no shared store, a pre-render cut short, a
store that cannot be read) the base map is named by the generation, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.tiles.prerender import CARRIED_LAYERS, basemap_version


@dataclass(frozen=True)
class TileVersion:
    """The version of a layer's tiles: `url` is their URLs' ?v=, `etag` the tag in the ETag."""

    url: str
    etag: str
    url_bytes: bytes = field(init=False, repr=False)  # for the fast path's comparison

    def __post_init__(self) -> None:
        object.__setattr__(self, "url_bytes", self.url.encode())


def of_generation(generation: int) -> TileVersion:
    """Tiles named by the risk generation: ?v=<generation>, ETag tag g<generation>."""
    return TileVersion(str(generation), f"g{generation}")


def of_stamp(stamp: bytes | None, generation: int) -> TileVersion:
    """The base map's tiles at `generation`: named by the stamp's version when the generation's
    store recorded one, else by the generation."""
    if not stamp:
        return of_generation(generation)
    version = basemap_version(stamp)
    return TileVersion(version, version)


class BasemapVersions:
    """The base map's version at the generation looked up last (one store read per generation
    and worker)."""

    def __init__(self) -> None:
        self._generation = -1
        self._version = of_generation(0)

    def known(self, generation: int) -> TileVersion | None:
        """The version at `generation` if looked up, else None (no I/O: the fast path)."""
        return self._version if generation == self._generation else None

    def learn(self, generation: int, stamp: bytes | None) -> TileVersion:
        """Keep the version read from `generation`'s store (`stamp`, None when it has none)."""
        version = of_stamp(stamp, generation)
        self._generation, self._version = generation, version
        return version

    def of(self, layer: str, generation: int) -> TileVersion:
        """The version of `layer`'s tiles at `generation`: the base map's when looked up for
        this generation (else, as for the data layers, the generation: a correct name, only
        not a lasting one)."""
        if layer in CARRIED_LAYERS:
            known = self.known(generation)
            if known is not None:
                return known
        return of_generation(generation)
