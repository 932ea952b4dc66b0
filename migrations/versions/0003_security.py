"""Security and operations: API key lookup, rate limits, base analytics views for QGIS.

Revision ID: 0003_security
Revises: 0002_ingestion
Create Date: 2026-11-29
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0003_security"
down_revision = "0002_ingestion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0003_security.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0003_security.down.sql")
