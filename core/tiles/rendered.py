"""A rendered answer and its gzip encoding, as the caches and stores hold it.

The gzip is zlib-ng's (python-zlib-ng, same format and levels as zlib): an uncached tile is
gzipped while its request waits, and zlib's deflate of a 3 kB z14 tile at level 1 took
~60 us on the 2-core machine (~90 us in the server under wrk, as long as the rest of the
request outside the SQL but for the socket write), zlib-ng's 15 us; its output is ~10 %
larger at level 1 and about the same at 6 (the pre-rendered tiles' level).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zlib_ng import zlib_ng

ENTRY_OVERHEAD_BYTES = 200  # key, entry object and dict slot, roughly
GZIP_WBITS = 16 + 15  # a gzip header and trailer (mtime 0), a 32 kB window


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
            self._gz = zlib_ng.compress(self.raw, self.gzip_level, GZIP_WBITS)
        return self._gz

    @property
    def size(self) -> int:
        """Bytes held, for the cache budget."""
        return len(self.raw) + len(self._gz or b"") + ENTRY_OVERHEAD_BYTES
