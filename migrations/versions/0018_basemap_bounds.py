"""basemap bounds

Revision ID: 0018_basemap_bounds
Revises: 0017_push_city_clock
Create Date: 2026-12-06
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0018_basemap_bounds"
down_revision = "0017_push_city_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0018_basemap_bounds.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0018_basemap_bounds.down.sql")
