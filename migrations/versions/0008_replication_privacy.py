"""Replication and privacy: job locks, per-address quota, erasure, retention, place views.

Revision ID: 0008_replication_privacy
Revises: 0007_ops_metrics
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0008_replication_privacy"
down_revision = "0007_ops_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0008_replication_privacy.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0008_replication_privacy.down.sql")
