"""Released revisions are history: their files' hashes live in migrations/released.sha256.

A revision is released when it lands on main; from then on nobody edits it (a database
migrated before the edit would never see it, and `/health/ready` would call it current).
tests/test_migration_history.py fails when a released file changes or disappears, and when a
revision file is not recorded yet: `halo db release` records the new ones after review.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from migrations.schema import FROZEN_DIR

MANIFEST = FROZEN_DIR.parent / "released.sha256"


def revision_files() -> list[Path]:
    """Every file of a revision: the alembic script and its frozen SQL."""
    return sorted(p for p in FROZEN_DIR.iterdir() if p.suffix in (".py", ".sql"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded() -> dict[str, str]:
    """File name → hash, as recorded in the manifest."""
    if not MANIFEST.exists():
        return {}
    pairs = (line.split() for line in MANIFEST.read_text().splitlines() if line.strip())
    return {name: digest for digest, name in pairs}


def record_new() -> list[str]:
    """Record the hashes of revision files not yet in the manifest; never rewrites one."""
    known = recorded()
    new = [p for p in revision_files() if p.name not in known]
    with MANIFEST.open("a", encoding="utf-8") as out:
        for path in new:
            out.write(f"{sha256(path)}  {path.name}\n")
    return [p.name for p in new]
