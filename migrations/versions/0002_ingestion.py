"""Ingestion: gazetteer and ingestion support.

Revision ID: 0002_ingestion
Revises: 0001_foundation
Create Date: 2026-11-29
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0002_ingestion"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0002_ingestion.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0002_ingestion.down.sql")
