"""Alembic migration history of the Halo schema."""
