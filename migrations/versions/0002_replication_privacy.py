"""replication privacy

Revision ID: 0002_replication_privacy
Revises: 0001_baseline
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0002_replication_privacy"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0002_replication_privacy.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0002_replication_privacy.down.sql")
