"""Map API: vector tile functions and the map's read functions.

Revision ID: 0006_tiles
Revises: 0005_risk
Create Date: 2026-11-29
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0006_tiles"
down_revision = "0005_risk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0006_tiles.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0006_tiles.down.sql")
