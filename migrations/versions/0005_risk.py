"""Risk engine: risk tables, model, backtests, analytics views.

Revision ID: 0005_risk
Revises: 0004_reports
Create Date: 2026-11-29
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0005_risk"
down_revision = "0004_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0005_risk.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0005_risk.down.sql")
