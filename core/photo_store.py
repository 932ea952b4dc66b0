"""Where cleaned report photos and videos are kept: a folder on disk, or S3-compatible storage.

Shared by the API (uploads, moderation) and the pipeline (backups, retention, erasure).

Keys are random (`2025/06/<uuid>.jpg`), so two requests never share a file and a request that
ends without a stored report deletes exactly the file it wrote.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from config.reports import ReportSettings


class PhotoStore(Protocol):
    """Blocking photo storage; the routes call it from worker threads."""

    def put(self, data: bytes, extension: str) -> str:
        """Store a photo under a new key and return the key."""
        ...

    def get(self, key: str) -> bytes | None:
        """The photo's bytes, or None when there is none under the key."""
        ...

    def delete(self, key: str) -> None:
        """Remove a photo; no error when it is already gone."""
        ...

    def restore(self, key: str, data: bytes) -> None:
        """Store a photo under a given key (a restore from a backup puts it back)."""
        ...


def new_key(extension: str) -> str:
    """A fresh random key, grouped by month."""
    return f"{datetime.now(UTC):%Y/%m}/{uuid.uuid4().hex}.{extension}"


class DiskPhotoStore:
    """Photos as files under a root folder (created 0700, files 0600)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError("photo key outside the photo folder")
        return path

    def put(self, data: bytes, extension: str) -> str:
        key = new_key(extension)
        self.restore(key, data)
        return key

    def restore(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3PhotoStore:
    """Photos as objects under a prefix of an S3-compatible bucket (needs boto3)."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def put(self, data: bytes, extension: str) -> str:
        key = new_key(extension)
        self.restore(key, data)
        return key

    def restore(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def photo_store_for(settings: ReportSettings) -> PhotoStore:
    """The store the settings name: S3 when a bucket is set, else the photo folder."""
    if settings.photo_s3_bucket:
        try:
            import boto3
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("S3 photo storage needs boto3: pip install 'halo[s3]'") from exc
        client = boto3.client(
            "s3", endpoint_url=settings.photo_s3_endpoint_url, region_name=settings.photo_s3_region
        )
        return S3PhotoStore(client, settings.photo_s3_bucket, settings.photo_s3_prefix)
    return DiskPhotoStore(settings.photo_dir)
