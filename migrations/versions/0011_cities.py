"""cities

Revision ID: 0011_cities
Revises: 0010_dense_incident_tiles
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0011_cities"
down_revision = "0010_dense_incident_tiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0011_cities.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0011_cities.down.sql")
