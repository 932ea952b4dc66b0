"""backtest per city

Revision ID: 0014_backtest_per_city
Revises: 0013_city_alert_rule
Create Date: 2026-12-06
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0014_backtest_per_city"
down_revision = "0013_city_alert_rule"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0014_backtest_per_city.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0014_backtest_per_city.down.sql")
