"""Reports: submission, moderation, clustering, fusion.

Revision ID: 0004_reports
Revises: 0003_security
Create Date: 2026-11-29
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0004_reports"
down_revision = "0003_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0004_reports.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0004_reports.down.sql")
