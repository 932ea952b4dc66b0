"""Risk refresh sums real masses in double precision (float4 sums followed the row order)

Revision ID: 0015_sum_in_double
Revises: 0014_backtest_per_city
Create Date: 2026-12-06
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0015_sum_in_double"
down_revision = "0014_backtest_per_city"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0015_sum_in_double.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0015_sum_in_double.down.sql")
