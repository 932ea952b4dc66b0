"""ops.metrics_facts() for /metrics

Revision ID: 0007_ops_metrics
Revises: 0006_point_source_model
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0007_ops_metrics"
down_revision = "0006_point_source_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0007_ops_metrics.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0007_ops_metrics.down.sql")
