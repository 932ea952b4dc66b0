"""cities

Revision ID: 0009_cities
Revises: 0008_replication_privacy
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0009_cities"
down_revision = "0008_replication_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0009_cities.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0009_cities.down.sql")
