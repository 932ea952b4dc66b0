"""What alembic compares: Halo's own schemas, not PostGIS's objects in public."""

from __future__ import annotations

from typing import Any

HALO_SCHEMAS = ("ref", "raw", "risk", "analytics", "tiles", "ops", "push", "basemap")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic `include_name` hook: only Halo's schemas are compared."""
    if type_ == "schema":
        return name in HALO_SCHEMAS
    return True
