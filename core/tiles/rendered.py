"""A rendered answer and its gzip encoding, as the caches and stores hold it."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

ENTRY_OVERHEAD_BYTES = 200  # key, entry object and dict slot, roughly


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
            self._gz = gzip.compress(self.raw, compresslevel=self.gzip_level, mtime=0)
        return self._gz

    @property
    def size(self) -> int:
        """Bytes held, for the cache budget."""
        return len(self.raw) + len(self._gz or b"") + ENTRY_OVERHEAD_BYTES
