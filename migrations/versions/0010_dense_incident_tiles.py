"""dense incident tiles

Revision ID: 0010_dense_incident_tiles
Revises: 0009_model_calibration
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0010_dense_incident_tiles"
down_revision = "0009_model_calibration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0010_dense_incident_tiles.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0010_dense_incident_tiles.down.sql")
