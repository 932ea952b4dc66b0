"""Push messages carry the time zone of the followed district's city

Revision ID: 0017_push_city_clock
Revises: 0016_city_numbers
Create Date: 2026-12-06
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0017_push_city_clock"
down_revision = "0016_city_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0017_push_city_clock.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0017_push_city_clock.down.sql")
