"""Point sources: model resolution as a parameter, blend model, backtest levels.

Revision ID: 0006_point_source_model
Revises: 0005_tile_counts
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0006_point_source_model"
down_revision = "0005_tile_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0006_point_source_model.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0006_point_source_model.down.sql")
