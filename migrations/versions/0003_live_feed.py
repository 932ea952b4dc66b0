"""live feed

Revision ID: 0003_live_feed
Revises: 0002_basemap
Create Date: 2026-12-05
"""

from alembic import op

from migrations.schema import apply_frozen

revision = "0003_live_feed"
down_revision = "0002_basemap"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_frozen(op.get_bind(), "0003_live_feed.up.sql")


def downgrade() -> None:
    apply_frozen(op.get_bind(), "0003_live_feed.down.sql")
