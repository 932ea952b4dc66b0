"""Freeze a revision's SQL: copy the given sql/ files into migrations/versions/REV.up.sql.

    .venv/bin/python -m migrations.freeze 0001_baseline sql/*.sql

Run it when a new revision's SQL is final; afterwards the copy is history and never edited
(tests/test_migrations.py proves the copies and sql/ still give the same schema).
"""

from __future__ import annotations

import sys
from pathlib import Path

from migrations.schema import FROZEN_DIR


def freeze(revision: str, sources: list[Path]) -> Path:
    """Write the frozen copy of `sources` for `revision` and return its path."""
    parts = [f"-- {revision}: frozen copy of {', '.join(map(str, sources))}."]
    for source in sources:
        parts.append(f"\n-- ==== {source} ====\n{source.read_text(encoding='utf-8')}")
    target = FROZEN_DIR / f"{revision}.up.sql"
    target.write_text("\n".join(parts), encoding="utf-8")
    return target


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    sys.stdout.write(f"{freeze(sys.argv[1], [Path(p) for p in sys.argv[2:]])}\n")
