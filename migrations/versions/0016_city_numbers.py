"""ref.cities: emergency and police numbers

Revision ID: 0016_city_numbers
Revises: 0015_sum_in_double
Create Date: 2026-12-06
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0016_city_numbers"
down_revision = "0015_sum_in_double"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0016_city_numbers.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0016_city_numbers.down.sql")
