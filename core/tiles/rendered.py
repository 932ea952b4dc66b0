"""A rendered answer and its gzip encoding, as the caches and stores hold it.

Levels 1-9 are zlib-ng's (python-zlib-ng, the same format and levels as zlib): what is
rendered ahead of time, at level 6, is compressed once and served many times. Level 0 is
ISA-L's igzip at its fastest (python-isal; still compressed, unlike zlib's level 0): an
uncached tile is gzipped while its request waits. On the 150 z14 Stockholm tiles of the
tile benchmark (2.7 kB each, one process, medians of 7 passes): zlib level 1 59 us, zlib-ng
level 1 14-16 us, ISA-L level 0 6-7 us, ISA-L level 1 21 us; 1,471, 1,608, 1,732 and 1,499
bytes (zlib-ng level 6: 60 us, 1,451 bytes). In the server under wrk the gzip of such a tile
took 24-25 us with zlib-ng level 1 (stage timings, docs/map-api.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isal import isal_zlib
from zlib_ng import zlib_ng

ENTRY_OVERHEAD_BYTES = 200  # key, entry object and dict slot, roughly
GZIP_WBITS = 16 + 15  # a gzip header and trailer (mtime 0), a 32 kB window
FASTEST = 0  # the level of ISA-L's igzip at its fastest


@dataclass
class Rendered:
    """A rendered answer (MVT tile or JSON document; empty for an empty tile) and its gzip."""

    raw: bytes
    gzip_level: int = 6
    _gz: bytes | None = field(default=None, repr=False)

    @property
    def gz(self) -> bytes:
        """The gzip encoding, compressed on first use."""
        if self._gz is None:
            self._gz = gzip_of(self.raw, self.gzip_level)
        return self._gz

    @property
    def size(self) -> int:
        """Bytes held, for the cache budget."""
        return len(self.raw) + len(self._gz or b"") + ENTRY_OVERHEAD_BYTES


def gzip_of(raw: bytes, level: int) -> bytes:
    """`raw` gzipped: level 0 ISA-L's fastest, 1-9 zlib's levels (zlib-ng)."""
    if level == FASTEST:
        return isal_zlib.compress(raw, FASTEST, GZIP_WBITS)
    return zlib_ng.compress(raw, level, GZIP_WBITS)
