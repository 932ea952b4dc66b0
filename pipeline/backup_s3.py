"""Upload of backups to S3-compatible storage (AWS, MinIO, ...) with the same retention.

Credentials come from the environment as boto3 reads them (AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, or an instance role); Halo's settings only name the place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.backup import BackupSettings

DUMP_SUFFIX = ".dump"
MANIFEST_SUFFIX = ".manifest.json"


def s3_client(settings: BackupSettings) -> Any:
    """A boto3 S3 client for the configured endpoint (needs the `s3` extra: boto3)."""
    try:
        import boto3
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("S3 upload needs boto3: pip install 'halo[s3]'") from exc
    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region)


def upload_backup(settings: BackupSettings, files: list[Path], retention: int) -> list[str]:
    """Upload the files under the prefix, then keep only the newest `retention` dumps there."""
    client = s3_client(settings)
    bucket, prefix = settings.s3_bucket, settings.s3_prefix
    keys = []
    for path in files:
        key = prefix + path.name
        client.upload_file(str(path), bucket, key)
        keys.append(key)
    prune_remote(client, bucket, prefix, retention)
    return keys


def prune_remote(client: Any, bucket: str | None, prefix: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` dumps (and their manifests) under the prefix."""
    names: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        names.extend(item["Key"] for item in page.get("Contents", []))
    dumps = sorted((n for n in names if n.endswith(DUMP_SUFFIX)), reverse=True)
    doomed = []
    for old in dumps[keep:]:
        doomed.append(old)
        for companion in (MANIFEST_SUFFIX, ".photos.tar"):
            name = old.removesuffix(DUMP_SUFFIX) + companion
            if name in names:
                doomed.append(name)
    for key in doomed:
        client.delete_object(Bucket=bucket, Key=key)
    return doomed
