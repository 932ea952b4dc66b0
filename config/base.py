"""The base of every settings class: one source order for the whole configuration.

Each section (config/security.py, config/map.py, ...) inherits HaloSettings and sets only its
prefix, so all of them read the same sources in the same order, highest first:

1. values passed in code (tests, `model_copy`),
2. the process environment,
3. the local file `$HALO_HOME/local.env` (`~/.cache/halo/local.env`, written by
   db/localdb.sh), looked up when the settings are read, not when this module is imported,
4. the field's default.

This module imports nothing from config/, so every section may import it (no cycle).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def halo_home() -> Path:
    """Folder for local state outside the repository (root filesystem, local.env)."""
    if os.environ.get("HALO_HOME"):
        return Path(os.environ["HALO_HOME"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "halo"


def local_env_file() -> Path:
    """The generated local configuration file (database URLs and passwords)."""
    return halo_home() / "local.env"


class HaloSettings(BaseSettings):
    """A settings section: code, then environment, then local.env, then defaults."""

    model_config = SettingsConfigDict(env_prefix="HALO_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # In production the generated local.env is never read: only the real environment.
        init_env = getattr(init_settings, "init_kwargs", {}).get("env")
        if (init_env or os.environ.get("HALO_ENV")) == "production":
            return init_settings, env_settings
        local_env = DotEnvSettingsSource(
            settings_cls, env_file=local_env_file(), env_file_encoding="utf-8"
        )
        return init_settings, env_settings, local_env
