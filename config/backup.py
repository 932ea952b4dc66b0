"""Backup settings: where dumps go, how many are kept, optional S3 upload, PostgreSQL tools."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings, halo_home


def _default_dir() -> Path:
    return halo_home() / "backups"


class BackupSettings(HaloSettings):
    """`halo backup` / `halo restore` (HALO_BACKUP_ prefix; S3 credentials from AWS_* variables)."""

    model_config = SettingsConfigDict(env_prefix="HALO_BACKUP_")

    dir: Path = Field(default_factory=_default_dir)
    retention: int = Field(default=7, ge=1, le=1000)
    # S3-compatible storage: upload each dump there too when a bucket is set.
    s3_bucket: str | None = None
    s3_prefix: str = "halo/"
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # Folder of pg_dump/pg_restore (major version >= the server's); else PATH, else the
    # local database's own (db/localdb.sh tool).
    pg_bin_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("HALO_PG_BIN_DIR", "HALO_BACKUP_PG_BIN_DIR")
    )
