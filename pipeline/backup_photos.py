"""Report photos in backups: a tar archive beside each dump, with every photo the dump refers to.

The keys are read in the dump's own snapshot, so the archive holds exactly the photos of the
reports in that dump (a photo deleted since is reported missing, never silently skipped). A
restore puts them back under the same keys, so the restored reports find their photos.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from core.photo_store import PhotoStore

log = logging.getLogger("halo.backup")

PHOTO_KEYS_SQL = (
    "SELECT photo_key FROM raw.user_reports WHERE photo_key IS NOT NULL ORDER BY photo_key"
)
PHOTOS_SUFFIX = ".photos.tar"


@dataclass(frozen=True)
class PhotoArchive:
    """What a photo archive holds: how many photos, which were missing, and its SHA-256."""

    count: int
    missing: list[str]
    sha256: str

    def to_json(self) -> dict[str, object]:
        """For the manifest."""
        return {"count": self.count, "missing": self.missing, "sha256": self.sha256}


def photos_path(dump: Path) -> Path:
    """The photo archive that goes with a dump file."""
    return dump.with_name(dump.name.removesuffix(".dump") + PHOTOS_SUFFIX)


def photo_keys(conn: psycopg.Connection) -> list[str]:
    """Every photo key the reports refer to, in the connection's current snapshot."""
    return [key for (key,) in conn.execute(PHOTO_KEYS_SQL).fetchall()]


def write_photo_archive(store: PhotoStore, keys: list[str], path: Path) -> PhotoArchive:
    """Write the photos under `keys` into a tar at `path` (owner-only); missing ones listed."""
    missing: list[str] = []
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
        for key in keys:
            data = store.get(key)
            if data is None:
                missing.append(key)
                continue
            member = tarfile.TarInfo(key)
            member.size = len(data)
            member.mode = 0o600
            tar.addfile(member, io.BytesIO(data))
    partial.rename(path)
    if missing:
        log.warning("backup: %d report photos were missing from the store", len(missing))
    return PhotoArchive(len(keys) - len(missing), missing, _sha256(path))


def restore_photo_archive(path: Path, store: PhotoStore) -> int:
    """Put every photo of the archive back into the store under its key; returns how many."""
    restored = 0
    with tarfile.open(path, mode="r") as tar:
        for member in tar:
            if not member.isfile() or not _safe_key(member.name):
                continue
            source = tar.extractfile(member)
            assert source is not None
            store.restore(member.name, source.read())
            restored += 1
    return restored


def archive_keys(path: Path) -> set[str]:
    """The photo keys inside an archive."""
    with tarfile.open(path, mode="r") as tar:
        return {m.name for m in tar if m.isfile()}


def _safe_key(key: str) -> bool:
    """Keys are `YYYY/MM/<hex>.<ext>`: never absolute, never climbing out of the store."""
    return not key.startswith("/") and ".." not in key.split("/")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
