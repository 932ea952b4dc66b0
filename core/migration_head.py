"""The head revision of the repository's migrations, read from their files.

The API's readiness check compares it with the database's; reading the revision files through
alembic needs nothing from the migrations package, so the API does not import it.
"""

from __future__ import annotations

from functools import lru_cache

from config.base import REPO_ROOT


@lru_cache
def migration_head() -> str | None:
    """The head revision in migrations/versions (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(REPO_ROOT / "alembic.ini"))).get_current_head()
