"""Halo's own schemas in the database (PostGIS's objects stay in public)."""

from __future__ import annotations

HALO_SCHEMAS = ("ref", "raw", "risk", "analytics", "tiles", "ops", "push", "basemap")
