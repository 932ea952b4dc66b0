"""risk_score from the model's expected counts; analytics.model_comparison

Revision ID: 0009_model_calibration
Revises: 0008_replication_privacy
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0009_model_calibration"
down_revision = "0008_replication_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0009_model_calibration.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0009_model_calibration.down.sql")
