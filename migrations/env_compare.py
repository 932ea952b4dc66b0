"""What alembic compares: Halo's own schemas, not PostGIS's objects in public."""

from __future__ import annotations

from typing import Any

from core.schemas import HALO_SCHEMAS


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic `include_name` hook: only Halo's schemas are compared."""
    if type_ == "schema":
        return name in HALO_SCHEMAS
    return True
